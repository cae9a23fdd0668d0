"""Reads for likely duplicate members (issue 4, item 5): members of one district with the
same name (in Simplified characters, so 張/张 match) and birth date but different ID numbers,
minus the pairs an officer has judged to be two people. Scoped like every read."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse

from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.members.models import Member, MemberQuerySet
from jiceng.members.selectors import DISTRICT_PATH_LEN, members_in_subtree
from jiceng.orgs.models import Organization

from .models import DuplicateDismissal, MemberMerge
from .services import differing_fields

# Duplicates are looked for within a district (``members.selectors.above_district``: the
# grouped scan of the whole city's roll is not run on a page), a page of groups at a time.
GROUPS_PER_PAGE = 20


@dataclass
class Group:
    name: str
    birth_date: Any
    district_path: str
    members: list[Member] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)


def _members(user: Any, root: Organization) -> MemberQuerySet:
    return members_in_subtree(user, root).on_roll()


def group_keys(user: Any, root: Organization) -> QuerySet[Any]:
    """(name, birth date, district) keys held by more than one member, in the subtree."""
    return (
        _members(user, root)
        .annotate(district=Substr("home_path", 1, DISTRICT_PATH_LEN))
        .values("name_simplified", "birth_date", "district")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("district", "name_simplified", "birth_date")
    )


def key_list(user: Any, root: Organization) -> list[dict[str, Any]]:
    """``group_keys`` evaluated once (one grouped pass; the page is cut from the list rather
    than counting and slicing the grouped query twice)."""
    return list(group_keys(user, root))


def _dismissed(ids: list[int]) -> set[tuple[int, int]]:
    return set(
        DuplicateDismissal.objects.filter(member_a__in=ids, member_b__in=ids).values_list(
            "member_a", "member_b"
        )
    )


def groups(user: Any, root: Organization, keys: list[dict[str, Any]]) -> list[Group]:
    """The members of the given keys (one page), side by side; groups whose every pair was
    judged to be two people are left out."""
    if not keys:
        return []
    q = Q(pk__in=[])
    for k in keys:
        q |= Q(
            name_simplified=k["name_simplified"],
            birth_date=k["birth_date"],
            home_path__startswith=k["district"],
        )
    rows = list(
        _members(user, root)
        .filter(q)
        .select_related("home_org", "participating_org")
        .order_by("id")
    )
    dismissed = _dismissed([m.pk for m in rows])
    out: dict[tuple[Any, ...], Group] = {}
    for m in rows:
        key = (m.name_simplified, m.birth_date, m.home_path[:DISTRICT_PATH_LEN])
        out.setdefault(key, Group(*key)).members.append(m)
    result = []
    for g in out.values():
        pairs = [(a.pk, b.pk) for a, b in combinations(g.members, 2)]
        if len(g.members) < 2 or all(p in dismissed for p in pairs):
            continue
        a, b = g.members[0], g.members[1]
        g.differing = differing_fields(a, b)
        result.append(g)
    return result


def pair(user: Any, keep_pk: Any, drop_pk: Any) -> tuple[Member, Member]:
    qs = Member.objects.select_related("home_org", "participating_org")
    keep = get_visible_or_404(qs, user, Action.CHANGE, pk=keep_pk)
    drop = get_visible_or_404(qs, user, Action.CHANGE, pk=drop_pk)
    return keep, drop


def merges(user: Any) -> QuerySet[MemberMerge]:
    return MemberMerge.objects.visible_to(user).select_related("kept", "merged_by", "undone_by")


def merge_get(user: Any, pk: Any, action: str = Action.VIEW) -> MemberMerge:
    return get_visible_or_404(
        MemberMerge.objects.select_related("kept", "merged_by", "undone_by"), user, action, pk=pk
    )


def dismissal_get(user: Any, pk: Any) -> DuplicateDismissal:
    return get_visible_or_404(DuplicateDismissal.objects.all(), user, Action.CHANGE, pk=pk)


def worklist_url(root: Organization) -> str:
    return f"{reverse('members:duplicates')}?org={root.pk}"
