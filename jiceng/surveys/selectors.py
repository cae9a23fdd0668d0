"""Every read of the democratic appraisal. Tallies and results are aggregate queries (GROUP
BY the appraisal, the grade or a path prefix) over the rows the user may see, never rows
loaded into Python (S1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr

from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.core import tree
from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from .models import Appraisal, PeerRating
from .rules import AppraisalState, Grade, excellent_cap

GRADE_KEYS = {
    Grade.EXCELLENT: "excellent",
    Grade.QUALIFIED: "qualified",
    Grade.BASICALLY_QUALIFIED: "basically_qualified",
    Grade.UNQUALIFIED: "unqualified",
}


def appraisal_list(user: Any, action: str = Action.VIEW) -> QuerySet[Appraisal]:
    return Appraisal.objects.visible_to(user, action)


def appraisal_get(user: Any, pk: Any, action: str = Action.VIEW) -> Appraisal:
    return get_visible_or_404(
        Appraisal.objects.select_related(
            "member", "unit", "unit__org", "unit__campaign", "self_analysis"
        ),
        user,
        action,
        pk=pk,
    )


def _tallies() -> dict[str, Count]:
    out = {
        f"peer_{key}": Count("ratings", filter=Q(ratings__grade=grade))
        for grade, key in GRADE_KEYS.items()
    }
    out["peer_total"] = Count("ratings")
    return out


def unit_sheet(user: Any, unit: CampaignUnit) -> QuerySet[Appraisal]:
    """The unit's appraisal sheet: each member with the self-analysis and the peer tally
    (ratings per grade, one GROUP BY), in the order of the roll."""
    return (
        appraisal_list(user)
        .filter(unit=unit)
        .select_related("member", "self_analysis")
        .annotate(**_tallies())
        .order_by("member__name_pinyin", "member_id")
    )


def unit_grades(unit_pk: int) -> dict[int, tuple[str, str]]:
    """Each appraisal's current grade and note in a unit (to tell changed rows of a form)."""
    rows = Appraisal.objects.filter(unit_id=unit_pk).values_list("id", "grade", "decision_note")
    return {pk: (grade, note) for pk, grade, note in rows}


def appraisal_tally(appraisal: Appraisal) -> dict[str, int]:
    """One member's peer ratings per grade (for the committee deciding)."""
    counts = dict(
        appraisal.ratings.values_list("grade").annotate(n=Count("id")).values_list("grade", "n")
    )
    out = {key: counts.get(grade, 0) for grade, key in GRADE_KEYS.items()}
    out["total"] = sum(out.values())
    return out


def appraisal_comments(appraisal: Appraisal) -> QuerySet[PeerRating]:
    """The peers' comments, without who wrote them (the committee reads them anonymously)."""
    return appraisal.ratings.exclude(comment="").order_by("rated_on", "id")


@dataclass
class Counter:
    """The one-third counter of a unit: members appraised, excellent so far, the cap."""

    appraised: int
    excellent: int

    @property
    def cap(self) -> int:
        return excellent_cap(self.appraised)

    @property
    def left(self) -> int:
        return max(self.cap - self.excellent, 0)


def unit_counter(unit: CampaignUnit) -> Counter:
    row = unit.appraisals.aggregate(
        n=Count("id"), excellent=Count("id", filter=Q(grade=Grade.EXCELLENT))
    )
    return Counter(appraised=row["n"], excellent=row["excellent"])


# ----- the member's own page ---------------------------------------------------------------------
def own_appraisals(user: Any) -> QuerySet[Appraisal]:
    """The user's own appraisals (self-service scope: ``member__user``), newest campaign first."""
    return (
        appraisal_list(user)
        .filter(member__user=user)
        .select_related("campaign", "unit", "unit__org", "self_analysis")
        .order_by("-campaign__starts_on", "-id")
    )


def peers_to_rate(appraisal: Appraisal) -> QuerySet[Appraisal]:
    """The fellow members of ``appraisal``'s unit, with the rating this member gave each.

    A member sees the names and states of the members of their own branch (as at the branch
    meeting) and nothing else of them; ``appraisal`` is the member's own, reached through
    ``own_appraisals``.
    """
    mine = PeerRating.objects.filter(appraisal=OuterRef("pk"), rater_id=appraisal.member_id)
    return (
        Appraisal.objects.filter(unit_id=appraisal.unit_id)
        .exclude(pk=appraisal.pk)
        .select_related("member")
        .only("id", "state", "unit_id", "member__id", "member__name", "member__name_pinyin")
        .annotate(
            my_grade=Subquery(mine.values("grade")[:1]),
            my_comment=Subquery(mine.values("comment")[:1]),
        )
        .order_by("member__name_pinyin", "member_id")
    )


