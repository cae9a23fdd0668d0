"""Generate a summary report (综述) now, with a progress bar: the same service as the page and
the API (``services.report_now``), in this process; optionally write its .docx.

    manage.py summarize                                   # the city, the latest city-wide batch
    manage.py summarize --org 310101 --campaign 2 --user huangpu.officer --docx 黄浦综述.docx
    manage.py summarize --org 310000 --start 2005-06-30 --end 2005-09-20 --hant --docx out.docx
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.accounts.commands import officer
from jiceng.campaigns.models import Campaign
from jiceng.core.progress import command_bar
from jiceng.core.views import error_message
from jiceng.orgs.models import Organization
from jiceng.reports import services


def _date(value: str | None, flag: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{flag} 须为 YYYY-MM-DD 格式的日期") from exc


class Command(BaseCommand):
    help = "Generate a summary report of a subtree over a batch or a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="organisation code (default: the city committee)")
        parser.add_argument("--campaign", type=int, help="campaign id (default: latest city-wide)")
        parser.add_argument("--start", help="YYYY-MM-DD (a period instead of a batch)")
        parser.add_argument("--end", help="YYYY-MM-DD")
        parser.add_argument("--user", help="the officer acting (default: the system)")
        parser.add_argument("--docx", help="also write the .docx to this file")
        parser.add_argument("--hant", action="store_true", help="the .docx in Traditional")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = officer(options["user"]) if options.get("user") else None
        if options.get("org"):
            root = Organization.objects.filter(code=options["org"]).first()
            if root is None:
                raise CommandError(f"找不到代码为 {options['org']} 的党组织")
        else:
            root = Organization.objects.filter(depth=1).order_by("path").first()
            if root is None:
                raise CommandError("还没有组织，先建立组织树")
        start, end = _date(options.get("start"), "--start"), _date(options.get("end"), "--end")
        campaign = None
        if options.get("campaign"):
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"找不到活动 {options['campaign']}")
        elif not (start and end):
            campaign = (
                Campaign.objects.filter(
                    root_path__in=[root.path[:i] for i in range(4, len(root.path) + 1, 4)]
                )
                .order_by("-starts_on", "-id")
                .first()
            )
        with command_bar("生成综述") as progress:
            try:
                report = services.report_now(
                    actor=actor,
                    root=root,
                    campaign=campaign,
                    start=start,
                    end=end,
                    progress=progress,
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(error_message(exc)) from exc
        self.stdout.write(
            f"综述 #{report.pk}：{report.title}，引用数据 {len(report.figures)} 项，"
            f"用时 {report.seconds} 秒"
        )
        if options.get("docx"):
            from jiceng.reports.docx import render_docx

            Path(options["docx"]).write_bytes(
                render_docx(report.content, traditional=options["hant"])
            )
            self.stdout.write(f"已写入 {options['docx']}")
