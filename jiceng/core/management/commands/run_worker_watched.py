"""``run_worker`` with a watch on the other workers of this host (core.task_recovery)."""

from __future__ import annotations

import logging
import threading
import time
from argparse import REMAINDER
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from jiceng.core.task_recovery import requeue_orphaned_tasks

logger = logging.getLogger(__name__)


def watch(every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            close_old_connections()
            done = requeue_orphaned_tasks()
            for outcome, ids in done.items():
                for task_id in ids:
                    logger.warning("task %s of a dead worker: %s", task_id, outcome)
        except DatabaseError:
            logger.exception("task watch: database error, trying again later")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = (
        "Run the task worker (run_worker, same options after --) and, every --watch seconds, "
        "put back in the queue the tasks left RUNNING by a dead worker of this host."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--watch", type=float, default=5.0, help="seconds between checks")
        parser.add_argument("worker_args", nargs=REMAINDER, help="options of run_worker")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        thread = threading.Thread(
            target=watch, args=(options["watch"], stop), name="task-watch", daemon=True
        )
        thread.start()
        time.sleep(0)  # let the watch start before the worker takes the main thread
        worker_args = [a for a in options["worker_args"] if a != "--"]
        try:
            call_command("run_worker", *worker_args)
        finally:
            stop.set()
