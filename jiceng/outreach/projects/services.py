"""Every write of support projects (S28): a project created and edited by its organisation,
goals and members added and removed, progress recorded with the goals' measured values (all or
nothing; by the organisation or an assigned member), started, completed or closed with a note.
Keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from .models import (
    ProjectGoal,
    ProjectMeasurement,
    ProjectMember,
    ProjectProgress,
    SupportProject,
)
from .rules import (
    NOTE_REQUIRED,
    OPEN_STATES,
    PROGRESS_STATES,
    TARGET_STATE,
    TRANSITIONS,
    BeneficiaryKind,
    ProjectRole,
)

PROJECT_FIELDS = (
    "owner",
    "title",
    "beneficiary_kind",
    "beneficiary_name",
    "beneficiary_place",
    "starts_on",
    "ends_on",
    "state",
    "ended_on",
    "closing_note",
)
EDITABLE = (
    "title",
    "beneficiary_kind",
    "beneficiary_name",
    "beneficiary_place",
    "description",
    "starts_on",
    "ends_on",
)
VALUE_LIMIT = Decimal("1e12")


# ----- who may do what -------------------------------------------------------------------------


def _is_assigned(actor: Actor, project: SupportProject) -> bool:
    user = actor_user(actor)
    return user is not None and project.assignments.filter(member__user=user).exists()


@dataclass(frozen=True)
class ProjectRights:
    """What an actor may do with a project now: the pages show these buttons and forms, and
    the services refuse the rest with their own words."""

    change: bool  # edit, goals, members (the owner's side, while the project is open)
    progress: bool  # record progress (the owner's side or an assigned member, while active)
    actions: tuple[str, ...]  # start / complete / close, as the state allows


def project_rights(actor: Actor, project: SupportProject) -> ProjectRights:
    owner_side = actor is None or can(actor, Action.CHANGE, project.path)
    is_open = project.state in OPEN_STATES
    running = project.state in PROGRESS_STATES
    return ProjectRights(
        change=owner_side and is_open,
        progress=running and (owner_side or _is_assigned(actor, project)),
        actions=tuple(a for a, src in TRANSITIONS.items() if owner_side and project.state in src),
    )


def _require_owner(actor: Actor, project: SupportProject) -> None:
    require(actor, Action.CHANGE, project.path, _("只有项目实施单位及其上级可以修改该帮扶项目"))


def _require_open(project: SupportProject) -> None:
    if project.state not in OPEN_STATES:
        raise ValidationError(
            _("该项目%(state)s，不能再修改") % {"state": project.get_state_display()}
        )


def _locked(project: SupportProject) -> SupportProject:
    return SupportProject.objects.select_for_update().get(pk=project.pk)


# ----- the project ------------------------------------------------------------------------------


def _clean_project(project: SupportProject) -> None:
    project.title = (project.title or "").strip()
    project.beneficiary_name = (project.beneficiary_name or "").strip()
    project.beneficiary_place = (project.beneficiary_place or "").strip()
    if not project.title:
        raise ValidationError({"title": _("请填写项目名称")})
    if not project.beneficiary_name:
        raise ValidationError({"beneficiary_name": _("请填写帮扶对象（村、农户或企业的名称）")})
    if project.beneficiary_kind not in BeneficiaryKind.values:
        raise ValidationError({"beneficiary_kind": _("受助对象类型不正确")})
    if project.starts_on and project.ends_on and project.ends_on < project.starts_on:
        raise ValidationError({"ends_on": _("计划结束日期不能早于开始日期")})


@transaction.atomic
def project_create(
    *,
    actor: Actor,
    owner: Organization,
    title: str,
    beneficiary_kind: str,
    beneficiary_name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    beneficiary_place: str = "",
    description: str = "",
) -> SupportProject:
    """An organisation starts planning a support project for a village, a farm household or an
    enterprise (S28); it is placed at the organisation."""
    require(actor, Action.CHANGE, owner.path, _("只能为本人管辖范围内的组织登记帮扶项目"))
    if owner.is_abolished:
        raise ValidationError({"owner": _("该组织已撤销")})
    project = SupportProject(
        owner=owner,
        path=owner.path,
        title=title,
        beneficiary_kind=beneficiary_kind,
        beneficiary_name=beneficiary_name,
        beneficiary_place=beneficiary_place,
        description=(description or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor_user(actor),
        created_at=clock.now(),
    )
    _clean_project(project)
    project.full_clean(exclude=["path", "created_by"])
    project.save()
    audit.record(
        actor=actor,
        verb="create",
        obj=project,
        org_path=project.path,
        after=audit.snapshot(project, PROJECT_FIELDS),
    )
    return project


@transaction.atomic
def project_edit(*, actor: Actor, project: SupportProject, **fields: Any) -> SupportProject:
    """Correct a project's title, beneficiary or dates while it is open."""
    project = _locked(project)
    _require_owner(actor, project)
    _require_open(project)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改的字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    before = audit.snapshot(project, PROJECT_FIELDS)
    for name, value in fields.items():
        setattr(project, name, value)
    _clean_project(project)
    project.full_clean(exclude=["path", "created_by"])
    project.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        before=before,
        after=audit.snapshot(project, PROJECT_FIELDS),
    )
    return project


