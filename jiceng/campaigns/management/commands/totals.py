"""Rebuild or check the stored totals of issue 22 (study completion, the four lets, the four
ones) against a full recount of the records."""

from __future__ import annotations

import json
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jiceng.campaigns.totals import KINDS, differences_all, rebuild_all

SHOWN = 20  # differences printed per kind


class Command(BaseCommand):
    help = (
        "Stored totals (study completion, four lets, four ones): --rebuild recounts every row"
        " from the records in one transaction (all or nothing); --check compares them with a"
        " full recount, prints the differences and exits non-zero when there are any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--rebuild", action="store_true", help="recount and store every row")
        what.add_argument("--check", action="store_true", help="compare with a full recount")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"],
        ) as bar:
            task = bar.add_task("重算合计" if options["rebuild"] else "核对合计", total=len(KINDS))

            def progress(name: str) -> None:
                bar.update(task, advance=1, description=KINDS[name].label)

            if options["rebuild"]:
                rows = rebuild_all(progress)
            else:
                found = differences_all(progress)
        if options["rebuild"]:
            if options["json"]:
                self.stdout.write(json.dumps({"rebuilt": rows}))
            else:
                for name, n in rows.items():
                    console.print(f"{KINDS[name].label}：{n:,} 行")
            return
        if options["json"]:
            self.stdout.write(json.dumps(found, ensure_ascii=False, default=str))
        else:
            for name, diffs in found.items():
                console.print(f"{KINDS[name].label}：{len(diffs)} 处不一致")
                for d in diffs[:SHOWN]:
                    console.print(f"  {d}")
        total = sum(len(d) for d in found.values())
        if total:
            raise CommandError(f"{total} 处合计与重算不一致；运行 manage.py totals --rebuild 修复")
