"""``manage.py backup_drill``: dump the database with pg_dump, restore the dump into a fresh
database, compare every table, trigger, index and sequence, prove the audit table is still
append-only, and drop the copy (``core.backup``). Exits non-zero when anything differs."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from jiceng.core import backup

STEPS = {
    "dump": "pg_dump 导出",
    "restore": "pg_restore 恢复",
    "source": "源库校验和",
    "restored": "恢复库校验和",
}


class Command(BaseCommand):
    help = (
        "Backup and restore drill on PostgreSQL: pg_dump --format=custom, pg_restore into a new "
        "database, compare row counts and checksums of every table, triggers, indexes and "
        "sequences, prove the audit table is append-only, drop the copy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="write (and keep) the dump here, a file or a directory; "
            "default: a private temporary directory, removed afterwards",
        )
        parser.add_argument(
            "--target-db",
            help="database to restore into (must not exist); default <name>_drill_<time>",
        )
        parser.add_argument("--keep", action="store_true", help="keep the restored database")
        parser.add_argument("--jobs", type=int, default=2, help="pg_restore --jobs (default 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), width=120)
        db = settings.DATABASES["default"]
        progress = Progress(
            TextColumn("{task.fields[step]:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}", style="dim"),
            console=console,
        )
        tasks: dict[str, TaskID] = {}

        def start(step: str, total: int) -> None:
            tasks[step] = progress.add_task("", total=total or None, step=STEPS[step])

        def advance(step: str, item: str) -> None:
            task = progress.tasks[tasks[step]]
            done = task.completed + 1
            if task.total is not None:
                done = min(done, task.total)
            progress.update(tasks[step], completed=done, description=item)

        def finish(step: str) -> None:
            task = progress.tasks[tasks[step]]
            progress.update(tasks[step], completed=task.total or task.completed, description="")

        try:
            backup.ensure_postgresql(db)
            with progress:
                report = backup.run_drill(
                    db,
                    output=options["output"],
                    target=options["target_db"],
                    keep=options["keep"],
                    jobs=options["jobs"],
                    progress=backup.Progress(start, advance, finish),
                )
        except (backup.DrillRefusedError, backup.DrillError) as exc:
            raise CommandError(str(exc)) from exc
        self._print(console, report)
        if not report.ok:
            problems = list(report.comparison.differences)
            if not report.append_only.ok:
                problems.append(f"{report.append_only.table} 在恢复库中不再只可追加")
            raise CommandError("备份演练发现差异：\n  " + "\n  ".join(problems))

    def _print(self, console: Console, report: backup.DrillReport) -> None:
        table = Table(title=f"{report.source} → {report.target}", show_lines=False)
        table.add_column("表")
        table.add_column("行数（源）", justify="right")
        table.add_column("行数（恢复）", justify="right")
        table.add_column("校验和（源）")
        table.add_column("一致", justify="center")
        for t in report.comparison.tables:
            name = f"{t.name} [dim](分区表)[/dim]" if t.kind == "p" else t.name
            table.add_row(
                name,
                "" if t.source_rows is None else f"{t.source_rows:,}",
                "" if t.restored_rows is None else f"{t.restored_rows:,}",
                t.source_checksum[:16],
                "[green]✓[/green]" if t.ok else "[red]✗[/red]",
            )
        console.print(table)
        comparison = report.comparison
        console.print(
            f"表 {len(comparison.tables)} 张，其他对象（触发器、索引、约束、函数、扩展、表结构）"
            f" {comparison.objects_compared} 个，序列 {comparison.sequences_compared} 个；"
            f"差异 {len(comparison.differences)} 处"
        )
        for difference in comparison.differences:
            console.print(f"[red]✗[/red] {difference}")
        proof = report.append_only
        for op, outcome in proof.outcomes.items():
            mark = "[green]✓[/green]" if outcome.startswith("refused") else "[yellow]?[/yellow]"
            if not outcome.startswith(("refused", "not tried")):
                mark = "[red]✗[/red]"
            console.print(f"{mark} 恢复库 {proof.table} {op}: {outcome}")
        timings = "，".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
        console.print(f"用时：{timings}")
        dump = f"转储 {report.dump_bytes:,} 字节"
        console.print(
            f"{dump}：{report.dump_path}" if report.dump_kept else f"{dump}（临时文件，已删除）"
        )
        if report.kept:
            console.print(f"恢复库 {report.target} 已保留（--keep）：用完请 dropdb {report.target}")
        else:
            console.print(f"恢复库 {report.target} 已删除")
        if report.ok:
            console.print("[green]备份演练通过：恢复库与源库一致[/green]")
