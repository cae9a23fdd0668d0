"""Every write of campaigns: create a batch (from the last one, S30), add a participating
subtree, launch units, and move a unit through its steps — submit, sign off, return (S1).
Pages, the API and the commands call these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from jiceng.core import audit, generations
from jiceng.core.scoping import Action, can
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from .models import (
    Campaign,
    CampaignUnit,
    ChainLink,
    CoverageEntry,
    FourOnesItem,
    GuidanceTemplate,
    Indicator,
    Participation,
    PilotLesson,
    PracticeActivity,
    ResponsibilityTask,
    Step,
    StepRecord,
    ThemePractice,
    UnitPlanItem,
)
from .rules import (
    CHAIN_LEVELS,
    DEFAULT_INDICATORS,
    DEFAULT_STEPS,
    ENTERED_COVERAGE,
    UNIT_TYPES,
    FourOnesState,
    StepAction,
    StepState,
    TaskState,
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
    subtrees: list[Organization] | None = None,
) -> Campaign:
    """Create a batch with its steps, indicators and participating subtrees.

    From ``previous`` (S30) the steps and indicators are copied, due dates shifted by the
    difference of the launch dates, and the same subtrees take part (abolished ones left
    out); otherwise the second batch's schedule (``rules.DEFAULT_STEPS``) and the city's
    indicators under the four aims (S2) are used and the root's subtree takes part.
    ``subtrees`` names the participating subtrees explicitly (a first batch of pilots, S5).
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
    if subtrees is not None:
        roots = subtrees
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


_M = TypeVar("_M", bound=models.Model)


def _created(actor: Any, obj: _M, org_path: str, fields: tuple[str, ...]) -> _M:
    """Validate and save a new row, and audit it with the given fields."""
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


# ----- pilots (S5) ---------------------------------------------------------------------------


@transaction.atomic
def unit_set_pilot(*, actor: Any, unit: CampaignUnit, is_pilot: bool) -> CampaignUnit:
    """Flag (or unflag) a unit as a pilot of its sector; the parent unit decides (S5)."""
    _require_parent(actor, unit)
    before = audit.snapshot(unit, ("is_pilot",))
    unit.is_pilot = is_pilot
    unit.save(update_fields=["is_pilot", "updated_at"])
    audit.record(
        actor=actor,
        verb="update",
        obj=unit,
        org_path=unit.org_path,
        before=before,
        after=audit.snapshot(unit, ("is_pilot",)),
        note="设为试点单位" if is_pilot else "取消试点",
    )
    return unit


@transaction.atomic
def lesson_record(
    *, actor: Any, unit: CampaignUnit, title: str, text: str, on: dt.date | None = None
) -> PilotLesson:
    """A pilot unit records a lesson for the same sector's units in the next batch (S5)."""
    _require(actor, unit.org_path, "无权为该单位记录经验")
    if not unit.is_pilot:
        raise ValidationError("只有试点单位可以记录试点经验")
    lesson = PilotLesson(
        unit=unit,
        sector=unit.sector,
        title=title.strip(),
        text=text.strip(),
        recorded_by=_user(actor),
        recorded_on=on or unit.campaign.reference_date(),
    )
    return _created(actor, lesson, unit.org_path, ("title", "sector", "recorded_on"))


# ----- classified guidance and the unit's plan (S7, S14, S15) --------------------------------


@transaction.atomic
def template_create(
    *,
    actor: Any,
    campaign: Campaign,
    owner: Organization,
    name: str,
    sector: str,
    focus: str,
    org_type: str = "",
    steps: str = "",
    indicators: str = "",
    source: str = "",
) -> GuidanceTemplate:
    """Issue classified guidance for a sector (and organisation type) of the campaign."""
    _require(actor, owner.path, "无权以该单位名义制定指导方案")
    template = GuidanceTemplate(
        campaign=campaign,
        owner=owner,
        owner_path=owner.path,
        name=name.strip(),
        sector=sector,
        org_type=org_type,
        focus=focus.strip(),
        steps=steps.strip(),
        indicators=indicators.strip(),
        source=source.strip(),
    )
    return _created(actor, template, owner.path, ("name", "sector", "org_type"))


