"""Every read of planning, scoped by the plan's root (``Plan.root_path``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet

from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import Organization
from jiceng.outreach.registry.models import NeedyPerson

from .models import Plan, PlanAssignment, PlanBranch, PlanPairing
from .rules import AFFINITY_PAIRS, MAP_MEMBERS, Affinity, PlanKind, PlanState


def plan_list(user: Any, action: str = Action.VIEW) -> QuerySet[Plan]:
    return Plan.objects.visible_to(user, action).select_related("root", "created_by")


def plan_get(user: Any, pk: Any, action: str = Action.VIEW) -> Plan:
    return get_visible_or_404(
        Plan.objects.select_related("root", "target", "created_by", "applied_by"),
        user,
        action,
        pk=pk,
    )


def plan_branches(plan: Plan) -> QuerySet[PlanBranch]:
    return plan.branches.select_related("org", "site", "district").order_by("index")


def plan_assignments(plan: Plan) -> QuerySet[PlanAssignment]:
    return plan.assignments.select_related("member", "branch", "previous_org", "transfer").order_by(
        "branch__index", "member__name"
    )


def plan_pairings(plan: Plan) -> QuerySet[PlanPairing]:
    """A pairing plan's people, paired ones by branch, then the unpaired (S26)."""
    return plan.pairings.select_related("needy", "needy__street_org", "branch").order_by(
        F("branch__index").asc(nulls_last=True), "needy__name_pinyin", "needy_id"
    )


def pair_branches(plan: Plan) -> QuerySet[PlanBranch]:
    """A pairing plan's branches holding someone, the fullest first."""
    return plan_branches(plan).filter(size__gt=0).order_by("-size", "index")


def farther_members(plan: Plan) -> QuerySet[PlanAssignment]:
    """Members whose home-to-branch distance grows under the plan, most first."""
    return (
        plan_assignments(plan)
        .filter(distance_m__gt=F("previous_distance_m"))
        .annotate(growth=F("distance_m") - F("previous_distance_m"))
        .order_by("-growth")
    )


# Homes are drawn to 3 decimals (about 100 m): enough to see where members cluster, not to
# find a door (members' addresses are personal data, PIPL).
MAP_DECIMALS = 3


def map_data(plan: Plan) -> dict[str, Any]:
    """What the plan's map draws: branches, and up to ``MAP_MEMBERS`` homes with their
    branch (the member's home, else the street's centre), rounded to ``MAP_DECIMALS``."""
    if plan.kind == PlanKind.PAIR:
        return _pair_map_data(plan)
    branches = [
        {"i": b.index, "name": b.name, "lat": b.lat, "lng": b.lng, "size": b.size}
        for b in plan.branches.order_by("index")
    ]
    rows = plan.assignments.values_list(
        "branch__index",
        "member__lat",
        "member__lng",
        "member__street__lat",
        "member__street__lng",
        "distance_m",
    ).order_by("id")[:MAP_MEMBERS]
    homes = []
    for b, lat, lng, slat, slng, d in rows:
        la, ln = (lat, lng) if lat is not None and lng is not None else (slat, slng)
        if la is None or ln is None:
            continue
        homes.append([round(ln, MAP_DECIMALS), round(la, MAP_DECIMALS), b, round(d)])
    return {
        "branches": branches,
        "homes": homes,
        "total": plan.summary.get("members", len(homes)),
    }


def _pair_map_data(plan: Plan) -> dict[str, Any]:
    """A pairing plan's map: its branches holding someone, and up to ``MAP_MEMBERS`` people
    (home, else the street's centre, rounded) with their branch's index, -1 when unpaired."""
    branches = [
        {"i": b.index, "name": b.name, "lat": b.lat, "lng": b.lng, "size": b.size}
        for b in plan.branches.filter(size__gt=0).order_by("index")
    ]
    rows = plan.pairings.values_list(
        "branch__index",
        "needy__lat",
        "needy__lng",
        "needy__street__lat",
        "needy__street__lng",
        "distance_m",
    ).order_by("id")[:MAP_MEMBERS]
    homes = []
    for b, lat, lng, slat, slng, d in rows:
        la, ln = (lat, lng) if lat is not None and lng is not None else (slat, slng)
        if la is None or ln is None:
            continue
        homes.append(
            [
                round(ln, MAP_DECIMALS),
                round(la, MAP_DECIMALS),
                -1 if b is None else b,
                None if d is None else round(d),
            ]
        )
    return {"branches": branches, "homes": homes, "total": plan.summary.get("people", len(homes))}


def comparable(user: Any, plan: Plan) -> QuerySet[Plan]:
    """Other plans of the same kind and root that have a result, for the comparison."""
    return (
        plan_list(user)
        .filter(root=plan.root, kind=plan.kind, state__in=[PlanState.READY, PlanState.APPLIED])
        .exclude(pk=plan.pk)
    )


