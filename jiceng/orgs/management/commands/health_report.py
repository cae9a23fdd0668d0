"""``manage.py health_report --org CODE``: the organisation-health worklists of a subtree in the
terminal: weak-and-lax candidates with reasons, rectifications by state, secretary vacancies
and branch-size suggestions (S11, S12)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jiceng.core import clock
from jiceng.core.scoping import Action, Scope, can
from jiceng.orgs import health, selectors
from jiceng.orgs.models import Organization


class _Operator:
    """The server operator running the command: scoped to the subtree asked for."""

    is_authenticated = True
    is_active = True
    pk = None

    def __init__(self, path: str) -> None:
        self.path = path

    def scope_for(self, action: str) -> Scope:
        return Scope(paths=(self.path,))


class Command(BaseCommand):
    help = "Print the organisation-health worklists of an organisation's subtree."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation code (the subtree)")
        parser.add_argument(
            "--user", help="whose scope applies (default: the operator sees the whole subtree)"
        )
        parser.add_argument("--limit", type=int, default=50, help="rows per list")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), width=140)
        root = Organization.objects.filter(code=options["org"]).first()
        if root is None:
            raise CommandError("找不到该组织代码")
        user: Any = _Operator(root.path)
        if options["user"]:
            user_model = get_user_model()
            try:
                user = user_model.objects.get(username=options["user"], is_active=True)
            except user_model.DoesNotExist as exc:
                raise CommandError("找不到该用户") from exc
            if not can(user, Action.VIEW, root.path):
                raise CommandError("该组织不在此用户的管辖范围内")
        today, limit = clock.today(), options["limit"]
        steps = ["candidates", "rectifications", "vacancies", "suggestions"]
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(root.name, total=len(steps))
            candidates_qs = selectors.weak_candidates(user, root, today)
            candidates = list(candidates_qs[:limit])
            n_candidates = candidates_qs.count()
            progress.advance(task)
            counts = selectors.rectification_counts(user, root, today)
            progress.advance(task)
            vacancy_counts = selectors.secretary_vacancy_counts(user, root, today)
            vacancies = list(selectors.secretary_vacancies(user, root)[:limit])
            progress.advance(task)
            suggestions = selectors.size_suggestions(
                user, list(selectors.size_suggestion_rows(user, root)[:limit])
            )
            progress.advance(task)

        console.print(f"[bold]{root.name}[/bold]（{root.code}）组织建设 {today}")
        summary = Table("整顿状态", "数量")
        for key, label in (
            ("designated", "已认定，待定方案"),
            ("rectifying", "整顿中"),
            ("overdue", "逾期未销号"),
            ("closed", "已销号"),
            ("revoked", "已撤销认定"),
        ):
            summary.add_row(label, str(counts[key]))
        console.print(summary)

        table = Table("组织代码", "名称", "符合情形", title=f"软弱涣散待排查：{n_candidates} 个")
        for org in candidates:
            reasons = "；".join(
                f"{label}（{detail}）" for _c, label, detail in health.candidate_reasons(org, today)
            )
            table.add_row(org.code, org.name, reasons)
        console.print(table)

        table = Table(
            "组织代码",
            "名称",
            "空缺起始",
            "月数",
            title=f"书记空缺：{vacancy_counts['total']} 个，超过3个月 {vacancy_counts['long']} 个",
        )
        for org in vacancies:
            since = org.secretary_vacant_since
            table.add_row(org.code, org.name, str(since), str(health.months_between(since, today)))
        console.print(table)

        table = Table("组织代码", "名称", "建议", "可联合的单位", title="支部设置建议")
        for s in suggestions:
            table.add_row(s.org.code, s.org.name, s.message, "、".join(p.name for p in s.partners))
        console.print(table)
