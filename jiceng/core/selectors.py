"""Reads of the audit log, scoped to the user (the home page's figures: ``core.home``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from .models import AuditEvent
from .scoping import Action


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
