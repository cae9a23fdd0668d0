"""A long run's progress written to its row while it runs: the plan, the programme's schedule
and the appraisal each keep ``progress`` (0–1) and ``stage`` on their run, which the page polls
with htmx."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone


class ProgressWriter:
    """A progress callback ``(stage, fraction)`` that writes the run's row at most twice a
    second (its own UPDATE, outside the result's transaction, so the page sees it while the
    task runs); the last step (``fraction`` 1) is always written. ``fraction`` is mapped onto
    ``low``–``high`` (a run that has work before and after the reported part) and the stage
    through ``label`` (a code to its words), cut to the column's ``stage_length``."""

    def __init__(
        self,
        row: QuerySet[Any],
        *,
        stage_length: int,
        low: float = 0.0,
        high: float = 1.0,
        label: Callable[[str], str] = str,
    ) -> None:
        self.row, self.stage_length, self.low, self.high = row, stage_length, low, high
        self.label = label
        self.last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and fraction < 1:
            return
        self.last = now
        value = self.low + (self.high - self.low) * min(max(fraction, 0.0), 1.0)
        self.row.update(progress=value, stage=self.label(stage)[: self.stage_length])


@contextmanager
def command_bar(title: str) -> Iterator[Callable[[str, float], None]]:
    """A rich progress bar on stderr for a management command, yielded as the same
    ``(stage, fraction)`` callback the services take::

        with command_bar("考核计算") as progress:
            services.appraisal_recompute(actor=None, progress=progress)
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(title, total=1.0)
        yield lambda stage, fraction: bar.update(task, completed=fraction, description=stage)


class Tracked:
    """What :func:`tracked_run` yields: the progress callback and the run's finishing touch."""

    def __init__(self, step: Callable[[str, float], None]) -> None:
        self.step = step
        self.started = time.perf_counter()

    def done(self, run: Any, state: str) -> None:
        """Mark ``run`` (the model instance, saved by the caller in its transaction) finished
        in ``state``, with the seconds it took."""
        run.state = state
        run.progress = 1.0
        run.stage = "完成"
        run.seconds = round(time.perf_counter() - self.started, 2)
        run.finished_at = timezone.now()


@contextmanager
def tracked_run(
    row: QuerySet[Any],
    *,
    first_stage: str,
    stage_length: int,
    failure: str,
    progress: Callable[[str, float], None] | None = None,
) -> Iterator[Tracked]:
    """The life of a background run kept on its row (a summary report, an appraisal run):
    marked ``running`` at ``first_stage``, its progress written as it goes (or reported to
    ``progress``), and on any fault marked ``failed`` with ``failure`` (the user's words: the
    result is written in one transaction, so nothing of it was kept) before the fault is
    raised again for the worker's log::

        with tracked_run(Run.objects.filter(pk=run.pk), first_stage="开始计算",
                         stage_length=60, failure=_("计算出错……")) as t:
            ...
            with transaction.atomic():
                t.done(run, "done"); run.save(); audit.record(...)
    """
    row.update(state="running", progress=0.01, stage=first_stage, message="")
    tracked = Tracked(progress or ProgressWriter(row, stage_length=stage_length))
    try:
        yield tracked
    except Exception:
        row.update(state="failed", message=failure[:1000], stage="", finished_at=timezone.now())
        raise
    tracked.step("完成", 1.0)
