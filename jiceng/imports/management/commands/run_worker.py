"""``db_worker`` that other processes can check on, after recovering what a dead one left."""

from __future__ import annotations

import contextlib
import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from jiceng.core.task_recovery import Heartbeat, this_worker_id
from jiceng.imports import recovery


class Command(DBWorkerCommand):
    help = (
        "Run the task worker (django-tasks-db's db_worker) with an id naming this host and "
        "process and a heartbeat row while it runs, so a job whose worker died is recognised "
        "from any host; first retries or fails the imports a dead worker left running and "
        "removes upload folders no job needs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=this_worker_id())

    def handle(self, *args: Any, **options: Any) -> None:
        for job in recovery.recover_stale_imports():
            self.stdout.write(
                f"recovered import {job.pk}: {job.get_status_display()} {job.message}"
            )
        removed = recovery.remove_stale_uploads()
        if removed:
            self.stdout.write(f"removed {removed} upload folder(s) no job needs")
        # With --reload this process only watches the files; the worker runs in a child that
        # comes back here with its own id (DJANGO_AUTORELOAD_ENV set) and beats for itself.
        reloads = options["reload"] and not options["batch"]  # db_worker drops --reload then
        runs_here = not reloads or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        with Heartbeat(options["worker_id"]) if runs_here else contextlib.nullcontext():
            super().handle(*args, **options)
