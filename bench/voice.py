"""The public's voice at city scale on PostgreSQL (issue 21; S21, S23): a district's overdue
petitions, and the public submitting satisfaction surveys by token under load.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/voice.py

It uses the city database of ``bench/run.py`` (the ``city`` scenario: ~200,000 petitions over a
year), building it when it is empty; it works on whatever petitions the database holds and
reports how many the district's list held.

**The overdue petitions** of the district (黄浦) as its officer: the overdue worklist and the
petition list filtered to overdue, page 1 and a later page, timed through Django's test client
(routing, middleware, scoping, queries, rendering), repeated, median and p95, against the bare
SQL of the page in the same run. Read as of the demo's day (``JICENG_TODAY``, 2005-09-20).

**Survey submissions** as deployed: gunicorn with two sync workers (``WEB_WORKERS=2``,
``config.settings.loadtest``: production's settings over plain HTTP on loopback) on the same
database, driven by Locust headless (``bench/voicefile.py``, FastHttpUser) on the same machine.
Beforehand, through the satisfaction services, 黄浦 sets up a survey of its streets (a rating
on the 2005 scale, a choice, an optional free-text question), generates single-use tokens and
opens it. Each simulated person takes one unused token and does what a phone's browser does:
GET the link (the CSRF cookie and the form), POST the answers; a 302 to the thank-you page is a
success. People work back to back (no think time); steps of concurrency find the best rate,
which is then held (``BENCH_VOICE_SECONDS``). Afterwards the responses written in the database
are counted and must equal the successful POSTs. The survey, its tokens and responses are
deleted at the end (``BENCH_VOICE_KEEP=1`` keeps them).

Results in ``bench/results/voice.json`` and the section of ``bench/BENCHMARKS.md``
(``BENCH_NO_REPORT=1`` writes neither, for a trial on a small database).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CITY_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench"
DISTRICT = "310101"  # 黄浦
OFFICER = "huangpu.officer"
WORKERS = int(os.environ.get("BENCH_VOICE_WORKERS", "2"))
STEPS = [int(n) for n in os.environ.get("BENCH_VOICE_STEPS", "4,8,16").split(",")]
STEP_SECONDS = int(os.environ.get("BENCH_VOICE_STEP_SECONDS", "30"))
SUSTAIN_SECONDS = int(os.environ.get("BENCH_VOICE_SECONDS", "60"))
# Tokens given to a run: more than it can spend at this many submissions a second.
TOKENS_PER_SECOND = int(os.environ.get("BENCH_VOICE_TOKEN_RATE", "900"))
TITLE = "负载测试：窗口服务群众满意度测评"
TARGET_RATE = 300
TARGET_P95_MS = 200


def main() -> int:
    from load import KEYS
    from run import city_ready, django_on, header, timed

    # The server must derive tokens with the same secret key as this process.
    os.environ.update(KEYS)
    # the answers' asynchronous commit (off by default; see config/settings/base.py) is what
    # this bench measures: the gunicorn workers inherit it
    os.environ.setdefault("JICENG_SATISFACTION_ASYNC_COMMIT", "1")
    # The demo's day (as ``make demo``): what is overdue is read on it, not in 2026.
    django_on(os.environ.get("BENCH_DATABASE_URL", CITY_URL), today="2005-09-20")
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    if os.environ.get("BENCH_NO_MIGRATE") != "1":  # 1: a database others are migrating
        city_ready()
    from jiceng.core import clock

    results: dict[str, Any] = {
        **header(),
        "today": str(clock.today()),
        "petitions": _petition_figures(),
        "cases": _pages(timed),
    }
    connection.close()
    results["submissions"] = _submissions()
    if os.environ.get("BENCH_NO_REPORT") != "1":
        out = ROOT / "bench" / "results" / "voice.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        write_table(results)
        print(f"written {out}")
    else:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


# ----- overdue petitions -------------------------------------------------------------------------


def _officer() -> Any:
    from jiceng.accounts.models import User

    return User.objects.get(username=OFFICER)


def _district() -> Any:
    from jiceng.orgs.models import Organization

    return Organization.objects.get(code=DISTRICT)


def _petition_figures() -> dict[str, int]:
    from jiceng.petitions import selectors
    from jiceng.petitions.models import Petition

    officer, district = _officer(), _district()
    return {
        "petitions": Petition.objects.count(),
        "district_petitions": selectors.petition_list(officer, under=district).count(),
        "district_overdue": selectors.overdue_list(officer, under=district).count(),
    }


def _pages(timed: Any) -> dict[str, Any]:
    from django.test import Client
    from run import page_timer, sql_timer

    from conftest import mark_verified
    from jiceng.core import clock
    from jiceng.petitions.rules import OPEN_STATES

    officer, district = _officer(), _district()
    client = Client()
    client.force_login(officer)
    # Officers pass a second factor: the session is marked verified the way django-otp does
    # after a code, so the pages are measured with the middleware as deployed.
    mark_verified(client, officer)

    def page(path: str) -> Any:
        return page_timer(client, path)

    # What the worklist needs: one page (50 rows) of the district's open cases past their
    # deadline (handled or registered in the district), longest overdue first, with the names
    # of the units the table shows.
    overdue_sql = (
        "SELECT p.id, p.number, p.subject, p.due_on, o.name, i.name "
        "FROM petitions_petition p "
        "LEFT JOIN orgs_organization o ON o.id = p.org_id "
        "JOIN orgs_organization i ON i.id = p.intake_org_id "
        "WHERE p.state = ANY(%s) AND p.due_on < %s "
        "AND (p.org_path LIKE %s OR p.intake_path LIKE %s) "
        "ORDER BY p.due_on, p.id LIMIT 50"
    )
    prefix = district.path + "%"
    cases = {
        "district's overdue petitions, page 1 (district officer)": page("/petitions/overdue/"),
        "district's overdue petitions, page 20 (district officer)": page(
            "/petitions/overdue/?page=20"
        ),
        "petition list filtered to overdue, page 1 (district officer)": page(
            "/petitions/?overdue=on"
        ),
        "baseline: bare SQL of the district's overdue page": sql_timer(
            overdue_sql, [list(OPEN_STATES), clock.today(), prefix, prefix]
        ),
    }
    out: dict[str, Any] = {}
    for name, fn in cases.items():
        out[name] = timed(fn)
        print(f"{name:62s} {out[name]}", flush=True)
    return out


# ----- survey submissions ------------------------------------------------------------------------


def _drop(surveys: Any) -> None:
    """Delete the bench's survey with its responses (which protect their tokens) first."""
    from jiceng.satisfaction.models import SurveyResponse

    SurveyResponse.objects.filter(survey__in=surveys).delete()
    surveys.delete()


