"""Every read of the organisation tree, scoped to the user."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Count, Q

from jiceng.core.scoping import Action, ScopedQuerySet, get_visible_or_404, scope_of
from jiceng.core.text import search_terms

from .models import Organization, OrganizationQuerySet, OrgType


def organization_list(user: Any, action: str = Action.VIEW) -> OrganizationQuerySet:
    return Organization.objects.visible_to(user, action)


def organization_get(user: Any, pk: Any, action: str = Action.VIEW) -> Organization:
    return get_visible_or_404(
        Organization.objects.select_related("district", "street", "secretary"), user, action, pk=pk
    )


def tree_roots(user: Any) -> OrganizationQuerySet:
    """The top of what the user sees: the units of their assignments (narrowest prefixes)."""
    paths = scope_of(user, Action.VIEW).paths
    return Organization.objects.filter(path__in=paths).order_by("path")


def tree_children(user: Any, parent: Organization) -> ScopedQuerySet:
    return (
        organization_list(user)
        .filter(path__startswith=parent.path, depth=parent.depth + 1)
        .select_related("secretary")
        .order_by("abolished_on", "code")
    )


def organization_search(user: Any, query: str) -> OrganizationQuerySet:
    q, is_pinyin = search_terms(query)
    if not q:
        return organization_list(user).none()
    return organization_list(user).search(q, is_pinyin=is_pinyin).order_by("depth", "code")


def subtree_member_counts(org: Organization) -> dict[str, Any]:
    """Members registered in the subtree, by category, employment status and placement,
    counted in the database with one aggregate over the indexed path prefix."""
    member_model = apps.get_model("members", "Member")
    # Members transferred out of the city keep their last home organisation but leave the roll.
    qs = member_model.objects.filter(
        home_path__startswith=org.path, transferred_out_on__isnull=True
    )
    agg = qs.aggregate(
        total=Count("home_path"),
        full=Count("home_path", filter=Q(category="full")),
        probationary=Count("home_path", filter=Q(category="probationary")),
        placed=Count("home_path", filter=Q(participating_org__isnull=False)),
        direct=Count("home_path", filter=Q(home_org=org)),
        direct_full=Count("home_path", filter=Q(home_org=org, category="full")),
    )
    labels = dict(member_model._meta.get_field("employment_status").flatchoices)
    by_status = qs.values_list("employment_status").annotate(n=Count("home_path")).order_by("-n")
    agg["unplaced"] = agg["total"] - agg["placed"]
    agg["by_status"] = [(code, labels.get(code, code), n) for code, n in by_status]
    return agg


def subtree_unit_counts(org: Organization) -> list[tuple[str, str, int]]:
    """Active sub-units of each type in the subtree: (type, label, count)."""
    rows = dict(
        Organization.objects.filter(
            path__startswith=org.path, depth__gt=org.depth, abolished_on__isnull=True
        )
        .values_list("org_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(t.value, str(t.label), rows[t.value]) for t in OrgType if rows.get(t.value)]


def org_choices(user: Any, *, current: Organization | None = None) -> list[tuple[int, str]]:
    """Choices for an organisation filter: the user's top units and their direct sub-units
    (plus the current one), indented by depth."""
    rows: list[Organization] = []
    for root in tree_roots(user):
        rows.append(root)
        rows.extend(tree_children(user, root).filter(abolished_on__isnull=True)[:300])
    if current is not None and all(r.pk != current.pk for r in rows):
        rows.append(current)
    base = min((r.depth for r in rows), default=1)
    return [(r.pk, "　" * (r.depth - base) + r.name) for r in rows]