@transaction.atomic
def project_act(*, actor: Actor, project: SupportProject, action: str, note: str = "") -> Any:
    """Start, complete or close a project (``rules.TRANSITIONS``): completing says what was
    achieved, closing why it ends before completion; both date its end."""
    project = _locked(project)
    _require_owner(actor, project)
    if action not in TRANSITIONS:
        raise ValidationError(_("不支持的操作"))
    if project.state not in TRANSITIONS[action]:
        raise ValidationError(
            _("该项目%(state)s，不能执行此操作") % {"state": project.get_state_display()}
        )
    note = (note or "").strip()
    if action in NOTE_REQUIRED and not note:
        raise ValidationError({"note": _("请填写结项说明：完成了什么，或为什么关闭")})
    if len(note) > 500:
        raise ValidationError({"note": _("说明请不超过500字")})
    before = audit.snapshot(project, PROJECT_FIELDS)
    project.state = TARGET_STATE[action]
    if action in NOTE_REQUIRED:
        project.ended_on = clock.today()
        project.closing_note = note
    project.save(update_fields=["state", "ended_on", "closing_note"])
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        before=before,
        after=audit.snapshot(project, PROJECT_FIELDS),
        note=note,
    )
    return project


def project_start(*, actor: Actor, project: SupportProject, note: str = "") -> SupportProject:
    return project_act(actor=actor, project=project, action="start", note=note)


def project_complete(*, actor: Actor, project: SupportProject, note: str) -> SupportProject:
    return project_act(actor=actor, project=project, action="complete", note=note)


def project_close(*, actor: Actor, project: SupportProject, note: str) -> SupportProject:
    return project_act(actor=actor, project=project, action="close", note=note)


# ----- goals ------------------------------------------------------------------------------------


def _value(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("请填写数值")}) from None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        raise ValidationError({field: _("数值超出范围")})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def goal_add(
    *,
    actor: Actor,
    project: SupportProject,
    measure: str,
    unit: str,
    baseline: Any,
    target: Any,
    target_on: dt.date | None = None,
) -> ProjectGoal:
    """Add a measurable goal: what is measured, its unit (万元, 户, 人 …), the baseline and the
    target value, by a date."""
    project = _locked(project)
    _require_owner(actor, project)
    _require_open(project)
    measure, unit = (measure or "").strip(), (unit or "").strip()
    if not measure:
        raise ValidationError({"measure": _("请填写目标内容（衡量什么）")})
    if not unit:
        raise ValidationError({"unit": _("请填写计量单位，如万元、户、人")})
    base, aim = _value(baseline, "baseline"), _value(target, "target")
    if base == aim:
        raise ValidationError({"target": _("目标值应与基数不同")})
    goal = ProjectGoal(
        project=project, measure=measure, unit=unit, baseline=base, target=aim, target_on=target_on
    )
    goal.full_clean()
    goal.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        after={"goal": f"{measure}：{base} → {aim} {unit}"},
        note=_("增加目标"),
    )
    return goal


@transaction.atomic
def goal_remove(*, actor: Actor, goal: ProjectGoal) -> None:
    """Remove a goal entered by mistake; one with measured values stays (its history counts)."""
    project = _locked(goal.project)
    _require_owner(actor, project)
    _require_open(project)
    if goal.measurements.exists():
        raise ValidationError(_("该目标已有实测记录，不能删除"))
    label = f"{goal.measure}：{goal.baseline} → {goal.target} {goal.unit}"
    goal.delete()
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        before={"goal": label},
        note=_("删除目标"),
    )


