"""Background tasks: ids in, one service call (runs in ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def run_appraisal(run_id: int) -> None:
    services.run_compute(run_id=run_id)
