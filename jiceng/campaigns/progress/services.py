"""Every write of a campaign's progress: create a batch (from the last one, S30), add a
participating subtree, launch units, and move a unit through its steps — submit, sign off,
return (S1) — and export the lagging list. What an actor may do with a unit is decided here
once (``unit_rights``) for the page's buttons and for these services' own refusals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.core import audit, generations, tree
from jiceng.core.scoping import Action, Actor, actor_name, actor_user, can, require
from jiceng.orgs.models import Organization

from ..coverage import totals as coverage_totals
from .models import Campaign, CampaignUnit, Indicator, Participation, Step, StepRecord
from .rules import (
    ACTION_SIDE,
    DEFAULT_INDICATORS,
    DEFAULT_STEPS,
    REFUSALS,
    UNIT_TYPES,
    Side,
    StepAction,
    StepState,
    UnitState,
    allowed_actions,
    next_states,
)

CAMPAIGN_FIELDS = ("name", "batch", "root", "starts_on", "ends_on", "as_of", "previous")
UNIT_FIELDS = ("state", "launched_on", "step", "step_state", "signed_steps", "completed_on")
BULK_BATCH = 5_000

_M = TypeVar("_M", bound=models.Model)


def create_audited(*, actor: Actor, obj: _M, org_path: str, fields: tuple[str, ...]) -> _M:
    """Validate and save a new row of a campaign's workflow, and audit it with ``fields``."""
    obj.full_clean()
    obj.save()
    audit.record(
        actor=actor,
        verb="create",
        obj=obj,
        org_path=org_path,
        after=audit.snapshot(obj, fields),
    )
    return obj


# ----- who may do what with a unit ----------------------------------------------------------


def acts_for(actor: Actor, unit: CampaignUnit, side: str) -> bool:
    """Whether ``actor`` acts for the unit or for its parent (the system acts for both)."""
    return actor is None or can(actor, Action.CHANGE, unit.side_path(side))


@dataclass(frozen=True)
class UnitRights:
    """What an actor may do with a unit now: the page shows these buttons, and the services
    refuse the rest with their own message."""

    for_unit: bool  # launch and submit; the unit's plan, tasks, figures and lessons
    for_parent: bool  # sign off and return; choose the unit as a pilot
    actions: tuple[str, ...]  # the step actions the unit's state allows them


def unit_rights(actor: Actor, unit: CampaignUnit) -> UnitRights:
    """The rights of ``actor`` over ``unit`` (like NetBox's ``get_permitted_actions``)."""
    sides = {side: acts_for(actor, unit, side) for side in Side}
    actions = tuple(
        a for a in allowed_actions(unit.state, unit.step_state) if sides[ACTION_SIDE[a]]
    )
    return UnitRights(sides[Side.UNIT], sides[Side.PARENT], actions)


def _check(actor: Actor, unit: CampaignUnit, action: str) -> None:
    """Refuse ``action`` unless ``actor`` acts for its side and the unit's state allows it."""
    require(actor, Action.CHANGE, unit.side_path(ACTION_SIDE[action]), str(REFUSALS[action]))
    next_states(unit.state, unit.step_state, action)


