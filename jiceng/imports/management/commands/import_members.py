from pathlib import Path
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jiceng.accounts.models import User
from jiceng.imports import engine, reports, services
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.orgs.models import Organization

SHOWN = 20  # lines of each kind printed; the page and the error report have them all


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
    )


class Command(BaseCommand):
    help = (
        "Import members from an .xlsx or .csv file into an organisation's subtree: checks every"
        " row first, then writes in all-or-nothing batches. Re-running is safe; --resume"
        " finishes a job whose worker was killed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument("--into", help="organisation code (the subtree)")
        parser.add_argument("--user", required=True, help="the officer doing the import")
        parser.add_argument("--resume", metavar="JOB_ID", help="finish an interrupted job")
        parser.add_argument(
            "--kind",
            choices=ImportJob.Kind.values,
            default=ImportJob.Kind.MEMBER,
            help="what the file holds: member (default), organization, needy (帮扶对象名册),"
            " pairing (结对关系), petition (历史信访件), development (发展党员记录)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows even if some rows have problems",
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="where to write the full problem report (.xlsx); default: next to the file",
        )
        parser.add_argument(
            "--sheet",
            default="",
            help="read this sheet only (a hidden one too); default: every visible sheet that"
            " looks like a roster",
        )
        parser.add_argument(
            "--accept-renames",
            action="store_true",
            help="members whose ID number is registered under another name take the file's"
            " name (listed by the check; without this flag the start is refused)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), soft_wrap=True)
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError("找不到该用户") from exc
        job = self._resumable(user, options["resume"]) if options["resume"] else None
        if job is not None and job.status == ImportJob.Status.IMPORTING:
            console.print(f"继续导入：已完成 {job.batches_done} 批")
            self._write(console, job)
            return
        if job is None:
            job = self._create(user, options)
        job = self._check(console, job, self._report_path(options, job))
        if options["dry_run"]:
            return
        try:
            services.import_job_start(
                actor=user,
                job=job,
                skip_invalid=options["skip_invalid"] or job.skip_invalid,
                accept_renames=options["accept_renames"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self._write(console, job)

    def _report_path(self, options: dict[str, Any], job: ImportJob) -> Path:
        if options["report"]:
            return Path(options["report"])
        source: Path | None = options["file"]
        folder = source.parent if source is not None else Path.cwd()
        return folder / f"{Path(job.original_name).stem}-问题清单.xlsx"

    def _resumable(self, user: User, job_id: str) -> ImportJob:
        try:
            job = (
                ImportJob.objects.visible_to(user, "change")
                .select_related("organization", "created_by")
                .get(pk=job_id)
            )
        except (ImportJob.DoesNotExist, ValueError) as exc:
            raise CommandError("找不到该导入任务，或不在您的管辖范围内") from exc
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            raise CommandError(f"该任务已结束：{job.get_status_display()}")
        return job

    def _create(self, user: User, options: dict[str, Any]) -> ImportJob:
        path: Path | None = options["file"]
        if path is None or not options["into"]:
            raise CommandError("请给出文件和 --into 组织代码（或用 --resume 继续任务）")
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            org = Organization.objects.visible_to(user, "change").get(code=options["into"])
        except Organization.DoesNotExist as exc:
            raise CommandError("找不到该组织，或该组织不在您的管辖范围内") from exc
        try:
            with path.open("rb") as fh:
                job = services.import_job_create(
                    actor=user,
                    organization=org,
                    kind=options["kind"],
                    original_name=path.name,
                    chunks=iter(lambda: fh.read(1 << 20), b""),
                    sheet=options["sheet"],
                )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"job {job.pk}")
        return job

    def _check(self, console: Console, job: ImportJob, report: Path) -> ImportJob:
        with _progress(console) as progress:
            check = progress.add_task("检查 checking", total=None, rate="")

            def on_check(j: ImportJob) -> None:
                rate = f"{j.rows_per_second or 0:,.0f} 行/秒 · 问题 {j.rows_invalid}"
                progress.update(check, completed=j.rows_total, rate=rate)

            job = engine.job_validate(job, on_check)
            progress.update(check, total=job.rows_total, completed=job.rows_total)
        for sheet in job.sheets if job.file_type == "xlsx" else []:
            state = "读取" if sheet["read"] else "跳过"
            reason = f"（{sheet['reason']}）" if sheet["reason"] else ""
            console.print(f"工作表“{sheet['name']}”：{state}{reason}", markup=False)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.message)
        console.print(f"{job.rows_total} 行：可导入 {job.rows_valid}，有问题 {job.rows_invalid}")
        levels = ImportRowError.Level
        if job.set_aside:
            kinds = "，".join(f"{kind} {count}" for kind, count in job.set_aside.items())
            console.print(f"不是名册记录、已略过的行：{kinds}", markup=False)
        if job.unknown_columns:
            console.print("未使用（不导入）的列：" + "、".join(job.unknown_columns), markup=False)
        if job.rename_count:
            console.print(
                f"{job.rename_count} 人的身份证号已登记在另一姓名下"
                "（确认更名请加 --accept-renames，不更名请加 --skip-invalid 跳过这些行）："
            )
            for e in job.errors.filter(level=levels.RENAME)[:SHOWN]:
                console.print(f"  {e.place}：{e.message}", markup=False)
        if job.notice_count:
            console.print(f"{job.notice_count} 行有提示（按原样导入）：")
            for e in job.errors.filter(level=levels.NOTICE)[:SHOWN]:
                console.print(f"  {e.place} {e.column}：{e.message}", markup=False)
        for e in job.errors.filter(level=levels.PROBLEM)[:SHOWN]:
            console.print(f"  {e.place} {e.column}：{e.message}", markup=False)
        if job.rows_invalid or job.rename_count or job.notice_count:
            self._report(console, job, report)
        return job

    def _report(self, console: Console, job: ImportJob, path: Path) -> None:
        """The whole report as an .xlsx file (problems, names that differ and notices, each
        row marked with which), and how many problems there are in all."""
        with path.open("wb") as out:
            for block in reports.error_report(job):
                out.write(block)
        if not job.rows_invalid:
            console.print(f"核对清单（姓名不一致和有提示的各行）：{path}", markup=False)
            return
        total = sum(job.problem_counts.values())
        shown = min(job.errors.filter(level=ImportRowError.Level.PROBLEM).count(), SHOWN)
        console.print(
            f"共 {job.rows_invalid} 行有问题、{total} 个问题（以上列出前 {shown} 个）；"
            f"完整问题清单（含姓名不一致和提示）：{path}",
            markup=False,
        )

    def _write(self, console: Console, job: ImportJob) -> ImportJob:
        with _progress(console) as progress:
            write = progress.add_task("导入 importing", total=job.rows_valid, rate="")

            def on_write(j: ImportJob) -> None:
                rate = f"{j.rows_per_second or 0:,.0f} 行/秒"
                progress.update(write, completed=j.rows_done, rate=rate)

            try:
                job = engine.job_run(job, on_write)
            except engine.ImportWriteError as exc:
                raise CommandError(exc.message) from exc
        console.print(
            f"[green]完成[/green]：新建 {job.created_count}，更新 {job.updated_count}，"
            f"未变 {job.unchanged_count}（{job.message}）"
        )
        return job
