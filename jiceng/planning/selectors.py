"""Every read of planning, scoped by the plan's root (``Plan.root_path``)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from jiceng.core.scoping import Action, get_visible_or_404

from .models import Plan, PlanAssignment, PlanBranch, PlanPairing
from .rules import MAP_MEMBERS, PlanKind, PlanState


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
