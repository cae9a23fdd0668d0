"""Every read of support projects (S28), from ``visible_to``: the projects under a root
(filtered by state and beneficiary kind), a member's own (self-service), a project with its
goals and their outcomes against target, a goal's measurements over time, and the figures per
child unit (projects, active, goals met) in grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Substr
from django.http import Http404

from jiceng.core import tree
from jiceng.core.scoping import Action, scope_of
from jiceng.members.models import Member
from jiceng.members.selectors import own_member
from jiceng.orgs.models import Organization

from .models import ProjectGoal, ProjectMeasurement, ProjectMember, SupportProject
from .rules import Outcome, ProjectState, outcome


def _visible(user: Any, action: str = Action.VIEW) -> QuerySet[SupportProject]:
    """The projects ``user`` may reach, one row each (the self-service rule joins the
    assignments, so it is read as a subquery of ids)."""
    return SupportProject.objects.filter(
        pk__in=SupportProject.objects.visible_to(user, action).values("pk")
    )


def project_list(
    user: Any,
    *,
    under: Organization | None = None,
    state: str = "",
    beneficiary_kind: str = "",
) -> QuerySet[SupportProject]:
    """The projects the user may see (of their subtree; a member those assigned to them),
    newest first, filtered."""
    projects = _visible(user)
    if under is not None:
        projects = projects.filter(path__startswith=under.path)
    if state:
        projects = projects.filter(state=state)
    if beneficiary_kind:
        projects = projects.filter(beneficiary_kind=beneficiary_kind)
    return (
        projects.select_related("owner")
        .annotate(
            goal_count=Count("goals", distinct=True),
            member_count=Count("assignments", distinct=True),
        )
        .order_by("-starts_on", "-id")
    )


def own_projects(user: Any) -> QuerySet[SupportProject]:
    """The projects the member (self-service) is assigned to, whatever their role elsewhere."""
    member = own_member(user)
    if member is None:
        return SupportProject.objects.none()
    return (
        SupportProject.objects.filter(
            pk__in=ProjectMember.objects.filter(member=member).values("project_id")
        )
        .select_related("owner")
        .order_by("-starts_on", "-id")
    )


def project_get(user: Any, pk: Any, action: str = Action.VIEW) -> SupportProject:
    """A project the user may see (or change); missing and foreign are the same 404."""
    try:
        return _visible(user, action).select_related("owner").get(pk=pk)
    except (SupportProject.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def goal_get(project: SupportProject, pk: Any) -> ProjectGoal:
    goal = project.goals.filter(pk=pk).first() if str(pk).isdigit() else None
    if goal is None:
        raise Http404
    return goal


def assignment_get(project: SupportProject, pk: Any) -> ProjectMember:
    found = project.assignments.filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    return found


def assignments_of(project: SupportProject) -> list[ProjectMember]:
    return list(project.assignments.select_related("member").order_by("role", "since", "id"))


def progress_of(project: SupportProject) -> list[Any]:
    return list(
        project.progress.select_related("by").prefetch_related("measurements__goal").all()[:100]
    )


def assignable_members(user: Any, project: SupportProject) -> QuerySet[Member]:
    """Who may be assigned: members on the roll registered or taking part under the owner,
    or anywhere in the user's change scope."""
    under_owner = Q(home_path__startswith=project.path) | Q(
        participating_path__startswith=project.path
    )
    return (
        Member.objects.on_roll()
        .filter(pk__in=Member.objects.visible_to(user, Action.CHANGE).values("pk"))
        .filter(under_owner)
        .exclude(pk__in=project.assignments.values("member_id"))
        .order_by("name_pinyin", "id")
    )


def member_pick(user: Any, pk: Any) -> Member | None:
    """A member the user may name on an assignment (the service checks where they are)."""
    if not str(pk).isdigit():
        return None
    return Member.objects.on_roll().visible_to(user).filter(pk=pk).first()


# ----- outcomes --------------------------------------------------------------------------------