def template_for(unit: CampaignUnit) -> GuidanceTemplate | None:
    """The guidance that applies to a unit: issued at or above it, for its sector, the one for
    its organisation type first (S15), the nearest issuer first."""
    candidates = (
        GuidanceTemplate.objects.filter(campaign=unit.campaign)
        .matching(unit.sector, unit.org.org_type)
        .filter(owner_path__in=[unit.org_path[:i] for i in range(4, len(unit.org_path) + 1, 4)])
    )
    best = sorted(candidates, key=lambda t: (t.org_type == "", -len(t.owner_path)))
    return best[0] if best else None


@transaction.atomic
def unit_plan_instantiate(*, actor: Any, unit: CampaignUnit) -> int:
    """Instantiate the unit's plan from its guidance template; re-running adds nothing that
    is already there. Returns how many items were added."""
    _require(actor, unit.org_path, "无权制定该单位的方案")
    template = template_for(unit)
    if template is None:
        raise ValidationError("本单位所在领域还没有分类指导方案，可直接添加本单位的工作安排")
    have = set(unit.plan_items.filter(template=template).values_list("kind", "text"))
    items = [
        UnitPlanItem(unit=unit, kind=kind, text=text[:300], template=template)
        for kind, text in template.items()
        if (kind, text[:300]) not in have
    ]
    UnitPlanItem.objects.bulk_create(items)
    audit.record(
        actor=actor,
        verb="create",
        obj=unit,
        org_path=unit.org_path,
        object_type="campaigns.unitplanitem",
        note=f"按“{template.name}”生成单位方案 {len(items)} 项",
    )
    return len(items)


@transaction.atomic
def unit_plan_add(*, actor: Any, unit: CampaignUnit, kind: str, text: str) -> UnitPlanItem:
    """The unit adds its own item, e.g. an education carrier of its own (S7)."""
    _require(actor, unit.org_path, "无权修改该单位的方案")
    item = UnitPlanItem(unit=unit, kind=kind, text=text.strip())
    return _created(actor, item, unit.org_path, ("kind", "text"))


@transaction.atomic
def unit_plan_mark(*, actor: Any, item: UnitPlanItem, done: bool, note: str = "") -> UnitPlanItem:
    _require(actor, item.unit.org_path, "无权修改该单位的方案")
    before = audit.snapshot(item, ("done", "note"))
    item.done, item.note = done, note.strip()[:300]
    item.save(update_fields=["done", "note"])
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.unit.org_path,
        before=before,
        after=audit.snapshot(item, ("done", "note")),
    )
    return item


# ----- responsibility chains (S6) -------------------------------------------------------------


def _chain(org_path: str) -> list[tuple[int, Organization]]:
    """The unit and up to three levels above it, nearest first (S6: four levels)."""
    paths = [org_path[:i] for i in range(len(org_path), 3, -4)][:CHAIN_LEVELS]
    orgs = {
        o.path: o for o in Organization.objects.filter(path__in=paths).select_related("secretary")
    }
    return [(rank, orgs[p]) for rank, p in enumerate(paths) if p in orgs]


def _links(task: ResponsibilityTask) -> list[ChainLink]:
    return [
        ChainLink(
            task=task,
            rank=rank,
            org=org,
            person=org.secretary.name if org.secretary_id and org.secretary else "",
        )
        for rank, org in _chain(task.org_path)
    ]


@transaction.atomic
def task_create(
    *,
    actor: Any,
    unit: CampaignUnit,
    title: str,
    due_on: dt.date,
    step: Step | None = None,
) -> ResponsibilityTask:
    """A task at a unit, owned at the unit and up to three levels above (S6)."""
    _require(actor, unit.org_path, "无权为该单位分解任务")
    task = ResponsibilityTask(
        campaign=unit.campaign,
        unit=unit,
        org_path=unit.org_path,
        step=step,
        title=title.strip(),
        due_on=due_on,
        created_by=_user(actor),
    )
    task.full_clean()
    task.save()
    ChainLink.objects.bulk_create(_links(task))
    audit.record(
        actor=actor,
        verb="create",
        obj=task,
        org_path=unit.org_path,
        after=audit.snapshot(task, ("title", "due_on", "step")),
    )
    return task


