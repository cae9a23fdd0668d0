"""Audit trail: every write (who, when, before/after) and every reveal of a sensitive field.

The table is append-only: ``AuditEvent.save`` refuses updates and deletes, and a database
trigger (PostgreSQL and SQLite) refuses UPDATE and DELETE from any client.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from .clients import client_address
from .models import AuditEvent
from .scoping import actor_user as _actor_user

_request_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str], *, masked: Iterable[str] = ()) -> dict:
    """The audited fields of ``obj`` as JSON-ready values; ``masked`` fields are never stored
    in clear (their masked form is), so the audit log holds no sensitive value."""
    masked = set(masked)
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, f"{name}_id" if _is_fk(obj, name) else name)
        out[name] = "******" if name in masked and value else _plain(value)
    return out


def _is_fk(obj: models.Model, name: str) -> bool:
    field = obj._meta.get_field(name)
    return bool(field.many_to_one or field.one_to_one)


def changes(before: dict | None, after: dict | None) -> dict:
    """Only the fields that changed: ``{field: [before, after]}``."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    *,
    actor: Any,
    verb: str,
    obj: models.Model | None = None,
    org_path: str = "",
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one audit row. ``org_path`` places the row in the tree so that auditors and
    officers see the log of their own subtree only."""
    ctx = _request_context.get() or {}
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    actor_user = _actor_user(actor)
    return AuditEvent.objects.create(
        actor=actor_user,
        actor_repr=str(actor_user or actor or "system")[:150],
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        org_path=org_path,
        changes=changes(before, after) if (before or after) else {},
        note=note[:500],
        ip_address=ctx.get("ip") or None,
    )


class AuditContextMiddleware:
    """Makes the client address available to ``record`` without passing the request down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_context.set({"ip": client_address(request)})
        try:
            return self.get_response(request)
        finally:
            _request_context.reset(token)
