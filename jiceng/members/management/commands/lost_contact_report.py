"""S13: members out of contact who were found, by district and month."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from jiceng.accounts.models import User
from jiceng.core.exports import csv_writer
from jiceng.members.lost_contact import selectors


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 2005-06-30：{value}") from exc


class Command(BaseCommand):
    help = "Members found after losing contact, by district and month (S13), as seen by --user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="whose scope the report covers")
        parser.add_argument("--since", type=_date, default=None)
        parser.add_argument("--until", type=_date, default=None)
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError("找不到该用户") from exc
        report = selectors.found_report(user, options["since"], options["until"])
        months = [m.strftime("%Y-%m") for m in report["months"]]
        if options["format"] == "csv":
            out = csv_writer(self.stdout)
            out.writerow(["区县", *months, "合计"])
            for r in report["rows"]:
                out.writerow([r["district"], *r["cells"], r["total"]])
            out.writerow(["合计", *report["month_totals"], report["total"]])
            return
        table = Table(title=f"失联党员找回统计：共 {report['total']} 人")
        for heading in ["区县", *months, "合计"]:
            table.add_column(heading, justify="left" if heading == "区县" else "right")
        for r in report["rows"]:
            table.add_row(r["district"], *map(str, r["cells"]), str(r["total"]))
        table.add_row("合计", *map(str, report["month_totals"]), str(report["total"]))
        Console(file=cast(IO[str], self.stdout), width=200).print(table)
