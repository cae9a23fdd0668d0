"""``{% attachments record %}``: a record's photos and files, and the upload form where the
user may add to it (asked of the same ``may_attach`` the service enforces).
``{% attachments record items %}`` takes the list already read for many records
(``selectors.attachments_by_record``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.db import models

from jiceng.core.attachments import owners, rules, selectors

register = template.Library()


@register.inclusion_tag("core/attachments/_attachments.html", takes_context=True)
def attachments(
    context: template.Context,
    record: models.Model,
    items: list[Any] | None = None,
    compact: bool = False,
) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    owner = owners.owner_of(record)
    return {
        "record": record,
        "key": owner.key,
        "items": selectors.attachments_of(record) if items is None else items,
        "may": user is not None and owner.may_attach(user, record),
        "accept": rules.ACCEPT,
        "allowed": rules.ALLOWED_TEXT,
        "limit": settings.ATTACHMENT_MAX_BYTES,
        "next": request.get_full_path() if request else "/",
        "compact": compact,
        "csrf_token": context.get("csrf_token"),
    }
