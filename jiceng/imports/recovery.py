"""Recovering imports whose worker died, and removing uploaded files nobody needs (issue 14).

A worker that dies in the middle of a task (killed by the kernel, an abort in a native
library, a restart) leaves its django-tasks row RUNNING and the job "checking" or
"importing" for ever: no other worker picks a RUNNING task up. ``run_worker`` starts
``db_worker`` with an id naming the host, the process and its start time
(``this_worker_id``) and keeps a heartbeat row while it runs, so any process can tell whether
the worker still lives (``core.task_recovery.worker_alive``: /proc on its host, the heartbeat
elsewhere).
``recover_stale_imports`` runs when a worker starts and when a running job's page is opened:

- a check (``validate_import``) whose worker is gone fails with a message: the file may be
  what killed it, and the officer uploads it again;
- an import run (``run_import``) is enqueued again, once: it resumes after the last committed
  batch; a second death fails the job with a message;
- a task that failed with an exception while its job still shows running fails the job.

Tasks whose worker id is not of that form (a plain ``db_worker``) are left alone: there is no
way to tell whether their worker lives.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jiceng.core import audit
from jiceng.core.task_recovery import worker_alive

from .models import ImportJob

VALIDATE_TASK = "jiceng.imports.tasks.validate_import"
RUN_TASK = "jiceng.imports.tasks.run_import"
MAX_RUN_ATTEMPTS = 2  # the first run and one retry: a run that kills two workers is failed
# Files of finished or failed jobs are kept this long for the error report (which re-reads
# the rows with problems from the file), then removed; so are folders no job owns.
UPLOAD_RETENTION = dt.timedelta(days=30)
ORPHAN_GRACE = dt.timedelta(hours=1)  # a folder is made just before its job row is committed

CHECK_DIED = "检查中断：后台处理进程意外终止（可能是文件异常）。请检查文件后重新上传"
RUN_DIED = (
    "导入中断：后台处理进程两次意外终止，已写入 {batches} 批（{rows} 行）。"
    "请重新上传同一文件继续导入，已导入的党员不会重复"
)
TASK_FAILED = "后台处理出错，已停止：{error}。请重新上传文件；如再次出错，请联系管理员"


def _tasks_of(job: ImportJob) -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(
            task_path__in=[VALIDATE_TASK, RUN_TASK], args_kwargs__args__0=str(job.pk)
        ).order_by("-enqueued_at")
    )


def recover_stale_imports(job: ImportJob | None = None) -> list[ImportJob]:
    """Retry or fail the running jobs (or ``job``) whose task's worker is gone; returns them."""
    from . import tasks

    running = [ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING]
    jobs = [job] if job is not None else list(ImportJob.objects.filter(status__in=running))
    recovered = []
    for j in jobs:
        if j.status not in running:
            continue
        task_results = _tasks_of(j)
        if not task_results:  # run in-process by ``import_members``, or not enqueued yet
            continue
        latest = task_results[0]
        if latest.status == TaskResultStatus.RUNNING:
            workers = latest.worker_ids or [""]
            if worker_alive(workers[-1]) is not False:
                continue
            _fail_task(latest)
            runs = sum(1 for t in task_results if t.task_path == RUN_TASK)
            if latest.task_path == RUN_TASK and runs < MAX_RUN_ATTEMPTS:
                _note(j, "后台处理进程意外终止，已自动重新开始导入（从最后完成的批次继续）")
                tasks.run_import.enqueue(str(j.pk))
            elif latest.task_path == RUN_TASK:
                _fail_job(j, RUN_DIED.format(batches=j.batches_done, rows=j.rows_done))
            else:
                _fail_job(j, CHECK_DIED)
        elif latest.status == TaskResultStatus.FAILED:
            error = latest.exception_class_path.rsplit(".", 1)[-1] or "未知错误"
            _fail_job(j, TASK_FAILED.format(error=error))
        else:
            continue
        recovered.append(j)
    return recovered


def _fail_task(task_result: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=task_result.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="jiceng.imports.recovery.WorkerDied",
        traceback="The worker running this task is gone (recover_stale_imports).",
    )


@transaction.atomic
def _note(job: ImportJob, message: str) -> None:
    job.message = message
    job.save(update_fields=["message"])
    audit.record(actor=None, verb="update", obj=job, org_path=job.org_path, note=message)


def _fail_job(job: ImportJob, message: str) -> None:
    from .engine import discard_upload

    with transaction.atomic():
        job.status = ImportJob.Status.FAILED
        job.message = message[:500]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
        audit.record(actor=None, verb="update", obj=job, org_path=job.org_path, note=job.message)
    discard_upload(job)


def remove_stale_uploads(now: dt.datetime | None = None) -> int:
    """Remove upload folders no job needs any more: those of failed jobs, those of jobs that
    ended more than ``UPLOAD_RETENTION`` ago, and folders no job owns (left by a process
    killed during an upload). Returns how many folders went."""
    now = now or timezone.now()
    root = Path(settings.IMPORT_ROOT)
    if not root.exists():
        return 0
    folders = {p.name: p for p in root.iterdir() if p.is_dir()}
    keep_statuses = [
        ImportJob.Status.UPLOADED,
        ImportJob.Status.VALIDATING,
        ImportJob.Status.VALIDATED,
        ImportJob.Status.IMPORTING,
        ImportJob.Status.DONE,
    ]
    jobs = (
        ImportJob.objects.filter(status__in=keep_statuses)
        .exclude(finished_at__lt=now - UPLOAD_RETENTION, status=ImportJob.Status.DONE)
        .exclude(created_at__lt=now - UPLOAD_RETENTION, status=ImportJob.Status.VALIDATED)
    )
    needed = {str(pk) for pk in jobs.values_list("pk", flat=True)}
    removed = 0
    for name, folder in folders.items():
        if name in needed:
            continue
        modified = dt.datetime.fromtimestamp(folder.stat().st_mtime, tz=dt.UTC)
        if now - modified < ORPHAN_GRACE:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
