"""Tasks left RUNNING by a worker that died, put back in the queue (issue 18 item 4).

django-tasks-db claims a task by marking it RUNNING with the worker's id; a worker killed in
the middle (SIGKILL, the kernel's OOM killer, a machine restart) leaves it RUNNING for ever and
no other worker takes it. ``run_worker`` (jiceng.imports) names its workers ``host:pid:start``;
``requeue_orphaned_tasks`` looks at the RUNNING tasks whose last worker has that form, names
this host and is gone, and

- puts the task back to READY once (its ``worker_ids`` keep the dead worker's id, so a second
  death is seen): tasks must therefore be safe to run again (this repo's are: they work from
  ids and resume or recompute);
- fails it (``WorkerDied``) when it has already killed a worker before;
- leaves alone the import tasks (``imports.recovery`` judges those: a check is failed, a run
  resumes) and tasks whose worker runs on another host or cannot be judged.

``manage.py run_worker_watched`` runs ``run_worker`` with a thread that does this every few
seconds, so any surviving worker on the host recovers what a dead one left.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

# Judged by jiceng.imports.recovery (at worker start and when the job's page is opened).
LEFT_TO_IMPORTS = frozenset(
    {"jiceng.imports.tasks.validate_import", "jiceng.imports.tasks.run_import"}
)
MAX_CLAIMS = 2  # the first run and one more: a task that killed two workers is failed


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def this_worker_id() -> str:
    """``host:pid:start`` of this process (at most 64 characters, db_worker's limit): the id
    ``run_worker`` gives its db_worker, so any process on the host can tell whether it lives."""
    pid = os.getpid()
    return f"{socket.gethostname()[:32]}:{pid}:{_start_time(pid) or 0}"


def worker_alive(worker_id: str) -> bool | None:
    """Whether the ``host:pid:start`` worker still runs; None when it cannot be told (another
    host, an id of another form, no /proc). ``imports.recovery`` asks the same."""
    parts = worker_id.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or parts[0] != socket.gethostname()[:32]:
        return None
    if not Path("/proc/self/stat").exists():
        return None
    if int(parts[1]) == os.getpid():
        return True
    return _start_time(int(parts[1])) == parts[2]


def requeue_orphaned_tasks() -> dict[str, list[str]]:
    """Re-enqueue or fail the tasks whose worker is gone; returns their ids by outcome."""
    out: dict[str, list[str]] = {"requeued": [], "failed": []}
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exclude(
        task_path__in=LEFT_TO_IMPORTS
    )
    for task_result in running.only("id", "worker_ids", "task_path"):
        workers = task_result.worker_ids or [""]
        if worker_alive(workers[-1]) is not False:
            continue
        same = DBTaskResult.objects.filter(
            pk=task_result.pk, status=TaskResultStatus.RUNNING, worker_ids=workers
        )
        with transaction.atomic():
            if len(workers) < MAX_CLAIMS:
                n = same.update(status=TaskResultStatus.READY, started_at=None)
                outcome = "requeued"
            else:
                n = same.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=timezone.now(),
                    exception_class_path="jiceng.core.task_recovery.WorkerDied",
                    traceback=f"Its workers died {len(workers)} times: {', '.join(workers)}.",
                )
                outcome = "failed"
        if n:
            out[outcome].append(str(task_result.pk))
    return out
