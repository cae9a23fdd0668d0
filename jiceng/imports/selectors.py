from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from jiceng.core.scoping import Action, get_visible_or_404

from .models import ExportJob, ImportJob


def job_list(user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.visible_to(user, Action.VIEW)


def job_get(user: Any, pk: Any, action: str = Action.VIEW) -> ImportJob:
    return get_visible_or_404(
        ImportJob.objects.select_related("organization", "created_by"), user, action, pk=pk
    )


def export_job_list(user: Any) -> QuerySet[ExportJob]:
    """The user's own export jobs (“我的导出”), placed inside their scope: an export's file
    is its creator's alone, so another officer of the same district does not see it, and a
    creator who has lost the subtree no longer does either."""
    if not getattr(user, "is_authenticated", False):
        return ExportJob.objects.none()
    return ExportJob.objects.visible_to(user, Action.VIEW).filter(created_by=user)


def export_job_get(user: Any, pk: Any) -> ExportJob:
    """One of the user's own export jobs, or 404 (missing and foreign alike)."""
    try:
        return export_job_list(user).select_related("created_by").get(pk=pk)
    except (ExportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