# ----- the campaign ---------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor: Actor,
    name: str,
    batch: str,
    root: Organization,
    starts_on: dt.date,
    ends_on: dt.date,
    previous: Campaign | None = None,
    description: str = "",
    as_of: dt.date | None = None,
    subtrees: list[Organization] | None = None,
) -> Campaign:
    """Create a batch with its steps, indicators and participating subtrees.

    From ``previous`` (S30) the steps and indicators are copied, due dates shifted by the
    difference of the launch dates, and the same subtrees take part (abolished ones left
    out); otherwise the second batch's schedule (``rules.DEFAULT_STEPS``) and the city's
    indicators under the four aims (S2) are used and the root's subtree takes part.
    ``subtrees`` names the participating subtrees explicitly (a first batch of pilots, S5).
    """
    require(actor, Action.CHANGE, root.path, _("无权在该组织范围内部署活动"))
    campaign = Campaign(
        name=name.strip(),
        batch=batch,
        root=root,
        root_path=root.path,
        starts_on=starts_on,
        ends_on=ends_on,
        as_of=as_of,
        previous=previous,
        description=description,
        created_by=actor_user(actor),
    )
    if starts_on and ends_on and ends_on <= starts_on:
        raise ValidationError({"ends_on": _("结束日期应晚于启动日期")})
    campaign.full_clean()
    campaign.save()
    coverage_totals.recount_campaign(campaign)  # attendance during its dates (issue 22)
    if previous is not None:
        shift = starts_on - previous.starts_on
        steps = [
            Step(
                campaign=campaign,
                phase=s.phase,
                order=s.order,
                name=s.name,
                evidence=s.evidence,
                due_on=s.due_on + shift,
            )
            for s in previous.steps.order_by("order")
        ]
        indicators = [
            Indicator(campaign=campaign, aim=i.aim, name=i.name, target=i.target, order=i.order)
            for i in previous.indicators.all()
        ]
        roots = [
            p.org for p in previous.participations.select_related("org") if not p.org.abolished_on
        ]
    else:
        steps = [
            Step(
                campaign=campaign,
                phase=t.phase,
                order=n,
                name=t.name,
                evidence=t.evidence,
                due_on=starts_on + dt.timedelta(days=t.days),
            )
            for n, t in enumerate(DEFAULT_STEPS, start=1)
        ]
        indicators = [
            Indicator(campaign=campaign, aim=aim, name=n, target=t, order=k)
            for k, (aim, n, t) in enumerate(DEFAULT_INDICATORS)
        ]
        roots = [root]
    if subtrees is not None:
        roots = subtrees
    if not steps:
        raise ValidationError(_("上一批活动没有任何环节，无法沿用"))
    late = [s.name for s in steps if s.due_on > ends_on]
    if late:
        raise ValidationError(
            {
                "ends_on": _("结束日期早于以下环节的期限：%(steps)s，请推迟结束日期")
                % {"steps": "、".join(late[:3])}
            }
        )
    Step.objects.bulk_create(steps)
    Indicator.objects.bulk_create(indicators)
    audit.record(
        actor=actor,
        verb="create",
        obj=campaign,
        org_path=campaign.root_path,
        after=audit.snapshot(campaign, CAMPAIGN_FIELDS),
        note=f"沿用“{previous}”的结构" if previous else "",
    )
    for org in roots:
        if tree.within(org.path, root.path):
            participation_add(actor=actor, campaign=campaign, org=org)
    return campaign


@transaction.atomic
def campaign_update(*, actor: Actor, campaign: Campaign, **fields: Any) -> Campaign:
    """Edit the name, description, end date or the "as of" date of a campaign."""
    require(actor, Action.CHANGE, campaign.root_path, _("无权修改该活动"))
    allowed = {"name", "description", "ends_on", "as_of"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("不能修改：%(fields)s") % {"fields": "、".join(sorted(unknown))})
    before = audit.snapshot(campaign, CAMPAIGN_FIELDS)
    ends_before = campaign.ends_on
    for key, value in fields.items():
        setattr(campaign, key, value)
    last = campaign.steps.order_by("-due_on").values_list("due_on", flat=True).first()
    if last and campaign.ends_on < last:
        raise ValidationError({"ends_on": _("结束日期早于最后一个环节的期限")})
    campaign.full_clean()
    campaign.save()
    if campaign.ends_on != ends_before:
        coverage_totals.recount_campaign(campaign)  # attendance during its dates (issue 22)
    audit.record(
        actor=actor,
        verb="update",
        obj=campaign,
        org_path=campaign.root_path,
        before=before,
        after=audit.snapshot(campaign, CAMPAIGN_FIELDS),
    )
    return campaign


@transaction.atomic
def participation_add(*, actor: Actor, campaign: Campaign, org: Organization) -> int:
    """Add a subtree: each of its active grassroots organisations becomes a unit, waiting to
    be launched. Re-running adds only units that are new (founded since). Returns how many
    units were added."""
    require(actor, Action.CHANGE, org.path, _("无权将该组织纳入活动"))
    if not tree.within(org.path, campaign.root_path):
        raise ValidationError(_("该组织不在活动的组织范围内"))
    Participation.objects.get_or_create(campaign=campaign, org=org, defaults={"org_path": org.path})
    first = campaign.steps.order_by("order").first()
    orgs = list(
        Organization.objects.filter(
            path__startswith=org.path, org_type__in=UNIT_TYPES, abolished_on__isnull=True
        ).values_list("id", "path", "sector")
    )
    existing = set(
        CampaignUnit.objects.filter(campaign=campaign, org_path__startswith=org.path).values_list(
            "org_id", flat=True
        )
    )
    parents = dict(
        Organization.objects.filter(
            path__in={tree.parent_path(path) for _pk, path, _sector in orgs if tree.depth(path) > 1}
        ).values_list("path", "id")
    )
    units = [
        CampaignUnit(
            campaign=campaign,
            org_id=pk,
            org_path=path,
            parent_id=parents.get(tree.parent_path(path)),
            sector=sector,
            state=UnitState.NOT_LAUNCHED,
            step=first,
            due_on=first.due_on if first else None,
        )
        for pk, path, sector in orgs
        if pk not in existing
    ]
    CampaignUnit.objects.bulk_create(units, batch_size=BULK_BATCH)
    audit.record(
        actor=actor,
        verb="create",
        obj=campaign,
        org_path=org.path,
        object_type="campaigns.participation",
        note=f"{org.name} 纳入活动，新增参加单位 {len(units)} 个",
    )
    return len(units)


