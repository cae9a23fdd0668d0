"""Reads for the home page and the audit log, scoped to the user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from . import generations, tree
from .models import AuditEvent
from .scoping import Action, scope_of


def audit_events(user: Any) -> QuerySet[AuditEvent]:
    """Audit rows of the user's subtree, for roles that may read the log (AUDIT action)."""
    return AuditEvent.objects.visible_to(user, Action.AUDIT)


def filter_audit_events(
    events: QuerySet[AuditEvent],
    *,
    actor: str = "",
    object: str = "",
    verb: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    if actor:
        events = events.filter(Q(actor_repr__contains=actor) | Q(actor__username=actor))
    if object:
        events = events.filter(Q(object_repr__contains=object) | Q(object_id=object))
    if verb:
        events = events.filter(verb=verb)
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    return events


def members_by_child(root: Any) -> list[dict[str, Any]]:
    """Members registered under each direct sub-unit of ``root``, with how many are not yet
    placed (S10): one grouped query over the path prefix, cached for five minutes (and
    computed afresh when a unit is renamed, moved, founded, merged or abolished)."""
    key = f"members_by_child:{root.path}:{generations.generation(generations.ORG_TREE)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    organization = apps.get_model("orgs", "Organization")
    member = apps.get_model("members", "Member")
    cut = tree.child_length(root.path)
    rows = (
        member.objects.filter(home_path__startswith=root.path, transferred_out_on__isnull=True)
        .annotate(unit=Substr("home_path", 1, cut))
        .values("unit")
        .annotate(
            n=Count("home_path"),
            unplaced=Count("home_path", filter=Q(participating_org__isnull=True)),
        )
        .order_by()
    )
    names = dict(
        organization.objects.filter(path__startswith=root.path, depth=root.depth + 1).values_list(
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


def home_summary(user: Any) -> dict[str, Any]:
    """Headline numbers of the user's scope for the home page."""
    organization = apps.get_model("orgs", "Organization")
    member = apps.get_model("members", "Member")
    roots = organization.objects.filter(path__in=scope_of(user, Action.VIEW).paths)
    members = member.objects.visible_to(user).filter(transferred_out_on__isnull=True)
    own_member = member.objects.filter(user=user).first() if user.is_authenticated else None
    first_root = roots.first()
    return {
        "roots": roots,
        "chart": members_by_child(first_root) if first_root else [],
        "org_count": organization.objects.visible_to(user)
        .filter(abolished_on__isnull=True)
        .count(),
        "member_count": members.count(),
        "unplaced_count": members.filter(participating_org__isnull=True).count(),
        "vacant_count": organization.objects.visible_to(user)
        .filter(abolished_on__isnull=True, secretary__isnull=True)
        .exclude(org_type="group")
        .count(),
        "weak_count": organization.objects.visible_to(user).filter(health="weak").count(),
        "own_member": own_member,
    }
