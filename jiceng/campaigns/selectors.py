"""Every read of campaigns. Roll-ups are one aggregate query over the units the user may
see (GROUP BY a path prefix or the sector), never rows loaded into Python (S1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404

from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.members.models import Member, MemberQuerySet
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, Sector
from jiceng.study.models import Attendance

from .models import (
    Campaign,
    CampaignUnit,
    CampaignUnitQuerySet,
    CoverageEntry,
    FourOnesItem,
    GuidanceTemplate,
    PilotLesson,
    ResponsibilityTask,
    StepRecord,
    ThemePractice,
)
from .rules import (
    CHAIN_LEVELS,
    ESCALATION_DAYS,
    Coverage,
    FourOnes,
    FourOnesState,
    Phase,
    StepState,
    TaskState,
    UnitState,
)


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
    if under.path.startswith(campaign.root_path):
        return under
    if campaign.root_path.startswith(under.path):
        return campaign.root
    raise Http404


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


# ----- pilots, guidance, chains, coverage, four ones ----------------------------------------


def _members(user: Any) -> MemberQuerySet:
    """The members on the roll that the user may see."""
    return cast(MemberQuerySet, Member.objects.visible_to(user)).on_roll()


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


def templates_for(user: Any, campaign: Campaign) -> QuerySet[GuidanceTemplate]:
    return (
        GuidanceTemplate.objects.visible_to(user).filter(campaign=campaign).select_related("owner")
    )


def unit_tasks(unit: CampaignUnit) -> QuerySet[ResponsibilityTask]:
    return unit.tasks.prefetch_related("links__org").order_by("state", "due_on")


def overdue_tasks(
    user: Any, campaign: Campaign, under: Organization
) -> QuerySet[ResponsibilityTask]:
    """Open tasks past their due date under a subtree, longest overdue first, with chains."""
    return (
        ResponsibilityTask.objects.visible_to(user)
        .filter(
            campaign=campaign,
            org_path__startswith=under.path,
            state=TaskState.OPEN,
            due_on__lt=campaign.reference_date(),
        )
        .select_related("unit__org")
        .prefetch_related("links__org")
        .order_by("due_on", "org_path")
    )


def escalated_to(user: Any, campaign: Campaign, org: Organization) -> QuerySet[ResponsibilityTask]:
    """Tasks that have climbed their chain up to ``org`` (S6): open, and overdue by at least
    ``ESCALATION_DAYS`` for each level between the unit and ``org``."""
    on = campaign.reference_date()
    q = Q(pk__in=[])
    for rank in range(1, CHAIN_LEVELS):
        threshold = on - dt.timedelta(days=ESCALATION_DAYS * rank)
        q |= Q(links__rank=rank, links__org=org, due_on__lt=threshold)
    return (
        ResponsibilityTask.objects.visible_to(user)
        .filter(q, campaign=campaign, state=TaskState.OPEN)
        .select_related("unit__org")
        .prefetch_related("links__org")
        .distinct()
        .order_by("due_on")
    )


@dataclass
class CoverageRow:
    """The "four lets" (S8) of a subtree: rates and the units still missing each."""

    units: int
    secretaries: int
    members: int
    placed: int
    attended: int  # members present at a study session during the campaign (S9)
    owners: tuple[int, int]  # entered: reached, total
    residents: tuple[int, int]
    owners_units: int  # units that entered the figure
    residents_units: int

    @staticmethod
    def _rate(n: int, d: int) -> float:
        return round(100 * n / d, 1) if d else 0.0

    @property
    def secretary_rate(self) -> float:
        return self._rate(self.secretaries, self.units)

    @property
    def member_rate(self) -> float:
        return self._rate(self.placed, self.members)

    @property
    def attended_rate(self) -> float:
        return self._rate(self.attended, self.members)

    @property
    def owner_rate(self) -> float:
        return self._rate(*self.owners)

    @property
    def resident_rate(self) -> float:
        return self._rate(*self.residents)


def coverage(user: Any, campaign: Campaign, under: Organization) -> CoverageRow:
    """Secretary in post and members taking part are computed (the organisation's secretary;
    members registered in the subtree who have a participating unit, S10); owners supporting
    and residents aware are summed from the units' entered figures, marked so (S8)."""
    units = campaign_units(user, campaign).filter(org_path__startswith=under.path)
    u = units.aggregate(
        units=Count("id"), secretaries=Count("id", filter=Q(org__secretary__isnull=False))
    )
    attended = Attendance.objects.filter(
        member=OuterRef("pk"),
        present=True,
        session__held_on__gte=campaign.starts_on,
        session__held_on__lte=campaign.ends_on,
    )
    m = (
        _members(user)
        .filter(home_path__startswith=under.path)
        .aggregate(
            members=Count("id"),
            placed=Count("id", filter=Q(participating_org__isnull=False)),
            attended=Count("id", filter=Q(Exists(attended))),
        )
    )
    entries = (
        CoverageEntry.objects.filter(unit__in=units)
        .values("indicator")
        .annotate(n=Sum("numerator"), d=Sum("denominator"), k=Count("id"))
    )
    got: dict[str, Any] = {e["indicator"]: e for e in entries}

    def pair(key: str) -> tuple[int, int]:
        e = got.get(key)
        return (e["n"], e["d"]) if e else (0, 0)

    return CoverageRow(
        units=u["units"],
        secretaries=u["secretaries"],
        members=m["members"],
        placed=m["placed"],
        attended=m["attended"],
        owners=pair(Coverage.OWNERS),
        residents=pair(Coverage.RESIDENTS),
        owners_units=got.get(Coverage.OWNERS, {}).get("k", 0),
        residents_units=got.get(Coverage.RESIDENTS, {}).get("k", 0),
    )


