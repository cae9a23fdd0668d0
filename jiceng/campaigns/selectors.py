"""Every read of campaigns. Roll-ups are one aggregate query over the units the user may
see (GROUP BY a path prefix or the sector), never rows loaded into Python (S1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import Organization, Sector

from .models import Campaign, CampaignUnit, CampaignUnitQuerySet, StepRecord
from .rules import Phase, StepState, UnitState


def campaign_list(user: Any, action: str = Action.VIEW) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(user, action).select_related("root", "previous")


def campaign_get(user: Any, pk: Any, action: str = Action.VIEW) -> Campaign:
    return get_visible_or_404(
        Campaign.objects.select_related("root", "previous"), user, action, pk=pk
    )


def campaign_units(
    user: Any, campaign: Campaign, action: str = Action.VIEW
) -> CampaignUnitQuerySet:
    """The campaign's units in the user's scope (a district officer: their district's)."""
    units = CampaignUnit.objects.visible_to(user, action).filter(campaign=campaign)
    return cast(CampaignUnitQuerySet, units)


def unit_get(user: Any, pk: Any, action: str = Action.VIEW) -> CampaignUnit:
    return get_visible_or_404(
        CampaignUnit.objects.select_related(
            "campaign", "org", "org__secretary", "parent", "parent__secretary", "step"
        ),
        user,
        action,
        pk=pk,
    )


def unit_records(unit: CampaignUnit) -> QuerySet[StepRecord]:
    return unit.records.select_related("step").order_by("at", "id")


@dataclass
class Progress:
    """Counts of one group of units (a subtree or a sector) at the reference date."""

    key: str
    label: str = ""
    org: Organization | None = None
    total: int = 0
    not_launched: int = 0
    study: int = 0
    review: int = 0
    rectify: int = 0
    completed: int = 0
    overdue: int = 0
    late_launch: int = 0
    submitted: int = 0
    returned: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def launched(self) -> int:
        return self.total - self.not_launched

    @property
    def lagging(self) -> int:
        return self.overdue + self.late_launch

    def rate(self, n: int) -> float:
        return round(100 * n / self.total, 1) if self.total else 0.0

    @property
    def launched_rate(self) -> float:
        return self.rate(self.launched)

    @property
    def completed_rate(self) -> float:
        return self.rate(self.completed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.label,
            "org_id": self.org.pk if self.org else None,
            "total": self.total,
            "launched": self.launched,
            "not_launched": self.not_launched,
            "study": self.study,
            "review": self.review,
            "rectify": self.rectify,
            "completed": self.completed,
            "overdue": self.overdue,
            "late_launch": self.late_launch,
            "submitted": self.submitted,
            "returned": self.returned,
        }


def _counts(on: dt.date) -> dict[str, Count]:
    running = Q(state=UnitState.IN_PROGRESS)
    return {
        "total": Count("id"),
        "not_launched": Count("id", filter=Q(state=UnitState.NOT_LAUNCHED)),
        "study": Count("id", filter=running & Q(phase=Phase.STUDY)),
        "review": Count("id", filter=running & Q(phase=Phase.REVIEW)),
        "rectify": Count("id", filter=running & Q(phase=Phase.RECTIFY)),
        "completed": Count("id", filter=Q(state=UnitState.COMPLETED)),
        "overdue": Count("id", filter=running & Q(due_on__lt=on)),
        "late_launch": Count("id", filter=Q(state=UnitState.NOT_LAUNCHED, due_on__lt=on)),
        "submitted": Count("id", filter=Q(step_state=StepState.SUBMITTED)),
        "returned": Count("id", filter=Q(step_state=StepState.RETURNED)),
    }


def _progress(key: str, row: Any) -> Progress:
    return Progress(key=key, **{k: row[k] for k in _counts(dt.date.min)})


def progress_total(user: Any, campaign: Campaign, under: Organization) -> Progress:
    """All units under ``under`` that the user may see, counted at the reference date."""
    units = campaign_units(user, campaign).filter(org_path__startswith=under.path)
    row = units.aggregate(**_counts(campaign.reference_date()))
    p = _progress(under.path, row)
    p.label, p.org = under.name, under
    return p


def progress_by_child(user: Any, campaign: Campaign, under: Organization) -> list[Progress]:
    """One row per child unit of ``under`` (district, street/town, committee…): its subtree's
    units, in one GROUP BY over the path prefix. Units registered at ``under`` itself form a
    row of their own (本级)."""
    width = len(under.path) + Organization.steplen
    rows = (
        campaign_units(user, campaign)
        .filter(org_path__startswith=under.path)
        .annotate(key=Substr("org_path", 1, width))
        .values("key")
        .annotate(**_counts(campaign.reference_date()))
        .order_by("key")
    )
    out = [_progress(r["key"], r) for r in rows]
    orgs = {o.path: o for o in Organization.objects.filter(path__in=[p.key for p in out])}
    for p in out:
        p.org = orgs.get(p.key)
        p.label = p.org.name if p.org else p.key
    return out


def progress_by_sector(user: Any, campaign: Campaign, under: Organization) -> list[Progress]:
    """One row per sector (street communities, towns, two-new organisations, universities…)."""
    rows = (
        campaign_units(user, campaign)
        .filter(org_path__startswith=under.path)
        .values("sector")
        .annotate(**_counts(campaign.reference_date()))
        .order_by("sector")
    )
    out = []
    for r in rows:
        p = _progress(r["sector"], r)
        p.label = str(Sector(r["sector"]).label) if r["sector"] in Sector.values else r["sector"]
        out.append(p)
    return sorted(out, key=lambda p: -p.total)


def lagging_units(
    user: Any, campaign: Campaign, under: Organization, *, sector: str = ""
) -> QuerySet[CampaignUnit]:
    """Units behind schedule for the leadership group (S1): launched with the current step
    past its due date, or not launched although the first step is due; longest overdue
    first, with the people responsible (the unit's secretary and the parent's)."""
    units = campaign_units(user, campaign).filter(org_path__startswith=under.path)
    if sector:
        units = units.filter(sector=sector)
    return (
        units.lagging(campaign.reference_date())
        .select_related("org", "org__secretary", "parent", "parent__secretary", "step")
        .order_by("due_on", "org_path")
    )


def awaiting_sign_off(user: Any, campaign: Campaign, under: Organization) -> QuerySet[CampaignUnit]:
    """Submitted steps waiting for the user's sign-off (units whose parent they may change)."""
    return (
        campaign_units(user, campaign)
        .filter(org_path__startswith=under.path, step_state=StepState.SUBMITTED)
        .select_related("org", "step", "parent")
        .order_by("due_on", "org_path")
    )


def phase_chart(rows: list[Progress]) -> dict[str, Any]:
    """Stacked bars for ECharts: categories are the groups, one series per phase."""
    series = [
        ("not_launched", str(UnitState.NOT_LAUNCHED.label)),
        ("study", str(Phase.STUDY.label)),
        ("review", str(Phase.REVIEW.label)),
        ("rectify", str(Phase.RECTIFY.label)),
        ("completed", str(UnitState.COMPLETED.label)),
    ]
    return {
        "categories": [p.label for p in rows],
        "series": [{"key": k, "name": n, "data": [getattr(p, k) for p in rows]} for k, n in series],
        "overdue": [p.overdue + p.late_launch for p in rows],
    }
