"""Reads for placement (S10): the unplaced-members worklist of a subtree, its counts, and the
suggested unit for each member of a page. Everything is scoped with ``visible_to``; counts
are aggregates over the indexed path prefix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import tree
from jiceng.core.notices import Notice, near
from jiceng.core.scoping import Action, scope_of
from jiceng.members.models import Member, MemberQuerySet
from jiceng.members.selectors import members_in_subtree
from jiceng.orgs.models import Organization

from .rules import PLACEMENT_TYPES, Candidate, Pool, Suggestion, Unit, capacity, suggest


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


def suggestions_for(members: Sequence[Member], *, user: Any = None) -> dict[int, Suggestion]:
    """The suggested unit for each member (in order, so earlier members take seats first),
    among the units ``user`` can see. ``members`` need ``street`` and ``home_org`` loaded."""
    if not members:
        return {}
    pool = _unit_pool({tree.district_path(m.home_path) for m in members}, user)
    return {s.member_id: s for s in suggest([_candidate(m) for m in members], pool)}


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
