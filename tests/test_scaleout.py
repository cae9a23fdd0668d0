"""Scale-out on this machine, end to end (issue 18 item 4; ``make scaleout-test``).

Starts ``scripts/scaleout.py``'s stack (a primary, a streaming replica, pgbouncer, two gunicorn
processes, two task workers, all on loopback) and checks over HTTP, with the router's
``X-Jiceng-DB`` headers (which database the page's reads came from, and how many queries each
database ran):

- a GET page is read from the replica;
- a POST (the login) is served by the primary and pins the same client's next GETs to it;
  after the pin the reads go back to the replica;
- the replica stopped: GETs still answer, from the primary; started again: reads return to it;
- a task claimed by a worker killed with SIGKILL is run again by the other worker.

Skipped when PostgreSQL 15's programs or pgbouncer are missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = 3.0

pytestmark = pytest.mark.scaleout


@pytest.fixture(autouse=True)
def _prerequisites() -> None:
    """Selected only by ``make scaleout-test``, which installs pgbouncer first: a missing
    prerequisite fails the run (a skip would hide that the scale-out was never shown)."""
    missing = [
        what
        for what, ok in (
            ("PostgreSQL 15 server binaries", Path("/usr/lib/postgresql/15/bin/initdb").exists()),
            ("pgbouncer (make pgbouncer)", Path("/usr/sbin/pgbouncer").exists()),
            ("root, to run them as the postgres user", os.geteuid() == 0),
        )
        if not ok
    ]
    assert not missing, f"the scale-out test needs {', '.join(missing)}"


def _scaleout() -> Any:
    spec = importlib.util.spec_from_file_location("scaleout", ROOT / "scripts/scaleout.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stack() -> Any:
    scaleout = _scaleout()
    s = scaleout.Stack(pin_seconds=PIN, max_lag_seconds=5)
    s.start()
    print(f"stack up: {s.timings}")
    try:
        yield s
    finally:
        s.stop()


def _login(base: str) -> Any:
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=20)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": "member.self",
            "password": "Jiceng@2005",
            "csrfmiddlewaretoken": token.group(1),
        },
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=20,
    )
    assert response.status_code == 302, response.text[:500]
    return session, response


def _queries(response: Any) -> dict[str, int]:
    pairs = (p.split("=") for p in response.headers["X-Jiceng-DB-Queries"].split(","))
    return {alias: int(n) for alias, n in pairs}


def _get(session: Any, url: str) -> tuple[str, dict[str, int]]:
    response = session.get(url, timeout=20, allow_redirects=False)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return response.headers["X-Jiceng-DB"], _queries(response)


def _wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.3)


def test_reads_writes_pinning_and_fallback(stack: Any) -> None:
    web1, web2 = stack.web_urls
    session, login = _login(web1)
    # The POST ran on the primary only and pinned this client.
    assert login.headers["X-Jiceng-DB"] == "default"
    assert _queries(login)["replica"] == 0
    assert "jiceng_primary" in login.cookies
    # Its next GETs, on either web process, read the primary: its own write (the session
    # and last login just written) is there.
    for base in (web1, web2):
        db, queries = _get(session, f"{base}/")
        assert (db, queries["replica"]) == ("default", 0)
    time.sleep(PIN + 0.5)
    # After the pin, the same pages are read from the replica.
    for base in (web1, web2):
        db, queries = _get(session, f"{base}/")
        assert db == "replica", queries
        assert queries["replica"] > 0, queries

    # The replica stops: every GET still answers, from the primary.
    stack.stop_cluster("replica")
    # (The first request of a process may try the replica, fail, and be run again on the
    # primary: its replica count is that failed attempt.)
    for _ in range(3):
        for base in (web1, web2):
            db, _ = _get(session, f"{base}/")
            assert db == "default"
    # It starts again: once it has caught up, the reads return to it.
    stack.start_cluster("replica", stack.replica_port)
    stack.wait_caught_up()
    for base in (web1, web2):
        _wait_for(lambda b=base: _get(session, f"{b}/")[0] == "replica", 30, f"replica via {base}")


def _task(stack: Any, task_id: str) -> tuple[str, list[str], Any]:
    row = stack.psql(
        stack.primary_port,
        "SELECT json_build_array(status, worker_ids, return_value) "
        f"FROM django_tasks_database_dbtaskresult WHERE id = '{task_id}'",
    )
    status, workers, value = json.loads(row)
    return status, workers, value


def test_task_of_a_killed_worker_runs_on_the_other(stack: Any) -> None:
    out = stack.manage(
        "shell", "-c", "from jiceng.core.tasks import probe; print(probe.enqueue(8).id)",
        direct=False,
    )  # fmt: skip
    task_id = out.strip().splitlines()[-1]
    status, workers, _ = _wait_for(
        lambda: (t := _task(stack, task_id))[0] == "RUNNING" and t, 30, "the task claimed"
    )
    pid = int(workers[0].rsplit(":", 2)[1])
    victim = next(n for n, p in stack.procs.items() if n.startswith("worker") and p.pid == pid)
    survivor = next(n for n in ("worker1", "worker2") if n != victim)
    os.kill(pid, signal.SIGKILL)
    stack.procs[victim].wait(timeout=10)
    status, workers, value = _wait_for(
        lambda: (t := _task(stack, task_id))[0] in ("SUCCESSFUL", "FAILED") and t,
        60,
        "the task run again",
    )
    assert status == "SUCCESSFUL"
    assert len(workers) == 2
    assert workers[0] != workers[1]
    assert value["pid"] == stack.procs[survivor].pid
