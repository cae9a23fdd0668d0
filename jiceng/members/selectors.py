"""Every read of the member roll, scoped to the user."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.models import RoleAssignment
from jiceng.accounts.roles import ROLE_ACTIONS
from jiceng.core import generations, tree
from jiceng.core.models import AuditEvent
from jiceng.core.scoping import Action, actor_user, can, get_visible_or_404, scope_of
from jiceng.core.text import search_terms
from jiceng.orgs.models import Organization

from .models import Member, MemberQuerySet

# The length of a district's path: rows grouped by district in SQL (``Substr(path, 1, …)``).
DISTRICT_PATH_LEN = tree.STEP * tree.DISTRICT_DEPTH


@dataclass(frozen=True)
class MemberFilters:
    """The member list's filters; the page, the API and exports share them."""

    org: Organization | None = None
    q: str = ""
    category: str = ""
    status: str = ""
    placed: str = ""  # "yes" | "no" | ""
    direct_only: bool = False


def member_list(
    user: Any, filters: MemberFilters | None = None, action: str = Action.VIEW
) -> MemberQuerySet:
    f = filters or MemberFilters()
    if f.org is not None and can(user, action, f.org.path):
        # The organisation's whole subtree lies inside the user's scope, so the subtree
        # filter alone is the scoped set (and one indexed range instead of an OR).
        qs: MemberQuerySet = Member.objects.all()
    else:
        qs = Member.objects.visible_to(user, action)  # type: ignore[assignment]
    # The roll: members transferred out of the city stay in the database (history) only.
    qs = qs.on_roll()
    if f.org is not None:
        qs = qs.filter(home_org=f.org) if f.direct_only else qs.in_subtree(f.org.path)
    if f.q:
        term, is_pinyin = search_terms(f.q)
        if term:
            qs = qs.search(term, is_pinyin=is_pinyin)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.status:
        qs = qs.filter(employment_status=f.status)
    if f.placed == "yes":
        qs = qs.filter(participating_org__isnull=False)
    elif f.placed == "no":
        qs = qs.filter(participating_org__isnull=True)
    return qs


def member_get(user: Any, pk: Any, action: str = Action.VIEW) -> Member:
    return get_visible_or_404(
        Member.objects.select_related("home_org", "participating_org", "street"),
        user,
        action,
        pk=pk,
    )


def members_in_subtree(user: Any, root: Organization, action: str = Action.VIEW) -> MemberQuerySet:
    """Members registered in ``root``'s subtree that ``user`` may see (or act on, for
    ``action``), on the roll or not. When the whole subtree lies in the user's scope the
    subtree filter alone is the scoped set: one indexed range instead of an OR over two path
    columns."""
    if can(user, action, root.path):
        qs: MemberQuerySet = Member.objects.all()
    else:
        qs = Member.objects.visible_to(user, action)  # type: ignore[assignment]
    return qs.in_subtree(root.path)


def is_own(actor: Any, member: Member) -> bool:
    """Whether ``member`` is the record of the actor's own account (self-service: a member
    records and reads their own items without a role over the branch)."""
    user = actor_user(actor)
    return user is not None and member.user_id is not None and member.user_id == user.pk


def above_district(root: Organization) -> bool:
    """Whether ``root`` lies above the districts (the city). Worklists that scan a district's
    roll (lost-contact candidates, likely duplicates) are listed per district or below: for the
    whole city the scan of two million members is not run on a page (the officer picks a
    district)."""
    return tree.depth(root.path) < tree.DISTRICT_DEPTH


def own_member(user: Any) -> Member | None:
    """The member record of this user: on the roll and linked to the account (self-service),
    or None (anonymous, or an account without one). One's own record needs no role over it,
    and a member transferred out of the city has left the roll."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Member.objects.on_roll()
        .filter(user=user)
        .select_related("home_org", "participating_org")
        .first()
    )


def members_by_child(root: Organization) -> list[dict[str, Any]]:
    """Members registered under each direct sub-unit of ``root``, with how many are not yet
    placed (S10): one grouped query over the path prefix, cached for five minutes (and
    computed afresh when a unit is renamed, moved, founded, merged or abolished, or the roll
    changes)."""
    key = generations.cache_key(
        "members_by_child",
        root.path,
        generations.generation(generations.ORG_TREE),
        generations.generation(generations.ROLL),
    )
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    cut = tree.child_length(root.path)
    rows = (
        Member.objects.filter(home_path__startswith=root.path, transferred_out_on__isnull=True)
        .annotate(unit=Substr("home_path", 1, cut))
        .values("unit")
        .annotate(
            n=Count("home_path"),
            unplaced=Count("home_path", filter=Q(participating_org__isnull=True)),
        )
        .order_by()
    )
    names = dict(
        Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1).values_list(
            "path", "name"
        )
    )
    data = sorted(
        (
            {"name": names.get(r["unit"], root.name), "members": r["n"], "unplaced": r["unplaced"]}
            for r in rows
        ),
        key=lambda d: -d["members"],
    )
    cache.set(key, data, 300)
    return data


def home_figures(user: Any) -> dict[str, Any]:
    """The home page's figures of the roll (``core.home``): members on the roll in the
    user's scope, how many are not yet placed, the chart of the first top unit's sub-units,
    and the user's own member record."""
    scope = scope_of(user, Action.VIEW)
    paths = scope.paths
    first_root = Organization.objects.filter(path__in=paths).first()
    if paths:
        counts, refreshing = member_counts_cached(user, paths)
    else:  # a member's own count is not cached
        counts, refreshing = _member_counts(user), False
    return {
        "member_count": counts[0],
        "unplaced_count": counts[1],
        "chart": members_by_child(first_root) if first_root else [],
        "own_member": own_member(user),
        "member_counts_refreshing": refreshing,
    }


