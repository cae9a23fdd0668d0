"""Ranking 20,000 applicants of one post (issue 23 item 1, S3), target ≤ 2 s on PostgreSQL.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/workers.py
    BENCH_DATABASE_URL=postgres://…/a_small_db python bench/workers.py --print-only  # a trial

The bench needs no scenario: in one transaction it makes a throwaway round of the first
district committee of the database (or of a district it makes itself when the tree is empty),
one post and ``APPLICANTS`` scored applications (encrypted ID numbers and phones, random
scores on a 0.5-point grid so that many totals tie and the tie rule is exercised), times the
ranking, and rolls everything back.

Measured: ``workers.services.post_rank`` (what the page's button, the API and the demo data
call): one UPDATE … FROM a ROW_NUMBER() window over the post's scored applications, the
total from the round's weights computed in the statement. Baseline, in the same process on
the same rows: the ranking through the ORM as Django intends for many rows — read the scored
applications, compute each total in Python (``rules.total_score``), sort by
``rules.rank_key`` (the same tie rule), and write totals and places with ``bulk_update`` in
batches of 1,000. Both runs must give every applicant the same place.
"""

from __future__ import annotations

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
CITY_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench"
APPLICANTS = int(os.environ.get("BENCH_WORKERS_APPLICANTS", "20000"))
RUNS = int(os.environ.get("BENCH_WORKERS_RUNS", "3"))
TARGET_S = 2.0


def main() -> int:
    from run import django_on, header

    django_on(os.environ.get("BENCH_DATABASE_URL", CITY_URL), today="2005-06-10")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results: dict[str, Any] = {**header(), "applicants": APPLICANTS, "runs": _runs()}
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if "--print-only" in sys.argv:
        return 0
    out = ROOT / "bench" / "results" / "workers.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_table(results)
    return 0


def _district() -> Any:
    from jiceng.orgs.models import Organization, OrgType

    found = Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE).first()
    if found is not None:
        return found
    root = Organization.add_root(code="B00000", name="基准市委", org_type=OrgType.CITY_COMMITTEE)
    return root.add_child(code="B00001", name="基准区委", org_type=OrgType.DISTRICT_COMMITTEE)


def _world() -> Any:
    """A throwaway round, post and ``APPLICANTS`` scored applications (inside the caller's
    transaction)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from jiceng.core.idnumber import make_id_number, mask_id_number
    from jiceng.members.services import id_number_index
    from jiceng.workers.models import WorkerApplication, WorkerPost, WorkerRecruitment
    from jiceng.workers.rules import AppState

    district = _district()
    now = timezone.now()
    r = WorkerRecruitment.objects.create(
        district=district,
        path=district.path,
        title="基准招聘",
        opens_on=dt.date(2005, 5, 9),
        closes_on=dt.date(2005, 5, 20),
        written_weight=Decimal("0.40"),
        interview_weight=Decimal("0.60"),
        created_at=now,
    )
    post = WorkerPost.objects.create(recruitment=r, path=r.path, title="基准岗位", places=20)
    rng = random.Random(2005)
    rows = []
    for i in range(APPLICANTS):
        born = dt.date(1970 + i % 14, 1 + i % 12, 1 + i % 28)
        number = make_id_number("310101", born, i % 500, "MF"[i % 2])
        rows.append(
            WorkerApplication(
                post=post,
                recruitment=r,
                path=r.path,
                receipt=f"B{i:011d}",
                name=f"考生{i}",
                id_number=number,
                id_number_index=id_number_index(f"{number}{i}"),
                id_number_masked=mask_id_number(number),
                phone="+8613800000000",
                phone_masked="138****0000",
                birth_date=born,
                education="university",
                applied_on=dt.date(2005, 5, 9),
                applied_at=now + dt.timedelta(seconds=i),
                state=AppState.SCORED,
                written_score=Decimal(rng.randint(100, 196)) / 2,
                interview_score=Decimal(rng.randint(100, 196)) / 2,
            )
        )
    WorkerApplication.objects.bulk_create(rows, batch_size=2000)
    return post


def _baseline(post: Any) -> dict[int, int]:
    """The ORM's way: totals and the sort in Python, then ``bulk_update`` in batches of 1,000
    (Django's own path for writing many rows; one UPDATE per row would be a straw man)."""
    from jiceng.workers.models import WorkerApplication
    from jiceng.workers.rules import AppState, rank_key, total_score

    r = post.recruitment
    apps = list(
        WorkerApplication.objects.filter(post=post, state=AppState.SCORED).only(
            "id", "written_score", "interview_score", "applied_at"
        )
    )
    for a in apps:
        a.total_score = total_score(
            a.written_score, a.interview_score, r.written_weight, r.interview_weight
        )
    apps.sort(
        key=lambda a: rank_key(
            a.total_score, a.interview_score, a.written_score, a.applied_at, a.pk
        )
    )
    for place, a in enumerate(apps, 1):
        a.rank = place
    WorkerApplication.objects.bulk_update(apps, ["total_score", "rank"], batch_size=1000)
    return dict(WorkerApplication.objects.filter(post=post).values_list("id", "rank"))


def _run() -> dict[str, Any]:
    from django.db import transaction

    from jiceng.workers import services
    from jiceng.workers.models import WorkerApplication

    with transaction.atomic():
        post = _world()
        started = time.perf_counter()
        ranked = services.post_rank(actor=None, post=post)
        sql_s = time.perf_counter() - started
        by_sql = dict(WorkerApplication.objects.filter(post=post).values_list("id", "rank"))
        WorkerApplication.objects.filter(post=post).update(rank=None, total_score=None)
        started = time.perf_counter()
        by_python = _baseline(post)
        baseline_s = time.perf_counter() - started
        ties = WorkerApplication.objects.filter(post=post).values("total_score").distinct().count()
        transaction.set_rollback(True)
    assert ranked == APPLICANTS, ranked
    assert by_sql == by_python, "the SQL and the row-by-row ranking differ"
    result = {
        "ranked": ranked,
        "distinct_totals": ties,
        "sql_seconds": round(sql_s, 3),
        "baseline_seconds": round(baseline_s, 3),
        "speedup": round(baseline_s / sql_s, 1) if sql_s else None,
        "within_target": sql_s <= TARGET_S,
    }
    print("workers ranking", result)
    return result


def _runs() -> list[dict[str, Any]]:
    return [_run() for _ in range(RUNS)]


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    lines = [
        f"{results['database']}, {results['machine']}. Run {results['when']}. "
        f"{results['applicants']:,} scored applicants of one post in a throwaway round "
        "(made and rolled back by the bench; no scenario needed).",
        "",
        f"**Ranking** (target ≤ {TARGET_S} s): `workers.services.post_rank`, one UPDATE … FROM "
        "a ROW_NUMBER() window (total from the round's weights; ties: interview, written, "
        "earlier application). Baseline in the same process on the same rows: totals and the "
        "sort in Python, written with `bulk_update` in batches of 1,000 (the ORM's path for many "
        "rows). Both give every applicant the same place.",
        "",
        "| run | ranked | distinct totals | SQL s | baseline s | speed-up |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(results["runs"], 1):
        lines.append(
            f"| {i} | {r['ranked']:,} | {r['distinct_totals']:,} | {r['sql_seconds']} | "
            f"{r['baseline_seconds']} | {r['speedup']}× |"
        )
    write_section("Worker recruitment (issue 23): ranking 20,000 applicants", lines)


if __name__ == "__main__":
    raise SystemExit(main())
