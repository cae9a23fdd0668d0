"""A task left RUNNING by a dead worker is put back, whichever host the worker ran on (issue 18
item 4): a worker of this host is judged by its process (/proc), one of another host by its
heartbeat row, which ``run_worker`` keeps while it runs and removes when it stops cleanly."""

from __future__ import annotations

import datetime as dt
import os
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jiceng.core import task_recovery
from jiceng.core.models import WorkerHeartbeat
from jiceng.core.task_recovery import requeue_orphaned_tasks, this_worker_id, worker_alive

PROBE = "jiceng.core.tasks.probe"
ELSEWHERE = "worker-host-b:4242:987654"  # a run_worker on another machine
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@task()
def heartbeat_seen() -> bool:
    """Run by the worker under test: whether its own heartbeat row is there meanwhile."""
    return WorkerHeartbeat.objects.filter(worker_id=this_worker_id()).exists()


def heartbeat(worker_id: str, age: dt.timedelta) -> WorkerHeartbeat:
    host, pid, _ = worker_id.rsplit(":", 2)
    beat_at = timezone.now() - age
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id, host=host, pid=int(pid), started_at=beat_at, beat_at=beat_at
    )


def running(*workers: str, task_path: str = PROBE) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [0], "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        started_at=timezone.now(),
        worker_ids=list(workers),
    )


def run_worker_batch() -> None:
    """A real ``run_worker`` in this process that runs what is READY, then stops cleanly.
    Its loop's ``close_old_connections`` is left out: inside the test's transaction it would
    close the connection (PostgreSQL) that holds everything the test wrote."""
    from django_tasks_db.management.commands import db_worker

    with (
        override_settings(TASKS=DB_TASKS),
        mock.patch.object(db_worker, "close_old_connections", return_value=None),
    ):
        call_command("run_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)


STALE = dt.timedelta(seconds=task_recovery.heartbeat_stale_seconds() + 30)


def test_a_worker_of_another_host_is_judged_by_its_heartbeat():
    assert worker_alive(ELSEWHERE) is False  # no heartbeat at all
    row = heartbeat(ELSEWHERE, dt.timedelta(seconds=2))
    assert worker_alive(ELSEWHERE) is True
    WorkerHeartbeat.objects.filter(pk=row.pk).update(beat_at=timezone.now() - STALE)
    assert worker_alive(ELSEWHERE) is False
    assert worker_alive("Qx7randomid") is None  # a plain db_worker: cannot tell


@override_settings(TASK_WORKER_HEARTBEAT_SECONDS=2, TASK_WORKER_HEARTBEAT_STALE_SECONDS=None)
def test_the_stale_bound_is_a_setting_four_intervals_by_default():
    assert task_recovery.heartbeat_stale_seconds() == 8
    heartbeat(ELSEWHERE, dt.timedelta(seconds=12))
    assert worker_alive(ELSEWHERE) is False
    with override_settings(TASK_WORKER_HEARTBEAT_STALE_SECONDS=60):
        assert worker_alive(ELSEWHERE) is True


def test_a_task_of_a_worker_on_another_host_with_a_fresh_heartbeat_is_left_alone():
    heartbeat(ELSEWHERE, dt.timedelta(seconds=1))
    task_result = running(ELSEWHERE)
    assert requeue_orphaned_tasks() == {"requeued": [], "failed": []}
    task_result.refresh_from_db()
    assert task_result.status == TaskResultStatus.RUNNING
    assert task_result.worker_ids == [ELSEWHERE]
    assert WorkerHeartbeat.objects.filter(worker_id=ELSEWHERE).exists()


def test_a_task_whose_worker_on_another_host_went_silent_is_put_back_and_run():
    heartbeat(ELSEWHERE, STALE)
    stale = running(ELSEWHERE)
    missing = running("worker-host-c:77:123")  # its heartbeat row is gone too
    done = requeue_orphaned_tasks()
    assert sorted(done["requeued"]) == sorted([str(stale.pk), str(missing.pk)])
    assert not WorkerHeartbeat.objects.filter(worker_id=ELSEWHERE).exists()  # stale: removed
    run_worker_batch()
    for task_result in (stale, missing):
        task_result.refresh_from_db()
        assert task_result.status == TaskResultStatus.SUCCESSFUL
        assert task_result.worker_ids[-1] == this_worker_id()
        assert task_result.return_value["pid"] == os.getpid()


def test_a_task_that_silenced_two_workers_on_other_hosts_is_failed():
    task_result = running("worker-host-b:1:1", ELSEWHERE)
    assert requeue_orphaned_tasks()["failed"] == [str(task_result.pk)]
    task_result.refresh_from_db()
    assert task_result.status == TaskResultStatus.FAILED
    assert task_result.exception_class_path.endswith("WorkerDied")


def test_the_import_tasks_are_left_to_the_imports_recovery():
    task_result = running(ELSEWHERE, task_path="jiceng.imports.tasks.run_import")
    assert requeue_orphaned_tasks() == {"requeued": [], "failed": []}
    task_result.refresh_from_db()
    assert task_result.status == TaskResultStatus.RUNNING


@override_settings(TASK_WORKER_HEARTBEAT_SECONDS=600)  # no beat of the thread in the test
def test_run_worker_keeps_a_heartbeat_while_it_runs_and_removes_it_on_a_clean_exit():
    with override_settings(TASKS=DB_TASKS):
        result = heartbeat_seen.enqueue()
    run_worker_batch()
    task_result = DBTaskResult.objects.get(pk=result.id)
    assert task_result.status == TaskResultStatus.SUCCESSFUL
    assert task_result.return_value is True  # the row was there while the task ran
    assert not WorkerHeartbeat.objects.filter(worker_id=this_worker_id()).exists()


def test_a_beat_renews_the_row_of_its_worker():
    worker_id = this_worker_id()
    task_recovery.beat(worker_id)
    first = WorkerHeartbeat.objects.get(worker_id=worker_id)
    assert (first.host, first.pid) == (task_recovery.this_host(), os.getpid())
    WorkerHeartbeat.objects.filter(pk=first.pk).update(beat_at=timezone.now() - STALE)
    task_recovery.beat(worker_id)
    again = WorkerHeartbeat.objects.get(worker_id=worker_id)
    assert again.pk == first.pk
    assert timezone.now() - again.beat_at < dt.timedelta(seconds=30)


@pytest.fixture(autouse=True)
def _no_stray_tasks(db):
    yield
    DBTaskResult.objects.all().delete()