def _survey(tokens: int) -> dict[str, Any]:
    """黄浦's survey of its streets, through the services, opened, with ``tokens`` unused
    tokens; returns its id, its questions and the tokens in clear."""
    from jiceng.core import clock
    from jiceng.orgs.models import Organization
    from jiceng.satisfaction import guard, services
    from jiceng.satisfaction.models import SatisfactionSurvey, SurveyToken
    from jiceng.satisfaction.rules import TOKENS_PER_UNIT_MAX

    officer, district = _officer(), _district()
    _drop(SatisfactionSurvey.objects.filter(title=TITLE, owner=district))  # an earlier run's
    today = clock.today()
    survey = services.survey_create(
        actor=officer,
        owner=district,
        title=TITLE,
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
    )
    services.question_add(actor=officer, survey=survey, kind="rating", text="您对该单位的总体评价")
    services.question_add(
        actor=officer,
        survey=survey,
        kind="choice",
        text="您办的是哪类事项",
        choices=["社会保障", "计划生育", "户籍", "其他"],
    )
    services.question_add(
        actor=officer, survey=survey, kind="text", text="您的意见和建议", required=False
    )
    streets = list(
        Organization.objects.filter(
            path__startswith=district.path, depth=district.depth + 1, abolished_on__isnull=True
        ).order_by("path")
    )
    services.units_add(actor=officer, survey=survey, orgs=streets or [district])
    made = 0
    while made < tokens:
        per_unit = min(TOKENS_PER_UNIT_MAX, -(-(tokens - made) // max(1, len(streets))))
        made += services.tokens_generate(actor=officer, survey=survey, per_unit=per_unit)
    survey = services.survey_act(actor=officer, survey=survey, action="open")
    nonces = SurveyToken.objects.filter(survey=survey).order_by("?").values_list("nonce", flat=True)
    return {
        "survey": survey.pk,
        "units": survey.units.count(),
        "questions": [
            {
                "pk": q.pk,
                "kind": q.kind,
                "size": len(survey.scale) if q.kind == "rating" else len(q.choices),
            }
            for q in survey.questions.all()
        ],
        "tokens": [guard.token_for(survey.pk, n) for n in nonces],
    }


def _percentile(times: dict[str, int], n: int, share: float) -> float:
    """Locust's percentile of a histogram of response times (ms, rounded as Locust rounds)."""
    above = n - int(n * share)
    seen = 0
    for ms in sorted((int(k) for k in times), reverse=True):
        seen += times[str(ms)]
        if seen >= above:
            return float(ms)
    return 0.0


def _stats(entry: dict[str, Any]) -> dict[str, Any]:
    n = entry["num_requests"]
    span = max((entry["last_request_timestamp"] or entry["start_time"]) - entry["start_time"], 1)
    times = entry["response_times"]
    return {
        "requests": n,
        "failures": entry["num_failures"],
        "rps": round(n / span, 1),
        "p50_ms": _percentile(times, n, 0.5),
        "p95_ms": _percentile(times, n, 0.95),
        "p99_ms": _percentile(times, n, 0.99),
    }


def _cpu_seconds(master: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's workers (psutil, which Locust
    brings): the application's own cost, whatever else shares the machine."""
    import psutil

    total = 0.0
    for child in psutil.Process(master).children():
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _locust(
    host: str,
    users: int,
    seconds: int,
    tokens: list[str],
    work: Path,
    base: dict,
    master: int,
) -> dict:
    """One headless Locust run with its own tokens; the statistics of the GET and the POST,
    from Locust's final figures (written once every person has stopped)."""
    name = f"u{users}-{seconds}"
    fixture = work / f"fixture-{name}.json"
    fixture.write_text(json.dumps({**base, "tokens": tokens}), encoding="utf-8")
    stats_file = work / f"stats-{name}"  # Locust adds ".json"
    started, cpu = time.monotonic(), _cpu_seconds(master)
    with open(work / f"locust-{name}.log", "w") as log:
        subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f", str(ROOT / "bench/voicefile.py"),
                "--headless", "--only-summary",
                "-u", str(users), "-r", str(users),
                "--run-time", f"{seconds + 60}s",  # a guard: the people stop after ``seconds``
                "--host", host,
                "--json-file", str(stats_file),
                "--loglevel", "WARNING",
            ],
            check=False,
            env={**os.environ, "VOICE_FIXTURE": str(fixture), "VOICE_SECONDS": str(seconds)},
            stdout=log,
            stderr=log,
        )  # fmt: skip
    wall, cpu = time.monotonic() - started, _cpu_seconds(master) - cpu
    load = os.getloadavg()[0]  # the last minute: this run, and whatever else ran meanwhile
    saved = Path(f"{stats_file}.json").read_text(encoding="utf-8")
    entries = {e["name"]: e for e in json.loads(saved)}
    post = _stats(entries["survey: submit the answers (POST)"])
    get = _stats(entries["survey: open the token link (GET)"])
    return {
        "users": users,
        "seconds": seconds,
        "wall_seconds": round(wall, 1),
        "tokens_given": len(tokens),
        "submit": post,
        "open": get,
        "all": {
            "requests": post["requests"] + get["requests"],
            "failures": post["failures"] + get["failures"],
            "rps": round(post["rps"] + get["rps"], 1),
        },
        "submitted": post["requests"] - post["failures"],
        # the workers' CPU per submission (its GET and its POST)
        "app_cpu_ms_per_submission": round(cpu * 1000 / max(1, post["requests"]), 1),
        "load_1min": round(load, 2),
    }


