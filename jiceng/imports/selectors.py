from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jiceng.core.scoping import Action, get_visible_or_404

from .models import ImportJob


def job_list(user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.visible_to(user, Action.VIEW)


def job_get(user: Any, pk: Any, action: str = Action.VIEW) -> ImportJob:
    return get_visible_or_404(
        ImportJob.objects.select_related("organization", "created_by"), user, action, pk=pk
    )
