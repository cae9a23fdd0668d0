"""Membership lifecycle benchmarks (issue 4) on PostgreSQL: a bulk transfer of 10,000 members,
and the unplaced-members worklist page (S10) of a district and of the whole city.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench \\
        BENCH_TRANSFER_MEMBERS=10000 python bench/lifecycle.py

Uses the city database built by ``bench/run.py`` (``BENCH_SCALE=tiny`` builds a small one for a
quick check). ``city.admin`` transfers N members spread over the city to 500 branches (S17:
relationships moved to the nearest branch) as one all-or-nothing operation, through the same
service as the page and the API: (a) completed at once (both sides in scope), (b) approved
with letters issued, waiting for the receiving side. Each run is rolled back, so the database
is unchanged and the run can be repeated. Target: 10,000 members ≤ 10 s. The worklist page is
timed through Django's test client (routing, scoping, the count, one page of 50 with its
suggestions, per-child counts, rendering) against the bare SQL of its count and page in the
same run. Target: ≤ 300 ms. Results go to
``bench/results/lifecycle.json`` and ``bench/BENCHMARKS.md`` when run at city scale.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench"
MEMBERS = int(os.environ.get("BENCH_TRANSFER_MEMBERS", "10000"))
TARGETS = 500
REPEATS = int(os.environ.get("BENCH_TRANSFER_REPEATS", "3"))
CITY_MEMBERS = 1_000_000  # results are recorded only for a city-scale database


class _RollbackError(Exception):
    pass


def main() -> int:
    from run import django_on

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    django_on(url)
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiceng.accounts.models import User
    from jiceng.members.models import Member, Transfer
    from jiceng.members.transfers import services as ts
    from jiceng.members.transfers.rules import OPEN_STATES
    from jiceng.orgs.models import Organization
    from jiceng.scenario.build import is_built

    call_command("migrate", verbosity=0)
    if not is_built():
        call_command("scenario", scale=os.environ.get("BENCH_SCALE", "city"), seed=2005)
    admin = User.objects.get(username="city.admin")
    total = Member.objects.count()
    busy = Transfer.objects.filter(state__in=OPEN_STATES).values("member_id")
    step = max(1, total // (MEMBERS * 2))
    # Members spread over the whole city: every step-th id.
    ids = list(
        Member.objects.filter(transferred_out_on=None)
        .exclude(pk__in=busy)
        .order_by("id")
        .values_list("id", flat=True)[: MEMBERS * step : step]
    )[:MEMBERS]
    branches = list(
        Organization.objects.filter(org_type="branch", abolished_on=None).order_by("path")
    )
    targets = branches[:: max(1, len(branches) // TARGETS)][:TARGETS]

    def moves() -> list[tuple[Any, Any]]:
        members = Member.objects.select_related("home_org").in_bulk(ids)
        out = []
        for i, pk in enumerate(ids):
            m = members[pk]
            t = targets[i % len(targets)]
            if t.pk == m.home_org_id:
                t = targets[(i + 1) % len(targets)]
            out.append((m, t))
        return out

    def once(complete: bool) -> dict[str, float]:
        t0 = time.perf_counter()
        try:
            with transaction.atomic():
                plan = moves()
                t1 = time.perf_counter()
                result = ts.transfer_bulk(
                    actor=admin, moves=plan, reason="基准测试", complete=complete
                )
                assert result.count == len(ids)
                t2 = time.perf_counter()
                raise _RollbackError
        except _RollbackError:
            pass
        return {"load_s": t1 - t0, "transfer_s": t2 - t1, "total_s": t2 - t0}

    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": f"PostgreSQL {connection.pg_version // 10000}"
        if connection.vendor == "postgresql"
        else connection.vendor,
        "members_in_db": total,
        "members_moved": len(ids),
        "targets": len(targets),
        "cases": {},
    }
    for name, complete in (("completed at once", True), ("letters issued", False)):
        runs = [once(complete) for _ in range(REPEATS)]
        case = {
            k: round(statistics.median(r[k] for r in runs), 2)
            for k in ("load_s", "transfer_s", "total_s")
        }
        case["max_total_s"] = round(max(r["total_s"] for r in runs), 2)
        results["cases"][name] = case
        print(f"bulk transfer of {len(ids):,} members, {name}: {case}")
    # The rolled-back transfers above leave dead row versions that autovacuum would clear in
    # service; the worklist is measured on the table as it stands after that.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE members_member")
    results["worklist"] = worklist_cases(connection)
    if total >= CITY_MEMBERS:
        (ROOT / "bench" / "results" / "lifecycle.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=2) + "\n"
        )
        write_table(results)
    else:
        print(f"({total:,} members: not a city-scale database, results not recorded)")
    return 0


def worklist_cases(connection: Any) -> dict[str, Any]:
    """The unplaced worklist page (S10) for a district officer and for the city, against the
    bare SQL of its count and first page."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from run import timed

    from jiceng.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    cases: dict[str, Any] = {}
    for label, username in (("district (黄浦)", "huangpu.officer"), ("city", "city.admin")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        url = reverse("members:unplaced")

        def page(client: Client = client, url: str = url) -> None:
            assert client.get(url).status_code == 200

        cases[f"worklist page, {label}"] = timed(page, repeats=40)
    root = org_path(connection, "310101")

    def bare() -> None:
        with connection.cursor() as c:
            c.execute(
                "SELECT count(*) FROM members_member WHERE home_path LIKE %s "
                "AND participating_org_id IS NULL AND transferred_out_on IS NULL",
                [root + "%"],
            )
            c.fetchone()
            c.execute(
                "SELECT id, name, home_org_id FROM members_member WHERE home_path LIKE %s "
                "AND participating_org_id IS NULL AND transferred_out_on IS NULL "
                "ORDER BY home_path, id LIMIT 50",
                [root + "%"],
            )
            c.fetchall()

    cases["baseline: bare SQL count + page, district"] = timed(bare, repeats=40)
    for name, r in cases.items():
        print(name, r)
    return cases


def org_path(connection: Any, code: str) -> str:
    with connection.cursor() as c:
        c.execute("SELECT path FROM orgs_organization WHERE code = %s", [code])
        return str(c.fetchone()[0])


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    lines = [
        f"{results['database']}, 2 cores, city scenario ({results['members_in_db']:,} members).",
        f"`city.admin` transfers {results['members_moved']:,} members spread over the city to",
        f"{results['targets']} branches as one all-or-nothing operation (`transfer_bulk`); each",
        "run is rolled back. Median of the runs; load = reading the members and targets.",
        f"Run {results['when']}.",
        "",
        "Target: 10,000 members ≤ 10 s.",
        "",
        "| case | load s | transfer s | total s | max total s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results["cases"].items():
        lines.append(
            f"| {name} | {r['load_s']} | {r['transfer_s']} | {r['total_s']} | {r['max_total_s']} |"
        )
    worklist = results.get("worklist", {})
    if worklist:
        lines += [
            "",
            "The unplaced-members worklist page (S10), first page with suggestions, as the",
            "district officer and as `city.admin`; target ≤ 300 ms.",
            "",
            "| case | median ms | p95 ms | max ms |",
            "|---|---:|---:|---:|",
        ]
        for name, r in worklist.items():
            lines.append(f"| {name} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']} |")
    write_section("Lifecycle (issue 4): bulk transfer", lines)


if __name__ == "__main__":
    raise SystemExit(main())