def _print(label: str, run: dict[str, Any]) -> None:
    s, o = run["submit"], run["open"]
    print(
        f"{label}: {s['rps']:>6} submissions/s (POST p50 {s['p50_ms']:.0f} ms, p95 "
        f"{s['p95_ms']:.0f} ms; GET p95 {o['p95_ms']:.0f} ms), "
        f"{s['failures'] + o['failures']} errors; workers' CPU "
        f"{run['app_cpu_ms_per_submission']} ms a submission; load average {run['load_1min']}",
        flush=True,
    )


def _submissions() -> dict[str, Any]:
    from load import _free_port

    from jiceng.satisfaction.models import SatisfactionSurvey, SurveyResponse, SurveyToken

    plan = [(4, 10), *[(u, STEP_SECONDS) for u in STEPS]]  # a warm-up first
    need = sum(seconds for _u, seconds in plan) + SUSTAIN_SECONDS
    made = _survey(need * TOKENS_PER_SECOND)
    tokens = made.pop("tokens")
    base = {"questions": made["questions"]}
    from django.db import connection

    connection.close()
    work = Path(tempfile.mkdtemp(prefix="jiceng-voice-"))
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.loadtest",
        "JICENG_VAR_DIR": str(work / "var"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_ACCESS_LOG": "",
        "WEB_WORKERS": str(WORKERS),
    }
    server_env.pop("DEBUG", None)
    python = str(ROOT / ".venv/bin/python")
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=server_env, check=True,
    )  # fmt: skip
    server = subprocess.Popen(
        # as deployed, except that workers are not recycled during the runs (their CPU is read)
        [
            str(ROOT / ".venv/bin/gunicorn"),
            *("-c", "config/gunicorn.conf.py", "--max-requests", "0", "config.wsgi"),
        ],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "gunicorn.log", "w"),  # noqa: SIM115
    )
    runs: list[dict[str, Any]] = []
    at = 0

    def take(seconds: int) -> list[str]:
        nonlocal at
        n = seconds * TOKENS_PER_SECOND
        at += n
        return tokens[at - n : at]

    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{host}/health/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        master = server.pid
        warm = _locust(host, 4, 10, take(10), work, base, master)
        steps = []
        for users in STEPS:
            step = _locust(host, users, STEP_SECONDS, take(STEP_SECONDS), work, base, master)
            steps.append(step)
            _print(f"{users:>3} people", step)
        best = max(steps, key=lambda s: s["submit"]["rps"])
        sustained = _locust(
            host, best["users"], SUSTAIN_SECONDS, take(SUSTAIN_SECONDS), work, base, master
        )
        _print(f"sustained {SUSTAIN_SECONDS} s at {best['users']} people", sustained)
        runs = [warm, *steps, sustained]
    finally:
        server.terminate()
        server.wait(timeout=30)
    survey_pk = made["survey"]
    stored = SurveyResponse.objects.filter(survey_id=survey_pk).count()
    used = SurveyToken.objects.filter(survey_id=survey_pk, used_at__isnull=False).count()
    succeeded = sum(r["submitted"] for r in runs)
    print(f"responses stored {stored:,}, tokens used {used:,}, successful POSTs {succeeded:,}")
    if os.environ.get("BENCH_VOICE_KEEP") != "1":
        _drop(SatisfactionSurvey.objects.filter(pk=survey_pk))
    return {
        "server": f"gunicorn, {WORKERS} sync workers, config.settings.loadtest",
        "units": made["units"],
        "steps": steps,
        "sustained": sustained,
        "responses_stored": stored,
        "tokens_used": used,
        "successful_posts": succeeded,
        "consistent": stored == used == succeeded,
        "errors": sum(r["submit"]["failures"] + r["open"]["failures"] for r in runs),
    }


