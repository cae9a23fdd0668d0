"""Every read of unit appraisal, from ``visible_to``: the runs of a campaign, the ranking of a
run (a district officer sees their district's units only), one unit's score, the rows behind
each figure (the same filters as the computation, ``compute``), and the weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404

from jiceng.campaigns.models import CampaignUnit, FourOnesItem, StepRecord
from jiceng.campaigns.progress.models import Campaign
from jiceng.campaigns.progress.rules import StepAction
from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.petitions.models import Petition
from jiceng.petitions.rules import Satisfaction
from jiceng.satisfaction.models import SurveyResponse

from . import compute
from .models import AppraisalRun, UnitScore, WeightSet
from .rules import Indicator, RunState

# How the ranking may be sorted: the key in the address → the ordering.
ORDERINGS: dict[str, tuple[Any, ...]] = {
    "score": (F("score").desc(nulls_last=True), "org__code"),
    "-score": (F("score").asc(nulls_last=True), "org__code"),
    "district": ("district_path", F("rank_district").asc(nulls_last=True), "org__code"),
    "sector": ("sector", F("rank_sector").asc(nulls_last=True), "org__code"),
    "code": ("org__code",),
}


def run_list(user: Any) -> QuerySet[AppraisalRun]:
    return AppraisalRun.objects.visible_to(user).select_related("campaign", "weight_set")


def run_get(user: Any, pk: Any, action: str = Action.VIEW) -> AppraisalRun:
    return get_visible_or_404(
        AppraisalRun.objects.select_related("campaign", "weight_set", "created_by"),
        user,
        action,
        pk=pk,
    )


def run_current(user: Any, campaign: Campaign | None = None) -> AppraisalRun | None:
    """The latest finished run the user may read (of ``campaign`` when given)."""
    runs = run_list(user).filter(state=RunState.DONE)
    if campaign is not None:
        runs = runs.filter(campaign=campaign)
    return runs.order_by("-finished_at", "-id").first()


def run_pending(user: Any, campaign_id: int) -> AppraisalRun | None:
    """A run of the campaign queued or running, to show its progress."""
    return (
        run_list(user)
        .filter(campaign_id=campaign_id, state__in=(RunState.QUEUED, RunState.RUNNING))
        .order_by("-id")
        .first()
    )


def score_list(
    user: Any,
    run: AppraisalRun,
    *,
    district: str = "",
    sector: str = "",
    q: str = "",
    order: str = "score",
) -> QuerySet[UnitScore]:
    """The run's scores of the units the user may see, filtered and sorted."""
    rows = UnitScore.objects.visible_to(user).filter(run=run)
    if district:
        rows = rows.filter(district_path=district)
    if sector:
        rows = rows.filter(sector=sector)
    if q:
        rows = rows.filter(Q(org__name_simplified__contains=q) | Q(org__code__startswith=q))
    return rows.select_related("org").order_by(*ORDERINGS.get(order, ORDERINGS["score"]))


def score_get(user: Any, pk: Any) -> UnitScore:
    """One unit's score; outside the user's scope it is the same 404 as a missing one."""
    return get_visible_or_404(
        UnitScore.objects.select_related("run", "run__campaign", "run__weight_set", "org", "unit"),
        user,
        pk=pk,
    )


def unit_score(user: Any, unit: CampaignUnit) -> UnitScore | None:
    """The unit's score in the latest finished run (for the campaign unit's page)."""
    run = run_current(user, unit.campaign)
    if run is None:
        return None
    return UnitScore.objects.visible_to(user).filter(run=run, unit=unit).first()


def district_choices(user: Any, run: AppraisalRun) -> list[tuple[str, str]]:
    """The districts of the run the user may see, by name."""
    from jiceng.orgs.models import Organization

    paths = (
        UnitScore.objects.visible_to(user)
        .filter(run=run)
        .values_list("district_path", flat=True)
        .distinct()
        .order_by()
    )
    names = dict(Organization.objects.filter(path__in=list(paths)).values_list("path", "name"))
    return sorted(names.items(), key=lambda kv: kv[0])


def group_sizes(run: AppraisalRun, score: UnitScore) -> tuple[int, int]:
    """How many units are ranked in the score's district and in its sector (city-wide)."""
    ranked = UnitScore.objects.filter(run=run, score__isnull=False)
    return (
        ranked.filter(district_path=score.district_path).count(),
        ranked.filter(sector=score.sector).count(),
    )


def weight_sets(user: Any) -> QuerySet[WeightSet]:
    return WeightSet.objects.visible_to(user).select_related("created_by")


# ----- the rows behind a figure -----------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """The rows behind one indicator of one unit: ``rows`` (the denominator's rows, or for
    the four ones the numerator's), and which of them count in the numerator."""

    indicator: str
    rows: QuerySet[Any]
    counted: str  # what the list's length is: "numerator" or "denominator"
    template: str


def rows_for(user: Any, score: UnitScore, indicator: str) -> Rows:
    """The rows behind ``indicator`` of ``score``, as the run counted them, inside the user's
    scope (the score is already in it, and the rows lie in the unit's subtree)."""
    run = score.run
    path = score.org_path
    rows: QuerySet[Any]
    if indicator == Indicator.STEPS_ON_TIME:
        rows = (
            StepRecord.objects.visible_to(user)
            .filter(unit_id=score.unit_id, action=StepAction.SIGN_OFF)
            .filter(compute.signed_on_time_q(run.as_of))
            .select_related("step")
            .order_by("step__order")
        )
        return Rows(indicator, rows, "numerator", "steps")
    if indicator == Indicator.FOUR_ONES:
        rows = (
            FourOnesItem.objects.visible_to(user)
            .filter(compute.four_ones_q(run.campaign, run.as_of), member_path__startswith=path)
            .select_related("member")
            .order_by("member_path", "member_id", "kind")
        )
        return Rows(indicator, rows, "numerator", "four_ones")
    if indicator in (Indicator.PETITIONS_ON_TIME, Indicator.PETITIONS_SATISFIED):
        rows = Petition.objects.visible_to(user).filter(
            compute.petitions_q(run.period_from, run.as_of), org_path__startswith=path
        )
        if indicator == Indicator.PETITIONS_ON_TIME:
            rows = rows.filter(on_time__isnull=False)
        else:
            rows = rows.exclude(satisfaction="")
        return Rows(
            indicator,
            rows.select_related("org").order_by("received_on", "id"),
            "denominator",
            "petitions",
        )
    if indicator == Indicator.SURVEY_SATISFIED:
        rows = (
            SurveyResponse.objects.visible_to(user)
            .filter(compute.responses_q(run.period_from, run.as_of), path__startswith=path)
            .select_related("survey", "unit__org")
            .order_by("survey_id", "path", "submitted_at", "id")
        )
        return Rows(indicator, rows, "denominator", "responses")
    raise Http404


def is_counted(indicator: str, row: Any) -> bool:
    """Whether a listed row counts in the numerator."""
    if indicator == Indicator.PETITIONS_ON_TIME:
        return bool(row.on_time)
    if indicator == Indicator.PETITIONS_SATISFIED:
        return row.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
    if indicator == Indicator.SURVEY_SATISFIED:
        return bool(row.survey.level_is_satisfied(row.overall_level))
    return True
