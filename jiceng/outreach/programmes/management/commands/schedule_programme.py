"""``manage.py schedule_programme <id> --user <officer>``: schedule a service programme's
year in this process with a progress bar, through the same queue and run as the page's
background task (refused while another run is queued or running)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from jiceng.accounts.commands import officer
from jiceng.core.scoping import Action
from jiceng.core.views import error_message
from jiceng.outreach.programmes import selectors, services
from jiceng.outreach.programmes.rules import RUN_STAGES, RunState


class Command(BaseCommand):
    help = "Schedule a service programme's year (the officer's rights are checked)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("programme", type=int, help="the programme's id")
        parser.add_argument("--user", required=True, help="the officer scheduling it")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        user = officer(options["user"])
        try:
            programme = selectors.programme_get(user, options["programme"], Action.CHANGE)
        except Http404 as exc:
            raise CommandError("找不到该特色服务项目，或不在该用户的管辖范围内") from exc
        try:
            run = services.schedule_queue(actor=user, programme=programme)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(error_message(exc)) from exc
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["no_progress"],
        ) as bar:
            task = bar.add_task(str(RUN_STAGES["read"]), total=1.0)

            def progress(stage: str, fraction: float) -> None:
                bar.update(task, completed=fraction, description=str(RUN_STAGES.get(stage, stage)))

            run = services.schedule_run(run_id=run.pk, progress=progress)
        if run.state == RunState.FAILED:
            raise CommandError(run.message)
        console.print(run.summary)
