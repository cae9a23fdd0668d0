"""The figures of every unit of a campaign, set-based: one aggregate query per source (grouped
by unit or by tree path), rolled up to each unit's subtree in memory, never a query per unit.

The reads behind a run (``services.run_compute``); they are not scoped, because a run computes
the whole campaign for whoever reads it afterwards (the scores are scoped when read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from jiceng.campaigns.coverage.rules import Coverage
from jiceng.campaigns.models import CampaignUnit, CoverageEntry, FourOnesItem, Step, StepRecord
from jiceng.campaigns.practices.rules import FourOnesState
from jiceng.campaigns.progress.models import Campaign
from jiceng.campaigns.progress.rules import StepAction
from jiceng.core import tree
from jiceng.members.models import Member
from jiceng.petitions.models import Petition
from jiceng.petitions.rules import Satisfaction
from jiceng.satisfaction.models import SurveyResponse

from .rules import FOUR_ONES_PER_MEMBER, Indicator

Report = Callable[[str, float], None]
GOOD = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


@dataclass
class UnitFigures:
    """One unit's identity and the counts gathered for it."""

    unit_id: int
    org_id: int
    path: str
    code: str
    sector: str
    has_secretary: bool
    counts: dict[str, list[float]] = field(default_factory=dict)
    lets: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, n: float, d: float) -> None:
        pair = self.counts.setdefault(key, [0, 0])
        pair[0] += n
        pair[1] += d

    def figures(self) -> dict[str, list[float]]:
        """Indicator → [numerator, denominator]; coverage made of the lets present."""
        out = {k: list(v) for k, v in self.counts.items() if k != "members"}
        members, placed = (
            self.counts.get("members", [0, 0])[1],
            self.counts.get("members", [0, 0])[0],
        )
        lets: dict[str, list[float]] = {Coverage.SECRETARY: [1 if self.has_secretary else 0, 1]}
        if members:
            lets[Coverage.MEMBERS] = [placed, members]
        for key in (Coverage.OWNERS, Coverage.RESIDENTS):
            if key in self.lets and self.lets[key][1] > 0:
                lets[key] = self.lets[key]
        self.lets = lets
        out[Indicator.COVERAGE] = [
            round(sum(min(n / d, 1.0) for n, d in lets.values()), 6),
            len(lets),
        ]
        out[Indicator.FOUR_ONES] = [
            min(self.counts.get(Indicator.FOUR_ONES, [0, 0])[0], members * FOUR_ONES_PER_MEMBER),
            members * FOUR_ONES_PER_MEMBER,
        ]
        return out


