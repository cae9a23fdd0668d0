"""Deploy a new batch from the last one (S30): steps and indicators copied with due dates
shifted to the new launch date, the same subtrees taking part."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from rich.console import Console

from jiceng.accounts.commands import officer
from jiceng.campaigns.progress import selectors, services
from jiceng.campaigns.progress.rules import Batch


class Command(BaseCommand):
    help = "Create a campaign batch from a previous one (steps, indicators, subtrees)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("previous", type=int, help="the batch to copy (campaign id)")
        parser.add_argument("--user", required=True, help="the officer deploying it")
        parser.add_argument("--name", required=True)
        parser.add_argument("--batch", choices=Batch.values, required=True)
        parser.add_argument("--starts", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--ends", type=dt.date.fromisoformat, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = officer(options["user"])
        try:
            previous = selectors.campaign_get(user, options["previous"])
        except Http404 as exc:
            raise CommandError("找不到该活动，或不在该用户的范围内") from exc
        console = Console(file=cast(IO[str], self.stdout))
        with console.status("正在生成环节、指标和参加单位…"):
            try:
                campaign = services.campaign_create(
                    actor=user,
                    name=options["name"],
                    batch=options["batch"],
                    root=previous.root,
                    starts_on=options["starts"],
                    ends_on=options["ends"],
                    previous=previous,
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        console.print(
            f"已部署 {campaign.name}（id {campaign.pk}）：{campaign.steps.count()} 个环节，"
            f"{campaign.units.count():,} 个参加单位"
        )
