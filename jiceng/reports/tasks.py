"""Background tasks: ids in, one service call (runs in ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def generate_report(report_id: int) -> None:
    services.report_generate(report_id=report_id)