@transaction.atomic
def tasks_from_step(*, actor: Any, campaign: Campaign, step: Step, under: Organization) -> int:
    """One task per unit of a subtree for a step, due with the step (all or none); units
    that already have the step's task are skipped, so it can be re-run."""
    _require(actor, under.path, "无权为该范围分解任务")
    have = set(
        ResponsibilityTask.objects.filter(campaign=campaign, step=step).values_list(
            "unit_id", flat=True
        )
    )
    units = CampaignUnit.objects.filter(campaign=campaign, org_path__startswith=under.path).exclude(
        state=UnitState.COMPLETED
    )
    tasks = [
        ResponsibilityTask(
            campaign=campaign,
            unit=u,
            org_path=u.org_path,
            step=step,
            title=step.name,
            due_on=step.due_on,
            created_by=_user(actor),
        )
        for u in units
        if u.pk not in have
    ]
    ResponsibilityTask.objects.bulk_create(tasks, batch_size=BULK_BATCH)
    created = ResponsibilityTask.objects.filter(
        campaign=campaign, step=step, unit_id__in=[t.unit_id for t in tasks]
    )
    links: list[ChainLink] = []
    paths = {p for t in tasks for p in (t.org_path[:i] for i in range(4, len(t.org_path) + 1, 4))}
    orgs = {
        o.path: o for o in Organization.objects.filter(path__in=paths).select_related("secretary")
    }
    for task in created.iterator(chunk_size=BULK_BATCH):
        chain = [task.org_path[:i] for i in range(len(task.org_path), 3, -4)][:CHAIN_LEVELS]
        for rank, path in enumerate(chain):
            org = orgs.get(path)
            if org is not None:
                person = org.secretary.name if org.secretary_id and org.secretary else ""
                links.append(ChainLink(task=task, rank=rank, org=org, person=person))
    ChainLink.objects.bulk_create(links, batch_size=BULK_BATCH)
    audit.record(
        actor=actor,
        verb="create",
        obj=campaign,
        org_path=under.path,
        object_type="campaigns.responsibilitytask",
        note=f"“{step.name}”分解到 {len(tasks)} 个单位（{under.name}）",
    )
    return len(tasks)


@transaction.atomic
def task_done(
    *, actor: Any, task: ResponsibilityTask, on: dt.date | None = None
) -> ResponsibilityTask:
    """Any owner on the chain may report the task done."""
    _require(actor, task.org_path, "无权办结该任务")
    if task.state == TaskState.DONE:
        raise ValidationError("该任务已完成")
    before = audit.snapshot(task, ("state", "done_on"))
    task.state = TaskState.DONE
    task.done_on = on or task.campaign.reference_date()
    task.save(update_fields=["state", "done_on"])
    audit.record(
        actor=actor,
        verb="update",
        obj=task,
        org_path=task.org_path,
        before=before,
        after=audit.snapshot(task, ("state", "done_on")),
    )
    return task


# ----- coverage (S8) --------------------------------------------------------------------------


@transaction.atomic
def coverage_enter(
    *,
    actor: Any,
    unit: CampaignUnit,
    indicator: str,
    numerator: int,
    denominator: int,
    note: str = "",
) -> CoverageEntry:
    """Enter (or correct) a coverage figure the data cannot give yet (S8)."""
    _require(actor, unit.org_path, "无权填报该单位的指标")
    if indicator not in ENTERED_COVERAGE:
        raise ValidationError({"indicator": "书记到位和党员参与由系统根据数据计算，无需填报"})
    if denominator <= 0 or numerator < 0 or numerator > denominator:
        raise ValidationError({"numerator": "达到数应在 0 到总数之间，总数应大于 0"})
    entry = CoverageEntry.objects.filter(unit=unit, indicator=indicator).first()
    before = audit.snapshot(entry, ("numerator", "denominator", "note")) if entry else None
    if entry is None:
        entry = CoverageEntry(unit=unit, indicator=indicator)
    entry.numerator, entry.denominator, entry.note = numerator, denominator, note.strip()
    entry.entered_by = _user(actor)
    entry.entered_on = unit.campaign.reference_date()
    entry.save()
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=entry,
        org_path=unit.org_path,
        before=before,
        after=audit.snapshot(entry, ("numerator", "denominator", "note")),
    )
    return entry


