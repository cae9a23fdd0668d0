"""Membership development at city scale (issue 23 item 2): a district's development worklist.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> python bench/development.py

Runs on whatever database ``BENCH_DATABASE_URL`` (else ``DATABASE_URL``) names, migrated
first. It builds its own throwaway subtree under a root of its own ("基准测试市委"): 19
districts × ``STREETS`` streets × ``BRANCHES`` branches, and about ``BENCH_DEVELOPMENT_CASES``
(100,000) development cases spread over the branches, the city's mix of stages (60 : 35 : 12 :
25 thousand applicants, activists, candidates, probationary members), their step dates walked by
the demo's generator (``scenario.development._Walker``: every step checked by the stage engine,
some late with reasons, some left overdue). Read as of the demo's day (2005-09-20).

Timed (Django's test client as the district's officer, second factor passed; routing,
middleware, scoping, queries, rendering), repeated, median and p95:
- the district's worklist page, overdue, page 1 and page 5, and due within 30 days;
- the API worklist (overdue, first 50);
against two baselines in the same run:
- **the engine case by case** (how it would be without the stored ``next_due``): load the
  district's cases and all their steps, compute each case's next due step with
  ``Pipeline.next_due`` and keep the overdue ones, sorted; fed by the same rows the bench wrote;
- **the bare SQL** of the page's list (the stored ``next_due`` range, first 50 rows).

The subtree, its cases and steps are deleted at the end (``BENCH_DEVELOPMENT_KEEP=1`` keeps
them). Results in ``bench/results/development.json`` and the section of ``bench/BENCHMARKS.md``
(``BENCH_NO_REPORT=1`` writes neither). Target: worklist p95 ≤ 200 ms.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CASES = int(os.environ.get("BENCH_DEVELOPMENT_CASES", "100000"))
STREETS = int(os.environ.get("BENCH_DEVELOPMENT_STREETS", "4"))
BRANCHES = int(os.environ.get("BENCH_DEVELOPMENT_BRANCHES", "25"))
DISTRICTS = 19
MIX = {"applicant": 60, "activist": 35, "candidate": 12, "probationary": 25}
TARGET_P95_MS = 200
OFFICER = "bench.development.officer"
ROOT_CODE = "BENCHDEV"


def main() -> int:
    from run import django_on, header, page_timer, sql_timer, timed

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        print("set BENCH_DATABASE_URL or DATABASE_URL")
        return 2
    django_on(url, today="2005-09-20")
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    _clean()
    t = time.perf_counter()
    district, officer, built = _build()
    build_s = round(time.perf_counter() - t, 1)
    try:
        results: dict[str, Any] = {
            **header(),
            "today": "2005-09-20",
            "build_seconds": build_s,
            **built,
            "pages": _measure(district, officer, page_timer, sql_timer, timed),
        }
    finally:
        if os.environ.get("BENCH_DEVELOPMENT_KEEP") != "1":
            _clean()
    if os.environ.get("BENCH_NO_REPORT") != "1":
        out = ROOT / "bench" / "results" / "development.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        write_table(results)
        print(f"written {out}")
    else:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


def _clean() -> None:
    from jiceng.accounts.models import RoleAssignment
    from jiceng.development.models import Development
    from jiceng.orgs.models import Organization

    root = Organization.objects.filter(code=ROOT_CODE).first()
    if root is None:
        return
    Development.objects.filter(path__startswith=root.path).delete()
    # the officer stays (their logins are in the append-only audit log); their role goes
    RoleAssignment.objects.filter(organization__path__startswith=root.path).delete()
    Organization.objects.filter(path__startswith=root.path).delete()


def _build() -> tuple[Any, Any, dict[str, Any]]:
    from django.db import transaction
    from django.utils import timezone
    from rich.progress import Progress

    from jiceng.accounts.models import RoleAssignment, User
    from jiceng.accounts.roles import Role
    from jiceng.core.idnumber import make_id_number, mask_id_number
    from jiceng.core.stages import Record, Records
    from jiceng.development import rules
    from jiceng.development.models import Development, DevelopmentStep
    from jiceng.development.services import refresh
    from jiceng.members.services import id_number_index
    from jiceng.orgs.models import Organization, OrgType
    from jiceng.scenario.development import _admitted_walk, _Walker

    rng = random.Random(2005)
    today = dt.date(2005, 9, 20)
    walker = _Walker(rng, today)
    branches: list[Organization] = []
    with Progress() as bar, transaction.atomic():
        task = bar.add_task("组织", total=DISTRICTS * STREETS * (BRANCHES + 1) + DISTRICTS)
        root = Organization.objects.add_root(
            instance=Organization(
                code=ROOT_CODE, name="基准测试市委", org_type=OrgType.CITY_COMMITTEE
            )
        )

        def child(parent: Any, **fields: Any) -> Any:
            parent.refresh_from_db()  # treebeard counts the parent's children from the row
            return Organization.objects.add_child(parent, instance=Organization(**fields))

        districts = []
        for d in range(DISTRICTS):
            dist = child(
                root,
                code=f"{ROOT_CODE}{d:02d}",
                name=f"基准第{d + 1}区委",
                org_type=OrgType.DISTRICT_COMMITTEE,
            )
            districts.append(dist)
            bar.advance(task)
            for s in range(STREETS):
                street = child(
                    dist,
                    code=f"{ROOT_CODE}{d:02d}{s:02d}",
                    name=f"基准第{d + 1}区第{s + 1}街道党工委",
                    org_type=OrgType.STREET_COMMITTEE,
                )
                bar.advance(task)
                for b in range(BRANCHES):
                    branches.append(
                        child(
                            street,
                            code=f"{ROOT_CODE}{d:02d}{s:02d}{b:03d}",
                            name=f"基准第{d + 1}区第{s + 1}街道第{b + 1}党支部",
                            org_type=OrgType.BRANCH,
                        )
                    )
                    bar.advance(task)
        officer, _made = User.objects.get_or_create(username=OFFICER)
        RoleAssignment.objects.create(
            user=officer, role=Role.DISTRICT_OFFICER, organization=districts[0]
        )
        stages = [s for s, n in MIX.items() for _i in range(n)]
        task = bar.add_task("发展党员", total=CASES)
        now = timezone.now()
        steps_written = 0
        chunk: list[tuple[Any, list]] = []

        def flush() -> int:
            Development.objects.bulk_create([c for c, _w in chunk], batch_size=2000)
            rows = [
                DevelopmentStep(
                    development=c,
                    step=code,
                    on=on,
                    details=details,
                    reason=reason,
                    late=bool(reason),
                    by=rules.PIPELINE_2014.step(code).by,
                    actor_repr="bench",
                    created_at=now,
                )
                for c, walk in chunk
                for code, on, reason, details in walk
            ]
            DevelopmentStep.objects.bulk_create(rows, batch_size=5000)
            chunk.clear()
            return len(rows)

        for i in range(CASES):
            stage = rng.choice(stages)
            org = branches[rng.randrange(len(branches))]
            born = dt.date(rng.randint(1960, 1984), rng.randint(1, 12), rng.randint(1, 28))
            if stage == "probationary":
                joined = today - dt.timedelta(days=rng.randint(20, 400))
                walk = _admitted_walk(walker, joined)
            else:
                span = {"applicant": (30, 330), "activist": (300, 900), "candidate": (500, 1000)}
                walk = walker.walk(stage, today - dt.timedelta(days=rng.randint(*span[stage])))
            number = make_id_number("310101", born, i % 500, "M" if i % 2 else "F")
            c = Development(
                name=f"基准申请人{i}",
                sex="M" if i % 2 else "F",
                birth_date=born,
                id_number=number,
                id_number_index=id_number_index(number),
                id_number_masked=mask_id_number(number),
                org_id=org.pk,
                path=org.path,
                applied_on=walk[0][1],
            )
            refresh(c, Records(Record(code, on) for code, on, _r, _x in walk))
            chunk.append((c, walk))
            if len(chunk) == 5000:
                steps_written += flush()
            bar.advance(task)
        if chunk:
            steps_written += flush()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE development_development")
            cursor.execute("ANALYZE development_developmentstep")
    district = districts[0]
    in_district = Development.objects.filter(path__startswith=district.path)
    return (
        district,
        officer,
        {
            "cases": CASES,
            "steps": steps_written,
            "branches": len(branches),
            "district_cases": in_district.count(),
            "district_overdue": in_district.filter(next_due__lt=today).count(),
            "database": connection.vendor,
        },
    )


def _engine_baseline(district: Any) -> Any:
    """The worklist without the stored ``next_due``: every case of the district and its steps,
    the engine's next due step per case, the overdue ones sorted (first 50)."""
    from jiceng.core.stages import Record, Records
    from jiceng.development import rules
    from jiceng.development.models import Development, DevelopmentStep

    today = dt.date(2005, 9, 20)

    def run() -> None:
        ids = list(
            Development.objects.filter(path__startswith=district.path).values_list("id", flat=True)
        )
        by_case: dict[int, list[Record]] = {}
        for case, step, on, value in DevelopmentStep.objects.filter(
            development__path__startswith=district.path
        ).values_list("development_id", "step", "on", "value"):
            by_case.setdefault(case, []).append(Record(step, on, value))
        rows = []
        for pk in ids:
            nxt = rules.PIPELINE_2014.next_due(Records(by_case.get(pk, [])))
            if nxt and nxt.due and nxt.due < today:
                rows.append((nxt.due, pk))
        rows.sort()
        assert rows or not ids
        list(Development.objects.filter(pk__in=[pk for _d, pk in rows[:50]]))

    return run


