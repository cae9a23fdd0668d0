"""Every read of the study ledger, scoped through ``visible_to``. Completion per member is
computed in the database (correlated sums); per unit it is read from the stored totals
(``StudyTally``, kept by ``totals``) summed over the subtree's units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr

from jiceng.core import clock, tree
from jiceng.core.scoping import Action, can, get_visible_or_404
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from .models import (
    Attendance,
    SelfStudy,
    StudyPeriod,
    StudyRequirement,
    StudySession,
    StudyTally,
)
from .rules import AMOUNT_PLACES, in_unit_q, mode_expression

TOTAL = DecimalField(max_digits=9, decimal_places=AMOUNT_PLACES)
ZERO = Value(Decimal(0), output_field=TOTAL)


# ----- periods ----------------------------------------------------------------------------------
def period_list() -> QuerySet[StudyPeriod]:
    """Periods are city-wide reference data: every logged-in user reads them."""
    return StudyPeriod.objects.all()


def period_get(pk: Any) -> StudyPeriod:
    from django.http import Http404

    try:
        return StudyPeriod.objects.get(pk=pk)
    except (StudyPeriod.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def period_current(pk: Any = None, today: dt.date | None = None) -> StudyPeriod | None:
    """The period asked for, else the one running today, else the latest."""
    if pk:
        return period_get(pk)
    today = today or clock.today()
    periods = period_list()
    return periods.filter(starts_on__lte=today, ends_on__gte=today).first() or periods.first()


# ----- sessions, attendance, self-study ---------------------------------------------------------
def session_list(user: Any, action: str = Action.VIEW) -> QuerySet[StudySession]:
    return StudySession.objects.visible_to(user, action).select_related(
        "org", "period", "recorded_by"
    )


def session_get(user: Any, pk: Any, action: str = Action.VIEW) -> StudySession:
    return get_visible_or_404(
        StudySession.objects.select_related("org", "period", "recorded_by"), user, action, pk=pk
    )


def unit_sessions(user: Any, org: Organization, period: StudyPeriod) -> QuerySet[StudySession]:
    """The sessions held by ``org`` and its lower units in ``period``, with attendance counts."""
    return (
        session_list(user)
        .filter(org_path__startswith=org.path, period=period)
        .annotate(
            n_present=Count("attendance", filter=Q(attendance__present=True)),
            n_listed=Count("attendance"),
        )
        .order_by("-held_on", "-id")
    )


def session_attendance(session: StudySession) -> QuerySet[Attendance]:
    """The session's attendance; call only with a session from ``session_get``."""
    return session.attendance.select_related("member").order_by("-present", "member__name")


def selfstudy_list(user: Any, action: str = Action.VIEW) -> QuerySet[SelfStudy]:
    return SelfStudy.objects.visible_to(user, action).select_related(
        "member", "org", "period", "recorded_by", "confirmed_by"
    )


def selfstudy_get(user: Any, pk: Any, action: str = Action.VIEW) -> SelfStudy:
    return get_visible_or_404(
        SelfStudy.objects.select_related("member", "org", "period"), user, action, pk=pk
    )


def selfstudy_pending(user: Any, org: Organization) -> QuerySet[SelfStudy]:
    """Self-study entries waiting for confirmation by units the user may change."""
    return (
        selfstudy_list(user, Action.CHANGE)
        .filter(org_path__startswith=org.path, confirmed_at__isnull=True)
        .order_by("studied_on", "id")
    )


def member_attendance(user: Any, member: Member, period: StudyPeriod) -> QuerySet[Attendance]:
    return (
        Attendance.objects.visible_to(user)
        .filter(member=member, session__period=period)
        .select_related("session", "session__org")
        .order_by("-session__held_on")
    )


def member_selfstudy(user: Any, member: Member, period: StudyPeriod) -> QuerySet[SelfStudy]:
    return selfstudy_list(user).filter(member=member, period=period)


