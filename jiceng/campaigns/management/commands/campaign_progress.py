"""Print a campaign's progress (S1): a subtree's children or its sectors, by phase, overdue
and awaiting sign-off, as a table, JSON or CSV; the same roll-up as the dashboard."""

from __future__ import annotations

import json
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from rich.console import Console
from rich.table import Table

from jiceng.accounts.commands import officer, unit
from jiceng.campaigns.progress import selectors
from jiceng.core import tree
from jiceng.core.exports import csv_writer
from jiceng.core.scoping import Action

COLUMNS = (
    "total",
    "not_launched",
    "study",
    "review",
    "rectify",
    "completed",
    "overdue",
    "late_launch",
    "submitted",
    "returned",
)


class Command(BaseCommand):
    help = "Campaign progress of a subtree by child unit or sector, as of the campaign's date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", type=int, help="campaign id")
        parser.add_argument("--user", default="city.admin", help="whose scope to read in")
        parser.add_argument("--under", help="organisation code (default: the user's top unit)")
        parser.add_argument("--by", choices=["child", "sector"], default="child")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        user = officer(options["user"])
        try:
            campaign = selectors.campaign_get(user, options["campaign"])
        except Http404 as exc:
            raise CommandError("找不到该活动，或不在该用户的范围内") from exc
        under = unit(user, options["under"], Action.VIEW) if options["under"] else campaign.root
        if not tree.within(under.path, campaign.root_path):
            raise CommandError("该组织不在活动范围内")
        total = selectors.progress_total(user, campaign, under)
        rows = (
            selectors.progress_by_sector(user, campaign, under)
            if options["by"] == "sector"
            else selectors.progress_by_child(user, campaign, under)
        )
        if options["format"] == "json":
            payload = {
                "campaign": campaign.name,
                "as_of": str(campaign.reference_date()),
                "total": total.as_dict(),
                "groups": [r.as_dict() for r in rows],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        if options["format"] == "csv":
            writer = csv_writer(self.stdout)
            writer.writerow(["label", *COLUMNS])
            for r in [*rows, total]:
                writer.writerow([r.label, *[getattr(r, c) for c in COLUMNS]])
            return
        table = Table(title=f"{campaign.name} · {under.name} · {campaign.reference_date()}")
        table.add_column("单位")
        for c in (
            "参加",
            "未启动",
            "学习动员",
            "分析评议",
            "整改提高",
            "已完成",
            "逾期",
            "逾期未启动",
            "待审核",
            "已退回",
        ):
            table.add_column(c, justify="right")
        for r in [*rows, total]:
            table.add_row(r.label, *[f"{getattr(r, c):,}" for c in COLUMNS])
        Console(file=cast(IO[str], self.stdout), width=160).print(table)