def coverage_missing(
    user: Any, campaign: Campaign, under: Organization, indicator: str
) -> QuerySet[CampaignUnit]:
    """The units still missing an indicator: no secretary in post, or no entered figure."""
    units = campaign_units(user, campaign).filter(org_path__startswith=under.path)
    if indicator == Coverage.SECRETARY:
        units = units.filter(org__secretary__isnull=True)
    elif indicator in (Coverage.OWNERS, Coverage.RESIDENTS):
        units = units.exclude(coverage__indicator=indicator)
    return units.select_related("org", "parent").order_by("org_path")


def four_ones_summary(user: Any, campaign: Campaign, under: Organization) -> dict[str, Any]:
    """Members of the subtree and how many have each item confirmed / waiting (S18)."""
    members = _members(user).filter(home_path__startswith=under.path)
    rows = (
        FourOnesItem.objects.visible_to(user)
        .filter(campaign=campaign, member_path__startswith=under.path)
        .values("kind")
        .annotate(
            confirmed=Count("id", filter=Q(state=FourOnesState.CONFIRMED)),
            waiting=Count("id", filter=Q(state=FourOnesState.RECORDED)),
        )
    )
    by_kind: dict[str, Any] = {r["kind"]: r for r in rows}
    complete = (
        FourOnesItem.objects.visible_to(user)
        .filter(
            campaign=campaign, member_path__startswith=under.path, state=FourOnesState.CONFIRMED
        )
        .values("member_id")
        .annotate(n=Count("id"))
        .filter(n=len(FourOnes.values))
        .count()
    )
    return {
        "members": members.count(),
        "complete": complete,
        "kinds": [
            {
                "kind": k,
                "label": str(FourOnes(k).label),
                "confirmed": by_kind.get(k, {}).get("confirmed", 0),
                "waiting": by_kind.get(k, {}).get("waiting", 0),
            }
            for k in FourOnes.values
        ],
        "waiting": sum(r["waiting"] for r in by_kind.values()),
    }


def four_ones_sheet(user: Any, campaign: Campaign, unit: CampaignUnit) -> list[dict[str, Any]]:
    """A branch's view (S18): each member registered in the unit with their four items."""
    members = list(_members(user).filter(home_org=unit.org).order_by("name"))
    items: dict[tuple[int, str], FourOnesItem] = {
        (i.member_id, i.kind): i
        for i in FourOnesItem.objects.filter(campaign=campaign, member__in=members)
    }
    return [
        {"member": m, "items": [(k, items.get((m.pk, k))) for k in FourOnes.values]}
        for m in members
    ]


def practices_for(user: Any, campaign: Campaign) -> QuerySet[ThemePractice]:
    """Theme practices the user may read: organised in their subtree or above it (S24, S25)."""
    return (
        ThemePractice.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("owner")
        .annotate(n_activities=Count("activities"))
    )


def practice_get(user: Any, pk: Any) -> ThemePractice:
    """A practice the user may record activities for: organised in or above their scope."""
    return get_visible_or_404(ThemePractice, user, pk=pk)


def member_campaign(member: Member) -> Campaign | None:
    """The latest campaign in which the member's home unit takes part."""
    return (
        Campaign.objects.filter(units__org_id=member.home_org_id)
        .order_by("-starts_on", "-id")
        .first()
    )


def own_campaign(user: Any, pk: Any) -> Campaign:
    """For a member (self-service): campaign ``pk`` if their branch takes part, else 404."""
    member = Member.objects.filter(user_id=getattr(user, "pk", None) or 0).first()
    campaign = member_campaign(member) if member else None
    if campaign is None or str(campaign.pk) != str(pk):
        raise Http404
    return campaign


def member_for_four_ones(user: Any, member_id: Any) -> Member:
    """The member an item is recorded for: oneself, or a member in the user's scope."""
    own = Member.objects.filter(pk=member_id, user_id=getattr(user, "pk", None) or 0).first()
    if own is not None:
        return own
    return get_visible_or_404(Member, user, Action.CHANGE, pk=member_id)