# ----- members ----------------------------------------------------------------------------------


def _check_member(actor: Actor, project: SupportProject, member: Member) -> None:
    """A member assigned must be under the owner's subtree (home or participating unit) or
    within the actor's own scope."""
    paths = [p for p in (member.home_path, member.participating_path) if p]
    under_owner = any(tree.within(p, project.path) for p in paths)
    in_scope = actor is None or any(can(actor, Action.CHANGE, p) for p in paths)
    if not (under_owner or in_scope):
        raise ValidationError(
            {"member": _("%(name)s 不在本单位或您的管辖范围内") % {"name": member.name}}
        )
    if member.transferred_out_on is not None:
        raise ValidationError({"member": _("%(name)s 已不在党员名册中") % {"name": member.name}})


@transaction.atomic
def project_member_add(
    *,
    actor: Actor,
    project: SupportProject,
    member: Member,
    role: str = ProjectRole.MEMBER,
    since: dt.date | None = None,
) -> ProjectMember:
    """Assign a member to the project as its lead or a member (S28: two experienced members
    assigned to the orchard project)."""
    project = _locked(project)
    _require_owner(actor, project)
    _require_open(project)
    if role not in ProjectRole.values:
        raise ValidationError({"role": _("分工不正确")})
    _check_member(actor, project, member)
    if project.assignments.filter(member=member).exists():
        raise ValidationError({"member": _("%(name)s 已在该项目中") % {"name": member.name}})
    assignment = ProjectMember.objects.create(
        project=project, member=member, role=role, since=since or clock.today()
    )
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        after={"member": member.pk, "role": role},
        note=_("分配项目成员"),
    )
    return assignment


@transaction.atomic
def project_member_remove(*, actor: Actor, assignment: ProjectMember) -> None:
    project = _locked(assignment.project)
    _require_owner(actor, project)
    _require_open(project)
    member_id, role = assignment.member_id, assignment.role
    assignment.delete()
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        before={"member": member_id, "role": role},
        note=_("移出项目成员"),
    )


# ----- progress ---------------------------------------------------------------------------------


@transaction.atomic
def progress_record(
    *,
    actor: Actor,
    project: SupportProject,
    noted_on: dt.date,
    note: str,
    measurements: Iterable[tuple[ProjectGoal, Any]] | Sequence[Any] = (),
) -> ProjectProgress:
    """Record what was done on a date, by the organisation or an assigned member (self-service),
    with the goals' values measured then: the note and every value are saved together or not at
    all."""
    project = _locked(project)
    if not (
        actor is None or can(actor, Action.CHANGE, project.path) or _is_assigned(actor, project)
    ):
        raise PermissionDenied(_("只有项目实施单位或项目成员可以记录进展"))
    if project.state not in PROGRESS_STATES:
        raise ValidationError(
            _("该项目%(state)s，不能记录进展") % {"state": project.get_state_display()}
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写进展情况")})
    if noted_on > clock.today():
        raise ValidationError({"noted_on": _("日期不能晚于今天")})
    if noted_on < project.starts_on:
        raise ValidationError({"noted_on": _("日期不能早于项目开始日期")})
    goals = {g.pk: g for g in project.goals.all()}
    values: dict[int, Decimal] = {}
    for goal, raw in measurements:
        if goal is None or goal.pk not in goals:
            raise ValidationError({"measurements": _("所填目标不属于该项目")})
        if raw is None or str(raw).strip() == "":
            continue
        if goal.pk in values:
            raise ValidationError({"measurements": _("同一目标只能填写一个实测值")})
        values[goal.pk] = _value(raw, "measurements")
    progress = ProjectProgress.objects.create(
        project=project, noted_on=noted_on, note=note, by=actor_user(actor), at=clock.now()
    )
    ProjectMeasurement.objects.bulk_create(
        ProjectMeasurement(progress=progress, goal_id=pk, value=v, measured_on=noted_on)
        for pk, v in values.items()
    )
    audit.record(
        actor=actor,
        verb="update",
        obj=project,
        org_path=project.path,
        after={
            "progress": str(noted_on),
            "measurements": {goals[pk].measure: str(v) for pk, v in values.items()},
        },
        note=note,
    )
    return progress