# ----- a unit's steps -------------------------------------------------------------------------


def _lock(unit: CampaignUnit) -> CampaignUnit:
    return (
        # of=self: the current step is a nullable join, which PostgreSQL cannot lock
        CampaignUnit.objects.select_for_update(of=("self",))
        .select_related("campaign", "step")
        .get(pk=unit.pk)
    )


def _day(unit: CampaignUnit, on: dt.date | None, not_before: dt.date | None, what: str) -> dt.date:
    day = on or unit.campaign.reference_date()
    if not_before and day < not_before:
        raise ValidationError(
            {"on": _("%(what)s不能早于 %(day)s") % {"what": what, "day": f"{not_before:%Y-%m-%d}"}}
        )
    return day


def _advance(unit: CampaignUnit, action: str, day: dt.date) -> None:
    state, step_state = next_states(unit.state, unit.step_state, action)
    if action == StepAction.LAUNCH:
        unit.launched_on = day
        if unit.step is None:
            unit.step = unit.campaign.steps.order_by("order").first()
    elif action == StepAction.SIGN_OFF:
        unit.signed_steps += 1
        done = unit.step.order if unit.step else 0  # an in-progress unit has a current step
        after = unit.campaign.steps.filter(order__gt=done).order_by("order").first()
        if after is None:
            state, step_state = UnitState.COMPLETED, ""
            unit.completed_on = day
        else:
            step_state = StepState.PENDING
        unit.step = after
    unit.state = state
    unit.step_state = step_state or ""
    unit.phase = unit.step.phase if unit.step else ""
    unit.due_on = unit.step.due_on if unit.step else None


def _act(
    actor: Actor,
    unit: CampaignUnit,
    action: str,
    day: dt.date,
    *,
    evidence: str = "",
    reason: str = "",
) -> CampaignUnit:
    before = audit.snapshot(unit, UNIT_FIELDS)
    step = unit.step
    _advance(unit, action, day)
    unit.save()
    generations.bump(generations.campaign_progress(unit.campaign_id))
    StepRecord.objects.create(
        unit=unit,
        step=step,
        action=action,
        on=day,
        evidence=evidence,
        reason=reason,
        by=actor_user(actor),
        by_name=actor_name(actor),
    )
    audit.record(
        actor=actor,
        verb="update",
        obj=unit,
        org_path=unit.org_path,
        before=before,
        after=audit.snapshot(unit, UNIT_FIELDS),
        note=f"{StepAction(action).label}：{step.name if step else ''}",
    )
    return unit


@transaction.atomic
def unit_launch(*, actor: Actor, unit: CampaignUnit, on: dt.date | None = None) -> CampaignUnit:
    """The unit launches the campaign on its own date (S4) and starts the first step."""
    unit = _lock(unit)
    _check(actor, unit, StepAction.LAUNCH)
    day = _day(unit, on, unit.campaign.starts_on, _("启动日期"))
    if day > unit.campaign.ends_on:
        raise ValidationError({"on": _("启动日期晚于活动结束日期")})
    return _act(actor, unit, StepAction.LAUNCH, day)


@transaction.atomic
def units_launch(
    *, actor: Actor, campaign: Campaign, under: Organization, on: dt.date | None = None
) -> int:
    """Launch every unit of a subtree not yet launched, on one date (all or none)."""
    require(actor, Action.CHANGE, under.path, _("无权为该组织范围启动活动"))
    if not tree.within(under.path, campaign.root_path):
        raise ValidationError({"under": _("该组织不在本活动范围内")})
    units = CampaignUnit.objects.filter(
        campaign=campaign, org_path__startswith=under.path, state=UnitState.NOT_LAUNCHED
    ).order_by("org_path")
    n = 0
    for unit in units:
        unit_launch(actor=actor, unit=unit, on=on)
        n += 1
    return n


