"""Rules of support projects (S28: the Chongming vegetable station's "help a village, pair with
a farm household, serve the growers", a project on orchard land use with two experienced
members assigned): whom a project helps, its states and the transitions the services, the
buttons and the tests read, and how an outcome is measured against its target."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class BeneficiaryKind(models.TextChoices):
    """Whom a project helps (S28: 帮助一个村、结对一户农户、服务种植户)."""

    VILLAGE = "village", _("村")
    HOUSEHOLD = "household", _("农户")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("其他")


class ProjectState(models.TextChoices):
    PLANNED = "planned", _("计划中")
    ACTIVE = "active", _("实施中")
    COMPLETED = "completed", _("已完成")
    CLOSED = "closed", _("已关闭")


class ProjectRole(models.TextChoices):
    LEAD = "lead", _("负责人")
    MEMBER = "member", _("成员")


# Which states an action may start from. Completing or closing ends the project for good, with
# a note (what was achieved; why it was closed before completion).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "start": (ProjectState.PLANNED,),
    "complete": (ProjectState.ACTIVE,),
    "close": (ProjectState.PLANNED, ProjectState.ACTIVE),
}
TARGET_STATE: dict[str, str] = {
    "start": ProjectState.ACTIVE,
    "complete": ProjectState.COMPLETED,
    "close": ProjectState.CLOSED,
}
# A note is required to end a project (completing: what was achieved; closing: why).
NOTE_REQUIRED = frozenset({"complete", "close"})
# A project is edited, its goals and members changed, while it is not yet ended.
OPEN_STATES: tuple[str, ...] = (ProjectState.PLANNED, ProjectState.ACTIVE)
# Progress is recorded while the project runs.
PROGRESS_STATES: tuple[str, ...] = (ProjectState.ACTIVE,)

# Common units of a goal (the form suggests them; any short unit is accepted).
UNIT_SUGGESTIONS = ("万元", "元", "户", "人", "亩", "吨", "个", "%")


@dataclass(frozen=True)
class Outcome:
    """A goal's latest measured value against its target: ``percent`` of the way from the
    baseline (may exceed 100 or be negative), ``bar`` the same clamped to 0–100 for a progress
    bar, ``met`` whether the target is reached (a goal whose target is below its baseline, such
    as households still in hardship, is met when the value falls to it)."""

    latest: Decimal | None
    percent: Decimal | None
    bar: int
    met: bool


def outcome(baseline: Decimal, target: Decimal, latest: Decimal | None) -> Outcome:
    """Where ``latest`` stands between ``baseline`` and ``target``.

    >>> outcome(Decimal(10), Decimal(20), Decimal(15))
    Outcome(latest=Decimal('15'), percent=Decimal('50.0'), bar=50, met=False)
    >>> outcome(Decimal(30), Decimal(10), Decimal(5)).met
    True
    >>> outcome(Decimal(1), Decimal(2), None).bar
    0
    """
    if latest is None:
        return Outcome(None, None, 0, False)
    met = latest >= target if target >= baseline else latest <= target
    if target == baseline:
        percent = Decimal(100) if met else Decimal(0)
    else:
        percent = ((latest - baseline) * 100 / (target - baseline)).quantize(Decimal("0.1"))
    bar = int(max(Decimal(0), min(Decimal(100), percent)))
    return Outcome(latest, percent, bar, met)
