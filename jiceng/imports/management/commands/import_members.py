from pathlib import Path
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from jiceng.accounts.models import User
from jiceng.imports import engine, services
from jiceng.imports.models import ImportJob
from jiceng.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Import members from an .xlsx or .csv file into an organisation's subtree: checks every"
        " row first, then writes in all-or-nothing batches (re-running is safe)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--into", required=True, help="organisation code (the subtree)")
        parser.add_argument("--user", required=True, help="the officer doing the import")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows even if some rows have problems",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            user = User.objects.get(username=options["user"], is_active=True)
            org = Organization.objects.visible_to(user, "change").get(code=options["into"])
        except (User.DoesNotExist, Organization.DoesNotExist) as exc:
            raise CommandError("找不到该用户，或该组织不在其管辖范围内") from exc
        try:
            with path.open("rb") as fh:
                job = services.import_job_create(
                    actor=user,
                    organization=org,
                    kind=ImportJob.Kind.MEMBER,
                    original_name=path.name,
                    chunks=iter(lambda: fh.read(1 << 20), b""),
                )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            check = progress.add_task("检查 checking", total=None, rate="")

            def on_check(j: ImportJob) -> None:
                progress.update(
                    check,
                    completed=j.rows_total,
                    rate=f"{j.rows_per_second or 0:,.0f} 行/秒 · 问题 {j.rows_invalid}",
                )

            job = engine.job_validate(job, on_check)
            progress.update(check, total=job.rows_total, completed=job.rows_total)
            if job.status == ImportJob.Status.FAILED:
                raise CommandError(job.message)
            console.print(
                f"{job.rows_total} 行：可导入 {job.rows_valid}，有问题 {job.rows_invalid}"
            )
            for e in job.errors.all()[:20]:
                console.print(f"  第 {e.row_number} 行 {e.column}：{e.message}")
            if options["dry_run"]:
                return
            try:
                services.import_job_start(actor=user, job=job, skip_invalid=options["skip_invalid"])
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            write = progress.add_task("导入 importing", total=job.rows_valid, rate="")

            def on_write(j: ImportJob) -> None:
                progress.update(
                    write, completed=j.rows_done, rate=f"{j.rows_per_second or 0:,.0f} 行/秒"
                )

            job = engine.job_run(job, on_write)
        console.print(
            f"[green]完成[/green]：新建 {job.created_count}，更新 {job.updated_count}，"
            f"未变 {job.unchanged_count}（{job.message}）"
        )