def _measure(district: Any, officer: Any, page_timer: Any, sql_timer: Any, timed: Any) -> dict:
    from django.test import Client

    from conftest import mark_verified
    from jiceng.development.models import Development

    client = Client()
    client.force_login(officer)
    mark_verified(client, officer)
    base = "/development/"
    qs = Development.objects.filter(path__startswith=district.path, next_due__lt="2005-09-20")
    sql, params = (
        qs.order_by("next_due", "id")
        .values_list("id", "name", "next_due")[:50]
        .query.sql_with_params()
    )
    out = {
        "worklist_overdue_page1": timed(page_timer(client, f"{base}?kind=overdue")),
        "worklist_overdue_page5": timed(page_timer(client, f"{base}?kind=overdue&page=5")),
        "worklist_due": timed(page_timer(client, f"{base}?kind=due")),
        "api_worklist": timed(page_timer(client, "/api/development/worklist/?kind=overdue")),
        "baseline_sql": timed(sql_timer(sql, list(params))),
        "baseline_engine_case_by_case": timed(_engine_baseline(district), repeats=5),
    }
    out["target_p95_ms"] = TARGET_P95_MS
    out["meets_target"] = out["worklist_overdue_page1"]["p95_ms"] <= TARGET_P95_MS
    return out


def write_table(results: dict[str, Any]) -> None:
    """Replace the development section of ``bench/BENCHMARKS.md``."""
    path = ROOT / "bench" / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = "<!-- development:start -->", "<!-- development:end -->"
    p = results["pages"]
    lines = [
        start,
        "## Membership development: a district's worklist (bench/development.py)",
        "",
        f"{results['cases']:,} cases and {results['steps']:,} steps over {results['branches']:,}"
        f" branches in a throwaway subtree ({results['database']}); the district holds"
        f" {results['district_cases']:,} cases, {results['district_overdue']:,} overdue on"
        f" {results['today']}. Target: worklist p95 ≤ {TARGET_P95_MS} ms.",
        "",
        "| what | median ms | p95 ms |",
        "|---|---:|---:|",
    ]
    for key, row in p.items():
        if isinstance(row, dict):
            lines.append(f"| {key} | {row['median_ms']} | {row['p95_ms']} |")
    lines.append(end)
    block = "\n".join(lines)
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
