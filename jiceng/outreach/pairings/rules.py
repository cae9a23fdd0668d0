"""Rules of double pairing (双结对, S26): each grassroots branch pairs with a needy person
(~87,000 people paired), each unit's party organisation with a residential area or a two-new
organisation (15,000+ units paired). Source: S26 in shared/seed/FACTS.md; the lifecycle is this
project's (proposed by a person or a plan, confirmed by a person, ended with a reason).

The state machine is a table the services, the buttons and the tests read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import BRANCH_TYPES, TWO_NEW_SECTORS, Sector


class PairingState(models.TextChoices):
    PROPOSED = "proposed", _("已提出")
    CONFIRMED = "confirmed", _("已确认")
    ENDED = "ended", _("已结束")


class PairingSource(models.TextChoices):
    MANUAL = "manual", _("手工结对")
    PLAN = "plan", _("结对方案")


class PartnerKind(models.TextChoices):
    """What a unit pairs with (S26): a residential area's party organisation (居民区, the
    street-community sector) or a two-new organisation (non-public enterprise or new social
    organisation, glossary 两新组织)."""

    RESIDENTIAL = "residential", _("居民区")
    TWO_NEW = "two_new", _("两新组织")


# States that hold the person (or the organisation–partner couple): at most one such pairing.
OPEN_STATES: tuple[str, ...] = (PairingState.PROPOSED, PairingState.CONFIRMED)

# Which states each step may start from. A proposed pairing may be dropped (ended) before it is
# confirmed; an ended one is final (a new pairing is proposed instead).
PAIRING_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "confirm": (PairingState.PROPOSED,),
    "end": (PairingState.PROPOSED, PairingState.CONFIRMED),
}

# A needy person is paired with a branch (a unit holding members directly): its members visit.
PAIRING_BRANCH_TYPES: tuple[str, ...] = tuple(BRANCH_TYPES)

# The sectors of each partner kind (orgs.models.Sector; glossary: 两新组织 = NEW_ECONOMIC,
# NEW_SOCIAL; residential areas are the street-community sector's branches).
PARTNER_SECTORS: dict[str, tuple[str, ...]] = {
    PartnerKind.RESIDENTIAL: (Sector.STREET_COMMUNITY,),
    PartnerKind.TWO_NEW: TWO_NEW_SECTORS,
}


def partner_kind_of(sector: str) -> str | None:
    """The partner kind of an organisation of ``sector``, or None when it may not be a partner.

    >>> partner_kind_of("new_social")
    'two_new'
    >>> partner_kind_of("hospital") is None
    True
    """
    for kind, sectors in PARTNER_SECTORS.items():
        if sector in sectors:
            return str(kind)
    return None


# Demo and planning: how many people one branch takes on (S26: ~87,000 people, ~15,000 branches).
PEOPLE_PER_BRANCH = 6
