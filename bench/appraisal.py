"""Unit appraisal at city scale on PostgreSQL (issue 21 item 4): every unit of the city-wide
campaign (~80,000) scored and ranked, target ≤ 30 s.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/appraisal.py
    BENCH_DATABASE_URL=postgres://…/a_demo_db python bench/appraisal.py --print-only  # a trial

It uses the city database of ``bench/run.py`` (building the ``city`` scenario when it is
empty). Each run is ``services.appraisal_recompute`` as the system, the body of the page's
button, the API's run and ``manage.py appraise``: a handful of grouped queries (units, steps
signed off on time, coverage entries, members by home path, confirmed four ones, petitions
and survey answers by path), the roll-up to each unit's subtree and the ranking in memory,
and one transaction writing every score. Each run is rolled back afterwards, so the database
is as before and the bench can be repeated. The time of each stage is taken from the
service's own progress reports.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CITY_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench"
RUNS = int(os.environ.get("BENCH_APPRAISAL_RUNS", "3"))
TARGET_S = 30


def main() -> int:
    from run import city_ready, django_on, header

    # The demo's day (as ``make demo``): the campaign is read as of it.
    django_on(os.environ.get("BENCH_DATABASE_URL", CITY_URL), today="2005-09-20")
    city_ready()
    results: dict[str, Any] = {
        **header(),
        "data": _figures(),
        "runs": [_run() for _ in range(RUNS)],
    }
    if "--print-only" in sys.argv:  # a trial on a small database: nothing recorded
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    out = ROOT / "bench" / "results" / "appraisal.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_table(results)
    return 0


def _figures() -> dict[str, Any]:
    from jiceng.appraisal.services import default_campaign
    from jiceng.campaigns.models import CampaignUnit, FourOnesItem
    from jiceng.members.models import Member
    from jiceng.petitions.models import Petition
    from jiceng.satisfaction.models import SurveyResponse

    campaign = default_campaign()
    assert campaign is not None, "the scenario has no campaign"
    return {
        "campaign": campaign.name,
        "as_of": str(campaign.reference_date()),
        "units": CampaignUnit.objects.filter(campaign=campaign).count(),
        "members": Member.objects.on_roll().count(),
        "four_ones": FourOnesItem.objects.filter(campaign=campaign).count(),
        "petitions": Petition.objects.count(),
        "survey_responses": SurveyResponse.objects.count(),
    }


def _run() -> dict[str, Any]:
    from django.db import transaction

    from jiceng.appraisal import services

    stages: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(stage: str, _fraction: float) -> None:
        if not stages or stages[-1][0] != stage:
            stages.append((stage, time.perf_counter()))

    with transaction.atomic():
        run = services.appraisal_recompute(actor=None, progress=progress)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    marks = [*stages, ("end", started + seconds)]
    by_stage = {name: round(marks[i + 1][1] - at, 2) for i, (name, at) in enumerate(marks[:-1])}
    result = {
        "units": run.units,
        "scored": run.scored,
        "seconds": round(seconds, 2),
        "stages": by_stage,
    }
    print("appraisal run", result)
    return result


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    d = results["data"]
    lines = [
        f"{results['database']}, {results['machine']}. Run {results['when']}. "
        f"{d['campaign']} as of {d['as_of']}: {d['units']:,} units, {d['members']:,} members "
        f"on the roll, {d['four_ones']:,} four-ones items, {d['petitions']:,} petitions, "
        f"{d['survey_responses']:,} survey answers.",
        "",
        f"**Appraisal of every unit** (target ≤ {TARGET_S} s): "
        "`appraisal.services.appraisal_recompute` as the system, in this process (what the "
        "worker runs for the page's button and the API, and `manage.py appraise`): grouped "
        "queries per source, roll-up to subtrees and ranking in memory, every score written "
        "in one transaction (rolled back after each run).",
        "",
        "| run | units | scored | seconds | slowest stages |",
        "|---|---:|---:|---:|---|",
    ]
    for i, r in enumerate(results["runs"], 1):
        slowest = sorted(r["stages"].items(), key=lambda kv: -kv[1])[:3]
        stages = "; ".join(f"{name} {s} s" for name, s in slowest)
        lines.append(f"| {i} | {r['units']:,} | {r['scored']:,} | {r['seconds']} | {stages} |")
    write_section("Appraisal (issue 21): every unit of the city scored and ranked", lines)


if __name__ == "__main__":
    raise SystemExit(main())