# How long an officer's counts are taken as they are, and how long old counts may be shown
# while new ones are counted in the background.
COUNTS_FRESH_SECONDS = 300
COUNTS_KEPT_SECONDS = 86400


def _member_counts(user: Any) -> tuple[int, int]:
    members = Member.objects.visible_to(user).filter(transferred_out_on__isnull=True)
    return members.count(), unplaced_count(user)


def _counts_key(paths: tuple[str, ...]) -> str:
    return generations.cache_key("home_member_counts", ",".join(paths))


def member_counts_refresh(user: Any) -> tuple[int, int]:
    """Count the members on the roll and those not placed in the user's scope afresh and keep
    them with the roll's generation (the task ``members.tasks.refresh_home_counts`` runs it)."""
    paths = scope_of(user, Action.VIEW).paths
    generation = generations.generation(generations.ROLL)
    counts = _member_counts(user)
    cache.set(_counts_key(paths), (generation, time.time(), counts), COUNTS_KEPT_SECONDS)
    cache.delete(_counts_key(paths) + ":refreshing")
    return counts


def member_counts_cached(user: Any, paths: tuple[str, ...]) -> tuple[tuple[int, int], bool]:
    """An officer's member counts for the home page, and whether they are being recounted.

    A city's two million members take seconds to count, and every write that moves a member
    in or out of a unit changes the roll's generation (``ROLL``). So the counts are kept with
    the generation they were counted at: the same generation within five minutes is served
    as is; older counts are served at once, marked as being updated, while the task worker
    counts them afresh (one recount at a time per scope); only a scope never counted (or
    whose counts were dropped from the cache) is counted during the request."""
    from jiceng.members import tasks

    key = _counts_key(paths)
    entry = cache.get(key)
    current = generations.generation(generations.ROLL)
    if entry is None:
        return member_counts_refresh(user), False
    generation, counted_at, counts = entry
    if generation == current and time.time() - counted_at < COUNTS_FRESH_SECONDS:
        return counts, False
    if cache.add(key + ":refreshing", 1, 120):
        tasks.refresh_home_counts.enqueue(user.pk)
        entry = cache.get(key)  # a worker in this process (tests, a lone site) has finished
        if entry is not None and entry[0] == current:
            return entry[2], False
    return counts, True


def unplaced_count(user: Any) -> int:
    """On-roll members in the user's scope without a participating unit (S10). Such a member
    has no participating path, so an officer sees them only through their home path: the count
    reads the partial index ``member_unplaced`` alone (a district of 200,000 members in a few
    milliseconds, where the general scope filter, home OR participating path, scanned the
    district's members: 120 ms on the bench database)."""
    paths = scope_of(user, Action.VIEW).paths
    unplaced = Member.objects.filter(
        transferred_out_on__isnull=True, participating_org__isnull=True
    )
    if not paths:  # a member: their own record, if it is theirs to see
        return unplaced.filter(pk__in=Member.objects.visible_to(user).values("pk")).count()
    home = Q(pk__in=[])
    for prefix in paths:
        home |= Q(home_path__startswith=prefix)
    return unplaced.filter(home).count()


# Who read my ID number (issue 18 item 5): a member sees the reveals of their own record.
REVEAL_FIELD_LABELS = {"公民身份号码": _("公民身份号码"), "联系电话": _("联系电话")}


@dataclass(frozen=True)
class ReadRow:
    """One reveal of the member's record, as the member sees it."""

    at: Any
    officer: str
    role: str
    unit: str
    field: str


def own_reads(member: Member) -> QuerySet[AuditEvent]:
    """The audit rows revealing ``member``'s ID number or phone, newest first (the index on
    object type, object id and time). The caller has established that the record is the
    user's own (``own_member``); reading this list is not itself a reveal."""
    return (
        AuditEvent.objects.filter(
            verb=AuditEvent.Verb.REVEAL,
            object_type=Member._meta.label_lower,
            object_id=str(member.pk),
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )


def read_rows(events: Iterable[AuditEvent]) -> list[ReadRow]:
    """Each reveal with the officer's name and the role and unit under which they read it:
    the role assignment holding REVEAL over the member's organisation at that moment (the
    row's ``org_path``), else one they held then, else their current one."""
    events = list(events)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    assignments: dict[int, list[RoleAssignment]] = {}
    for a in RoleAssignment.objects.filter(user_id__in=actor_ids).select_related("organization"):
        assignments.setdefault(a.user_id, []).append(a)
    rows = []
    for e in events:
        held = [
            a
            for a in assignments.get(e.actor_id or 0, [])
            if a.granted_at <= e.at and (a.withdrawn_at is None or a.withdrawn_at > e.at)
        ]
        revealing = [
            a
            for a in held
            if Action.REVEAL in ROLE_ACTIONS.get(a.role, frozenset())
            and e.org_path.startswith(a.organization.path)
        ]
        candidates = revealing or held
        chosen = min(candidates, key=lambda a: a.organization.depth) if candidates else None
        label = next((v for k, v in REVEAL_FIELD_LABELS.items() if k in e.note), e.note)
        rows.append(
            ReadRow(
                at=e.at,
                officer=str(e.actor) if e.actor else e.actor_repr,
                role=chosen.get_role_display() if chosen else "",
                unit=chosen.organization.name if chosen else "",
                field=str(label),
            )
        )
    return rows
