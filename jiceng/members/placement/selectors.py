"""Reads for placement (S10): the unplaced-members worklist of a subtree, its counts, and the
suggested unit for each member of a page. Everything is scoped with ``visible_to``; counts
are aggregates over the indexed path prefix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import generations, tree
from jiceng.core.notices import Notice, near
from jiceng.core.scoping import Action, can, scope_of
from jiceng.members.models import Member, MemberQuerySet
from jiceng.members.selectors import members_in_subtree
from jiceng.orgs.models import Organization

from .rules import (
    PLACEMENT_TYPES,
    PLAN_GENERATION,
    Candidate,
    Pool,
    Suggestion,
    Unit,
    capacity,
    plan,
    suggest,
)


def unplaced(user: Any, root: Organization, action: str = Action.VIEW) -> MemberQuerySet:
    """On-roll members registered in ``root``'s subtree without a participating unit, in tree
    order (one ordered range of the ``home_path, id`` index)."""
    return (
        members_in_subtree(user, root, action)
        .on_roll()
        .filter(participating_org__isnull=True)
        .order_by("home_path", "id")
    )


def unplaced_by_child(user: Any, root: Organization) -> list[dict[str, Any]]:
    """Unplaced members under each direct sub-unit of ``root`` (where an officer should go
    next), largest first; one grouped query."""
    cut = tree.child_length(root.path)
    rows = (
        unplaced(user, root)
        .annotate(unit=Substr("home_path", 1, cut))
        .values("unit")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["unit"]: r["n"] for r in rows}
    children = Organization.objects.filter(path__in=counts.keys()).only("id", "name", "path")
    by_path = {o.path: o for o in children}
    out = [
        {"org": by_path.get(path), "path": path, "unplaced": n}
        for path, n in counts.items()
        if path != root.path
    ]
    if root.path in counts:  # members registered directly in the root unit
        out.append({"org": root, "path": root.path, "unplaced": counts[root.path]})
    return sorted(out, key=lambda r: -r["unplaced"])


def _unit_pool(district_paths: set[str], user: Any = None) -> Pool:
    """Units members take part in, in the given districts (and visible to ``user``, who must
    be able to see the unit they place a member at), with the room each has left: its
    capacity minus the on-roll members taking part there (one grouped index-only count)."""
    q = Q(pk__in=[])
    for p in district_paths:
        q |= Q(path__startswith=p)
    units = Organization.objects.visible_to(user) if user is not None else Organization.objects
    orgs = (
        units.filter(q, abolished_on__isnull=True, org_type__in=PLACEMENT_TYPES)
        .order_by("path")
        .values_list("id", "name", "path", "lat", "lng", "org_type")
    )
    mq = Q(pk__in=[])
    for p in district_paths:
        mq |= Q(participating_path__startswith=p)
    # Members transferred out of the city have no participating unit (transfer completion
    # clears it), so this needs no roll filter and is an index-only scan of member_part_path.
    taken = dict(
        Member.objects.filter(mq)
        .values_list("participating_path")
        .annotate(n=Count("participating_path"))
        .order_by()
    )
    return Pool(
        Unit(pk, name, path, lat, lng, capacity(kind) - taken.get(path, 0))
        for pk, name, path, lat, lng, kind in orgs
    )


def _candidate(m: Member) -> Candidate:
    lat, lng = m.lat, m.lng
    if lat is None or lng is None:
        street = m.street
        if street is not None:
            lat, lng = street.lat, street.lng
        elif m.home_org.lat is not None:
            lat, lng = m.home_org.lat, m.home_org.lng
    return Candidate(
        id=m.pk,
        home_org_id=m.home_org_id,
        employment_status=m.employment_status,
        entrusted=m.entrusted,
        lat=lat,
        lng=lng,
        district_path=tree.district_path(m.home_path),
    )


# The district plans are cached under ``rules.PLAN_GENERATION`` (bumped by every placement) and
# the tree's (a unit founded, moved or abolished), and for at most ``PLAN_SECONDS`` besides,
# since a member registered or transferred meanwhile changes the worklist without a placement.
PLAN_SECONDS = 300


def _district_candidates(user: Any, district_path: str) -> list[Candidate]:
    """Every unplaced on-roll member of the district that ``user`` sees (all of them for the
    system), in worklist order, as the plan needs them: one range of the partial index."""
    qs: Any = Member.objects.all()
    if user is not None and not can(user, Action.VIEW, district_path):
        qs = Member.objects.visible_to(user)
    rows = (
        qs.filter(
            home_path__startswith=district_path,
            participating_org__isnull=True,
            transferred_out_on__isnull=True,
        )
        .order_by("home_path", "id")
        .values_list(
            "id",
            "home_org_id",
            "employment_status",
            "entrusted",
            "lat",
            "lng",
            "street_id",
            "street__lat",
            "street__lng",
            "home_org__lat",
            "home_org__lng",
        )
    )
    out = []
    for pk, home_id, status, entrusted, lat, lng, street, s_lat, s_lng, h_lat, h_lng in rows:
        if lat is None or lng is None:  # as ``_candidate``: the street's centre, else the unit's
            lat, lng = (s_lat, s_lng) if street is not None else (h_lat, h_lng)
        out.append(Candidate(pk, home_id, status, entrusted, lat, lng, district_path))
    return out


def district_plan(user: Any, district_path: str, *, fresh: bool = False) -> dict[int, Suggestion]:
    """The suggestion for every unplaced member of a district that ``user`` sees, among the
    units they see: the optimal capacitated assignment of them all (``rules.plan``), so a
    page's suggestions are what accepting the whole worklist places. Cached (see
    ``PLAN_GENERATION``); ``fresh`` computes it anew (the services, before they write)."""
    scope = scope_of(user, Action.VIEW).paths if user is not None else ("*",)
    key = generations.cache_key(
        "placement-plan",
        district_path,
        ",".join(scope),
        generations.generation(PLAN_GENERATION),
        generations.generation(generations.ORG_TREE),
    )
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return dict(cached)
    candidates = _district_candidates(user, district_path)
    pool = _unit_pool({district_path}, user)
    result = {s.member_id: s for s in plan(candidates, pool)}
    cache.set(key, result, PLAN_SECONDS)
    return result


def suggestions_for(
    members: Sequence[Member], *, user: Any = None, fresh: bool = False
) -> dict[int, Suggestion]:
    """The suggested unit for each member: their line of their district's plan
    (``district_plan``), the same whichever page or batch they are shown or accepted in. A
    member not in a cached plan (registered since) has the plan computed anew."""
    out: dict[int, Suggestion] = {}
    by_district: dict[str, list[Member]] = {}
    for m in members:
        by_district.setdefault(tree.district_path(m.home_path), []).append(m)
    for district, rows in by_district.items():
        found = district_plan(user, district, fresh=fresh)
        if any(m.pk not in found for m in rows) and not fresh:
            found = district_plan(user, district, fresh=True)
        for m in rows:
            if m.pk in found:
                out[m.pk] = found[m.pk]
            else:  # not on the worklist the user sees: the rule for this member alone
                pool = _unit_pool({district}, user)
                out[m.pk] = suggest([_candidate(m)], pool)[0]
    return out


def page_members(qs: MemberQuerySet) -> MemberQuerySet:
    return qs.select_related("street", "home_org")


def placement_history(member: Member) -> Any:
    return member.placements.select_related("org", "placed_by").order_by("-placed_at", "-id")


def placement_notices(user: Any) -> list[Notice]:
    """The bell: members of the user's own units (and their direct sub-units) who have no
    participating unit yet (S10); the subtree's total is on the home page."""
    if not scope_of(user, Action.CHANGE).paths:
        return []
    n = (
        Member.objects.visible_to(user, Action.CHANGE)
        .filter(
            near(user, "home_org__path", "home_org__depth"),
            transferred_out_on__isnull=True,
            participating_org__isnull=True,
        )
        .count()
    )
    return [
        Notice("placement.unplaced", _("未落实参加活动单位的党员"), n, reverse("members:unplaced"))
    ]