@transaction.atomic
def unit_submit(
    *, actor: Actor, unit: CampaignUnit, evidence: str, on: dt.date | None = None
) -> CampaignUnit:
    """The unit reports its current step done, with the evidence the step requires."""
    unit = _lock(unit)
    _check(actor, unit, StepAction.SUBMIT)
    if not evidence.strip():
        wanted = unit.step.evidence if unit.step else ""
        raise ValidationError(
            {"evidence": _("请填写报送材料（%(wanted)s）") % {"wanted": wanted or _("完成情况")}}
        )
    day = _day(unit, on, unit.launched_on, _("报送日期"))
    return _act(actor, unit, StepAction.SUBMIT, day, evidence=evidence.strip())


@transaction.atomic
def unit_sign_off(
    *, actor: Actor, unit: CampaignUnit, on: dt.date | None = None, note: str = ""
) -> CampaignUnit:
    """The parent unit signs the submitted step off; the unit moves to the next step, or has
    completed the campaign after the last one."""
    unit = _lock(unit)
    _check(actor, unit, StepAction.SIGN_OFF)
    submitted = unit.records.filter(action=StepAction.SUBMIT).order_by("-on").first()
    day = _day(unit, on, submitted.on if submitted else unit.launched_on, _("审核日期"))
    return _act(actor, unit, StepAction.SIGN_OFF, day, reason=note.strip())


@transaction.atomic
def unit_return(
    *, actor: Actor, unit: CampaignUnit, reason: str, on: dt.date | None = None
) -> CampaignUnit:
    """The parent unit returns the submitted step with a reason; the unit submits again."""
    unit = _lock(unit)
    _check(actor, unit, StepAction.RETURN)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写退回原因，便于单位整改后重新报送")})
    day = _day(unit, on, unit.launched_on, _("退回日期"))
    return _act(actor, unit, StepAction.RETURN, day, reason=reason.strip())


def unit_act(
    *,
    actor: Actor,
    unit: CampaignUnit,
    action: str,
    text: str = "",
    on: dt.date | None = None,
) -> CampaignUnit:
    """One entry point for the page and the API: ``action`` is a ``StepAction``; ``text`` is
    the evidence (submit), the note (sign-off) or the reason (return)."""
    if action == StepAction.LAUNCH:
        return unit_launch(actor=actor, unit=unit, on=on)
    if action == StepAction.SUBMIT:
        return unit_submit(actor=actor, unit=unit, evidence=text, on=on)
    if action == StepAction.SIGN_OFF:
        return unit_sign_off(actor=actor, unit=unit, note=text, on=on)
    if action == StepAction.RETURN:
        return unit_return(actor=actor, unit=unit, reason=text, on=on)
    raise ValidationError(_("未知的操作"))


# ----- export ---------------------------------------------------------------------------------


def _secretary(org: Organization | None) -> str:
    if org is None:
        return ""
    return org.secretary.name if org.secretary_id and org.secretary else _("（书记空缺）")


def _lagging_rows(units: QuerySet[CampaignUnit], on: dt.date) -> Iterator[list[object]]:
    yield [
        _("单位"),
        _("状态"),
        _("当前环节"),
        _("期限"),
        _("逾期天数"),
        _("书记"),
        _("上级党组织"),
        _("上级书记"),
    ]
    for u in units.iterator(chunk_size=2000):
        yield [
            u.org.name,
            u.get_state_display(),
            u.step.name if u.step else "",
            u.due_on,
            u.overdue_days(on),
            _secretary(u.org),
            u.parent.name if u.parent else "",
            _secretary(u.parent),
        ]


def lagging_export(
    *, actor: Actor, campaign: Campaign, under: Organization, units: QuerySet[CampaignUnit]
) -> Iterator[list[object]]:
    """The lagging list (or the sign-off worklist) of a subtree as spreadsheet rows, header
    first, with the people responsible; the export is audited once, under the subtree."""
    audit.record(
        actor=actor,
        verb="export",
        obj=campaign,
        org_path=under.path,
        note=f"导出进度滞后单位（{under.name}，CSV）",
    )
    return _lagging_rows(units, campaign.reference_date())
