"""A unit's study completion (S9) as CSV or JSON: one row per member, with a progress bar."""

from __future__ import annotations

import json
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from jiceng.accounts import commands
from jiceng.core import audit
from jiceng.core.exports import SafeDictWriter
from jiceng.core.scoping import Action
from jiceng.study import selectors
from jiceng.study.models import StudyPeriod

COLUMNS = (
    "member_id",
    "name",
    "study_org_code",
    "study_org",
    "mode",
    "required",
    "session_amount",
    "self_amount",
    "done",
    "complete",
)


class Command(BaseCommand):
    help = (
        "Write the study completion of a unit's members (class hours / credits, S9) as CSV or"
        " JSON, as seen by one user (the same scoping as the pages)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation code")
        parser.add_argument("--period", type=int, default=None, help="study period id")
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument(
            "--user", default="city.admin", help="whose view of the data (default city.admin)"
        )
        parser.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
        parser.add_argument("--below", action="store_true", help="only members below it")

    def handle(self, *args: Any, **options: Any) -> None:
        user = commands.officer(options["user"])
        org = commands.unit(user, options["org"], Action.VIEW)
        try:
            period = selectors.period_current(options["period"])
        except Http404 as exc:
            raise CommandError(f"找不到学习周期 {options['period']}") from exc
        if not isinstance(period, StudyPeriod):
            raise CommandError("尚未设定学习周期")
        rows_qs = (
            selectors.below_requirement(user, org, period)
            if options["below"]
            else selectors.member_completion(user, org, period)
        )
        total = rows_qs.count()
        to_stdout = options["output"] == "-"
        out: IO[str] = (
            cast(IO[str], self.stdout)
            if to_stdout
            else open(options["output"], "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        )
        console = Console(file=cast(IO[str], self.stderr))
        records: list[dict[str, Any]] = []
        writer = None
        if options["format"] == "csv":
            writer = SafeDictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=to_stdout and not console.is_terminal,
            ) as bar:
                task = bar.add_task(f"{org.name} 学习完成情况", total=total)
                m: Any
                for m in rows_qs.iterator(chunk_size=2000):
                    unit = m.participating_org or m.home_org
                    row = {
                        "member_id": m.pk,
                        "name": m.name,
                        "study_org_code": unit.code,
                        "study_org": unit.name,
                        "mode": m.study_mode,
                        "required": None if m.required is None else str(m.required),
                        "session_amount": str(m.session_amount),
                        "self_amount": str(m.self_amount),
                        "done": str(m.done),
                        "complete": None if m.required is None else m.done >= m.required,
                    }
                    if writer is not None:
                        writer.writerow(row)
                    else:
                        records.append(row)
                    bar.advance(task)
            if writer is None:
                totals = selectors.unit_totals(user, org, period)
                doc = {
                    "org": {"id": org.pk, "code": org.code, "name": org.name},
                    "period": {"id": period.pk, "name": period.name},
                    "members": totals.members,
                    "completed": totals.completed,
                    "below": totals.below,
                    "rows": records,
                }
                text = json.dumps(doc, ensure_ascii=False, indent=2)
                out.write(text + "\n")
        finally:
            if not to_stdout:
                out.close()
        audit.record(
            actor=user,
            verb="export",
            object_type="study.report",
            object_id=str(period.pk),
            object_repr=f"{org.name} {period.name}",
            org_path=org.path,
            note=f"导出学习完成情况 {total} 名党员（{options['format'].upper()}）",
        )