# ----- the report --------------------------------------------------------------------------------


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    p, s = results["petitions"], results["submissions"]
    lines = [
        *HOW,
        "",
        f"{results['database']}, {results['machine']}. Run {results['when']}, read as of "
        f"{results['today']}. {p['petitions']:,} petitions; 黄浦 (registered or handled "
        f"there) {p['district_petitions']:,}, of which {p['district_overdue']:,} overdue.",
        "",
        f"Targets: a district's overdue-petition list p95 ≤ {TARGET_P95_MS} ms; survey "
        f"submissions ≥ {TARGET_RATE} per second with 2 application processes, 0 errors.",
        "",
        "| case | median ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results["cases"].items():
        lines.append(f"| {name} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']} |")
    lines += [
        "",
        f"Survey submissions: {s['server']}; the survey covers {s['units']} units of 黄浦.",
        "",
        "| people | submissions/s | POST p50 ms | POST p95 ms | GET p95 ms | all req/s "
        "| workers' CPU ms / submission | load average (1 min) | errors / requests |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in [*s["steps"], s["sustained"]]:
        label = (
            f"{run['users']} (sustained {run['seconds']} s)"
            if run is s["sustained"]
            else str(run["users"])
        )
        lines.append(
            f"| {label} | {run['submit']['rps']} | {run['submit']['p50_ms']:.0f} | "
            f"{run['submit']['p95_ms']:.0f} | {run['open']['p95_ms']:.0f} | {run['all']['rps']} | "
            f"{run['app_cpu_ms_per_submission']} | {run.get('load_1min', '')} | "
            f"{run['all']['failures']} / {run['all']['requests']:,} |"
        )
    lines += [
        "",
        f"Responses stored {s['responses_stored']:,}, tokens used {s['tokens_used']:,}, "
        f"successful POSTs {s['successful_posts']:,} "
        f"({'equal' if s['consistent'] else 'NOT equal'}); {s['errors']} errors.",
        "",
        *BEFORE,
    ]
    write_section(HEADING, lines)


# The survey submissions before the public page's own path (issue 21, commit 9a9dbc0): the
# figures of that run, kept for comparison.
BEFORE = [
    "**Before** (run 2026-12-07T13:02:54+00:00, same method and city database; the token and",
    "the questions read through the ORM on every request, the form rendered per request but",
    "for its questions, a submission in a transaction of four or five statements, waiting for",
    "the disk): 113.1 submissions/s at 4 people, 115.3 at 16, 102.7 sustained 60 s at 16;",
    "POST p95 26 ms at 4 people; workers' CPU 11.5 ms a submission (≈5.3 ms opening the link,",
    "≈7.1 ms posting); 0 errors.",
]
HEADING = "The public's voice (issue 21): overdue petitions, survey submissions"
HOW = [
    "`bench/voice.py`. **Overdue petitions**: the district's (黄浦) overdue worklist and the",
    "petition list filtered to overdue, as the district officer, through Django's test client",
    "(routing, middleware, scoping, queries, rendering), median and p95 of repeated requests,",
    "against the bare SQL of the page in the same run; read as of the demo's day. **Survey",
    "submissions**: gunicorn with 2 sync workers (`config.settings.loadtest`) on the same",
    "PostgreSQL, Locust headless (`bench/voicefile.py`) on the same machine over loopback. 黄浦's",
    "survey of its streets (a rating on the 2005 scale, a choice, optional free text) is set up,",
    "given single-use tokens and opened through the satisfaction services; each simulated person",
    "takes an unused token and does what a phone's browser does: GET the link (CSRF cookie and",
    "form), POST the answers (302 to the thank-you page). No think time; steps of concurrency,",
    "then the best held. Afterwards the responses stored must equal the tokens used and the",
    "successful POSTs; the survey is then deleted. The workers' CPU per submission (its GET and",
    "its POST; psutil, workers not recycled during the runs) is the application's own cost,",
    "which other work on the machine hardly changes: two workers on two idle cores cannot",
    "exceed 2,000 / that figure submissions a second. The load average (1 min) at the end of",
    "each step says how much else shared the two cores (the two workers, Locust and",
    "PostgreSQL alone make about 3 when saturated).",
    "",
    "What a submission costs (`jiceng/satisfaction`): opening the link reads the token with its",
    "survey and unit in one hand-written statement and serves the survey's blank page rendered",
    "once per process (kept per survey, version of its questions, language, title,",
    "introduction and scale; the CSRF token, address and unit name filled in per request); the",
    "questions are kept per process under the survey's `version`, which the database raises on",
    "any change of them. Posting reads the token again, checks the answers in the service",
    "(exactly what the form accepts; the form is built only to show a refusal) and on",
    "PostgreSQL spends the token and stores the response, answers and comment in one",
    "statement, committed asynchronously here (`JICENG_SATISFACTION_ASYNC_COMMIT=1`, off by",
    "default, on for this bench: a database crash can",
    "lose the last ≤0.6 s of answers together with their tokens' spending; without it each",
    "answer waits ≈3 ms for the disk, and two sync workers cannot reach 300 a second).",
]


if __name__ == "__main__":
    raise SystemExit(main())
