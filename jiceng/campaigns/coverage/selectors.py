"""Every read of coverage: the "four lets" of a subtree (S8) and the units missing each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from jiceng.campaigns.progress.models import Campaign, CampaignUnit
from jiceng.campaigns.progress.selectors import campaign_units
from jiceng.core.scoping import Action, can
from jiceng.members.models import Member
from jiceng.orgs.models import Organization
from jiceng.study.models import Attendance

from .models import CoverageEntry, CoverageTally
from .rules import Coverage


def unit_entries(unit: CampaignUnit) -> dict[str, CoverageEntry]:
    """The figures the unit has entered, by indicator."""
    return {e.indicator: e for e in unit.coverage.all()}


@dataclass
class CoverageRow:
    """The "four lets" (S8) of a subtree: rates and the units still missing each."""

    units: int
    secretaries: int
    members: int
    placed: int
    attended: int  # members present at a study session during the campaign (S9)
    owners: tuple[int, int]  # entered: reached, total
    residents: tuple[int, int]
    owners_units: int  # units that entered the figure
    residents_units: int

    @staticmethod
    def _rate(n: int, d: int) -> float:
        return round(100 * n / d, 1) if d else 0.0

    @property
    def secretary_rate(self) -> float:
        return self._rate(self.secretaries, self.units)

    @property
    def member_rate(self) -> float:
        return self._rate(self.placed, self.members)

    @property
    def attended_rate(self) -> float:
        return self._rate(self.attended, self.members)

    @property
    def owner_rate(self) -> float:
        return self._rate(*self.owners)

    @property
    def resident_rate(self) -> float:
        return self._rate(*self.residents)


def roll_figures(user: Any, campaign: Campaign, under: Organization) -> dict[str, int]:
    """Members registered in the subtree on the roll (``members``), those taking part in a
    unit (``placed``, S10) and those present at a study session during the campaign
    (``attended``, S9). For a user who sees the whole subtree, the sum of the stored totals
    (``CoverageTally``, issue 22) over its units; otherwise counted over the members they see.
    """
    if can(user, Action.VIEW, under.path):
        got = CoverageTally.objects.filter(
            campaign=campaign, org_path__startswith=under.path
        ).aggregate(members=Sum("members"), placed=Sum("placed"), attended=Sum("attended"))
        return {k: v or 0 for k, v in got.items()}
    attended = Attendance.objects.filter(
        member=OuterRef("pk"),
        present=True,
        session__held_on__gte=campaign.starts_on,
        session__held_on__lte=campaign.ends_on,
    )
    return (
        Member.objects.on_roll()
        .visible_to(user)
        .filter(home_path__startswith=under.path)
        .aggregate(
            members=Count("id"),
            placed=Count("id", filter=Q(participating_org__isnull=False)),
            attended=Count("id", filter=Q(Exists(attended))),
        )
    )


def coverage(user: Any, campaign: Campaign, under: Organization) -> CoverageRow:
    """Secretary in post and members taking part are computed (the organisation's secretary;
    members registered in the subtree who have a participating unit, S10); owners supporting
    and residents aware are summed from the units' entered figures, marked so (S8)."""
    units = campaign_units(user, campaign).filter(org_path__startswith=under.path)
    u = units.aggregate(
        units=Count("id"), secretaries=Count("id", filter=Q(org__secretary__isnull=False))
    )
    m = roll_figures(user, campaign, under)
    entries = (
        CoverageEntry.objects.filter(unit__in=units)
        .values("indicator")
        .annotate(n=Sum("numerator"), d=Sum("denominator"), k=Count("id"))
    )
    got: dict[str, Any] = {e["indicator"]: e for e in entries}

    def pair(key: str) -> tuple[int, int]:
        e = got.get(key)
        return (e["n"], e["d"]) if e else (0, 0)

    return CoverageRow(
        units=u["units"],
        secretaries=u["secretaries"],
        members=m["members"],
        placed=m["placed"],
        attended=m["attended"],
        owners=pair(Coverage.OWNERS),
        residents=pair(Coverage.RESIDENTS),
        owners_units=got.get(Coverage.OWNERS, {}).get("k", 0),
        residents_units=got.get(Coverage.RESIDENTS, {}).get("k", 0),
    )


def coverage_missing(
    user: Any, campaign: Campaign, under: Organization, indicator: str
) -> QuerySet[CampaignUnit]:
    """The units still missing an indicator: no secretary in post, or no entered figure."""
    units = campaign_units(user, campaign).filter(org_path__startswith=under.path)
    if indicator == Coverage.SECRETARY:
        units = units.filter(org__secretary__isnull=True)
    elif indicator in (Coverage.OWNERS, Coverage.RESIDENTS):
        units = units.exclude(coverage__indicator=indicator)
    return units.select_related("org", "parent").order_by("org_path")