def _bounds(period_from: dt.date, as_of: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def steps_due(campaign: Campaign, as_of: dt.date) -> Any:
    return Step.objects.filter(campaign=campaign, due_on__lte=as_of)


def signed_on_time_q(as_of: dt.date) -> Q:
    """Sign-offs of a step that is due by ``as_of``, on or before its due date."""
    return Q(action=StepAction.SIGN_OFF, step__due_on__lte=as_of, on__lte=F("step__due_on"))


def four_ones_q(campaign: Campaign, as_of: dt.date) -> Q:
    return Q(campaign=campaign, state=FourOnesState.CONFIRMED, done_on__lte=as_of)


# The filters below are shared with the lists of rows behind a figure (``selectors.rows``),
# so a figure and its list count the same rows.
def petitions_q(period_from: dt.date, as_of: dt.date) -> Q:
    """Petitions received in the period (their answer and rating as they stand)."""
    return Q(received_on__gte=period_from, received_on__lte=as_of)


def responses_q(period_from: dt.date, as_of: dt.date) -> Q:
    """Survey answers submitted in the period with the overall rating answered."""
    start, end = _bounds(period_from, as_of)
    return Q(submitted_at__gte=start, submitted_at__lt=end, overall_level__isnull=False)


def _roll_up(
    by_path: dict[str, UnitFigures], rows: Iterable[tuple[str, str, float, float]]
) -> None:
    """Add each ``(path, key, n, d)`` to every unit at or above ``path``."""
    for path, key, n, d in rows:
        for end in range(tree.STEP, len(path) + 1, tree.STEP):
            unit = by_path.get(path[:end])
            if unit is not None:
                unit.add(key, n, d)


def gather(
    campaign: Campaign, *, as_of: dt.date, period_from: dt.date, report: Report
) -> list[UnitFigures]:
    """Every unit of ``campaign`` with its figures (a handful of grouped queries)."""
    root = campaign.root_path
    report("读取参加单位", 0.0)
    units = [
        UnitFigures(pk, org_id, path, code, sector, secretary is not None)
        for pk, org_id, path, code, sector, secretary in CampaignUnit.objects.filter(
            campaign=campaign
        )
        .order_by("org_path")
        .values_list("id", "org_id", "org_path", "org__code", "sector", "org__secretary_id")
    ]
    by_id = {u.unit_id: u for u in units}
    by_path = {u.path: u for u in units}

    report("统计环节按期通过", 0.1)
    due = steps_due(campaign, as_of).count()
    if due:
        signed = dict(
            StepRecord.objects.filter(unit__campaign=campaign)
            .filter(signed_on_time_q(as_of))
            .values("unit_id")
            .annotate(n=Count("step_id", distinct=True))
            .values_list("unit_id", "n")
        )
        for u in units:
            u.add(Indicator.STEPS_ON_TIME, min(signed.get(u.unit_id, 0), due), due)

    report("统计四让覆盖", 0.2)
    for unit_id, indicator, n, d in CoverageEntry.objects.filter(
        unit__campaign=campaign, entered_on__lte=as_of
    ).values_list("unit_id", "indicator", "numerator", "denominator"):
        if unit_id in by_id:
            by_id[unit_id].lets[indicator] = [n, d]
    members = (
        Member.objects.on_roll()
        .filter(home_path__startswith=root)
        .values("home_path")
        .annotate(
            n_all=Count("id"), n_placed=Count("id", filter=Q(participating_org__isnull=False))
        )
        .values_list("home_path", "n_placed", "n_all")
        .order_by()
    )
    _roll_up(by_path, ((p, "members", n, d) for p, n, d in members))

    report("统计四个一", 0.35)
    items = (
        FourOnesItem.objects.filter(four_ones_q(campaign, as_of), member_path__startswith=root)
        .values("member_path")
        .annotate(n=Count("id"))
        .values_list("member_path", "n")
        .order_by()
    )
    _roll_up(by_path, ((p, Indicator.FOUR_ONES, n, 0) for p, n in items))

    report("统计信访", 0.5)
    petitions = (
        Petition.objects.filter(petitions_q(period_from, as_of), org_path__startswith=root)
        .values("org_path")
        .annotate(
            answered=Count("id", filter=Q(on_time__isnull=False)),
            on_time=Count("id", filter=Q(on_time=True)),
            rated=Count("id", filter=~Q(satisfaction="")),
            good=Count("id", filter=Q(satisfaction__in=GOOD)),
        )
        .values_list("org_path", "answered", "on_time", "rated", "good")
        .order_by()
    )
    rows: list[tuple[str, str, float, float]] = []
    for path, answered, on_time, rated, good in petitions:
        if answered:
            rows.append((path, Indicator.PETITIONS_ON_TIME, on_time, answered))
        if rated:
            rows.append((path, Indicator.PETITIONS_SATISFIED, good, rated))
    _roll_up(by_path, rows)

    report("统计群众满意度测评", 0.65)
    responses = (
        SurveyResponse.objects.filter(responses_q(period_from, as_of), path__startswith=root)
        .values("path")
        .annotate(
            rated=Count("id"),
            satisfied=Count("id", filter=Q(overall_level__lt=F("survey__satisfied_levels"))),
        )
        .values_list("path", "satisfied", "rated")
        .order_by()
    )
    _roll_up(by_path, ((p, Indicator.SURVEY_SATISFIED, n, d) for p, n, d in responses))
    report("计算得分", 0.75)
    return units
