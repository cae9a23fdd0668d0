"""Rules of rectification items (S20: "learn and rectify at once", a "project the public is
satisfied with" — 群众满意工程; S22: Tianlin street's ten-year problem of illegal building
solved and kept solved by a standing arrangement): the states, the transitions the services,
the buttons and the tests read, the public's verdict, and when a problem is long-running."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class ItemState(models.TextChoices):
    OPEN = "open", _("已立项")
    IN_PROGRESS = "in_progress", _("整改中")
    DONE = "done", _("已整改，待群众评议")
    CLOSED = "closed", _("已销号")


class Verdict(models.TextChoices):
    """The public's verdict on a rectified problem: the 2005 campaign's three-grade scale
    (满意 / 基本满意 / 不满意)."""

    SATISFIED = "satisfied", _("满意")
    BASIC = "basically", _("基本满意")
    NOT_SATISFIED = "not_satisfied", _("不满意")


class SourceKind(models.TextChoices):
    """Where a problem was raised (issue 21: petitions, visits' findings, survey comments,
    consultation meetings)."""

    PETITION = "petition", _("信访件")
    VISIT_NEED = "visit_need", _("走访中反映的需求")
    SURVEY_COMMENT = "survey_comment", _("测评意见")
    MEETING = "meeting", _("征求意见会")
    OTHER = "other", _("其他")


# The record each kind links to (a meeting or another source is described in words).
SOURCE_FIELD: dict[str, str] = {
    SourceKind.PETITION: "petition",
    SourceKind.VISIT_NEED: "need",
    SourceKind.SURVEY_COMMENT: "comment",
}
LINKABLE_KINDS: tuple[str, ...] = tuple(SourceKind.values)

# Which states an action may start from, and where it leads. The verdict leads to CLOSED when
# the public is satisfied or basically satisfied and back to IN_PROGRESS when not (a reopening,
# counted); a failed check of the standing arrangement reopens a closed item the same way.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "start": (ItemState.OPEN,),
    "complete": (ItemState.IN_PROGRESS,),
    "verdict": (ItemState.DONE,),
}
TARGET_STATE: dict[str, str] = {
    "start": ItemState.IN_PROGRESS,
    "complete": ItemState.DONE,
}
ACCEPTED_VERDICTS: frozenset[str] = frozenset({Verdict.SATISFIED, Verdict.BASIC})
# An item is edited and sources are linked to it until it is closed.
OPEN_STATES: tuple[str, ...] = (ItemState.OPEN, ItemState.IN_PROGRESS, ItemState.DONE)
# Overdue: past the deadline and not yet rectified (a done item awaits only the verdict).
WORKING_STATES: tuple[str, ...] = (ItemState.OPEN, ItemState.IN_PROGRESS)

# A problem that had lasted a year when raised, or was worked in more than one batch of the
# campaign, is long-running (S22: the Tianlin problem lasted ten years).
LONG_RUNNING_YEARS = 1
LONG_RUNNING_BATCHES = 1
# Bounds of a standing arrangement's check interval, in days (weekly to yearly).
CHECK_EVERY_MIN, CHECK_EVERY_MAX = 7, 366
# The worklist of checks shows those due within this many days.
CHECK_DUE_SOON_DAYS = 14


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th).

    >>> years_before(dt.date(2005, 7, 1), 1)
    datetime.date(2004, 7, 1)
    >>> years_before(dt.date(2008, 2, 29), 1)
    datetime.date(2007, 2, 28)
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def is_long_running(since: dt.date | None, raised_on: dt.date | None, batches: int) -> bool:
    """A problem present for at least a year before it was raised, or worked in more than one
    batch.

    >>> is_long_running(dt.date(1995, 5, 1), dt.date(2005, 7, 1), 1)
    True
    >>> is_long_running(dt.date(2005, 3, 1), dt.date(2005, 7, 1), 1)
    False
    >>> is_long_running(dt.date(2005, 3, 1), dt.date(2005, 7, 1), 2)
    True
    """
    if batches > LONG_RUNNING_BATCHES:
        return True
    if since is None or raised_on is None:
        return False
    return since <= years_before(raised_on, LONG_RUNNING_YEARS)


# The words of each step of an item's history.
EVENT_LABELS: dict[str, StrOrPromise] = {
    "create": _("立项"),
    "start": _("开始整改"),
    "complete": _("整改完成并公示"),
    "verdict": _("群众评议"),
    "reopen": _("群众评议不满意，重新整改"),
    "check_failed": _("长效管理检查未通过，重新整改"),
}