def _latest_value() -> Subquery:
    return Subquery(
        ProjectMeasurement.objects.filter(goal=OuterRef("pk"))
        .order_by("-measured_on", "-id")
        .values("value")[:1],
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _met_q() -> Q:
    """A goal reached: the latest value at or past the target, in the goal's direction."""
    return Q(target__gte=F("baseline"), latest__gte=F("target")) | Q(
        target__lt=F("baseline"), latest__lte=F("target")
    )


@dataclass(frozen=True)
class GoalOutcome:
    goal: ProjectGoal
    outcome: Outcome
    measured_on: Any


def goal_outcomes(project: SupportProject) -> list[GoalOutcome]:
    """Each goal with its latest measured value and where it stands between baseline and
    target (``rules.outcome``): one query."""
    latest_on = Subquery(
        ProjectMeasurement.objects.filter(goal=OuterRef("pk"))
        .order_by("-measured_on", "-id")
        .values("measured_on")[:1]
    )
    goals = project.goals.annotate(latest=_latest_value(), latest_on=latest_on).order_by("id")
    return [GoalOutcome(g, outcome(g.baseline, g.target, g.latest), g.latest_on) for g in goals]


def goal_series(goal: ProjectGoal) -> list[dict[str, Any]]:
    """The goal's measurements over time, for the chart (date, value)."""
    return [
        {"date": on.isoformat(), "value": float(value)}
        for on, value in goal.measurements.order_by("measured_on", "id").values_list(
            "measured_on", "value"
        )
    ]


# ----- figures per child unit ------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFigures:
    key: str
    name: str
    org_id: int | None
    projects: int
    active: int
    completed: int
    goals: int
    goals_met: int


def figures_by_unit(user: Any, under: Organization) -> list[ProjectFigures]:
    """Projects, active ones, completed ones, goals and goals met (latest value at target) of
    each unit one level below ``under`` (and ``under`` itself): one grouped query over
    projects and one over goals, whatever the size of the subtree."""
    length = tree.child_length(under.path)
    projects = _visible(user).filter(path__startswith=under.path)
    rows: list[Any] = list(
        projects.annotate(unit=Substr("path", 1, length))
        .values("unit")
        .annotate(
            projects=Count("id"),
            active=Count("id", filter=Q(state=ProjectState.ACTIVE)),
            completed=Count("id", filter=Q(state=ProjectState.COMPLETED)),
        )
        .order_by("unit")
    )
    goal_rows: dict[str, Any] = {
        r["child"]: r
        for r in ProjectGoal.objects.filter(project__in=projects)
        .annotate(child=Substr("project__path", 1, length), latest=_latest_value())
        .values("child")
        .annotate(goals=Count("id"), goals_met=Count("id", filter=_met_q()))
        .order_by("child")
    }
    units = {
        path: (name, pk)
        for path, name, pk in Organization.objects.filter(
            path__in=[r["unit"] for r in rows]
        ).values_list("path", "name", "pk")
    }
    return [
        ProjectFigures(
            key=r["unit"],
            name=units.get(r["unit"], ("", None))[0],
            org_id=units.get(r["unit"], ("", None))[1],
            projects=r["projects"],
            active=r["active"],
            completed=r["completed"],
            goals=goal_rows.get(r["unit"], {}).get("goals", 0),
            goals_met=goal_rows.get(r["unit"], {}).get("goals_met", 0),
        )
        for r in rows
    ]


def figures_total(rows: list[ProjectFigures], under: Organization) -> ProjectFigures:
    return ProjectFigures(
        key=under.path,
        name=under.name,
        org_id=under.pk,
        projects=sum(r.projects for r in rows),
        active=sum(r.active for r in rows),
        completed=sum(r.completed for r in rows),
        goals=sum(r.goals for r in rows),
        goals_met=sum(r.goals_met for r in rows),
    )


def default_owner(user: Any) -> Organization | None:
    """The unit the create form starts with: the top of the user's change scope."""
    return (
        Organization.objects.filter(path__in=scope_of(user, Action.CHANGE).paths)
        .order_by("path")
        .first()
    )
