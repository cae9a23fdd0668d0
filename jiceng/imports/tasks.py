"""Background tasks: ids in, one engine or service call (runs in `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from . import engine, exports
from .models import ExportJob, ImportJob


@task()
def validate_import(job_id: str) -> None:
    engine.job_validate(
        ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    )


@task()
def run_import(job_id: str) -> None:
    engine.job_run(ImportJob.objects.select_related("organization", "created_by").get(pk=job_id))


@task()
def run_export(job_id: str) -> None:
    exports.export_run(job=ExportJob.objects.select_related("created_by").get(pk=job_id))


@task()
def purge_exports() -> None:
    exports.exports_purge_expired()
