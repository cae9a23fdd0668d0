"""Stored "four ones" counts (S18, issue 22): ``FourOnesTally`` (per campaign, member path and
kind: confirmed, waiting) and ``FourOnesComplete`` (a member with all four confirmed, at the
longest path common to the four items). The members' summary sums them over a subtree.

Rows are written only by a *recount* of given paths and members from the items, in the
transaction of the write: ``four_ones_record`` and ``four_ones_confirm`` recount the item's
path before and after and its member; a member merge or move reaches here through
``jiceng.orgs.tallies`` (the paths of the units concerned and their members).
``manage.py totals`` rebuilds and checks every row.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet

from jiceng.campaigns.progress.models import Campaign
from jiceng.members.models import Member
from jiceng.orgs.models import Organization
from jiceng.study.totals import lock_units

from .models import FourOnesComplete, FourOnesItem, FourOnesTally
from .rules import FourOnes, FourOnesState

KindKey = tuple[int, str, str]  # (campaign id, path, kind)
MemberKey = tuple[int, int]  # (campaign id, member id)
LOCK_NAMESPACE = 2203


def common_path(paths: Iterable[str]) -> str:
    """The longest prefix common to ``paths``: a member counts as complete under a subtree
    exactly when every item's path starts with the subtree's, i.e. when this one does.

    >>> common_path(["00010002", "00010003"])
    '0001000'
    """
    ordered = sorted(paths)
    if not ordered:
        return ""
    # the prefix common to a set of strings is that of its least and greatest
    low, high = ordered[0], ordered[-1]
    n = 0
    while n < min(len(low), len(high)) and low[n] == high[n]:
        n += 1
    return low[:n]


def counted_kinds(paths: Collection[str] | None = None) -> dict[KindKey, tuple[int, int]]:
    if paths is not None:  # per campaign: the items' index is (campaign, member_path)
        out: dict[KindKey, tuple[int, int]] = {}
        for campaign_id in Campaign.objects.values_list("pk", flat=True):
            items = FourOnesItem.objects.filter(campaign_id=campaign_id, member_path__in=paths)
            out |= _counted_kinds(items)
        return out
    return _counted_kinds(FourOnesItem.objects.all())


def _counted_kinds(items: QuerySet[FourOnesItem]) -> dict[KindKey, tuple[int, int]]:
    rows = (
        items.order_by()
        .values("campaign_id", "member_path", "kind")
        .annotate(
            confirmed=Count("id", filter=Q(state=FourOnesState.CONFIRMED)),
            waiting=Count("id", filter=Q(state=FourOnesState.RECORDED)),
        )
    )
    return {
        (r["campaign_id"], r["member_path"], r["kind"]): (r["confirmed"], r["waiting"])
        for r in rows
        if r["confirmed"] or r["waiting"]
    }


def counted_complete(member_ids: Collection[int] | None = None) -> dict[MemberKey, str]:
    items = FourOnesItem.objects.filter(state=FourOnesState.CONFIRMED)
    if member_ids is not None:
        items = items.filter(member_id__in=member_ids)
    rows = (
        items.order_by()
        .values("campaign_id", "member_id")
        .annotate(n=Count("id"), low=Min("member_path"), high=Max("member_path"))
        .filter(n=len(FourOnes.values))
    )
    return {(r["campaign_id"], r["member_id"]): common_path([r["low"], r["high"]]) for r in rows}


def stored_kinds(paths: Collection[str] | None = None) -> dict[KindKey, tuple[int, int]]:
    rows = FourOnesTally.objects.all()
    if paths is not None:
        rows = rows.filter(path__in=paths)
    return {
        (c, p, k): (n, w)
        for c, p, k, n, w in rows.values_list("campaign_id", "path", "kind", "confirmed", "waiting")
    }


def stored_complete(member_ids: Collection[int] | None = None) -> dict[MemberKey, str]:
    rows = FourOnesComplete.objects.all()
    if member_ids is not None:
        rows = rows.filter(member_id__in=member_ids)
    return {(c, m): p for c, m, p in rows.values_list("campaign_id", "member_id", "path")}


def _write_kinds(figures: dict[KindKey, tuple[int, int]], paths: Collection[str] | None) -> None:
    rows = (
        FourOnesTally.objects.all()
        if paths is None
        else FourOnesTally.objects.filter(path__in=paths)
    )
    rows.delete()
    FourOnesTally.objects.bulk_create(
        [
            FourOnesTally(campaign_id=c, path=p, kind=k, confirmed=n, waiting=w)
            for (c, p, k), (n, w) in figures.items()
        ],
        batch_size=5_000,
    )


def _write_complete(figures: dict[MemberKey, str], member_ids: Collection[int] | None) -> None:
    rows = (
        FourOnesComplete.objects.all()
        if member_ids is None
        else FourOnesComplete.objects.filter(member_id__in=member_ids)
    )
    rows.delete()
    FourOnesComplete.objects.bulk_create(
        [FourOnesComplete(campaign_id=c, member_id=m, path=p) for (c, m), p in figures.items()],
        batch_size=5_000,
    )


def recount(*, paths: Iterable[str] = (), member_ids: Iterable[int] = ()) -> None:
    """Rewrite the counts of the items at exactly these member paths and the completeness of
    these members, from the items. Call inside the transaction of the write."""
    path_set, member_set = {p for p in paths if p}, set(member_ids)
    if path_set:
        # one lock per path (its CRC), so a concurrent recount of the same path waits
        lock_units(LOCK_NAMESPACE, [zlib.crc32(p.encode()) & 0x7FFFFFFF for p in path_set])
        _write_kinds(counted_kinds(path_set), path_set)
    if member_set:
        _write_complete(counted_complete(member_set), member_set)


def recount_units(org_ids: Collection[int]) -> None:
    """The roll of these units changed (``jiceng.orgs.tallies``): recount their paths and the
    completeness of their members."""
    paths = list(Organization.objects.filter(pk__in=org_ids).values_list("path", flat=True))
    members = set(Member.objects.filter(home_org__in=org_ids).values_list("pk", flat=True))
    # and whoever is counted complete there (a member merged away no longer exists)
    members |= set(
        FourOnesComplete.objects.filter(path__in=paths).values_list("member_id", flat=True)
    )
    recount(paths=paths, member_ids=members)


def rebuild() -> int:
    """Every row recounted (call inside a transaction). Returns the rows written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (FourOnesTally, FourOnesComplete):
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    kinds, complete = counted_kinds(), counted_complete()
    _write_kinds(kinds, None)
    _write_complete(complete, None)
    return len(kinds) + len(complete)


def differences() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    want, have = counted_kinds(), stored_kinds()
    for key in sorted(set(want) | set(have)):
        if want.get(key, (0, 0)) != have.get(key, (0, 0)):
            out.append({"four_ones": key, "stored": have.get(key), "recount": want.get(key)})
    want_c, have_c = counted_complete(), stored_complete()
    for mkey in sorted(set(want_c) | set(have_c)):
        if want_c.get(mkey) != have_c.get(mkey):
            out.append({"complete": mkey, "stored": have_c.get(mkey), "recount": want_c.get(mkey)})
    return out
