"""Background tasks: ids in, one service call (runs in ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def run_plan(plan_id: int) -> None:
    services.plan_run(plan_id=plan_id)