def peer_of(user: Any, pk: Any) -> tuple[Member, Appraisal]:
    """The rater (the user's own member record) and a fellow member's appraisal in the same
    unit; anything else is a 404."""
    from django.http import Http404

    rater = member_selectors.own_member(user)
    if rater is None:
        raise Http404
    units = Appraisal.objects.filter(member=rater).values("unit_id")
    target = (
        Appraisal.objects.filter(pk=pk, unit_id__in=units).select_related("unit", "member").first()
        if str(pk).isdigit()
        else None
    )
    if target is None:
        raise Http404
    return rater, target


# ----- results ----------------------------------------------------------------------------------
@dataclass
class Result:
    """Counts of one group of appraisals (a unit or a subtree)."""

    key: str
    label: str = ""
    org: Organization | None = None
    total: int = 0
    self_pending: int = 0
    peer_review: int = 0
    committee_review: int = 0
    decided: int = 0
    excellent: int = 0
    qualified: int = 0
    basically_qualified: int = 0
    unqualified: int = 0

    def rate(self, n: int) -> float:
        return round(100 * n / self.decided, 1) if self.decided else 0.0

    @property
    def excellent_rate(self) -> float:
        return self.rate(self.excellent)

    @property
    def decided_rate(self) -> float:
        return round(100 * self.decided / self.total, 1) if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.label,
            "org_id": self.org.pk if self.org else None,
            **{k: getattr(self, k) for k in COUNT_KEYS},
        }


COUNT_KEYS = (
    "total",
    "self_pending",
    "peer_review",
    "committee_review",
    "decided",
    *GRADE_KEYS.values(),
)


def _counts() -> dict[str, Count]:
    out = {"total": Count("id")}
    out.update({s.value: Count("id", filter=Q(state=s)) for s in AppraisalState})
    out.update({key: Count("id", filter=Q(grade=g)) for g, key in GRADE_KEYS.items()})
    return out


def _results(user: Any, campaign: Campaign, under: Organization) -> QuerySet[Appraisal]:
    return appraisal_list(user).filter(campaign=campaign, org_path__startswith=under.path)


def results_total(user: Any, campaign: Campaign, under: Organization) -> Result:
    row = _results(user, campaign, under).aggregate(**_counts())
    return Result(key=under.path, label=under.name, org=under, **{k: row[k] for k in COUNT_KEYS})


def _result(row: Any) -> Result:
    return Result(key=row["key"], **{k: row[k] for k in COUNT_KEYS})


def results_by_child(user: Any, campaign: Campaign, under: Organization) -> list[Result]:
    """One row per child of ``under`` (its subtree's units), in one GROUP BY over the path
    prefix; the unit ``under`` itself, when it has members appraised, is a row of its own."""
    width = tree.child_length(under.path)
    rows = (
        _results(user, campaign, under)
        .annotate(key=Substr("org_path", 1, width))
        .values("key")
        .annotate(**_counts())
        .order_by("key")
    )
    out = [_result(r) for r in rows]
    orgs = {o.path: o for o in Organization.objects.filter(path__in=[r.key for r in out])}
    for r in out:
        r.org = orgs.get(r.key)
        r.label = r.org.name if r.org else r.key
    return out


def unit_ids(campaign: Campaign, orgs: list[Organization]) -> dict[int, int]:
    """The campaign unit of each of ``orgs`` that is one (for links to the sheet)."""
    return dict(
        CampaignUnit.objects.filter(campaign=campaign, org__in=orgs).values_list("org_id", "id")
    )


def results_chart(rows: list[Result]) -> dict[str, Any]:
    """Stacked bars for ECharts: one series per grade, plus those not yet decided."""
    series = [(key, str(g.label)) for g, key in GRADE_KEYS.items()]
    undecided = {"key": "undecided", "name": "未评定", "data": [r.total - r.decided for r in rows]}
    return {
        "categories": [r.label for r in rows],
        "series": [
            undecided,
            *[{"key": k, "name": n, "data": [getattr(r, k) for r in rows]} for k, n in series],
        ],
    }
