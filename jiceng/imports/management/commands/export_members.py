import shutil
from pathlib import Path
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jiceng.accounts.models import User
from jiceng.imports import exports
from jiceng.imports.models import ExportJob
from jiceng.members.selectors import MemberFilters
from jiceng.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Export the member roll a user sees (optionally one organisation's subtree) to a file:"
        " the same file, audit and job as the page's background export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the officer doing the export")
        parser.add_argument("--org", help="organisation code (its subtree); default: all")
        parser.add_argument("--format", choices=ExportJob.Format.values, default="csv")
        parser.add_argument(
            "--reveal",
            action="store_true",
            help="ID numbers, phones and addresses in clear where the user may reveal them",
        )
        parser.add_argument("--output", type=Path, help="also copy the file here")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), soft_wrap=True)
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError("找不到该用户") from exc
        org = None
        if options["org"]:
            org = Organization.objects.visible_to(user).filter(code=options["org"]).first()
            if org is None:
                raise CommandError("找不到该组织，或该组织不在您的管辖范围内")
        query = {"org": str(org.pk)} if org else {}
        try:
            job = exports.export_start(
                actor=user,
                kind=ExportJob.Kind.MEMBERS,
                fmt=options["format"],
                query=query,
                filters=MemberFilters(org=org),
                reveal=options["reveal"],
            )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        job = self._run(console, job)
        if job.status != ExportJob.Status.DONE:
            raise CommandError(job.message)
        console.print(f"已导出 {job.rows_done:,} 行：{job.path}（{job.size:,} 字节）")
        if options["output"]:
            shutil.copyfile(job.path, options["output"])
            console.print(f"已复制到 {options['output']}")

    def _run(self, console: Console, job: ExportJob) -> ExportJob:
        progress = Progress(
            TextColumn("导出"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            bar = progress.add_task("export", total=job.rows_total)
            job = exports.export_run(
                job=job, on_progress=lambda rows: progress.update(bar, completed=rows)
            )
            progress.update(bar, completed=job.rows_done)
        return job
