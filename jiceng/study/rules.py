"""Study rules as named constants with their sources.

* S9: Jiangning Road street kept a class-hour system (学课制) for residential members and a
  credit system (学分制) for members in two-new organisations (non-public enterprises and new
  social organisations). Which system applies to a member follows from the sector of the unit
  where the member takes part (``participating_org``, else the unit of the organisational
  relationship, ``home_org``).
* The required amounts are data (``StudyRequirement``), set per period, mode, sector and
  organisation type with a note of their source; the demo figures live in
  ``jiceng/scenario/study.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import TWO_NEW_SECTORS


class StudyMode(models.TextChoices):
    CLASS_HOURS = "class_hours", _("学课制（课时）")
    CREDITS = "credits", _("学分制（学分）")


# S9: members in two-new organisations study under the credit system, everyone else under the
# class-hour system.
CREDIT_SECTORS = TWO_NEW_SECTORS
DEFAULT_MODE = StudyMode.CLASS_HOURS

# One session or one self-study entry counts between these amounts (half an hour / credit
# up to a full-day course of 8 hours). Our own plausibility guard against typing errors, not
# a figure from the sources.
MIN_AMOUNT = Decimal("0.5")
MAX_AMOUNT = Decimal("8")
# Amounts are kept to one decimal (half hours, half credits).
AMOUNT_DIGITS = 5
AMOUNT_PLACES = 1

# The attendance checklist on the page lists at most this many members; larger units record
# attendance through the API (a page with thousands of checkboxes helps nobody).
CHECKLIST_MAX = 300


def mode_for_sector(sector: str) -> StudyMode:
    """The study mode for members of a unit of ``sector`` (S9).

    >>> mode_for_sector("new_economic").value
    'credits'
    >>> mode_for_sector("street_community").value
    'class_hours'
    """
    return StudyMode.CREDITS if sector in CREDIT_SECTORS else DEFAULT_MODE


def in_unit_q(path: str, prefix: str = "") -> Q:
    """Members who study in the subtree at ``path``: their participating unit is there, or
    they have none and their home unit is there (S9, S10). ``prefix`` reaches the member
    through a relation (``"member__"``)."""
    return Q(**{f"{prefix}participating_path__startswith": path}) | Q(
        **{f"{prefix}participating_org__isnull": True, f"{prefix}home_path__startswith": path}
    )


def mode_expression(prefix: str = "") -> Case:
    """The member's study mode in SQL: credits when the study unit is two-new (S9)."""
    return Case(
        When(
            Q(
                **{
                    f"{prefix}participating_org__isnull": True,
                    f"{prefix}home_org__sector__in": CREDIT_SECTORS,
                }
            )
            | Q(**{f"{prefix}participating_org__sector__in": CREDIT_SECTORS}),
            then=Value(StudyMode.CREDITS.value),
        ),
        default=Value(DEFAULT_MODE.value),
        output_field=models.CharField(),
    )
