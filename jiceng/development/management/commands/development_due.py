"""The development worklist of a district on the command line, or a recompute of every case's
stage and next due date after a change of the rule table.

    manage.py development_due --district 310101 [--overdue]
    manage.py development_due --recompute
"""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.console import Console
from rich.table import Table

from jiceng.core import clock
from jiceng.core.progress import command_bar
from jiceng.core.stages import Record, Records
from jiceng.development import rules
from jiceng.development.models import Development, DevelopmentStep
from jiceng.development.services import refresh
from jiceng.orgs.models import Organization

CHUNK = 2_000


class Command(BaseCommand):
    help = (
        "发展党员：打印某区的待办环节（--district），或按规则表重算各记录的下一期限（--recompute）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", help="区县组织代码或区划代码，如 310101")
        parser.add_argument("--overdue", action="store_true", help="只看已逾期")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--recompute", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["recompute"]:
            self._recompute()
            return
        code = options["district"]
        if not code:
            raise CommandError("请用 --district 指定区县，或用 --recompute 重算")
        org = (
            Organization.objects.filter(code=code).first()
            or Organization.objects.filter(district_id=code, depth=2).order_by("path").first()
        )
        if org is None:
            raise CommandError(f"找不到组织 {code}")
        today = clock.today()
        rows = Development.objects.filter(path__startswith=org.path, next_due__isnull=False)
        if options["overdue"]:
            rows = rows.filter(next_due__lt=today)
        table = Table(title=f"{org.name} 发展党员待办（{today}）")
        for head in ("姓名", "党支部", "阶段", "下一环节", "期限", ""):
            table.add_column(head)
        p = rules.PIPELINE_2014
        for d in rows.select_related("org").order_by("next_due", "id")[: options["limit"]]:
            table.add_row(
                d.name,
                d.org.name,
                d.get_stage_display(),
                str(p.step(d.next_step).label) if d.next_step else "",
                str(d.next_due),
                "逾期" if d.overdue(today) else "",
            )
        Console(file=cast(IO[str], self.stdout)).print(table)

    def _recompute(self) -> None:
        ids = list(Development.objects.order_by("id").values_list("id", flat=True))
        changed = 0
        with command_bar("重算发展党员期限") as progress:
            for start in range(0, len(ids), CHUNK):
                part = ids[start : start + CHUNK]
                steps: dict[int, list[Record]] = {}
                for case, step, on, value in DevelopmentStep.objects.filter(
                    development_id__in=part
                ).values_list("development_id", "step", "on", "value"):
                    steps.setdefault(case, []).append(Record(step, on, value))
                cases = list(Development.objects.filter(pk__in=part))
                for d in cases:
                    before = (d.stage, d.state, d.next_step, d.next_due)
                    refresh(d, Records(steps.get(d.pk, [])))
                    changed += before != (d.stage, d.state, d.next_step, d.next_due)
                with transaction.atomic():
                    Development.objects.bulk_update(
                        cases, ["stage", "state", "next_step", "next_due"], batch_size=1000
                    )
                progress("重算", min(1.0, (start + len(part)) / max(1, len(ids))))
        self.stdout.write(f"{len(ids)} 条记录，{changed} 条有变化")
