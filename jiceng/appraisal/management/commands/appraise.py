"""Appraise every unit of a campaign now (issue 21 item 4), with a progress bar: the same
service as the page's button and the API (``services.appraisal_recompute``), in this process.

    manage.py appraise                      # the latest city-wide campaign, as the system
    manage.py appraise --campaign 3 --as-of 2005-12-31 --user city.admin
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.accounts.commands import officer
from jiceng.appraisal import services
from jiceng.campaigns.progress.models import Campaign
from jiceng.core.progress import command_bar
from jiceng.core.views import error_message


class Command(BaseCommand):
    help = "Appraise every unit of a campaign (scores, ranks within district and sector)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, help="campaign id (default: latest city-wide)")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: the campaign's reference date)")
        parser.add_argument("--user", help="the officer acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = officer(options["user"]) if options.get("user") else None
        campaign = None
        if options.get("campaign"):
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"找不到活动 {options['campaign']}")
        as_of = None
        if options.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of 须为 YYYY-MM-DD 格式的日期") from exc
        with command_bar("考核计算") as progress:
            try:
                run = services.appraisal_recompute(
                    actor=actor, campaign=campaign, as_of=as_of, progress=progress
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(error_message(exc)) from exc
        self.stdout.write(
            f"考核计算 #{run.pk} 完成：{run.units} 个单位，{run.scored} 个有得分，"
            f"用时 {run.seconds} 秒（统计日期 {run.as_of}，{run.weights_label}）"
        )
