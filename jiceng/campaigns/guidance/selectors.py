"""Every read of guidance: the templates a user reads and the one that applies to a unit,
the unit's plan, pilot units and the lessons of the previous batch's pilots."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jiceng.campaigns.progress.models import Campaign, CampaignUnit
from jiceng.campaigns.progress.selectors import campaign_units
from jiceng.core import tree
from jiceng.core.scoping import get_visible_or_404
from jiceng.orgs.models import Organization

from .models import GuidanceTemplate, PilotLesson, UnitPlanItem


def lessons_for(campaign: Campaign, sector: str = "") -> QuerySet[PilotLesson]:
    """Lessons of the previous batch's pilot units (S5), for the same sector when given.
    Lessons are published guidance for the next batch: readable by whoever reads the
    campaign (the campaign itself is scoped)."""
    if campaign.previous_id is None:
        return PilotLesson.objects.none()
    lessons = PilotLesson.objects.filter(unit__campaign_id=campaign.previous_id)
    if sector:
        lessons = lessons.filter(sector=sector)
    return lessons.select_related("unit__org").order_by("sector", "-recorded_on")


def pilot_units(user: Any, campaign: Campaign, under: Organization) -> QuerySet[CampaignUnit]:
    """The campaign's pilot units (S5) under a subtree."""
    return (
        campaign_units(user, campaign)
        .filter(org_path__startswith=under.path, is_pilot=True)
        .select_related("org")
    )


def templates_for(user: Any, campaign: Campaign) -> QuerySet[GuidanceTemplate]:
    """The campaign's guidance issued in the user's subtree or above it."""
    return (
        GuidanceTemplate.objects.visible_to(user).filter(campaign=campaign).select_related("owner")
    )


def template_for(unit: CampaignUnit) -> GuidanceTemplate | None:
    """The guidance that applies to a unit: issued at or above it, for its sector, the one for
    its organisation type first (S15), the nearest issuer first."""
    candidates = (
        GuidanceTemplate.objects.filter(campaign=unit.campaign)
        .matching(unit.sector, unit.org.org_type)
        .filter(owner_path__in=tree.ancestor_paths(unit.org_path, include_self=True))
    )
    best = sorted(candidates, key=lambda t: (t.org_type == "", -len(t.owner_path)))
    return best[0] if best else None


def unit_plan(unit: CampaignUnit) -> QuerySet[UnitPlanItem]:
    return unit.plan_items.select_related("template")


def plan_item_get(user: Any, pk: Any) -> UnitPlanItem:
    return get_visible_or_404(UnitPlanItem.objects.select_related("unit"), user, pk=pk)


def unit_lessons(unit: CampaignUnit) -> QuerySet[PilotLesson]:
    return unit.lessons.all()
