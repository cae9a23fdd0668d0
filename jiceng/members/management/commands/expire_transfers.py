"""Close transfers whose introduction letter has passed its validity (run daily)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.members.transfers.services import transfers_expire


class Command(BaseCommand):
    help = "Mark transfers whose letter validity has passed as expired."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        n = transfers_expire(today=options["today"])
        self.stdout.write(f"{n} transfer(s) expired")
