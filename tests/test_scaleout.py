"""Scale-out on this machine, end to end (issue 18 item 4; ``make scaleout-test``).

Starts ``scripts/scaleout.py``'s stack (a primary, a streaming replica, pgbouncer, two gunicorn
processes, two task workers, all on loopback) and checks over HTTP, with the router's
``X-Jiceng-DB`` headers (which database the page's reads came from, and how many queries each
database ran):

- a GET page is read from the replica;
- a POST (the login) is served by the primary and pins the same client's next GETs to it;
  after the pin the reads go back to the replica;
- the replica stopped: GETs still answer, from the primary; started again: reads return to it;
- a record written by an officer while the replica replays nothing (paused) is read back at
  once (the pin sends the read to the primary); unpinned, the stale replica is read only
  within the lag bound, then the primary;
- a task claimed by a worker killed with SIGKILL is run again by the other worker; the
  workers' heartbeat rows live while they run, the killed one's is removed once stale, a
  worker stopped cleanly removes its own.

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
HEARTBEAT = 2.0  # the workers' heartbeat interval; stale after 4 of them

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
    s = scaleout.Stack(pin_seconds=PIN, max_lag_seconds=5, heartbeat_seconds=HEARTBEAT)
    s.start()
    print(f"stack up: {s.timings}")
    try:
        yield s
    finally:
        s.stop()


def _login(base: str, username: str = "member.self") -> Any:
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=20)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
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


TOTP_KEY = "3132333435363738393031323334353637383930"  # a throw-away authenticator's key


def _officer_login(stack: Any, base: str, username: str) -> Any:
    """Log an officer in as a browser does: password, then a code of the second factor (an
    authenticator with a known key is given to the account first, on the primary)."""
    import binascii

    from django_otp.oath import TOTP

    stack.manage(
        "shell", "-c",
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "from jiceng.accounts.models import User\n"
        f"user = User.objects.get(username='{username}')\n"
        "TOTPDevice.objects.filter(user=user).delete()\n"
        f"TOTPDevice.objects.create(user=user, name='scaleout', key='{TOTP_KEY}', confirmed=True)",
    )  # fmt: skip
    session, _ = _login(base, username)
    verify = f"{base}/accounts/security/verify/"
    page = session.get(verify, timeout=20)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    code = TOTP(binascii.unhexlify(TOTP_KEY)).token()
    response = session.post(
        verify,
        data={"code": f"{code:06d}", "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": verify},
        allow_redirects=False,
        timeout=20,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def _edit_form(session: Any, url: str) -> list[tuple[str, str]]:
    """The fields of the edit form at ``url``, as the browser would send them back."""
    import lxml.html

    response = session.get(url, timeout=20)
    assert response.status_code == 200, (url, response.status_code)
    forms = [f for f in lxml.html.fromstring(response.text).forms if "work_unit" in f.fields]
    assert len(forms) == 1, url
    return [(name, value) for name, value in forms[0].form_values() if name != "work_unit"]


def _a_member_the_officer_may_edit(session: Any, base: str) -> int:
    listing = session.get(f"{base}/members/", timeout=20).text
    for pk in dict.fromkeys(int(pk) for pk in re.findall(r'href="/members/(\d+)/"', listing)):
        if session.get(f"{base}/members/{pk}/edit/", timeout=20).status_code == 200:
            return pk
    raise AssertionError("no member on the first page of the list may be edited")


def _pause_replay(stack: Any) -> float:
    """Stop the replica replaying WAL just after it replayed a fresh commit (so its measured
    lag starts near 0 and grows with the clock); returns when it was paused (monotonic)."""
    stack.psql(stack.primary_port, "SELECT txid_current()")  # a commit, with its time
    stack.wait_caught_up()
    stack.psql(stack.replica_port, "SELECT pg_wal_replay_pause()")
    _wait_for(
        lambda: (
            stack.psql(stack.replica_port, "SELECT pg_get_wal_replay_pause_state()") == "paused"
        ),
        10,
        "replay paused",
    )
    return time.monotonic()


def test_a_written_record_is_read_back_while_the_replica_is_stale(stack: Any) -> None:
    """Read your writes, shown by the record itself: the officer changes a member's work unit
    while the replica replays nothing; the page read right after (pinned) shows the new value
    from the primary. Without the pin the router may read the stale replica only while its
    lag is within the bound (that page lacks the value); past the bound it reads the primary."""
    web1, web2 = stack.web_urls
    session = _officer_login(stack, web1, "huangpu.officer")
    pk = _a_member_the_officer_may_edit(session, web1)
    bound = stack.max_lag_seconds + 1.0 + 1.0  # the lag bound, its check interval, a margin
    stale_seen = False
    try:
        for attempt in range(3):  # a slow machine may miss the window of a stale replica read
            unit = f"扩展测试单位{os.getpid()}-{attempt}"
            fields = _edit_form(session, f"{web1}/members/{pk}/edit/")
            paused_at = _pause_replay(stack)
            saved = session.post(
                f"{web1}/members/{pk}/edit/",
                data=[*fields, ("work_unit", unit)],
                headers={"Referer": f"{web1}/members/{pk}/edit/"},
                allow_redirects=False,
                timeout=20,
            )
            assert saved.status_code == 302, saved.text[:500]
            assert saved.headers["Location"].endswith(f"/members/{pk}/")
            # Pinned by the write: the next read, on the other process too, is the primary's.
            page = session.get(f"{web2}/members/{pk}/", timeout=20)
            assert page.headers["X-Jiceng-DB"] == "default"
            assert unit in page.text
            # The replica has not got it: replay is paused.
            assert stack.psql(
                stack.replica_port,
                f"SELECT count(*) FROM members_member WHERE id = {pk} AND work_unit = '{unit}'",
            ) == "0"  # fmt: skip
            # Without the pin (the cookie expired): the replica while within the bound, stale;
            # then the primary, with the value.
            session.cookies.pop("jiceng_primary")

            def unpinned(base: str, unit: str = unit, paused_at: float = paused_at) -> bool:
                nonlocal stale_seen
                sent = time.monotonic()
                page = session.get(f"{base}/members/{pk}/", timeout=20)
                assert page.status_code == 200
                if page.headers["X-Jiceng-DB"] == "replica":
                    assert unit not in page.text  # really the paused replica's copy
                    assert sent - paused_at <= bound, "a replica past the lag bound was read"
                    stale_seen = True
                    return False
                assert page.headers["X-Jiceng-DB"] == "default"
                assert unit in page.text
                return True

            for base in (web1, web2):
                _wait_for(lambda b=base: unpinned(b), bound + 10, f"the primary via {base}")
            stack.psql(stack.replica_port, "SELECT pg_wal_replay_resume()")
            stack.wait_caught_up()
            if stale_seen:
                print(f"stale replica read within the bound on attempt {attempt + 1}")
                break
    finally:
        stack.psql(stack.replica_port, "SELECT pg_wal_replay_resume()")
        stack.wait_caught_up()
    assert stale_seen, "no read was served by the paused replica within the lag bound"

    # Caught up again: unpinned reads return to the replica, which now has the value.
    def from_replica_with_the_value(base: str) -> bool:
        page = session.get(f"{base}/members/{pk}/", timeout=20)
        return page.headers["X-Jiceng-DB"] == "replica" and unit in page.text

    for base in (web1, web2):
        _wait_for(lambda b=base: from_replica_with_the_value(b), 30, f"the replica via {base}")


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
    # Both workers keep a heartbeat row while they run.
    beats = _heartbeats(stack)
    assert {stack.procs["worker1"].pid, stack.procs["worker2"].pid} <= set(beats.values())
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
    # The killed worker's row, left behind, goes stale and is removed by the survivor's watch;
    # the survivor stopped cleanly (SIGTERM) removes its own.
    _wait_for(lambda: workers[0] not in _heartbeats(stack), 8 * HEARTBEAT + 10, "stale row gone")
    assert workers[1] in _heartbeats(stack)
    stack.kill(survivor)
    assert stack.procs[survivor].returncode == 0
    assert _heartbeats(stack) == {}


def _heartbeats(stack: Any) -> dict[str, int]:
    rows = stack.psql(stack.primary_port, "SELECT worker_id, pid FROM core_workerheartbeat")
    return {w: int(p) for w, p in (line.split("|") for line in rows.splitlines() if line)}