# ----- comparing two pairing plans (S26) --------------------------------------------------------
@dataclass
class PairFigures:
    """What matters when choosing between pairing plans, for one plan: who is paired, how
    far, how branches are loaded, and (for a reader with outreach rights) how many people of
    an affinity's category went to a branch of its sector."""

    people: int = 0
    paired: int = 0
    unpaired: int = 0
    branches: int = 0
    branches_total: int = 0
    mean_km: float = 0.0
    max_km: float = 0.0
    load_min: int = 0
    load_mean: float = 0.0
    load_max: int = 0
    full: int = 0
    affinity_met: int | None = None
    affinity_people: int | None = None

    @property
    def paired_percent(self) -> float | None:
        return round(100 * self.paired / self.people, 1) if self.people else None


@dataclass
class PairComparison:
    """Two pairing plans side by side: their figures, the people both plans hold and how many
    of them go to a different branch (or are paired in one only), and each branch's load."""

    a: PairFigures
    b: PairFigures
    common: int
    differ: int
    loads: list[tuple[str, int, int]] = field(default_factory=list)  # branch, load in a, in b


def affinity_pairs(keys: Any) -> set[tuple[str, str]]:
    """The (needy category, branch sector) pairs behind the affinity choices ``keys``."""
    return {pair for key in keys for pair in AFFINITY_PAIRS.get(key, ())}


def _pair_figures(plan: Plan, pairs: set[tuple[str, str]] | None) -> PairFigures:
    rows = list(plan.pairings.values_list("needy_id", "branch__org_id", "distance_m"))
    paired = [(n, o, d or 0.0) for n, o, d in rows if o is not None]
    sizes = [
        (size, capacity)
        for size, capacity in plan.branches.filter(size__gt=0).values_list("size", "capacity")
    ]
    figures = PairFigures(
        people=len(rows),
        paired=len(paired),
        unpaired=len(rows) - len(paired),
        branches=len(sizes),
        branches_total=plan.branches.count(),
        mean_km=round(sum(d for *_x, d in paired) / len(paired) / 1000, 3) if paired else 0.0,
        max_km=round(max(d for *_x, d in paired) / 1000, 3) if paired else 0.0,
        load_min=min((s for s, _c in sizes), default=0),
        load_mean=round(sum(s for s, _c in sizes) / len(sizes), 2) if sizes else 0.0,
        load_max=max((s for s, _c in sizes), default=0),
        full=sum(1 for s, c in sizes if s >= c),
    )
    if pairs is None:
        return figures
    wanted = {category for category, _sector in pairs}
    categories: dict[int, set[str]] = {}
    for needy_id, code in NeedyPerson.categories.through.objects.filter(
        needyperson_id__in=plan.pairings.values("needy_id"), needycategory__code__in=wanted
    ).values_list("needyperson_id", "needycategory__code"):
        categories.setdefault(needy_id, set()).add(code)
    sectors = dict(
        Organization.objects.filter(
            pk__in=plan.branches.exclude(org=None).values("org_id")
        ).values_list("pk", "sector")
    )
    branch_of = {n: o for n, o, _d in rows}
    figures.affinity_people = len(categories)
    figures.affinity_met = sum(
        1
        for needy_id, codes in categories.items()
        if branch_of.get(needy_id) is not None
        and any((code, sectors.get(branch_of[needy_id])) in pairs for code in codes)
    )
    return figures


def pair_compare(a: Plan, b: Plan, *, with_categories: bool) -> PairComparison:
    """Two pairing plans compared (S26). Affinity is measured by the affinities either plan
    chose (all the presets when neither chose one), the same yardstick for both; only when
    ``with_categories`` (the reader has outreach rights: the figure reads people's
    categories, PIPL art. 28)."""
    pairs = (
        affinity_pairs(set(a.affinity) | set(b.affinity) or Affinity.values)
        if with_categories
        else None
    )
    branch_a = dict(a.pairings.values_list("needy_id", "branch__org_id"))
    branch_b = dict(b.pairings.values_list("needy_id", "branch__org_id"))
    common = set(branch_a) & set(branch_b)
    loads: dict[int | None, list[Any]] = {}
    for i, plan in enumerate((a, b)):
        for org_id, name, size in plan.branches.filter(size__gt=0).values_list(
            "org_id", "name", "size"
        ):
            row = loads.setdefault(org_id, [name, 0, 0])
            row[1 + i] = size
    return PairComparison(
        a=_pair_figures(a, pairs),
        b=_pair_figures(b, pairs),
        common=len(common),
        differ=sum(1 for n in common if branch_a[n] != branch_b[n]),
        loads=sorted(
            ((str(name), x, y) for name, x, y in loads.values()),
            key=lambda r: (-max(r[1], r[2]), r[0]),
        ),
    )
