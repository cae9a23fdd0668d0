"""``make fuzz``: the API fuzzing's long run (issue 14).

Runs ``tests/test_api_fuzz.py`` (Schemathesis over every operation, as a city administrator and
a district officer, every check) with ``FUZZ_EXAMPLES`` examples per operation and phase
(default 100; CI runs 10), on SQLite, or on PostgreSQL when ``DATABASE_URL`` is set. Keeps
the summary per database in ``bench/results/fuzz.json`` and rewrites the "API fuzzing"
section of ``bench/BENCHMARKS.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "fuzz.json"
HEADING = "API fuzzing (issue 14): Schemathesis over every operation"


def run(examples: int) -> dict:
    env = {**os.environ, "FUZZ_EXAMPLES": str(examples)}
    with tempfile.TemporaryDirectory() as tmp:
        env["FUZZ_REPORT"] = str(Path(tmp) / "fuzz.json")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/test_api_fuzz.py", "-q", "-p", "no:warnings"],
            cwd=ROOT,
            env=env,
            check=False,
        )
        report = json.loads(Path(env["FUZZ_REPORT"]).read_text())
    report["passed"] = done.returncode == 0
    report["ran_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["python"] = platform.python_version()
    report["cpus"] = os.cpu_count()
    return report


def render(results: dict) -> list[str]:
    lines = [
        "`make fuzz` runs `tests/test_api_fuzz.py` with many examples per operation "
        "(`FUZZ_EXAMPLES`; CI runs 10 on each database): Schemathesis against the WSGI app "
        "in-process, derandomized, every operation as `city.admin` and as `huangpu.officer` "
        "(API tokens), with every check: no server error, responses, status codes, content "
        "types and headers as documented, schema-invalid input refused, schema-valid input "
        "accepted (reads; for writes, the input serializer accepts every schema-valid body, "
        "since a service may refuse what the state of its rows does not allow).",
        "",
        "| database | examples / operation | operations | test items | cases | failures "
        "| duration | run |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for db, r in sorted(results.items()):
        failures = ", ".join(f"{k} {v}" for k, v in r["failures_by_check"].items()) or "0"
        lines.append(
            f"| {db} | {r['examples_per_operation']} | {r['operations']} | {r['test_items']} "
            f"| {r['cases']:,} | {failures} | {r['duration_s'] / 60:.1f} min | {r['ran_at']} |"
        )
    lines += [
        "",
        "Failures count (operation, user, check) triples, each once however many examples "
        "Hypothesis tried while shrinking it. Before the fixes of issue 14 the first CI-sized "
        "run failed on every operation (undocumented 400/403/404, 500s from huge ids and "
        "pages, nulls in strings, enums and types not enforced).",
    ]
    return lines


def main() -> None:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "100"))
    report = run(examples)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[report["database"]] = report
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_section(HEADING, render(results))
    print(json.dumps({k: v for k, v in report.items() if k != "failures_by_operation"}, indent=2))
    if not report["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
