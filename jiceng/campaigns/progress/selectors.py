"""Every read of a campaign's progress. Roll-ups are one aggregate query over the units the
user may see (GROUP BY a path prefix or the sector), never rows loaded into Python (S1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import generations, tree
from jiceng.core.notices import Notice, acting_paths
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, Sector

from .models import Campaign, CampaignUnit, CampaignUnitQuerySet, Indicator, StepRecord
from .rules import PHASE_ORDER, Aim, Phase, StepState, UnitState


def campaign_list(user: Any, action: str = Action.VIEW) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(user, action).select_related("root", "previous")


def campaign_get(user: Any, pk: Any, action: str = Action.VIEW) -> Campaign:
    return get_visible_or_404(
        Campaign.objects.select_related("root", "previous"), user, action, pk=pk
    )


def campaign_subtree(user: Any, campaign: Campaign, pk: Any = None) -> Organization:
    """The subtree a page of the campaign looks at: unit ``pk`` (a 404 outside the user's
    scope), else the user's top unit; never above the campaign's root, never beside it."""
    under = org_selectors.subtree_root(user, pk or None)
    if tree.within(under.path, campaign.root_path):
        return under
    if tree.within(campaign.root_path, under.path):
        return campaign.root
    raise Http404


def campaign_overview(user: Any, under_pk: Any = None) -> list[tuple[Campaign, Progress]]:
    """The latest 50 campaigns the user reads, each with the roll-up of the subtree the user
    looks at (``under_pk``, else their top unit); a campaign beside that subtree is left out."""
    rows = []
    for campaign in campaign_list(user)[:50]:
        try:
            under = campaign_subtree(user, campaign, under_pk)
        except Http404:
            continue
        rows.append((campaign, progress_total(user, campaign, under)))
    return rows


def crumbs(user: Any, campaign: Campaign, under: Organization) -> list[Organization]:
    """The organisations from the campaign's root down to ``under`` (excluded) that the user
    may see, for the breadcrumbs of the campaign's pages."""
    paths = tree.ancestor_paths(under.path, top=tree.depth(campaign.root_path))
    visible = org_selectors.organization_list(user).filter(path__in=paths)
    return list(visible.order_by("path"))


def campaign_units(
    user: Any, campaign: Campaign, action: str = Action.VIEW
) -> CampaignUnitQuerySet:
    """The campaign's units in the user's scope (a district officer: their district's)."""
    units = CampaignUnit.objects.visible_to(user, action).filter(campaign=campaign)
    return cast(CampaignUnitQuerySet, units)


def units_waiting_launch(user: Any, campaign: Campaign, under: Organization) -> int:
    """How many units of the subtree have not launched the campaign yet."""
    return (
        campaign_units(user, campaign)
        .filter(org_path__startswith=under.path, state=UnitState.NOT_LAUNCHED)
        .count()
    )


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


def unit_steps(unit: CampaignUnit) -> list[dict[str, Any]]:
    """The campaign's steps with the unit's place in them: ``done``, ``current`` or ``todo``."""
    current = unit.step.order if unit.step else None
    rows = []
    for step in unit.campaign.steps.order_by("order"):
        if unit.state == UnitState.COMPLETED or (current is not None and step.order < current):
            status = "done"
        elif step.order == current and unit.state == UnitState.IN_PROGRESS:
            status = "current"
        else:
            status = "todo"
        rows.append({"step": step, "status": status})
    return rows


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

    @classmethod
    def summed(cls, rows: list[Progress], under: Organization) -> Progress:
        """The total of a subtree from its children's rows (no second query)."""
        total = cls(key=under.path, label=under.name, org=under)
        for name in COUNTS:
            setattr(total, name, sum(getattr(r, name) for r in rows))
        return total

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


COUNTS = tuple(_counts(dt.date.min))


def _progress(key: str, row: Any) -> Progress:
    return Progress(key=key, **{k: row[k] for k in COUNTS})


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
    width = tree.child_length(under.path)
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
    """Submitted steps waiting for their parent's sign-off under a subtree, oldest due first."""
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


