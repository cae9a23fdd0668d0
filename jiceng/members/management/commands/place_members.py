"""Accept the suggested participating units for the unplaced members of a subtree (S10)."""

from __future__ import annotations

import json
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jiceng.accounts.models import User
from jiceng.core.scoping import Action, can
from jiceng.members.placement import selectors as placement_selectors
from jiceng.members.placement import services as placement_services
from jiceng.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Place the unplaced members of an organisation's subtree at their suggested units"
        " (home branch for members at post, else the nearest branch with room), in"
        " all-or-nothing batches; re-running is safe. --dry-run lists the suggestions only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation code (the subtree)")
        parser.add_argument("--user", required=True, help="the officer placing the members")
        parser.add_argument("--limit", type=int, default=None, help="at most this many members")
        parser.add_argument(
            "--dry-run", action="store_true", help="show suggestions, write nothing"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError("找不到该用户") from exc
        root = Organization.objects.filter(code=options["org"]).first()
        if root is None or not can(user, Action.CHANGE, root.path):
            raise CommandError("找不到该组织，或不在该用户的管辖范围内")
        if options["dry_run"]:
            self._dry_run(console, user, root, options["limit"] or 50)
            return
        with Progress(
            TextColumn("落实参加活动单位"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"],
        ) as bar:
            task = bar.add_task("place", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                result = placement_services.subtree_place_suggested(
                    actor=user, root=root, limit=options["limit"], progress=progress
                )
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
        left = placement_selectors.unplaced(user, root).count()
        if options["json"]:
            out = {
                "placed": result.placed,
                "batches": result.batches,
                "unplaceable": [{"member_id": i, "problem": p} for i, p in result.unplaceable],
                "still_unplaced": left,
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        console.print(f"已落实 {result.placed} 人（{result.batches} 批）；仍未落实 {left} 人")
        for problem in sorted({p for _i, p in result.unplaceable}):
            n = sum(1 for _i, p in result.unplaceable if p == problem)
            console.print(f"  {n} 人无法推荐：{problem}")

    def _dry_run(self, console: Console, user: Any, root: Organization, limit: int) -> None:
        qs = placement_selectors.page_members(placement_selectors.unplaced(user, root))
        members = list(qs[:limit])
        hints = placement_selectors.suggestions_for(members, user=user)
        for m in members:
            s = hints[m.pk]
            where = f"{s.unit.name}（{s.distance_km} 公里）" if s.unit else s.problem
            console.print(f"{m.name}\t{m.home_org.name}\t{s.reason_label}\t{where}")