# ----- completion -------------------------------------------------------------------------------
def _study_path() -> Case:
    return Case(
        When(participating_org__isnull=True, then=F("home_path")),
        default=F("participating_path"),
    )


def _unit_field(name: str) -> Case:
    return Case(
        When(participating_org__isnull=True, then=F(f"home_org__{name}")),
        default=F(f"participating_org__{name}"),
    )


def annotate_completion(members: QuerySet[Any], period: StudyPeriod) -> QuerySet[Any]:
    """Each member with ``study_mode`` (S9), ``required`` (the most specific requirement of
    the period for the mode, sector and type of their study unit; None when none applies),
    ``session_amount`` (sessions attended, in that mode), ``self_amount`` (confirmed
    self-study, in that mode) and ``done``."""
    members = members.annotate(
        study_mode=mode_expression(),
        study_path=_study_path(),
        unit_sector=_unit_field("sector"),
        unit_type=_unit_field("org_type"),
    )
    requirement = (
        StudyRequirement.objects.filter(period=period, mode=OuterRef("study_mode"))
        .filter(Q(sector="") | Q(sector=OuterRef("unit_sector")))
        .filter(Q(org_type="") | Q(org_type=OuterRef("unit_type")))
        .annotate(
            specificity=Case(When(sector="", then=Value(0)), default=Value(2))
            + Case(When(org_type="", then=Value(0)), default=Value(1)),
        )
        .order_by("-specificity")
        .values("required_amount")[:1]
    )
    attended = (
        Attendance.objects.filter(
            member=OuterRef("pk"),
            present=True,
            session__period=period,
            session__mode=OuterRef("study_mode"),
        )
        .order_by()
        .values("member")
        .annotate(total=Sum("session__amount"))
        .values("total")
    )
    self_study = (
        SelfStudy.objects.filter(
            member=OuterRef("pk"),
            period=period,
            mode=OuterRef("study_mode"),
            confirmed_at__isnull=False,
        )
        .order_by()
        .values("member")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return members.annotate(
        required=Subquery(requirement, output_field=TOTAL),
        session_amount=Coalesce(Subquery(attended, output_field=TOTAL), ZERO),
        self_amount=Coalesce(Subquery(self_study, output_field=TOTAL), ZERO),
    ).annotate(done=F("session_amount") + F("self_amount"))


COMPLETE_Q = Q(required__isnull=False, done__gte=F("required"))
BELOW_Q = Q(required__isnull=False, done__lt=F("required"))


def member_completion(user: Any, org: Organization, period: StudyPeriod) -> QuerySet[Any]:
    """The members the user sees who study in ``org``'s subtree, with their completion."""
    members = (
        Member.objects.on_roll()
        .visible_to(user)
        .filter(in_unit_q(org.path))
        .select_related("home_org", "participating_org")
    )
    return annotate_completion(members, period).order_by("study_path", "name", "id")


def below_requirement(user: Any, org: Organization, period: StudyPeriod) -> QuerySet[Any]:
    """Members below the period's requirement, by unit, then name."""
    return (
        member_completion(user, org, period)
        .filter(BELOW_Q)
        .annotate(shortfall=F("required") - F("done"))
    )


def member_record(user: Any, member: Member, period: StudyPeriod) -> Member:
    """One member (already fetched through ``visible_to``) with their completion."""
    return annotate_completion(
        Member.objects.filter(pk=member.pk).select_related("home_org", "participating_org"),
        period,
    ).get()


@dataclass
class UnitRow:
    org: Organization
    members: int = 0
    with_requirement: int = 0
    completed: int = 0
    below: int = 0
    done: Decimal = Decimal(0)

    @property
    def rate(self) -> float | None:
        """Share of members with a requirement who have met it."""
        return self.completed / self.with_requirement if self.with_requirement else None

    @property
    def percent(self) -> int:
        return round(100 * (self.rate or 0))


_COUNTS = {
    "members": Count("pk"),
    "with_requirement": Count("pk", filter=Q(required__isnull=False)),
    "completed": Count("pk", filter=COMPLETE_Q),
    "below": Count("pk", filter=BELOW_Q),
    "done": Coalesce(Sum("done", output_field=TOTAL), ZERO),
}


def _grouped(user: Any, org: Organization, period: StudyPeriod, length: int) -> dict[str, dict]:
    """Completion counts grouped by the first ``length`` characters of the study unit's path.

    When the user sees the whole subtree they are the stored totals' (``StudyTally``, issue
    22): a sum over the subtree's units, one range of the tree, never the members. Otherwise
    they are computed member by member over what the user sees (not ``.aggregate()``: over
    these annotations Django wraps the query and loses ``done``).
    """
    if can(user, Action.VIEW, org.path):
        return _grouped_stored(org, period, length)
    rows = (
        member_completion(user, org, period)
        .annotate(unit_key=Substr("study_path", 1, length))
        .order_by()
        .values("unit_key")
        .annotate(**_COUNTS)
    )
    return {row["unit_key"]: {k: v for k, v in row.items() if k != "unit_key"} for row in rows}


def _grouped_stored(org: Organization, period: StudyPeriod, length: int) -> dict[str, dict]:
    rows = (
        StudyTally.objects.filter(period=period, org_path__startswith=org.path)
        .annotate(unit_key=Substr("org_path", 1, length))
        .order_by()
        .values("unit_key")
        .annotate(
            n_members=Sum("members"),
            n_with_requirement=Sum("with_requirement"),
            n_completed=Sum("completed"),
            n_below=Sum("below"),
            n_done=Coalesce(Sum("done", output_field=TOTAL), ZERO),
        )
        .values_list(
            "unit_key", "n_members", "n_with_requirement", "n_completed", "n_below", "n_done"
        )
    )
    return {
        key: {"members": m, "with_requirement": w, "completed": c, "below": b, "done": d}
        for key, m, w, c, b, d in rows
    }


def unit_totals(user: Any, org: Organization, period: StudyPeriod) -> UnitRow:
    """The whole subtree's completion in one aggregate query."""
    return UnitRow(org, **_grouped(user, org, period, len(org.path)).get(org.path, {}))


def unit_children(user: Any, org: Organization) -> list[Organization]:
    return list(
        Organization.objects.visible_to(user)
        .active()
        .filter(path__startswith=org.path, depth=org.depth + 1)
        .order_by("path")
    )


def unit_completion(user: Any, org: Organization, period: StudyPeriod) -> list[UnitRow]:
    """Completion per direct lower unit of ``org`` (its whole subtree each), one GROUP BY on
    the study unit's path prefix. Members studying in ``org`` itself make a row of ``org``."""
    children = unit_children(user, org)
    step = tree.child_length(org.path)
    by_key = _grouped(user, org, period, step)
    rows: list[UnitRow] = []
    own = by_key.pop(org.path, None)
    if own:
        rows.append(UnitRow(org, **own))
    for child in children:
        rows.append(UnitRow(child, **by_key.pop(child.path, {})))
    return rows


def chart_data(rows: list[UnitRow]) -> dict[str, Any]:
    """What the completion chart draws: one bar per unit (completion rate, %)."""
    return {
        "units": [r.org.name for r in rows],
        "rates": [None if r.rate is None else round(100 * r.rate, 1) for r in rows],
        "below": [r.below for r in rows],
    }


def unit_roster(user: Any, org: Organization, mode: str) -> QuerySet[Member]:
    """The attendance checklist: members the user may change who study in ``org``'s subtree
    under ``mode`` (S9), by name."""
    return (
        Member.objects.on_roll()
        .visible_to(user, Action.CHANGE)
        .filter(in_unit_q(org.path))
        .annotate(study_mode=mode_expression())
        .filter(study_mode=mode)
        .select_related("home_org", "participating_org")
        .order_by("name", "id")
    )