def step_counts(user: Any, campaign: Campaign, under: Organization) -> list[dict[str, Any]]:
    """Each step of the campaign with how many units of the subtree are at it, and how many
    of those are overdue (one GROUP BY over the current step)."""
    on = campaign.reference_date()
    counts = {
        r["step_id"]: r
        for r in campaign_units(user, campaign)
        .filter(org_path__startswith=under.path, state=UnitState.IN_PROGRESS)
        .values("step_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=on)))
    }
    rows = []
    for step in campaign.steps.order_by("order"):
        c: Any = counts.get(step.pk, {})
        rows.append({"step": step, "n": c.get("n", 0), "overdue": c.get("overdue", 0)})
    return rows


def worklist(
    user: Any, campaign: Campaign, under: Organization, *, sector: str = "", waiting: bool = False
) -> QuerySet[CampaignUnit]:
    """The lagging units of a subtree, or with ``waiting`` the sign-off worklist (steps
    submitted and waiting for the parent), with the people responsible."""
    if not waiting:
        return lagging_units(user, campaign, under, sector=sector)
    units = awaiting_sign_off(user, campaign, under)
    units = units.filter(sector=sector) if sector else units
    return units.select_related("org__secretary", "parent__secretary")


def with_days_late(units: Iterable[CampaignUnit], campaign: Campaign) -> list[CampaignUnit]:
    """The units as a list, each with ``days_late`` at the campaign's reference date."""
    on = campaign.reference_date()
    rows = list(units)
    for u in rows:
        u.days_late = u.overdue_days(on)  # type: ignore[attr-defined]
    return rows


def indicators_by_aim(campaign: Campaign) -> list[tuple[Any, list[Indicator]]]:
    """The campaign's indicators under each of the four aims (S2), in the aims' order."""
    indicators: dict[str, list[Indicator]] = {a: [] for a in Aim.values}
    for i in campaign.indicators.all():
        indicators[i.aim].append(i)
    return [(Aim(a).label, indicators[a]) for a in Aim.values]


# Counts only: nothing personal goes into the shared cache (the lagging units, with their
# secretaries, are read afresh each time).
DASHBOARD_SECONDS = 600


def dashboard_counts(user: Any, campaign: Campaign, under: Organization) -> dict[str, Any]:
    """The dashboard's roll-ups (by child, by sector, by step) and the child units' ids,
    cached per campaign, subtree, the user's scope and the reference date, under the
    campaign's progress generation (bumped when any of its units moves) and the tree's (the
    children's names): a sign-off shows at once, a page view re-reads nothing."""
    scope = scope_of(user, Action.VIEW)
    key = generations.cache_key(
        "campaign-dashboard",
        campaign.pk,
        under.path,
        ",".join(scope.paths),
        scope.self_user_id,
        campaign.reference_date(),
        generations.generation(generations.campaign_progress(campaign.pk)),
        generations.generation(generations.ORG_TREE),
    )
    counts: dict[str, Any] | None = cache.get(key)
    if counts is None:
        children = progress_by_child(user, campaign, under)
        counts = {
            "children": children,
            "sectors": progress_by_sector(user, campaign, under),
            "steps": step_counts(user, campaign, under),
            "unit_ids": dict(
                CampaignUnit.objects.filter(
                    campaign=campaign, org_id__in=[p.org.pk for p in children if p.org]
                ).values_list("org_id", "id")
            ),
        }
        cache.set(key, counts, DASHBOARD_SECONDS)
    return counts


def dashboard(user: Any, campaign: Campaign, under: Organization) -> dict[str, Any]:
    """Everything the progress dashboard of a subtree shows: the roll-up by child and by
    sector with its charts, the steps with their counts, the worst lagging units and the
    indicators under the four aims."""
    counts = dashboard_counts(user, campaign, under)
    children, steps, unit_ids = counts["children"], counts["steps"], counts["unit_ids"]
    total = Progress.summed(children, under)
    return {
        "crumbs": crumbs(user, campaign, under),
        "total": total,
        "children": children,
        "unit_ids": unit_ids,
        "sectors": counts["sectors"],
        "lagging": with_days_late(lagging_units(user, campaign, under)[:10], campaign),
        "awaiting": total.submitted,
        "chart": phase_chart(children),
        "phase_chart": [
            {"name": str(UnitState.NOT_LAUNCHED.label), "value": total.not_launched},
            *[{"name": str(Phase(p).label), "value": getattr(total, p)} for p in PHASE_ORDER],
            {"name": str(UnitState.COMPLETED.label), "value": total.completed},
        ],
        "aims": indicators_by_aim(campaign),
        "phases": [
            (Phase(p).label, [s for s in steps if s["step"].phase == p]) for p in PHASE_ORDER
        ],
    }


def running(user: Any) -> list[Campaign]:
    """The campaigns the user sees that have not ended at their reference date."""
    return [c for c in campaign_list(user) if c.ends_on >= c.reference_date()]


def progress_notices(user: Any) -> list[Notice]:
    """The bell (S1): steps submitted to an organisation the user acts for, waiting for its
    sign-off, and the user's own units whose current step is past due."""
    own = acting_paths(user)
    if not own:
        return []
    orgs = list(Organization.objects.filter(path__in=own).only("pk", "path"))
    out = []
    for campaign in running(user):
        units = campaign_units(user, campaign)
        on = campaign.reference_date()
        url = reverse("campaigns:lagging", args=[campaign.pk])
        for org in orgs:
            waiting = units.filter(parent__path=org.path, step_state=StepState.SUBMITTED)
            out.append(
                Notice(
                    f"campaign.sign_off.{campaign.pk}.{org.pk}",
                    _("%(c)s：待审核的环节") % {"c": campaign.name},
                    waiting.count(),
                    f"{url}?under={org.pk}&waiting=1",
                )
            )
            late = units.filter(org_path=org.path).overdue(on).first()
            if late is not None:
                out.append(
                    Notice(
                        f"campaign.overdue.{campaign.pk}.{org.pk}",
                        _("%(c)s：本单位环节已逾期") % {"c": campaign.name},
                        1,
                        reverse("campaigns:unit", args=[late.pk]),
                        overdue=True,
                    )
                )
    return out
