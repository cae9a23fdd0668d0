from collections.abc import Callable
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jiceng.scenario import development, outreach, pairings, programmes, projects, voice, workers
from jiceng.scenario.build import DEMO_PASSWORD, SCALES, build, is_built

# Parts that can be added to an already-built scenario: (already there?, build it).
PARTS: dict[str, tuple[Callable[[], bool], Callable[..., dict[str, int]]]] = {
    "development": (development.is_built, development.build_development),
    "outreach": (outreach.is_built, outreach.build_outreach),
    "projects": (projects.is_built, projects.build_projects),
    "pairings": (pairings.is_built, pairings.build_pairings),
    "programmes": (programmes.is_built, programmes.build_programmes),
    "voice": (voice.is_built, voice.build_voice),
    "workers": (workers.is_built, workers.build_workers),
}


class Command(BaseCommand):
    help = "Build the deterministic synthetic Shanghai-2005 data set (tiny, demo or city scale)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=2005)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when data is already there",
        )
        parser.add_argument(
            "--part",
            choices=sorted(PARTS),
            help="add only this part to an already-built scenario (same scale and seed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        part = options["part"]
        if part:
            exists, _build = PARTS[part]
            if not is_built():
                raise CommandError(
                    f"no organisation tree yet: build the scenario before --part {part}"
                )
            if exists():
                if options["if_empty"]:
                    console.print(
                        f"[green]{part} 数据已存在，跳过生成[/green] ({part} already built)"
                    )
                    return
                raise CommandError(f"the database already holds {part} data")
        elif is_built():
            if options["if_empty"]:
                console.print("[green]数据已存在，跳过生成[/green] (demo data already built)")
                return
            raise CommandError("the database already holds an organisation tree")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            tasks: dict[str, Any] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            if part:
                made = PARTS[part][1](options["scale"], options["seed"], report)
            else:
                result = build(options["scale"], options["seed"], report)
        # Fresh bulk-loaded tables: give the planner statistics before the first query.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if part:
            console.print(", ".join(f"{n} {what}" for what, n in made.items()))
            return
        table = Table(title=f"演示账号 demo logins (password: {DEMO_PASSWORD})")
        for col in ("username", "role", "organization"):
            table.add_column(col)
        for row in result["logins"]:  # type: ignore[attr-defined]
            table.add_row(*row)
        console.print(table)
        console.print(f"{result['organizations']} organisations, {result['members']} members")
