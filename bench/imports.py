"""Import benchmarks (issue 3): member rows from CSV and .xlsx into PostgreSQL with full
validation, against PostgreSQL's own ``COPY`` of the same rows (the floor), in one run.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench \\
        BENCH_IMPORT_ROWS=1000000 BENCH_XLSX_ROWS=200000 python bench/imports.py

Uses the city database built by ``bench/run.py``. The rows are generated (valid ID numbers,
names, phones, dates, branch codes of the city tree), imported as ``city.admin`` into the city
committee's subtree through the same engine as the page and the command (dry run, then the
batched run), then removed again so the run can be repeated. Results: ``bench/results/
imports.json`` and the imports section of ``bench/BENCHMARKS.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CSV_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
XLSX_ROWS = int(os.environ.get("BENCH_XLSX_ROWS", "200000"))
HEADER = [
    "姓名",
    "公民身份号码",
    "入党日期",
    "转正日期",
    "党员类别",
    "联系电话",
    "组织关系所在党组织",
]
FIELDS = ["name", "id_number", "joined_on", "full_member_on", "category", "phone", "home_org"]
MARK = "导入测"  # names of benchmark rows start with this, so they can be removed


def generate(n: int, branch_codes: list[str], seed: int) -> list[list[Any]]:
    from jiceng.core.idnumber import make_id_number
    from jiceng.scenario.names import NameMaker

    rng = random.Random(seed)
    names = NameMaker(rng)
    used: set[str] = set()
    rows = []
    while len(rows) < n:
        sex = rng.choice("MF")
        born = dt.date(rng.randint(1930, 1985), rng.randint(1, 12), rng.randint(1, 28))
        idn = make_id_number("610103", born, rng.randint(0, 499), sex)  # not used by the scenario
        if idn in used:
            continue
        used.add(idn)
        joined = dt.date(born.year + rng.randint(19, 40), rng.randint(1, 12), 1)
        rows.append(
            [
                MARK + names.full(sex, born.year)[1:],
                idn,
                joined.isoformat(),
                (joined + dt.timedelta(days=366)).isoformat(),
                "正式党员",
                f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
                rng.choice(branch_codes),
            ]
        )
    return rows


def server_settings(connection: Any) -> str:
    names = ("shared_buffers", "max_wal_size", "checkpoint_timeout", "synchronous_commit")
    with connection.cursor() as cursor:
        shown = []
        for setting in names:
            cursor.execute(f"SHOW {setting}")
            shown.append(f"{setting}={cursor.fetchone()[0]}")
    return ", ".join(shown)


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiceng_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "0"
    work = Path(tempfile.mkdtemp(prefix="jiceng-bench-"))
    os.environ["JICENG_IMPORT_ROOT"] = str(work / "uploads")
    import django

    django.setup()
    import openpyxl
    from django.db import connection, transaction

    from jiceng.accounts.models import User
    from jiceng.imports import engine, services
    from jiceng.orgs.models import Organization

    admin = User.objects.get(username="city.admin")
    city = Organization.objects.get(code="310000")
    branches = list(
        Organization.objects.filter(org_type="branch").values_list("code", flat=True)[:20000]
    )
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": f"PostgreSQL {connection.pg_version // 10000}",
        "server": server_settings(connection),
        "cases": {},
    }

    def clean_up() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM members_member WHERE name LIKE %s", [MARK + "%"])

    def run_import(path: Path) -> dict[str, Any]:
        clean_up()
        vacuum()
        t0 = time.perf_counter()
        job = services.import_job_create(
            actor=admin,
            organization=city,
            kind="member",
            original_name=path.name,
            chunks=[path.read_bytes()],
        )
        job = engine.job_validate(job)
        t1 = time.perf_counter()
        services.import_job_start(actor=admin, job=job)
        job = engine.job_run(job)
        t2 = time.perf_counter()
        problems = list(job.errors.values_list("row_number", "message")[:5])
        assert job.created_count == job.rows_total, (job.created_count, job.rows_total, problems)
        return {
            "rows": job.rows_total,
            "check_s": round(t1 - t0, 1),
            "write_s": round(t2 - t1, 1),
            "total_s": round(t2 - t0, 1),
            "rows_per_s": round(job.rows_total / (t2 - t0)),
        }

    def copy_floor(path: Path) -> float:
        """PostgreSQL's COPY of the same rows, already clean, into a bare table of their
        columns (no indexes, no constraints): the least the server can do with the file."""
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
            cursor.execute(
                "CREATE TABLE bench_copy_floor (name text, id_number text, "
                "joined_on date, full_member_on date, category text, phone text, "
                "home_org text)"
            )
            t = time.perf_counter()
            with (
                path.open("rb") as fh,
                cursor.cursor.copy(
                    "COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
            ):
                while block := fh.read(1 << 20):
                    copy.write(block)
            elapsed = time.perf_counter() - t
            cursor.execute("DROP TABLE bench_copy_floor")
        return elapsed

    def table_floor(rows: list[list[Any]]) -> float:
        """PostgreSQL's COPY of the same rows as finished member rows (encrypted, keyed,
        with search keys) into ``members_member`` itself, with all its indexes and
        constraints, in one transaction that is then rolled back: the least the server must
        do to hold them."""
        from jiceng.imports.members import (
            LINE_COLUMNS,
            OrgDirectory,
            check_chunk,
            set_check_context,
        )

        mapping = dict(enumerate(FIELDS))
        set_check_context(mapping, OrgDirectory.for_subtree(admin, city))
        lines = [r.line for _n, r, _p in check_chunk(list(enumerate(rows))) if r is not None]
        assert len(lines) == len(rows)
        stamp = dt.datetime.now(dt.UTC).isoformat()
        columns = ", ".join(("id", "created_at", "updated_at", *LINE_COLUMNS))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT max(id) FROM members_member")
            first = cursor.fetchone()[0] + 1
            t = time.perf_counter()
            with cursor.cursor.copy(f"COPY members_member ({columns}) FROM STDIN") as copy:
                for start in range(0, len(lines), 50_000):
                    copy.write(
                        "".join(
                            f"{first + start + i}\t{stamp}\t{stamp}\t{line}\n"
                            for i, line in enumerate(lines[start : start + 50_000])
                        )
                    )
            elapsed = time.perf_counter() - t
            transaction.set_rollback(True)
        vacuum()
        return elapsed

    def vacuum() -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE members_member")

    def write_csv(path: Path, rows: list[list[Any]]) -> Path:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return path

    def measure(name: str, source: Path, clean_csv: Path, rows: list[list[Any]]) -> None:
        floor = copy_floor(clean_csv)
        case = run_import(source)
        clean_up()
        vacuum()
        case["copy_floor_s"] = round(floor, 1)
        case["ratio_to_copy"] = round(case["total_s"] / floor, 1)
        table = table_floor(rows)
        case["table_floor_s"] = round(table, 1)
        case["ratio_to_table"] = round(case["total_s"] / table, 1)
        results["cases"][name] = case
        print(name, case)

    if CSV_ROWS:
        rows = generate(CSV_ROWS, branches, 1)
        path = write_csv(work / "members.csv", rows)
        measure(f"CSV, {CSV_ROWS:,} rows", path, path, rows)
    if XLSX_ROWS:
        rows = generate(XLSX_ROWS, branches, 2)
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("党员")
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
        xpath = work / "members.xlsx"
        wb.save(xpath)
        measure(f"xlsx, {XLSX_ROWS:,} rows", xpath, write_csv(work / "xlsx-as.csv", rows), rows)
    clean_up()
    (ROOT / "bench" / "results" / "imports.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n"
    )
    write_table(results)
    return 0


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    lines = [
        f"{results['database']}, 2 cores; rows generated (valid IDs, names, phones, dates,",
        "branch codes of the city tree), imported by `city.admin` into the city subtree through",
        "the page's engine. *check*: the dry run — every row cleaned and checked (forked worker",
        "processes, one per core), looked up on the roll, and prepared for writing (pinyin",
        "keys, blind indexes, encryption), problems stored. *write*: the prepared rows written",
        "5,000 per transaction with the job's counter, new members by COPY.",
        "Two floors, measured in the same run: *bare COPY* is PostgreSQL's COPY of the same",
        "rows, already clean, into a table of their columns with no index; *table COPY* is",
        "PostgreSQL's COPY of the finished member rows into `members_member` itself, with its",
        "indexes and constraints (rolled back afterwards), i.e. what the server must do at least.",
        f"Server settings: {results.get('server', 'defaults')}. Run {results['when']}.",
        "",
        "Targets: 1,000,000 CSV rows ≤ 60 s and within 5× of COPY; 200,000 xlsx rows ≤ 30 s.",
        "",
        "| case | check s | write s | total s | rows/s | bare COPY s | × bare | table COPY s |"
        " × table |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["cases"].items():
        lines.append(
            f"| {name} | {r['check_s']} | {r['write_s']} | {r['total_s']} | "
            f"{r['rows_per_s']:,} | {r['copy_floor_s']} | {r['ratio_to_copy']} | "
            f"{r['table_floor_s']} | {r['ratio_to_table']} |"
        )
    write_section("Imports (issue 3): members from CSV and xlsx", lines)


if __name__ == "__main__":
    raise SystemExit(main())
