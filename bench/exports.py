"""Export benchmarks (issue 17 item 8): the whole member roll (2,000,000 rows at city scale)
exported by the background job as CSV and .xlsx, against two baselines measured in the same
run.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/exports.py

Uses the city database built by ``bench/run.py``. The export is ``city.admin``'s (every member
on the roll), masked, through ``exports.export_start`` (the audit) and ``exports.export_run``
(what the ``run_export`` task does: rows read in chunks, the file written, the progress saved
every ``EXPORT_PROGRESS_ROWS`` rows). Baselines, fed from the same rows in the same order:

* *csv.writer*: the same columns read by Django as ``.values_list`` (organisations by join),
  written by a bare ``csv.writer``: no labels, no date precision, no formula guard;
* *COPY* (PostgreSQL only): ``COPY (SELECT … the same columns, joins and order …) TO STDOUT
  (FORMAT csv)`` copied to a file by psycopg: the least the server and the disk can do.

``BENCH_EXPORT_FORMATS`` (default ``csv,xlsx``) picks the cases; ``BENCH_EXPORT_REVEAL=1`` adds
a revealed CSV (decryption of every ID number and phone). Results: ``bench/results/
exports.json`` and the exports section of ``bench/BENCHMARKS.md``; ``BENCH_NO_REPORT=1``
prints only (for trying the bench on a small database).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
FORMATS = [f for f in os.environ.get("BENCH_EXPORT_FORMATS", "csv,xlsx").split(",") if f]
REVEAL = os.environ.get("BENCH_EXPORT_REVEAL") == "1"
USER = os.environ.get("BENCH_EXPORT_USER", "city.admin")
NO_REPORT = os.environ.get("BENCH_NO_REPORT") == "1"

# The export's columns as stored (masked), in the file's order.
PLAIN_COLUMNS = [
    "name", "sex", "ethnicity", "birth_date", "id_number_masked", "education", "phone_masked",
    "category", "joined_on", "full_member_on", "employment_status", "work_unit",
    "home_org__code", "home_org__name", "participating_org__code", "participating_org__name",
]  # fmt: skip
COPY_SQL = """
COPY (
  SELECT m.name, m.sex, m.ethnicity, m.birth_date, m.id_number_masked, m.education,
         m.phone_masked, m.category, m.joined_on, m.full_member_on, m.employment_status,
         m.work_unit, '' AS home_address, h.code, h.name, p.code, p.name
  FROM members_member m
  JOIN orgs_organization h ON h.id = m.home_org_id
  LEFT JOIN orgs_organization p ON p.id = m.participating_org_id
  WHERE m.transferred_out_on IS NULL
  ORDER BY m.home_path, m.id
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiceng_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "0"
    work = Path(tempfile.mkdtemp(prefix="jiceng-bench-exports-"))
    os.environ["JICENG_EXPORT_ROOT"] = str(work)
    import django

    django.setup()
    from django.db import connection

    from jiceng.accounts.models import User
    from jiceng.imports import exports
    from jiceng.imports.models import ExportJob
    from jiceng.members import selectors as member_selectors

    user = User.objects.get(username=USER)
    postgres = connection.vendor == "postgresql"
    database = (
        f"PostgreSQL {connection.pg_version // 10000}" if postgres else f"{connection.vendor}"
    )
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": database,
        "user": USER,
        "cases": {},
        "baselines": {},
    }

    def run_job(fmt: str, reveal: bool) -> dict[str, Any]:
        t0 = time.perf_counter()
        job = exports.export_start(
            actor=user,
            kind=ExportJob.Kind.MEMBERS,
            fmt=fmt,
            query={"bench": "1"},
            filters=member_selectors.MemberFilters(),
            reveal=reveal,
        )
        t1 = time.perf_counter()
        job = exports.export_run(job=job)
        t2 = time.perf_counter()
        assert job.status == ExportJob.Status.DONE, job.message
        size = job.size
        job.path.unlink(missing_ok=True)
        return {
            "rows": job.rows_done,
            "start_s": round(t1 - t0, 1),  # the count and the audit
            "write_s": round(t2 - t1, 1),
            "total_s": round(t2 - t0, 1),
            "rows_per_s": round(job.rows_done / (t2 - t0)),
            "mb": round(size / 1e6, 1),
        }

    def csv_writer_baseline() -> dict[str, Any]:
        qs = (
            member_selectors.member_list(user, member_selectors.MemberFilters())
            .order_by("home_path", "id")
            .values_list(*PLAIN_COLUMNS)
        )
        path = work / "baseline.csv"
        t = time.perf_counter()
        rows = 0
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(exports.MEMBER_HEADER)
            for row in qs.iterator(chunk_size=exports.EXPORT_CHUNK):
                writer.writerow(row)
                rows += 1
        elapsed = time.perf_counter() - t
        path.unlink()
        return {"rows": rows, "total_s": round(elapsed, 1), "rows_per_s": round(rows / elapsed)}

    def copy_baseline() -> dict[str, Any]:
        path = work / "copy.csv"
        t = time.perf_counter()
        with (
            connection.cursor() as cursor,
            path.open("wb") as fh,
            cursor.cursor.copy(COPY_SQL) as copy,
        ):
            for block in copy:
                fh.write(block)
        elapsed = time.perf_counter() - t
        with path.open("rb") as fh:
            rows = sum(1 for _ in fh) - 1  # no newlines inside the fields here
        path.unlink()
        return {"rows": rows, "total_s": round(elapsed, 1), "rows_per_s": round(rows / elapsed)}

    results["baselines"]["csv.writer over .values_list"] = csv_writer_baseline()
    if postgres:
        results["baselines"]["COPY … TO STDOUT"] = copy_baseline()
    print(json.dumps(results["baselines"], ensure_ascii=False))
    cases = [(fmt, False) for fmt in FORMATS] + ([("csv", True)] if REVEAL else [])
    for fmt, reveal in cases:
        name = f"{fmt}{', revealed' if reveal else ''}"
        results["cases"][name] = case = run_job(fmt, reveal)
        floor = next(iter(results["baselines"].values()))
        case["ratio_to_csv_writer"] = round(case["total_s"] / max(floor["total_s"], 0.01), 1)
        print(name, case)
    if NO_REPORT:
        return 0
    (ROOT / "bench" / "results" / "exports.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n"
    )
    write_table(results)
    return 0


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    lines = [
        f"{results['database']}, 2 cores; the whole roll exported by `{results['user']}`",
        "(masked) through the background job: *start* is `export_start` (the count and the",
        "audit, per home district), *write* is `export_run`, what the `run_export` task does",
        "(rows read as plain values in chunks of 5,000, labels and date precision applied,",
        "formula guard, the file written, progress saved every 5,000 rows). Baselines in the",
        "same run, from the same rows in the same order: *csv.writer* reads the same columns",
        "with Django's `.values_list` (organisations by join) into a bare `csv.writer`; *COPY*",
        "is PostgreSQL's `COPY (SELECT …) TO STDOUT (FORMAT csv)` of the same columns, joins",
        f"and order, written to a file by psycopg. Run {results['when']}.",
        "",
        "| case | rows | start s | write s | total s | rows/s | MB | × csv.writer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["cases"].items():
        lines.append(
            f"| {name} | {r['rows']:,} | {r['start_s']} | {r['write_s']} | {r['total_s']} | "
            f"{r['rows_per_s']:,} | {r['mb']} | {r['ratio_to_csv_writer']} |"
        )
    for name, r in results["baselines"].items():
        lines.append(
            f"| baseline: {name} | {r['rows']:,} | | | {r['total_s']} | {r['rows_per_s']:,} | | |"
        )
    write_section("Exports (issue 17): the whole roll as CSV and xlsx", lines)


if __name__ == "__main__":
    raise SystemExit(main())
