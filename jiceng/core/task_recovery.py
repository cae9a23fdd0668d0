"""Tasks left RUNNING by a worker that died, put back in the queue (issue 18 item 4).

django-tasks-db claims a task by marking it RUNNING with the worker's id; a worker killed in
the middle (SIGKILL, the kernel's OOM killer, a machine restart) leaves it RUNNING for ever and
no other worker takes it. ``run_worker`` (jiceng.imports) names its workers ``host:pid:start``
and keeps a heartbeat row (``WorkerHeartbeat``) while it runs. ``worker_alive`` is the one
judgement of whether such a worker lives:

- a worker of this host: its process, through /proc (the pid and its start time);
- a worker of another host (or of this one without /proc): its heartbeat, renewed every
  ``TASK_WORKER_HEARTBEAT_SECONDS`` (15) and removed on a clean exit; alive while the last beat
  is at most ``TASK_WORKER_HEARTBEAT_STALE_SECONDS`` (4 intervals) old on the database's clock,
  dead when it is older or missing.

``requeue_orphaned_tasks`` looks at the RUNNING tasks whose last worker is judged dead, and

- puts the task back to READY once (its ``worker_ids`` keep the dead worker's id, so a second
  death is seen): tasks must therefore be safe to run again (this repo's are: they work from
  ids and resume or recompute);
- fails it (``WorkerDied``) when it has already killed a worker before;
- leaves alone the import tasks (``imports.recovery`` judges those, with ``worker_alive``: a
  check is failed, a run resumes) and tasks whose worker id is not of that form (a plain
  ``db_worker``: it cannot be judged).

``manage.py run_worker_watched`` runs ``run_worker`` with a thread that does this every few
seconds, so any surviving worker, on any host, recovers what a dead one left.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from pathlib import Path
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

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


def heartbeat_seconds() -> float:
    """How often a worker renews its heartbeat."""
    return float(getattr(settings, "TASK_WORKER_HEARTBEAT_SECONDS", 15))


def heartbeat_stale_seconds() -> float:
    """How old a heartbeat may be before its worker counts as dead (default 4 intervals)."""
    bound = getattr(settings, "TASK_WORKER_HEARTBEAT_STALE_SECONDS", None)
    return float(bound) if bound else 4 * heartbeat_seconds()


def this_host() -> str:
    return socket.gethostname()[:32]


def this_worker_id() -> str:
    """``host:pid:start`` of this process (at most 64 characters, db_worker's limit): the id
    ``run_worker`` gives its db_worker, so any process on the host can tell whether it lives."""
    pid = os.getpid()
    return f"{this_host()}:{pid}:{_start_time(pid) or 0}"


def worker_alive(worker_id: str) -> bool | None:
    """Whether the ``host:pid:start`` worker still runs: this host's through /proc, another
    host's through its heartbeat (see the module's text). None when it cannot be told (an id
    of another form). ``imports.recovery`` asks the same."""
    parts = worker_id.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    if parts[0] == this_host() and Path("/proc/self/stat").exists():
        if int(parts[1]) == os.getpid():
            return True
        return _start_time(int(parts[1])) == parts[2]
    return heartbeat_fresh(worker_id)


def heartbeat_fresh(worker_id: str) -> bool:
    """The worker's heartbeat exists and is at most ``heartbeat_stale_seconds()`` old."""
    bound = dt.timedelta(seconds=heartbeat_stale_seconds())
    return WorkerHeartbeat.objects.filter(worker_id=worker_id, beat_at__gte=Now() - bound).exists()


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` (this process) lives, at the database's time."""
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=Now()):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id, host=this_host(), pid=os.getpid(), started_at=Now(), beat_at=Now()
        )


class Heartbeat:
    """``with Heartbeat(worker_id):`` around a worker's loop: the row is written before the
    loop claims anything, renewed from a daemon thread, and removed when the block ends (a
    clean exit: the loop returned, or SIGTERM/SIGINT ended it with SystemExit). A killed
    process leaves its row behind, to go stale."""

    def __init__(self, worker_id: str, every: float | None = None) -> None:
        self.worker_id = worker_id
        self.every = heartbeat_seconds() if every is None else every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                close_old_connections()
                beat(self.worker_id)
            except DatabaseError:
                logger.exception("worker heartbeat: database error, trying again later")
            finally:
                close_old_connections()

    def __enter__(self) -> Heartbeat:
        beat(self.worker_id)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            logger.exception("worker heartbeat: could not remove %s", self.worker_id)


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
    # Rows of workers gone without a clean exit: a missing row is judged as a stale one.
    bound = dt.timedelta(seconds=heartbeat_stale_seconds())
    WorkerHeartbeat.objects.filter(beat_at__lt=Now() - bound).delete()
    return out
