from __future__ import annotations

from typing import IO, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jiceng.core import audit_partitions as parts


class Command(BaseCommand):
    help = (
        "PostgreSQL: create the audit log's partitions of this month and the next months "
        "(AUDIT_PARTITIONS_AHEAD) and of every month whose rows sit in the DEFAULT partition (they "
        "are moved into it), and with --retention export the months older than "
        "AUDIT_RETENTION_DAYS (at least 183) to AUDIT_ARCHIVE_DIR and drop each one whose export "
        "is verified. Run daily, with a database role allowed to drop partitions "
        "(docs/operations.md, 'Audit partitions and retention')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ahead", type=int, default=None, help="months to create ahead")
        parser.add_argument(
            "--retention",
            action="store_true",
            help="export the expired months, then drop those whose export is verified",
        )
        parser.add_argument(
            "--export-only", action="store_true", help="with --retention: export, drop nothing"
        )
        parser.add_argument(
            "--days", type=int, default=None, help="retention in days (default: the setting)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        try:
            days = parts.retention_days(options["days"])
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if not parts.is_partitioned():
            console.print("审计表未分区（仅 PostgreSQL 分区），无需处理")
            return
        held = parts.default_row_count()
        created = parts.ensure(options["ahead"])
        console.print(f"新建分区 {len(created)} 个{('：' + '、'.join(created)) if created else ''}")
        if moved := held - parts.default_row_count():
            console.print(f"默认分区中的 {moved:,} 行已移入其月份的分区")
        if options["retention"]:
            self._retention(console, days, drop=not options["export_only"])
        self._report(console, days)

    def _retention(self, console: Console, days: int, *, drop: bool) -> None:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:

            def on_partition(partition: parts.Partition, total: int) -> parts.Progress:
                bar = progress.add_task(f"导出 {partition.name}", total=total)
                return lambda n: progress.advance(bar, n)

            archives = parts.export_expired(days, on_partition=on_partition)
        for archive in archives:
            console.print(
                f"已导出 {archive.partition_name}：{archive.row_count:,} 行 → {archive.path}"
                f"（sha256 {archive.sha256[:12]}…）"
            )
        if not drop:
            return
        dropped, kept = parts.drop_expired(days)
        for name, rows in dropped:
            console.print(f"已删除分区 {name}（{rows:,} 行，已归档）")
        for name, reason in kept:
            console.print(f"[red]保留分区 {name}：{reason}[/red]")
        if kept:
            raise CommandError(f"{len(kept)} 个过期分区未删除（见上）")

    def _report(self, console: Console, days: int) -> None:
        table = Table(title=f"审计分区（保留 {days} 天）")
        table.add_column("分区")
        table.add_column("行数", justify="right")
        table.add_column("状态")
        expired = {p.name for p in parts.expired(days)}
        for partition in parts.partitions():
            table.add_row(
                partition.name,
                f"{parts.row_count(partition):,}",
                "过期" if partition.name in expired else "",
            )
        table.add_row("core_auditevent_default", f"{parts.default_row_count():,}", "默认分区")
        console.print(table)
