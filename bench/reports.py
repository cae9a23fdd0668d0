"""The city's summary report at city scale on PostgreSQL (issue 22): generating the summary of
the second batch over the whole city (target ≤ 10 s), reading its page, and its .docx
(target ≤ 15 s).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/reports.py
    BENCH_DATABASE_URL=postgres://…/a_demo_db python bench/reports.py --print-only  # a trial

It uses the city database of ``bench/run.py`` (building the ``city`` scenario when it is
empty). A generation is ``services.report_now`` as the system (the body of the worker's task
behind the page's button, the API and ``manage.py summarize``): every figure counted over the
city, the appendix's figures grouped by district, the previous batch's, the text written and
the report stored; each run is rolled back afterwards. Baseline, in the same run: the same
queries (the appendix's figures grouped by district, the others counted) as bare SQL through
one cursor: what the counting costs without Django, the composing and the storing. The page
and the .docx are read through Django's test client as city.admin from one stored report.
Last, the home page and its dashboard panel as city.admin and huangpu.officer
(``_dashboard``; ``--dashboard-only`` runs and prints only that).
"""

from __future__ import annotations

import itertools
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
RUNS = int(os.environ.get("BENCH_REPORT_RUNS", "3"))
PAGE_REPEATS = int(os.environ.get("BENCH_REPORT_PAGE_REPEATS", "5"))
TARGET_GENERATE_S = 10
TARGET_DOCX_S = 15


def main() -> int:
    from run import city_ready, django_on, header

    django_on(os.environ.get("BENCH_DATABASE_URL", CITY_URL), today="2005-09-20")
    city_ready()
    from django.conf import settings
    from django.db import transaction

    settings.ALLOWED_HOSTS = ["*"]  # the test client's "testserver" (DEBUG is off)

    from jiceng.appraisal.services import default_campaign

    campaign = default_campaign()
    assert campaign is not None, "the scenario has no campaign"
    if "--dashboard-only" in sys.argv:  # the home page and its dashboard alone, printed
        print(json.dumps(_dashboard(), ensure_ascii=False, indent=2))
        return 0
    results: dict[str, Any] = {
        **header(),
        "campaign": campaign.name,
        "runs": [],
        "baseline": [],
    }
    for _ in range(RUNS):
        results["baseline"].append(_bare_counts(campaign))
        results["runs"].append(_generate(campaign))
    with transaction.atomic():
        report = _stored(campaign)
        results["figures"] = len(report.figures)
        results["page"], results["docx"] = _reads(report)
        transaction.set_rollback(True)
    results["dashboard"] = _dashboard()
    if "--print-only" in sys.argv:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    out = ROOT / "bench" / "results" / "reports.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_table(results)
    return 0


def _stored(campaign: Any) -> Any:
    from jiceng.reports import services

    return services.report_now(actor=None, root=campaign.root, campaign=campaign)


def _generate(campaign: Any) -> dict[str, Any]:
    from django.db import transaction

    stages: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(stage: str, _fraction: float) -> None:
        stages.append((stage.split(" ")[0], time.perf_counter()))

    from jiceng.reports import services

    with transaction.atomic():
        report = services.report_now(
            actor=None, root=campaign.root, campaign=campaign, progress=progress
        )
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    by_stage: dict[str, float] = {}
    marks = [*stages, ("end", started + seconds)]
    for (name, at), (_next, until) in itertools.pairwise(marks):
        by_stage[name] = round(by_stage.get(name, 0) + until - at, 2)
    result = {"seconds": round(seconds, 2), "figures": len(report.figures), "stages": by_stage}
    print("generate", result)
    return result


def _bare_counts(campaign: Any) -> dict[str, Any]:
    """The queries the generation counts with, as bare SQL through one cursor (the baseline):
    the appendix's figures grouped by district, every other figure counted."""
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import Substr

    from jiceng.reports.compose import APPENDIX
    from jiceng.reports.figures import BY_KEY, FIGURES, campaign_window

    window = campaign_window(campaign)
    root = campaign.root
    statements = []
    for key in APPENDIX:
        fig = BY_KEY[key]
        query = (
            fig.rows(window, root.path)
            .annotate(c=Substr(fig.path, 1, len(root.path) + 4))
            .values("c")
            .annotate(n=Count("pk"))
            .order_by()
            .query
        )
        statements.append(query.sql_with_params())
    for fig in FIGURES:
        if fig.key in APPENDIX or (fig.needs_campaign and window.campaign_id is None):
            continue
        sql, params = fig.rows(window, root.path).order_by().values("pk").query.sql_with_params()
        statements.append((f"SELECT COUNT(*) FROM ({sql}) t", params))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
    seconds = time.perf_counter() - started
    print("bare SQL", round(seconds, 2))
    return {"seconds": round(seconds, 2), "queries": len(statements)}


def _reads(report: Any) -> tuple[dict[str, float], dict[str, float]]:
    from django.test import Client
    from django.urls import reverse
    from run import page_timer, timed

    from conftest import mark_verified
    from jiceng.accounts.models import User

    admin = User.objects.get(username="city.admin")
    client = Client()
    client.force_login(admin)
    mark_verified(client, admin)  # the second factor passed, as django-otp marks it
    page = timed(page_timer(client, reverse("reports:detail", args=[report.pk])), PAGE_REPEATS)
    docx = timed(page_timer(client, reverse("reports:docx", args=[report.pk])), PAGE_REPEATS)
    print("page", page, "docx", docx)
    return page, docx


