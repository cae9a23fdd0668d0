"""A job whose worker died is retried or failed with a message, and uploaded files nobody
needs are removed (issue 14: the hostile .xlsx left its job "checking" and its task RUNNING
for ever, with no worker to pick it up)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jiceng.core.models import WorkerHeartbeat
from jiceng.core.task_recovery import this_worker_id, worker_alive
from jiceng.imports import recovery, services
from jiceng.imports.models import ImportJob

from .conftest import new_id


def roll(branch) -> bytes:
    return (
        "姓名,公民身份号码,入党日期,转正日期,联系电话,所在支部\n"
        f"张三,{new_id(499)},1995-07-01,1996-07-01,13800000000,{branch.code}\n"
    ).encode()


def dead_worker_id() -> str:
    """The id a worker on this host had, whose process has ended."""
    proc = subprocess.Popen(["true"])  # noqa: S607 - a harmless short-lived process
    proc.wait()
    return f"{this_worker_id().rsplit(':', 2)[0]}:{proc.pid}:1"


def a_job(officer, branch, status: str) -> ImportJob:
    job = services.import_job_create(
        actor=officer,
        organization=branch,
        kind="member",
        original_name="roll.csv",
        chunks=[roll(branch)],
    )
    ImportJob.objects.filter(pk=job.pk).update(status=status)
    job.refresh_from_db()
    return job


def a_task(job: ImportJob, task_path: str, worker_id: str, status=TaskResultStatus.RUNNING):
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [str(job.pk)], "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        started_at=timezone.now(),
        worker_ids=[worker_id],
    )


def test_this_worker_is_alive_and_an_ended_one_is_not():
    assert worker_alive(this_worker_id()) is True
    assert worker_alive(dead_worker_id()) is False
    assert worker_alive("Qx7randomid") is None  # a plain db_worker: cannot tell
    assert worker_alive("elsewhere:1:1") is False  # another host, no heartbeat


def test_a_check_whose_worker_died_fails_with_a_message_on_its_page(client, login, officer, branch):
    """issue 14: the page of the stuck job says what happened instead of spinning."""
    job = a_job(officer, branch, ImportJob.Status.VALIDATING)
    task = a_task(job, recovery.VALIDATE_TASK, dead_worker_id())
    login("huangpu.officer")
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "检查中断" in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert not Path(job.stored_path).exists()  # the personal data went with it


def test_an_import_run_whose_worker_died_is_run_again_once(officer, branch):
    job = a_job(officer, branch, ImportJob.Status.VALIDATING)
    from jiceng.imports import engine

    engine.job_validate(job)
    services.import_job_start(actor=officer, job=job)
    a_task(job, recovery.RUN_TASK, dead_worker_id())
    assert recovery.recover_stale_imports() == [job]
    job.refresh_from_db()  # the test backend runs the retried task at once
    assert job.status == ImportJob.Status.DONE
    assert job.created_count == 1


def test_an_import_run_that_killed_two_workers_fails(officer, branch):
    job = a_job(officer, branch, ImportJob.Status.IMPORTING)
    a_task(job, recovery.RUN_TASK, dead_worker_id(), status=TaskResultStatus.FAILED)
    a_task(job, recovery.RUN_TASK, dead_worker_id())
    # the first attempt's row failed by recovery; the latest is what counts
    DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).update(
        enqueued_at=timezone.now() - dt.timedelta(minutes=5)
    )
    recovery.recover_stale_imports()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "两次意外终止" in job.message


def test_a_job_whose_worker_lives_or_cannot_be_told_is_left_alone(officer, branch):
    alive = a_job(officer, branch, ImportJob.Status.VALIDATING)
    a_task(alive, recovery.VALIDATE_TASK, this_worker_id())
    unknown = a_job(officer, branch, ImportJob.Status.VALIDATING)
    a_task(unknown, recovery.VALIDATE_TASK, "Qx7randomid")
    elsewhere = a_job(officer, branch, ImportJob.Status.VALIDATING)
    a_task(elsewhere, recovery.VALIDATE_TASK, "host-b:42:1")
    beat_at = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="host-b:42:1", host="host-b", pid=42, started_at=beat_at, beat_at=beat_at
    )
    assert recovery.recover_stale_imports() == []


def test_a_check_whose_worker_on_another_host_went_silent_fails(officer, branch):
    """Another host's worker is judged by its heartbeat (core.task_recovery): none here."""
    job = a_job(officer, branch, ImportJob.Status.VALIDATING)
    a_task(job, recovery.VALIDATE_TASK, "host-b:42:1")
    assert recovery.recover_stale_imports() == [job]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "检查中断" in job.message


def test_a_task_that_failed_with_an_error_fails_its_job(officer, branch):
    job = a_job(officer, branch, ImportJob.Status.VALIDATING)
    task = a_task(job, recovery.VALIDATE_TASK, dead_worker_id(), status=TaskResultStatus.FAILED)
    DBTaskResult.objects.filter(pk=task.pk).update(exception_class_path="builtins.OSError")
    recovery.recover_stale_imports()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "OSError" in job.message


def test_run_worker_names_itself_so_others_can_check():
    from jiceng.imports.management.commands.run_worker import Command

    parser = Command().create_parser("manage.py", "run_worker")
    worker_id = parser.get_default("worker_id")
    assert worker_id == this_worker_id()
    assert worker_id.split(":")[1] == str(os.getpid())


def test_stale_and_orphan_upload_folders_are_removed(officer, branch):
    kept = a_job(officer, branch, ImportJob.Status.VALIDATED)
    failed = a_job(officer, branch, ImportJob.Status.FAILED)
    orphan = Path(settings.IMPORT_ROOT) / str(uuid.uuid4())
    orphan.mkdir()
    (orphan / "half.csv").write_bytes(b"x")
    later = timezone.now() + recovery.ORPHAN_GRACE * 2
    assert recovery.remove_stale_uploads(now=later) >= 2
    assert Path(kept.stored_path).exists()
    assert not Path(failed.stored_path).exists()
    assert not orphan.exists()
    ImportJob.objects.filter(pk=kept.pk).update(
        created_at=timezone.now() - recovery.UPLOAD_RETENTION * 2
    )
    recovery.remove_stale_uploads(now=later)
    assert not Path(kept.stored_path).exists()


@pytest.fixture(autouse=True)
def _no_stray_tasks(db):
    yield
    DBTaskResult.objects.all().delete()
