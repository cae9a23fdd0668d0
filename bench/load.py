"""Load test of the site as deployed (issue 18 item 2): gunicorn with production settings
(``config.settings.loadtest``: production's, over plain HTTP on loopback) on the city scenario
in PostgreSQL, driven by Locust headless with mixed officer traffic (``bench/locustfile.py``).

How it is fed: gunicorn runs ``config/gunicorn.conf.py`` as deployed (sync workers, two per
core plus one: 5 on this machine) with access logging off; static files are collected and
served by WhiteNoise. Officers' sessions are made beforehand (logged in, second factor marked
passed as django-otp does), so the load is the pages, not the password hash. Locust runs on the
same two cores as gunicorn and PostgreSQL (loopback only, nothing leaves the machine): its own
CPU share is part of the figures.

Steps of concurrent officers (each working back to back, no think time) find the knee: the
largest concurrency whose 95th percentile stays at or under 300 ms. The sustained run then holds
that concurrency for ``BENCH_LOAD_MINUTES`` (10) and reports requests per second, percentiles
and errors. Results in ``bench/results/load.json``; ``bench/BENCHMARKS.md`` quotes them.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench \
        .venv/bin/python bench/load.py
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench"
P95_BOUND_MS = 300
STEPS = [int(n) for n in os.environ.get("BENCH_LOAD_STEPS", "2,4,6,8,12,16,24").split(",")]
STEP_SECONDS = int(os.environ.get("BENCH_LOAD_STEP_SECONDS", "45"))
SUSTAIN_MINUTES = float(os.environ.get("BENCH_LOAD_MINUTES", "10"))
# The scenario's data keys (config.settings.local's demo keys): the bench database was built
# with them, so the server must read it with them.
KEYS = {
    "SECRET_KEY": "load-test-only-not-secret-" + "x" * 30,
    "FIELD_ENCRYPTION_KEYS": "ZGVtby1rZXktZGVtby1rZXktZGVtby1rZXktMDAwMDA=",
    "BLIND_INDEX_KEY": "demo-blind-index-key",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(fixture: Path) -> dict[str, Any]:
    """Sessions of the district officers and the ids their traffic uses."""
    import django

    django.setup()
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.utils.crypto import get_random_string

    from conftest import mark_verified
    from jiceng.accounts.models import User
    from jiceng.campaigns.models import Campaign
    from jiceng.members.models import Member
    from jiceng.orgs.models import BRANCH_TYPES, Organization

    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(2005)
    sessions = []
    officers = User.objects.filter(username__endswith=".officer", is_active=True).order_by("pk")
    for officer in officers:
        assignment = officer.primary_assignment
        if assignment is None or assignment.organization.depth != 2:
            continue  # district officers only
        district = assignment.organization
        client = Client()
        client.force_login(officer)
        mark_verified(client, officer)
        members = list(
            Member.objects.on_roll()
            .filter(home_path__startswith=district.path)
            .values_list("pk", "home_org_id")[:5000]
        )
        branches = list(
            Organization.objects.filter(
                path__startswith=district.path,
                org_type__in=BRANCH_TYPES,
                abolished_on__isnull=True,
            ).values_list("pk", "code")[:500]
        )
        movers = []
        for pk, home in rng.sample(members, min(200, len(members))):
            target = rng.choice([code for b, code in branches if b != home])
            movers.append((pk, target))
        sessions.append(
            {
                "user": officer.username,
                "sessionid": client.cookies["sessionid"].value,
                "csrftoken": get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS),
                "org": district.pk,
                "members": [pk for pk, _home in rng.sample(members, min(500, len(members)))],
                "movers": movers,
            }
        )
    if not sessions:
        raise SystemExit("no district officer accounts in the bench database")
    initials = list(Member.objects.values_list("name_initials", flat=True)[:2000])
    campaign = Campaign.objects.filter(batch="second").order_by("pk").first()
    data = {
        "sessions": sessions,
        "searches": sorted({i[:2] for i in initials if len(i) >= 2})[:50] or ["zj"],
        "campaign": campaign.pk if campaign else 1,
    }
    fixture.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


def locust(host: str, users: int, seconds: float, out: Path, env: dict[str, str]) -> dict:
    """One headless Locust run; the aggregated row of its statistics."""
    prefix = out / f"u{users}"
    subprocess.run(
        [
            str(ROOT / ".venv/bin/locust"),
            "-f", str(ROOT / "bench/locustfile.py"),
            "--headless", "--only-summary",
            "-u", str(users), "-r", str(users),
            "--run-time", f"{int(seconds)}s",
            "--host", host,
            "--csv", str(prefix),
            "--loglevel", "WARNING",
        ],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    per_name = {r["Name"]: r for r in rows}
    agg = per_name["Aggregated"]
    return {
        "users": users,
        "seconds": seconds,
        "requests": int(agg["Request Count"]),
        "failures": int(agg["Failure Count"]),
        "rps": round(float(agg["Requests/s"]), 1),
        "p50_ms": float(agg["50%"]),
        "p95_ms": float(agg["95%"]),
        "p99_ms": float(agg["99%"]),
        "by_request": {
            name: {
                "n": int(r["Request Count"]),
                "p95_ms": float(r["95%"]),
                "failures": int(r["Failure Count"]),
            }
            for name, r in per_name.items()
            if name != "Aggregated"
        },
    }


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.update(KEYS)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DEBUG"] = "0"
    work = Path(tempfile.mkdtemp(prefix="jiceng-load-"))
    fixture = work / "fixture.json"
    prepare(fixture)
    from django.db import connection

    pg = f"PostgreSQL {connection.pg_version // 10000}"  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_member")
        n_members = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    connection.close()

    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.loadtest",
        "JICENG_VAR_DIR": str(work / "var"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_ACCESS_LOG": "",
    }
    server_env.pop("DEBUG", None)
    python = str(ROOT / ".venv/bin/python")
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=server_env, check=True,
    )  # fmt: skip
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "gunicorn.log", "w"),  # noqa: SIM115
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{host}/health/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        locust_env = {**os.environ, "LOAD_FIXTURE": str(fixture)}
        locust(host, 4, 20, work, locust_env)  # warm the caches and the workers
        steps = []
        for users in STEPS:
            step = locust(host, users, STEP_SECONDS, work, locust_env)
            steps.append(step)
            print(
                f"{users:>3} officers: {step['rps']:>6} req/s, p50 {step['p50_ms']:.0f} ms, "
                f"p95 {step['p95_ms']:.0f} ms, {step['failures']} errors",
                flush=True,
            )
        within = [s for s in steps if s["p95_ms"] <= P95_BOUND_MS]
        knee = max(within, key=lambda s: s["users"]) if within else steps[0]
        sustained = locust(host, knee["users"], SUSTAIN_MINUTES * 60, work, locust_env)
        print(
            f"sustained {SUSTAIN_MINUTES:g} min at {knee['users']} officers: "
            f"{sustained['rps']} req/s, p95 {sustained['p95_ms']:.0f} ms, "
            f"{sustained['failures']} errors of {sustained['requests']}",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    workers = int(os.environ.get("WEB_WORKERS", (os.cpu_count() or 1) * 2 + 1))
    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": f"{pg}, shared_buffers {shared_buffers}, same machine",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "server": f"gunicorn, {workers} sync workers, config.settings.loadtest",
        "members": n_members,
        "p95_bound_ms": P95_BOUND_MS,
        "steps": steps,
        "knee_users": knee["users"],
        "sustained": sustained,
    }
    if os.environ.get("BENCH_NO_REPORT") != "1":
        out = ROOT / "bench/results/load.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_table(results)
        print(f"written {out}")
    return 0


def write_table(results: dict[str, Any]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from report import write_section

    sustained = results["sustained"]
    lines = [
        f"{results['machine']}; {results['database']}; {results['server']}; "
        f"{results['members']:,} members (city scenario). Locust headless on the same machine",
        "(loopback), each simulated officer working back to back (no think time): the member",
        "list of their district (page 1-50), pinyin search, home and campaign dashboards, a",
        "member's page, the API's member list, and a transfer requested and withdrawn (weights",
        "5:3:2:2:3:3:1). Sessions made beforehand (second factor passed). Steps of "
        f"{STEP_SECONDS} s find the knee,",
        f"the largest concurrency with p95 ≤ {results['p95_bound_ms']} ms; the sustained run "
        f"holds it for {sustained['seconds'] / 60:g} min. Run {results['when']}.",
        "",
        "| officers | req/s | p50 ms | p95 ms | p99 ms | errors / requests |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for step in results["steps"]:
        lines.append(
            f"| {step['users']} | {step['rps']} | {step['p50_ms']:.0f} | {step['p95_ms']:.0f} | "
            f"{step['p99_ms']:.0f} | {step['failures']} / {step['requests']:,} |"
        )
    lines += [
        "",
        f"**Sustained, {sustained['seconds'] / 60:g} min at {results['knee_users']} officers:** "
        f"{sustained['rps']} requests/s, p50 {sustained['p50_ms']:.0f} ms, p95 "
        f"{sustained['p95_ms']:.0f} ms, p99 {sustained['p99_ms']:.0f} ms, "
        f"{sustained['failures']} errors in {sustained['requests']:,} requests.",
        "",
        "| request | n | p95 ms | errors |",
        "|---|---:|---:|---:|",
    ]
    for name, r in sorted(sustained["by_request"].items()):
        lines.append(f"| {name} | {r['n']:,} | {r['p95_ms']:.0f} | {r['failures']} |")
    write_section("Load (issue 18): officer traffic on gunicorn, city scale", lines)


if __name__ == "__main__":
    sys.exit(main())
