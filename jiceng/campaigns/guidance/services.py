"""Every write of guidance: pilots and their lessons (S5), classified guidance (S14, S15) and
each unit's plan from it, with the unit's own items (S7)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.campaigns.progress.models import Campaign, CampaignUnit
from jiceng.campaigns.progress.rules import Side
from jiceng.campaigns.progress.services import create_audited
from jiceng.core import audit
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.orgs.models import Organization

from .models import GuidanceTemplate, PilotLesson, UnitPlanItem
from .selectors import template_for


@transaction.atomic
def unit_set_pilot(*, actor: Actor, unit: CampaignUnit, is_pilot: bool) -> CampaignUnit:
    """Flag (or unflag) a unit as a pilot of its sector; the parent unit decides (S5)."""
    require(actor, Action.CHANGE, unit.side_path(Side.PARENT), _("审核须由上级党组织进行"))
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
    *, actor: Actor, unit: CampaignUnit, title: str, text: str, on: dt.date | None = None
) -> PilotLesson:
    """A pilot unit records a lesson for the same sector's units in the next batch (S5)."""
    require(actor, Action.CHANGE, unit.org_path, _("无权为该单位记录经验"))
    if not unit.is_pilot:
        raise ValidationError(_("只有试点单位可以记录试点经验"))
    lesson = PilotLesson(
        unit=unit,
        sector=unit.sector,
        title=title.strip(),
        text=text.strip(),
        recorded_by=actor_user(actor),
        recorded_on=on or unit.campaign.reference_date(),
    )
    return create_audited(
        actor=actor, obj=lesson, org_path=unit.org_path, fields=("title", "sector", "recorded_on")
    )


@transaction.atomic
def template_create(
    *,
    actor: Actor,
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
    require(actor, Action.CHANGE, owner.path, _("无权以该单位名义制定指导方案"))
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
    return create_audited(
        actor=actor, obj=template, org_path=owner.path, fields=("name", "sector", "org_type")
    )


@transaction.atomic
def unit_plan_instantiate(*, actor: Actor, unit: CampaignUnit) -> int:
    """Instantiate the unit's plan from its guidance template; re-running adds nothing that
    is already there. Returns how many items were added."""
    require(actor, Action.CHANGE, unit.org_path, _("无权制定该单位的方案"))
    template = template_for(unit)
    if template is None:
        raise ValidationError(_("本单位所在领域还没有分类指导方案，可直接添加本单位的工作安排"))
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
def unit_plan_add(*, actor: Actor, unit: CampaignUnit, kind: str, text: str) -> UnitPlanItem:
    """The unit adds its own item, e.g. an education carrier of its own (S7)."""
    require(actor, Action.CHANGE, unit.org_path, _("无权修改该单位的方案"))
    item = UnitPlanItem(unit=unit, kind=kind, text=text.strip())
    return create_audited(actor=actor, obj=item, org_path=unit.org_path, fields=("kind", "text"))


@transaction.atomic
def unit_plan_mark(*, actor: Actor, item: UnitPlanItem, done: bool, note: str = "") -> UnitPlanItem:
    """Mark an item of the unit's plan carried out (or not), with a note on how."""
    require(actor, Action.CHANGE, item.unit.org_path, _("无权修改该单位的方案"))
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
