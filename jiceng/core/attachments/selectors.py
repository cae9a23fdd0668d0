"""Reading attachments: always through the record they belong to, found with its model's
``visible_to``; a file of a record the user cannot see is a 404 like the record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import Http404

from jiceng.core.scoping import get_visible_or_404

from . import owners
from .models import Attachment


def record_get(user: Any, key: str, owner_id: Any) -> models.Model:
    """The record ``key``/``owner_id`` if ``user`` may see it, else 404."""
    return get_visible_or_404(owners.owner(key).model, user, pk=owner_id)


def attachment_get(user: Any, pk: Any) -> tuple[Attachment, models.Model]:
    """The attachment and its record, if ``user`` may see the record; else 404."""
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment, record_get(user, attachment.owner_key, attachment.owner_id)


def attachments_of(record: models.Model) -> list[Attachment]:
    """The attachments of a record the caller has already found through its selector."""
    key = owners.owner_of(record).key
    return list(Attachment.objects.filter(owner_key=key, owner_id=record.pk))


def attachments_by_record(records: Iterable[models.Model]) -> dict[Any, list[Attachment]]:
    """The attachments of many records of one model in one query: ``{record pk: [...]}``,
    every record present (an empty list when it has none)."""
    records = list(records)
    out: dict[Any, list[Attachment]] = {r.pk: [] for r in records}
    if not records:
        return out
    key = owners.owner_of(records[0]).key
    for a in Attachment.objects.filter(owner_key=key, owner_id__in=[r.pk for r in records]):
        out[a.owner_id].append(a)
    return out
