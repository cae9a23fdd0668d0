"""Reads for the home page and the audit log, scoped to the user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

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


def home_summary(user: Any) -> dict[str, Any]:
    """Headline numbers of the user's scope for the home page."""
    organization = apps.get_model("orgs", "Organization")
    member = apps.get_model("members", "Member")
    roots = organization.objects.filter(path__in=scope_of(user, Action.VIEW).paths)
    members = member.objects.visible_to(user)
    own_member = member.objects.filter(user=user).first() if user.is_authenticated else None
    return {
        "roots": roots,
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
