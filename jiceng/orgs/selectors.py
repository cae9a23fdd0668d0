"""Every read of the organisation tree, scoped to the user."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import clock, tree
from jiceng.core.notices import Notice, near
from jiceng.core.scoping import Action, ScopedQuerySet, get_visible_or_404, scope_of
from jiceng.core.text import search_terms

from . import health, roll, rules
from .models import (
    BRANCH_TYPES,
    OPEN_STATES,
    RECEIVING_TYPES,
    Organization,
    OrganizationQuerySet,
    OrgHealth,
    OrgType,
    Rectification,
    RectificationNote,
    RectificationQuerySet,
    RectificationState,
)


def organization_list(user: Any, action: str = Action.VIEW) -> OrganizationQuerySet:
    return Organization.objects.visible_to(user, action)


def organization_get(user: Any, pk: Any, action: str = Action.VIEW) -> Organization:
    return get_visible_or_404(
        Organization.objects.select_related("district", "street", "secretary", "first_secretary"),
        user,
        action,
        pk=pk,
    )


def tree_roots(user: Any) -> OrganizationQuerySet:
    """The top of what the user sees: the units of their assignments (narrowest prefixes)."""
    paths = scope_of(user, Action.VIEW).paths
    return Organization.objects.filter(path__in=paths).order_by("path")


def subtree_root(user: Any, pk: Any = None, action: str = Action.VIEW) -> Organization:
    """The root of a worklist: the unit asked for (a 404 outside the user's scope), else the
    user's own top unit."""
    if pk:
        return organization_get(user, pk, action)
    root = tree_roots(user).first()
    if root is None:
        raise Http404
    return root


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


PICK_SCOPES = ("change", "view", "receiving")
PICK_LIMIT = 20


def organization_pick(user: Any, query: str, scope: str) -> list[tuple[Organization, str]]:
    """Units for an organisation picker, each with its path written out (上级 › … › 本级):
    by name (Simplified or Traditional), pinyin initials or code.

    ``change`` and ``view`` search the user's scope for that action. ``receiving`` searches the
    receiving units of the whole city (a transfer's receiver is often outside the user's
    subtree: a secretary must find the neighbouring branch); it reveals what the letter prints
    anyway, names and codes, and opens nothing else: the units' pages stay behind
    ``visible_to``."""
    q, is_pinyin = search_terms(query)
    if not q or scope not in PICK_SCOPES:
        return []
    if scope == "receiving":
        units = Organization.objects.filter(
            abolished_on__isnull=True, org_type__in=RECEIVING_TYPES
        ).search(q, is_pinyin=is_pinyin)
    else:
        action = Action.CHANGE if scope == "change" else Action.VIEW
        units = organization_list(user, action).active().search(q, is_pinyin=is_pinyin)
    found = list(
        units.only("id", "code", "name", "path", "depth").order_by("depth", "code")[:PICK_LIMIT]
    )
    above = {p for o in found for p in tree.ancestor_paths(o.path)}
    names = dict(Organization.objects.filter(path__in=above).values_list("path", "name"))
    return [
        (o, " › ".join(names[p] for p in tree.ancestor_paths(o.path) if p in names)) for o in found
    ]


def subtree_member_counts(org: Organization) -> dict[str, Any]:
    """Members registered in the subtree, by category, employment status and placement, as
    the members app counts them (``roll``)."""
    return roll.members().subtree_counts(org)


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


# ----- Organisation health (S11, S12) ------------------------------------------------------------


def _too_few_full_members() -> Q:
    return Q(
        Q(org_type__in=BRANCH_TYPES),
        ~roll.members().direct_more_than(rules.BRANCH_MIN_FULL_MEMBERS - 1, category="full"),
    )


def full_member_count(org: Organization) -> int | None:
    """Full members registered in a branch (None for units that hold no members directly)."""
    if org.org_type not in BRANCH_TYPES:
        return None
    return roll.members().full_count(org)


def _subtree(user: Any, root: Organization, action: str = Action.VIEW) -> OrganizationQuerySet:
    return organization_list(user, action).filter(path__startswith=root.path).active()


def weak_candidates(
    user: Any, root: Organization, today: dt.date | None = None
) -> OrganizationQuerySet:
    """Organisations in ``root``'s subtree that meet a computed weak-and-lax criterion and are
    not already designated: secretary vacant over 3 months, or a branch with fewer full members
    than the rule (``rules``, S11, S12). Rows carry ``full_members`` (branches only); reasons
    come from ``health.candidate_reasons``."""
    today = today or clock.today()
    cutoff = today - dt.timedelta(days=rules.SECRETARY_VACANCY_ALERT_DAYS)
    return (
        _subtree(user, root)
        .exclude(health=OrgHealth.WEAK)
        .exclude(org_type=OrgType.GROUP)
        .annotate(
            full_members=Case(
                When(org_type__in=BRANCH_TYPES, then=roll.members().direct_count(category="full")),
                default=Value(None),
                output_field=IntegerField(),
            )
        )
        .filter(
            Q(secretary__isnull=True, secretary_vacant_since__lt=cutoff) | _too_few_full_members()
        )
        .order_by("path")
    )


def secretary_vacancies(user: Any, root: Organization) -> OrganizationQuerySet:
    """Units in the subtree whose secretary post is vacant, longest vacancy first (S11)."""
    return (
        _subtree(user, root)
        .filter(secretary__isnull=True, secretary_vacant_since__isnull=False)
        .order_by("secretary_vacant_since", "path")
    )


def secretary_vacancy_counts(
    user: Any, root: Organization, today: dt.date | None = None
) -> dict[str, int]:
    today = today or clock.today()
    cutoff = today - dt.timedelta(days=rules.SECRETARY_VACANCY_ALERT_DAYS)
    return secretary_vacancies(user, root).aggregate(
        total=Count("id"), long=Count("id", filter=Q(secretary_vacant_since__lt=cutoff))
    )


def size_suggestion_rows(user: Any, root: Organization) -> OrganizationQuerySet:
    """Branches in the subtree whose size breaks the rules, with ``total_members`` and
    ``full_members`` annotated (``health.size_suggestion`` turns them into actions)."""
    return (
        _subtree(user, root)
        .filter(org_type=OrgType.BRANCH)
        .filter(roll.members().direct_more_than(rules.BRANCH_MAX_MEMBERS) | _too_few_full_members())
        .annotate(
            total_members=roll.members().direct_count(),
            full_members=roll.members().direct_count(category="full"),
        )
        .order_by("path")
    )


def size_suggestions(user: Any, rows: list[Organization]) -> list[health.Suggestion]:
    """Suggestions for one page of ``size_suggestion_rows``; a small branch gets as partners
    the small branches and joint branches under the same parent (one query for the page)."""
    suggestions = [s for s in (health.size_suggestion(r) for r in rows) if s is not None]
    parents = {
        p.path: p
        for p in organization_list(user, Action.CHANGE).filter(
            path__in={tree.parent_path(s.org.path) for s in suggestions}
        )
    }
    for s in suggestions:
        s.parent = parents.get(tree.parent_path(s.org.path))
    small = [s for s in suggestions if s.kind == health.SuggestionKind.JOIN]
    if small:
        parent_paths = {tree.parent_path(s.org.path) for s in small}
        near = reduce(or_, (Q(path__startswith=p, depth=tree.depth(p) + 1) for p in parent_paths))
        partners: list[Organization] = list(
            organization_list(user, Action.CHANGE)
            .active()
            .filter(near, org_type__in=BRANCH_TYPES)
            .filter(Q(org_type=OrgType.JOINT_BRANCH) | _too_few_full_members())
            .order_by("path")
        )
        by_parent: dict[str, list[Organization]] = {}
        for p in partners:
            by_parent.setdefault(tree.parent_path(p.path), []).append(p)
        for s in small:
            siblings = by_parent.get(tree.parent_path(s.org.path), [])
            s.partners = [p for p in siblings if p.pk != s.org.pk][:8]
    return suggestions


def rectification_list(user: Any, action: str = Action.VIEW) -> RectificationQuerySet:
    return Rectification.objects.visible_to(user, action)  # type: ignore[return-value]


def rectification_get(user: Any, pk: Any, action: str = Action.VIEW) -> Rectification:
    return get_visible_or_404(
        Rectification.objects.select_related("org", "designated_by", "closed_by"),
        user,
        action,
        pk=pk,
    )


def rectifications_in(user: Any, root: Organization, group: str = "open") -> RectificationQuerySet:
    """Rectifications in the subtree: ``open`` (designated or rectifying; earliest deadline
    first, so overdue ones lead), ``closed`` (closed or revoked; latest first)."""
    qs = rectification_list(user).filter(org__path__startswith=root.path).select_related("org")
    if group == "open":
        return qs.filter(state__in=OPEN_STATES).order_by("deadline", "designated_on", "id")
    return qs.exclude(state__in=OPEN_STATES).order_by("-closed_on", "-id")


def rectification_counts(
    user: Any, root: Organization, today: dt.date | None = None
) -> dict[str, int]:
    """Counts by state in the subtree, and the overdue ones, in one aggregate query."""
    today = today or clock.today()
    st = RectificationState
    return (
        rectification_list(user)
        .filter(org__path__startswith=root.path)
        .aggregate(
            designated=Count("id", filter=Q(state=st.DESIGNATED)),
            rectifying=Count("id", filter=Q(state=st.RECTIFYING)),
            overdue=Count("id", filter=Q(state__in=OPEN_STATES, deadline__lt=today)),
            closed=Count("id", filter=Q(state=st.CLOSED)),
            revoked=Count("id", filter=Q(state=st.REVOKED)),
        )
    )


def rectification_notes(user: Any, rectification: Rectification) -> Any:
    return (
        RectificationNote.objects.visible_to(user)
        .filter(rectification=rectification)
        .order_by("on", "id")
    )


def open_rectification(user: Any, org: Organization) -> Rectification | None:
    return rectification_list(user).filter(org=org, state__in=OPEN_STATES).first()


def health_notices(user: Any, today: dt.date | None = None) -> list[Notice]:
    """The bell: rectifications past their deadline in the user's scope (the organisation
    departments supervise them, S11) and secretary posts of the user's own and direct
    sub-units vacant longer than ``rules.SECRETARY_VACANCY_ALERT_DAYS`` (S12)."""
    if not scope_of(user, Action.CHANGE).paths:
        return []
    today = today or clock.today()
    overdue = (
        rectification_list(user, Action.CHANGE)
        .filter(state__in=OPEN_STATES, deadline__lt=today)
        .count()
    )
    cutoff = today - dt.timedelta(days=rules.SECRETARY_VACANCY_ALERT_DAYS)
    vacant = (
        organization_list(user, Action.CHANGE)
        .active()
        .filter(
            near(user, "path", "depth"),
            secretary__isnull=True,
            secretary_vacant_since__lt=cutoff,
        )
        .count()
    )
    url = reverse("orgs:health-home")
    return [
        Notice(
            "health.rectification_overdue",
            _("软弱涣散组织整顿"),
            overdue,
            f"{url}?tab=open",
            overdue=True,
        ),
        Notice("health.secretary_vacant", _("书记空缺超过三个月"), vacant, f"{url}?tab=vacancies"),
    ]


def home_figures(user: Any) -> dict[str, Any]:
    """The home page's figures of the tree (``core.home``): the user's top units, and the
    active organisations, vacant secretary posts and weak organisations under them."""
    units = Organization.objects.visible_to(user).filter(abolished_on__isnull=True)
    return {
        "roots": Organization.objects.filter(path__in=scope_of(user, Action.VIEW).paths),
        "org_count": units.count(),
        "vacant_count": units.filter(secretary__isnull=True)
        .exclude(org_type=OrgType.GROUP)
        .count(),
        "weak_count": Organization.objects.visible_to(user).filter(health=OrgHealth.WEAK).count(),
    }