def _roll_changed() -> None:
    """What a write to the roll leaves behind: a new generation of ``ROLL`` (outside a
    transaction the bump is immediate), and no recount under way."""
    from django.core.cache import cache

    from jiceng.core import generations

    generations.bump(generations.ROLL)
    cache.delete_many(_refresh_keys())


def _refresh_keys() -> list[str]:
    from jiceng.accounts.models import User
    from jiceng.core.scoping import Action, scope_of
    from jiceng.members.selectors import _counts_key

    return [
        _counts_key(scope_of(u, Action.VIEW).paths) + ":refreshing"
        for u in User.objects.filter(username__in=("city.admin", "huangpu.officer"))
    ]


def _dashboard() -> dict[str, Any]:
    """The home page and its dashboard panel (issue 22 item 2; target: the city officer's
    home page p95 ≤ 500 ms) as city.admin and huangpu.officer: the page as a returning
    officer gets it, the panel computed afresh (the cache cleared before each read: the first
    reader after five minutes or after a write) and the panel cached."""
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse
    from run import page_timer, timed

    from conftest import mark_verified
    from jiceng.accounts.models import User
    from jiceng.reports.dashboard import home_figures

    out: dict[str, Any] = {}
    home, panel = reverse("core:home"), reverse("reports:dashboard-panel")
    for username in ("city.admin", "huangpu.officer"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        mark_verified(client, user)
        out[username] = {
            # what the dashboard adds to the home page itself: its provider (the top units)
            "home_provider": timed(lambda user=user: home_figures(user), PAGE_REPEATS * 4),
            "home": timed(page_timer(client, home), PAGE_REPEATS * 4),
            # the first view after a write to the roll: the previous counts, marked, and the
            # recount queued for the worker (no worker runs here: each read queues one anew)
            "home_changed": timed(page_timer(client, home, _roll_changed), PAGE_REPEATS),
            "panel_computed": timed(page_timer(client, panel, cache.clear), PAGE_REPEATS),
            "panel_cached": timed(page_timer(client, panel), PAGE_REPEATS * 4),
        }
        print("dashboard", username, out[username])
    return out


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    runs, base = results["runs"], results["baseline"]
    lines = [
        f"{results['database']}, {results['machine']}. Run {results['when']}. "
        f"{results['campaign']} over the whole city; {results['figures']} figures quoted.",
        "",
        f"**Generating the city's summary** (target ≤ {TARGET_GENERATE_S} s): "
        "`reports.services.report_now` as the system (the worker's task behind the page's "
        "button, the API and `manage.py summarize`), rolled back after each run. Baseline in "
        "the same run: the same queries (the appendix's figures grouped by district, the others "
        "counted) as bare SQL through one cursor.",
        "",
        "| run | seconds | bare SQL counts s | ratio | slowest stages |",
        "|---|---:|---:|---:|---|",
    ]
    for i, (r, b) in enumerate(zip(runs, base, strict=True), 1):
        slowest = sorted(r["stages"].items(), key=lambda kv: -kv[1])[:3]
        stages = "; ".join(f"{name} {s} s" for name, s in slowest)
        ratio = round(r["seconds"] / b["seconds"], 2) if b["seconds"] else "—"
        lines.append(f"| {i} | {r['seconds']} | {b['seconds']} | {ratio}× | {stages} |")
    page, docx = results["page"], results["docx"]
    lines += [
        "",
        f"**Reading it** (Django's test client as city.admin, {page['repeats']} reads each): "
        f"the page p95 {page['p95_ms']:.0f} ms (median {page['median_ms']:.0f} ms); the .docx "
        f"(target ≤ {TARGET_DOCX_S} s) p95 {docx['p95_ms'] / 1000:.2f} s "
        f"(median {docx['median_ms'] / 1000:.2f} s), charts drawn by matplotlib each time.",
    ]
    lines += [
        "",
        "**The home page and its dashboard** (issue 22 item 2; target: the city officer's home "
        "page p95 ≤ 500 ms). The panel (各项工作 and the map) is loaded after the page; its "
        "counts are cached five minutes. The home page's own member counts are kept with the "
        "roll's generation (`ROLL`): the first view after a member is moved, placed or "
        "transferred shows the previous counts, marked as being recounted, and queues the "
        "recount for the task worker (the city's two million counted afresh, about 2 s of the "
        "worker's time); the column 'after a roll change' times that view (the generation "
        "bumped before each read). Test client, ms:",
        "",
        "| user | home page p95 (median) | after a roll change p95 (median) | "
        "of which the dashboard's provider p95 | panel computed p95 (median) | "
        "panel cached p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for username, d in results.get("dashboard", {}).items():
        h, p, c, w = d["home"], d["home_provider"], d["panel_computed"], d["panel_cached"]
        changed = d.get("home_changed")
        after = f"{changed['p95_ms']:.0f} ({changed['median_ms']:.0f})" if changed else "—"
        lines.append(
            f"| {username} | {h['p95_ms']:.0f} ({h['median_ms']:.0f}) | {after} | "
            f"{p['p95_ms']:.1f} | "
            f"{c['p95_ms']:.0f} ({c['median_ms']:.0f}) | {w['p95_ms']:.0f} |"
        )
    write_section("Reports (issue 22): the city's summary", lines)


if __name__ == "__main__":
    raise SystemExit(main())