# ----- theme practices (S24, S25) and "four ones" (S18) --------------------------------------


@transaction.atomic
def practice_create(
    *,
    actor: Any,
    campaign: Campaign,
    owner: Organization,
    name: str,
    targets: str = "",
    description: str = "",
) -> ThemePractice:
    _require(actor, owner.path, "无权以该单位名义组织主题实践活动")
    practice = ThemePractice(
        campaign=campaign,
        owner=owner,
        owner_path=owner.path,
        name=name.strip(),
        targets=targets.strip(),
        description=description.strip(),
    )
    return _created(actor, practice, owner.path, ("name", "targets"))


@transaction.atomic
def activity_record(
    *,
    actor: Any,
    practice: ThemePractice,
    org: Organization,
    title: str,
    on: dt.date,
    place: str = "",
    participants: int = 0,
) -> PracticeActivity:
    _require(actor, org.path, "无权为该单位记录活动")
    if not org.path.startswith(practice.owner_path):
        raise ValidationError("开展单位应在主题实践活动的组织单位之下")
    activity = PracticeActivity(
        practice=practice,
        org=org,
        org_path=org.path,
        title=title.strip(),
        on=on,
        place=place.strip(),
        participants=participants,
    )
    return _created(actor, activity, org.path, ("title", "on", "participants"))


def _member_may_record(actor: Any, member: Member) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and member.user_id == actor.pk) or can(
        actor, Action.CHANGE, member.home_path
    )


FOUR_ONES_FIELDS = ("kind", "description", "evidence", "done_on", "state", "reason")


@transaction.atomic
def four_ones_record(
    *,
    actor: Any,
    campaign: Campaign,
    member: Member,
    kind: str,
    description: str,
    done_on: dt.date,
    evidence: str = "",
) -> FourOnesItem:
    """The member (self-service) or their branch records one of the four ones with its
    evidence (S18); recording it again replaces the entry and asks for confirmation anew."""
    if actor is not None and not _member_may_record(actor, member):
        raise PermissionDenied("只能填报本人或本支部党员的“四个一”")
    if not description.strip():
        raise ValidationError({"description": "请填写做了什么"})
    if done_on > campaign.ends_on or done_on < campaign.starts_on:
        raise ValidationError({"done_on": "完成日期应在活动期间内"})
    item = (
        FourOnesItem.objects.select_for_update()
        .filter(campaign=campaign, member=member, kind=kind)
        .first()
    )
    before = audit.snapshot(item, FOUR_ONES_FIELDS) if item else None
    if item is None:
        item = FourOnesItem(campaign=campaign, member=member, kind=kind)
    item.member_path = member.home_path
    item.description = description.strip()
    item.evidence = evidence.strip()
    item.done_on = done_on
    item.state = FourOnesState.RECORDED
    item.reason = ""
    item.recorded_by = _user(actor)
    item.confirmed_by, item.confirmed_on = None, None
    item.full_clean()
    item.save()
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=item,
        org_path=member.home_path,
        before=before,
        after=audit.snapshot(item, FOUR_ONES_FIELDS),
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return item


@transaction.atomic
def four_ones_confirm(
    *, actor: Any, item: FourOnesItem, confirm: bool = True, reason: str = ""
) -> FourOnesItem:
    """The branch confirms a recorded item, or returns it with a reason."""
    _require(actor, item.member_path, "只有党员所在支部可以确认")
    if getattr(actor, "is_authenticated", False) and item.member.user_id == actor.pk:
        raise PermissionDenied("本人填报的内容须由支部确认")
    if item.state != FourOnesState.RECORDED:
        raise ValidationError("只能确认待确认的内容")
    if not confirm and not reason.strip():
        raise ValidationError({"reason": "请填写退回原因"})
    before = audit.snapshot(item, FOUR_ONES_FIELDS)
    item.state = FourOnesState.CONFIRMED if confirm else FourOnesState.RETURNED
    item.reason = "" if confirm else reason.strip()
    item.confirmed_by = _user(actor)
    item.confirmed_on = item.campaign.reference_date()
    item.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=item,
        org_path=item.member_path,
        before=before,
        after=audit.snapshot(item, FOUR_ONES_FIELDS),
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return item
