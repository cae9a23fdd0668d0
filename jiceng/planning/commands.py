"""What the planning commands share: the officer, the subtree, a progress bar, JSON/CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from jiceng.accounts.commands import officer, unit
from jiceng.core.exports import csv_writer
from jiceng.core.views import error_message

from . import selectors, services
from .models import Plan
from .rules import PlanState, Selection


class PlanCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation code: the plan's subtree")
        parser.add_argument("--user", required=True, help="the officer making the plan")
        parser.add_argument("--name", default="", help="the plan's name")
        parser.add_argument(
            "--selection",
            choices=Selection.values,
            default=Selection.DISPERSED,
            help="which members take part (default: dispersed, S16)",
        )
        parser.add_argument("--same-district", action="store_true", help="stay in districts")
        parser.add_argument(
            "--apply",
            action="store_true",
            help="apply the plan: found branches, issue transfer letters",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--csv", metavar="FILE", help="write members and branches as CSV")

    def plan_params(self, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        user = officer(options["user"])
        root = unit(user, options["org"])
        try:
            plan = services.plan_create(
                actor=user,
                root=root,
                kind=self.kind,
                name=options["name"],
                selection=options["selection"],
                same_district=options["same_district"],
                **self.plan_params(options),
            )
            services.plan_queue(actor=user, plan=plan)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(error_message(exc)) from exc
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"],
        ) as bar:
            task = bar.add_task("计算方案", total=1.0)

            def progress(stage: str, fraction: float) -> None:
                bar.update(task, completed=fraction, description=services._stage_label(stage))

            plan = services.plan_run(plan_id=plan.pk, progress=progress)
        if plan.state == PlanState.FAILED:
            raise CommandError(plan.message)
        if options["apply"]:
            try:
                plan = services.plan_apply(actor=user, plan=plan)
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(error_message(exc)) from exc
        if options["csv"]:
            self.write_csv(plan, Path(options["csv"]))
        if options["json"]:
            self.stdout.write(json.dumps(self.as_json(plan), ensure_ascii=False))
            return
        self.print_table(console, plan)

    def as_json(self, plan: Plan) -> dict[str, Any]:
        return {
            "plan_id": plan.pk,
            "state": plan.state,
            "summary": plan.summary,
            "branches": [
                {
                    "index": b.index,
                    "name": b.name,
                    "org_id": b.org_id,
                    "lat": b.lat,
                    "lng": b.lng,
                    "size": b.size,
                    "mean_km": round(b.mean_km, 3),
                    "max_km": round(b.max_km, 3),
                    "districts": b.districts,
                }
                for b in selectors.plan_branches(plan)
            ],
        }

    def write_csv(self, plan: Plan, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8-sig") as f:
            w = csv_writer(f)
            w.writerow(
                [
                    "member_id",
                    "member",
                    "from_org",
                    "branch_index",
                    "branch",
                    "distance_km",
                    "previous_km",
                ]
            )
            for a in selectors.plan_assignments(plan).iterator(chunk_size=2000):
                w.writerow(
                    [
                        a.member_id,
                        a.member.name,
                        a.previous_org.name,
                        a.branch.index,
                        a.branch.name,
                        f"{a.distance_km:.3f}",
                        "" if a.previous_km is None else f"{a.previous_km:.3f}",
                    ]
                )

    def print_table(self, console: Console, plan: Plan) -> None:
        s = plan.summary
        console.print(
            f"方案 {plan.pk}「{plan.name}」：{s.get('members')} 名党员，"
            f"{s.get('branches')} 个支部，"
            f"人数 {s.get('size_min')}–{s.get('size_max')}，平均 {s.get('mean_km')} 公里，"
            f"最远 {s.get('max_km')} 公里，覆盖 {s.get('districts')} 个区县"
            + ("，已证明最优" if s.get("optimal") else "")
            + f"；状态：{plan.get_state_display()}"
        )
        table = Table("#", "支部", "人数", "平均(公里)", "最远(公里)", "区县")
        for b in selectors.plan_branches(plan)[:60]:
            table.add_row(
                str(b.index + 1),
                b.name,
                str(b.size),
                f"{b.mean_km:.2f}",
                f"{b.max_km:.2f}",
                str(len(b.districts)),
            )
        console.print(table)
