"""Fault test (issue 3): the import worker is killed with SIGKILL at several points of a large
import; the database then holds only whole batches, and the re-run (``--resume``) ends with
exactly the file's rows. Runs real ``manage.py`` processes against a file database (SQLite;
PostgreSQL too when DATABASE_URL is set)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jiceng.core.idnumber import make_id_number

ROOT = Path(__file__).resolve().parents[1]
ROWS = 6000
BATCH = 500


def write_file(path: Path) -> None:
    rng = random.Random(5)
    used: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "公民身份号码", "入党日期", "转正日期", "联系电话", "所在支部"])
        while len(used) < ROWS:
            born = dt.date(rng.randint(1940, 1985), rng.randint(1, 12), rng.randint(1, 28))
            idn = make_id_number("110105", born, rng.randint(0, 499), rng.choice("MF"))
            if idn in used:
                continue
            used.add(idn)
            w.writerow(
                [
                    f"故障测试{len(used)}",
                    idn,
                    f"{born.year + 25}-07-01",
                    f"{born.year + 26}-07-01",
                    "13800000000",
                    "310101002R001",
                ]
            )


class Target:
    """A throw-away database reachable from the test and from child processes."""

    def __init__(self, env: dict[str, str], query: Callable[[str], list[tuple[Any, ...]]]):
        self.env = env
        self.query = query

    def manage(self, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            # a resumed import writes its report to the working folder: the test's, not the
            # checkout's
            cwd=self.env["JICENG_VAR_DIR"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **kwargs,
        )

    def run(self, *args: str) -> str:
        proc = self.manage(*args)
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out.decode()
        return out.decode()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]


def _sqlite(tmp: Path) -> Iterator[Target]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "JICENG_VAR_DIR": str(tmp),
        "JICENG_IMPORT_BATCH_SIZE": str(BATCH),
        "DEBUG": "0",
    }
    env.pop("DATABASE_URL", None)

    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(tmp / "jiceng.sqlite3", timeout=30) as conn:
            return conn.execute(sql).fetchall()

    yield Target(env, query)


def _postgres(tmp: Path) -> Iterator[Target]:
    import psycopg

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"jiceng_fault_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "JICENG_VAR_DIR": str(tmp),
        "JICENG_IMPORT_BATCH_SIZE": str(BATCH),
        "DEBUG": "0",
        "DATABASE_URL": url,
    }

    def query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()

    try:
        yield Target(env, query)
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The SQLite run of the suite covers SQLite; the PostgreSQL run (DATABASE_URL set) the rest.
BACKENDS = ["postgresql"] if os.environ.get("DATABASE_URL") else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    factory = _sqlite if request.param == "sqlite" else _postgres
    gen = factory(tmp_path)
    t = next(gen)
    t.run("migrate", "--noinput", "-v0")
    t.run("scenario", "--scale", "tiny", "--seed", "3")
    yield t
    gen.close()


def imported(t: Target) -> int:
    return t.scalar("SELECT count(*) FROM members_member WHERE name LIKE '故障测试%'")


def job_state(t: Target) -> tuple[str, int, str]:
    rows = t.query("SELECT status, batches_done, id FROM imports_importjob")
    return rows[0] if rows else ("", 0, "")


def kill_when(t: Target, proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                "the import finished before it could be killed: " + proc.stdout.read().decode()
                if proc.stdout
                else ""
            )
        try:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return
        except Exception:  # noqa: S110 - the database is busy or not ready yet: retry
            pass
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the import never reached the kill point")


def test_killed_import_leaves_whole_batches_and_resume_finishes_exactly(target, tmp_path):
    t = target
    path = tmp_path / "roll.csv"
    write_file(path)
    user = ("--user", "huangpu.officer")

    # 1. killed while checking: nothing written, the job can be started again
    proc = t.manage("import_members", str(path), "--into", "310101", *user)
    kill_when(t, proc, lambda: job_state(t)[0] == "validating")
    assert imported(t) == 0
    status, _done, job_id = job_state(t)
    t.run("import_members", "--resume", str(job_id), *user, "--dry-run")
    assert job_state(t)[0] == "validated"

    # 2. killed after two batches, 3. again after five: only whole batches each time
    for kill_after in (2, 5):
        proc = t.manage("import_members", "--resume", str(job_id), *user)
        kill_when(t, proc, lambda n=kill_after: job_state(t)[1] >= n)
        status, done, _ = job_state(t)
        assert status == "importing"
        assert imported(t) == done * BATCH, "a partial batch was left behind"

    # 4. the re-run finishes: exactly the file's rows, no duplicates
    t.run("import_members", "--resume", str(job_id), *user)
    assert job_state(t)[0] == "done"
    assert imported(t) == ROWS
    assert (
        t.scalar(
            "SELECT count(DISTINCT id_number_index) FROM members_member WHERE name LIKE '故障测试%'"
        )
        == ROWS
    )
