"""Every read of the needy-people registry, from ``visible_to``. Categories are filtered and
counted only inside the reader's outreach scope: a reader without outreach rights never learns
which person is in which category, not even by a count or a filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from jiceng.core.models import name_search_q
from jiceng.core.scoping import Action, get_visible_or_404, scope_of, scope_q

from .models import NeedyCategory, NeedyPerson
from .rules import NeedyStatus


def needy_list(
    user: Any,
    *,
    q: str = "",
    status: str = NeedyStatus.ACTIVE,
    street_org: Any = None,
    category: Any = None,
) -> QuerySet[NeedyPerson]:
    """The registrations the user may see (merged ones never), newest status first within
    their street. ``category`` filters only within the user's outreach scope."""
    people = NeedyPerson.objects.visible_to(user).filter(merged_into__isnull=True)
    if status:
        people = people.filter(status=status)
    if street_org is not None:
        people = people.filter(path__startswith=street_org.path)
    if q:
        people = people.filter(name_search_q(q))
    if category:
        people = people.filter(outreach_q(user), categories=category)
    return people.select_related("street_org")


def outreach_q(user: Any) -> Q:
    """The registrations whose categories and health ``user`` may read (outreach rights over
    their street or their paired branch)."""
    return scope_q(NeedyPerson, scope_of(user, Action.OUTREACH))


def needy_get(user: Any, pk: int, action: str = Action.VIEW) -> NeedyPerson:
    return get_visible_or_404(
        NeedyPerson.objects.select_related("street_org", "street", "registered_by"),
        user,
        action,
        pk=pk,
    )


def categories(*, active_only: bool = True) -> QuerySet[NeedyCategory]:
    rows = NeedyCategory.objects.all()
    return rows.filter(active=True) if active_only else rows


@dataclass(frozen=True)
class CategoryCount:
    category: NeedyCategory
    people: int


def category_counts(user: Any) -> list[CategoryCount]:
    """Active needy people by category, inside the user's outreach scope only (empty without
    outreach rights)."""
    scope = scope_of(user, Action.OUTREACH)
    if scope.is_empty:
        return []
    rows = (
        NeedyPerson.objects.filter(scope_q(NeedyPerson, scope))
        .filter(status=NeedyStatus.ACTIVE, merged_into__isnull=True)
        .values("categories")
        .annotate(n=Count("id", distinct=True))
    )
    counts = {row["categories"]: row["n"] for row in rows if row["categories"]}
    return [CategoryCount(c, counts.get(c.pk, 0)) for c in categories(active_only=False)]


def street_counts(user: Any) -> list[dict[str, Any]]:
    """Active needy people and households' members by street, for the registry's summary."""
    rows = (
        NeedyPerson.objects.visible_to(user)
        .filter(status=NeedyStatus.ACTIVE, merged_into__isnull=True)
        .values("street_org__pk", "street_org__name")
        .annotate(people=Count("id"))
        .order_by("street_org__name")
    )
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class DuplicatePair:
    first: NeedyPerson
    second: NeedyPerson
    reason: str


def likely_duplicates(user: Any, *, limit: int = 200) -> list[DuplicatePair]:
    """Pairs of registrations (both visible to the user, neither merged) that are likely one
    household: the same ID number (by its blind index), or the same name at the same
    address."""
    people = NeedyPerson.objects.visible_to(user).filter(merged_into__isnull=True)
    pairs: list[DuplicatePair] = []
    seen: set[tuple[int, int]] = set()
    by_id = (
        people.exclude(id_number_index="")
        .values("id_number_index")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("id_number_index", flat=True)[:limit]
    )
    by_name = (
        people.values("name_simplified", "address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("name_simplified", "address")[:limit]
    )
    groups: list[tuple[QuerySet[NeedyPerson], str]] = [
        (people.filter(id_number_index=index), "公民身份号码相同") for index in by_id
    ]
    groups += [
        (people.filter(name_simplified=name, address=address), "同名同住址")
        for name, address in by_name
    ]
    for group, reason in groups:
        rows = list(group.select_related("street_org").order_by("id"))
        for later in rows[1:]:
            key = (rows[0].pk, later.pk)
            if key not in seen:
                seen.add(key)
                pairs.append(DuplicatePair(rows[0], later, reason))
    return pairs[:limit]
