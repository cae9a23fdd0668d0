"""Every write of campaigns: create a batch (from the last one, S30), add a participating
subtree, launch units, and move a unit through its steps — submit, sign off, return (S1).
Pages, the API and the commands call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from jiceng.core import audit
from jiceng.core.scoping import Action, can
from jiceng.orgs.models import Organization

from .models import Campaign, CampaignUnit, Indicator, Participation, Step, StepRecord
from .rules import (
    DEFAULT_INDICATORS,
    DEFAULT_STEPS,
    UNIT_TYPES,
    StepAction,
    StepState,
    UnitState,
    next_states,
)

CAMPAIGN_FIELDS = ("name", "batch", "root", "starts_on", "ends_on", "as_of", "previous")
UNIT_FIELDS = ("state", "launched_on", "step", "step_state", "signed_steps", "completed_on")
BULK_BATCH = 5_000


def _require(actor: Any, path: str, what: str) -> None:
    if actor is not None and not can(actor, Action.CHANGE, path):
        raise PermissionDenied(what)


def _name(actor: Any) -> str:
    return str(actor) if getattr(actor, "is_authenticated", False) else "系统"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    name: str,
    batch: str,
    root: Organization,
    starts_on: dt.date,
    ends_on: dt.date,
    previous: Campaign | None = None,
    description: str = "",
    as_of: dt.date | None = None,
) -> Campaign:
    """Create a batch with its steps, indicators and participating subtrees.

    From ``previous`` (S30) the steps and indicators are copied, due dates shifted by the
    difference of the launch dates, and the same subtrees take part (abolished ones left
    out); otherwise the second batch's schedule (``rules.DEFAULT_STEPS``) and the city's
    indicators under the four aims (S2) are used and the root's subtree takes part.
    """
    _require(actor, root.path, "无权在该组织范围内部署活动")
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
        created_by=_user(actor),
    )
    if starts_on and ends_on and ends_on <= starts_on:
        raise ValidationError({"ends_on": "结束日期应晚于启动日期"})
    campaign.full_clean()
    campaign.save()
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
    if not steps:
        raise ValidationError("上一批活动没有任何环节，无法沿用")
    late = [s.name for s in steps if s.due_on > ends_on]
    if late:
        raise ValidationError(
            {"ends_on": f"结束日期早于以下环节的期限：{'、'.join(late[:3])}，请推迟结束日期"}
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
        if org.path.startswith(root.path):
            participation_add(actor=actor, campaign=campaign, org=org)
    return campaign


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, **fields: Any) -> Campaign:
    """Edit the name, description, end date or the "as of" date of a campaign."""
    _require(actor, campaign.root_path, "无权修改该活动")
    allowed = {"name", "description", "ends_on", "as_of"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    before = audit.snapshot(campaign, CAMPAIGN_FIELDS)
    for key, value in fields.items():
        setattr(campaign, key, value)
    last = campaign.steps.order_by("-due_on").values_list("due_on", flat=True).first()
    if last and campaign.ends_on < last:
        raise ValidationError({"ends_on": "结束日期早于最后一个环节的期限"})
    campaign.full_clean()
    campaign.save()
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
def participation_add(*, actor: Any, campaign: Campaign, org: Organization) -> int:
    """Add a subtree: each of its active grassroots organisations becomes a unit, waiting to
    be launched. Re-running adds only units that are new (founded since). Returns how many
    units were added."""
    _require(actor, org.path, "无权将该组织纳入活动")
    if not org.path.startswith(campaign.root_path):
        raise ValidationError("该组织不在活动的组织范围内")
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
            path__in={path[:-4] for _, path, _ in orgs if len(path) > 4}
        ).values_list("path", "id")
    )
    units = [
        CampaignUnit(
            campaign=campaign,
            org_id=pk,
            org_path=path,
            parent_id=parents.get(path[:-4]),
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


def _lock(unit: CampaignUnit) -> CampaignUnit:
    return (
        CampaignUnit.objects.select_for_update().select_related("campaign", "step").get(pk=unit.pk)
    )


def _day(unit: CampaignUnit, on: dt.date | None, not_before: dt.date | None, what: str) -> dt.date:
    day = on or unit.campaign.reference_date()
    if not_before and day < not_before:
        raise ValidationError({"on": f"{what}不能早于 {not_before:%Y-%m-%d}"})
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
    actor: Any,
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
    StepRecord.objects.create(
        unit=unit,
        step=step,
        action=action,
        on=day,
        evidence=evidence,
        reason=reason,
        by=_user(actor),
        by_name=_name(actor),
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
def unit_launch(*, actor: Any, unit: CampaignUnit, on: dt.date | None = None) -> CampaignUnit:
    """The unit launches the campaign on its own date (S4) and starts the first step."""
    unit = _lock(unit)
    _require(actor, unit.org_path, "无权为该单位启动活动")
    next_states(unit.state, unit.step_state, StepAction.LAUNCH)
    day = _day(unit, on, unit.campaign.starts_on, "启动日期")
    if day > unit.campaign.ends_on:
        raise ValidationError({"on": "启动日期晚于活动结束日期"})
    return _act(actor, unit, StepAction.LAUNCH, day)


@transaction.atomic
def units_launch(
    *, actor: Any, campaign: Campaign, under: Organization, on: dt.date | None = None
) -> int:
    """Launch every unit of a subtree not yet launched, on one date (all or none)."""
    _require(actor, under.path, "无权为该组织范围启动活动")
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
    *, actor: Any, unit: CampaignUnit, evidence: str, on: dt.date | None = None
) -> CampaignUnit:
    """The unit reports its current step done, with the evidence the step requires."""
    unit = _lock(unit)
    _require(actor, unit.org_path, "无权为该单位报送")
    next_states(unit.state, unit.step_state, StepAction.SUBMIT)
    if not evidence.strip():
        wanted = unit.step.evidence if unit.step else ""
        raise ValidationError({"evidence": f"请填写报送材料（{wanted or '完成情况'}）"})
    day = _day(unit, on, unit.launched_on, "报送日期")
    return _act(actor, unit, StepAction.SUBMIT, day, evidence=evidence.strip())


def _require_parent(actor: Any, unit: CampaignUnit) -> None:
    parent_path = unit.org_path[:-4]
    if actor is not None and (not parent_path or not can(actor, Action.CHANGE, parent_path)):
        raise PermissionDenied("审核须由上级党组织进行")


@transaction.atomic
def unit_sign_off(
    *, actor: Any, unit: CampaignUnit, on: dt.date | None = None, note: str = ""
) -> CampaignUnit:
    """The parent unit signs the submitted step off; the unit moves to the next step, or has
    completed the campaign after the last one."""
    unit = _lock(unit)
    _require_parent(actor, unit)
    next_states(unit.state, unit.step_state, StepAction.SIGN_OFF)
    submitted = unit.records.filter(action=StepAction.SUBMIT).order_by("-on").first()
    day = _day(unit, on, submitted.on if submitted else unit.launched_on, "审核日期")
    return _act(actor, unit, StepAction.SIGN_OFF, day, reason=note.strip())


@transaction.atomic
def unit_return(
    *, actor: Any, unit: CampaignUnit, reason: str, on: dt.date | None = None
) -> CampaignUnit:
    """The parent unit returns the submitted step with a reason; the unit submits again."""
    unit = _lock(unit)
    _require_parent(actor, unit)
    next_states(unit.state, unit.step_state, StepAction.RETURN)
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回原因，便于单位整改后重新报送"})
    day = _day(unit, on, unit.launched_on, "退回日期")
    return _act(actor, unit, StepAction.RETURN, day, reason=reason.strip())


def unit_act(
    *, actor: Any, unit: CampaignUnit, action: str, text: str = "", on: dt.date | None = None
) -> CampaignUnit:
    """One entry point for the page and the API: ``action`` is a ``StepAction``."""
    if action == StepAction.LAUNCH:
        return unit_launch(actor=actor, unit=unit, on=on)
    if action == StepAction.SUBMIT:
        return unit_submit(actor=actor, unit=unit, evidence=text, on=on)
    if action == StepAction.SIGN_OFF:
        return unit_sign_off(actor=actor, unit=unit, note=text, on=on)
    if action == StepAction.RETURN:
        return unit_return(actor=actor, unit=unit, reason=text, on=on)
    raise ValidationError("未知的操作")


def units_in(campaign: Campaign, orgs: Iterable[Organization]) -> QuerySet[CampaignUnit]:
    return CampaignUnit.objects.filter(campaign=campaign, org__in=list(orgs))
