"""Scale-out on this machine (issue 18 item 4; docs/operations.md "Scale-out"), on loopback only:

- a fresh PostgreSQL 15 primary (initdb in a temporary directory, wal_level=replica),
- a streaming replica of it (``pg_basebackup -R``), hot standby,
- pgbouncer in transaction pooling mode in front of the primary,
- the tiny scenario, migrated and loaded directly on the primary,
- two web processes (gunicorn, ``config.settings.scaleout``: production's over plain HTTP,
  ``default`` through pgbouncer, ``replica`` for the reads of safe requests),
- two task workers (``run_worker_watched``: ``run_worker``, with its heartbeat row, plus the
  watch that puts back the tasks of a dead worker).

    .venv/bin/python scripts/scaleout.py        # prints the URLs; Ctrl-C stops everything

Every port is free when chosen, every file is under one temporary directory that goes on exit,
and every process started here is stopped on exit (also on SIGTERM). ``tests/test_scaleout.py``
drives the same ``Stack``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PGBOUNCER = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")
PYTHON = str(ROOT / ".venv/bin/python")
DB = "jiceng"
# Collected once, kept between runs (collectstatic takes a minute on a busy machine).
STATIC_ROOT = ROOT / "var" / "scaleout-static"
# Throw-away keys (the scenario's data is encrypted with them); nothing here is a secret.
KEYS = {
    "SECRET_KEY": "scaleout-only-not-secret-" + "x" * 30,
    "FIELD_ENCRYPTION_KEYS": "ZGVtby1rZXktZGVtby1rZXktZGVtby1rZXktMDAwMDA=",
    "BLIND_INDEX_KEY": "demo-blind-index-key",
}
PG_CONF = """
listen_addresses = '127.0.0.1'
max_connections = 60
shared_buffers = 48MB
wal_level = replica
max_wal_senders = 4
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
jit = off
timezone = 'UTC'
log_timezone = 'UTC'
# A throw-away cluster on a shared machine: durability is not what is shown here.
fsync = off
synchronous_commit = off
full_page_writes = off
"""


def static_fresh() -> bool:
    """The static files collected by an earlier run are newer than every source of them."""
    manifest = STATIC_ROOT / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [ROOT / "uv.lock", *(ROOT / "jiceng").glob("**/static/**/*")]
    newest = max(p.stat().st_mtime for p in sources if p.is_file())
    return manifest.stat().st_mtime >= newest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout:.0f} s") from None
            time.sleep(0.3)


class Stack:
    """The processes above; ``start()`` then ``stop()`` (or ``with Stack() as stack``)."""

    def __init__(
        self, *, pin_seconds: float = 10, max_lag_seconds: float = 5, heartbeat_seconds: float = 15
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="jiceng-scaleout-"))
        self.dir.chmod(0o755)  # the postgres user works in pg/ below it
        self.pg_dir = self.dir / "pg"  # owned by postgres: clusters, sockets, pgbouncer
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.bouncer_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.pin_seconds = pin_seconds
        self.max_lag_seconds = max_lag_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.clusters: list[Path] = []
        self.timings: dict[str, float] = {}

    # -- PostgreSQL ---------------------------------------------------------------------

    def _pg(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        """A PostgreSQL program run as the postgres user."""
        log = open(self.dir / "pg-tools.log", "ab")  # noqa: SIM115
        return subprocess.run(
            [str(PG_BIN / args[0]), *args[1:]],
            user="postgres",
            group="postgres",
            cwd=self.pg_dir,
            check=True,
            stdout=log,
            stderr=log,
            **kwargs,
        )

    def cluster(self, name: str) -> Path:
        return self.pg_dir / name

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DB}"

    def start_cluster(self, name: str, port: int) -> None:
        data = self.cluster(name)
        self._pg(
            "pg_ctl", "-D", str(data), "-l", str(self.pg_dir / f"{name}.log"), "-w", "-t", "60",
            "-o", f"-c port={port} -c unix_socket_directories='{self.pg_dir}'", "start",
        )  # fmt: skip

    def stop_cluster(self, name: str) -> None:
        data = self.cluster(name)
        if (data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")

    def psql(self, port: int, sql: str, db: str = DB) -> str:
        out = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
             "-d", db, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout.strip()

    def start_databases(self) -> None:
        self.pg_dir.mkdir()
        shutil.chown(self.pg_dir, "postgres", "postgres")
        primary = self.cluster("primary")
        self._pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")  # fmt: skip
        with open(primary / "postgresql.conf", "a") as fh:
            fh.write(PG_CONF)
        self.clusters.append(primary)
        self.start_cluster("primary", self.primary_port)
        self.psql(self.primary_port, f"CREATE DATABASE {DB}", db="postgres")

    def start_replica(self) -> None:
        replica = self.cluster("replica")
        self._pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U",
                 "postgres", "-D", str(replica), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        self.clusters.append(replica)
        self.start_cluster("replica", self.replica_port)

    def start_bouncer(self) -> None:
        users = self.pg_dir / "pgbouncer-users.txt"
        users.write_text('"postgres" ""\n')
        ini = self.pg_dir / "pgbouncer.ini"
        ini.write_text(
            f"""[databases]
{DB} = host=127.0.0.1 port={self.primary_port} dbname={DB}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.bouncer_port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = 12
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {self.pg_dir / "pgbouncer.log"}
"""
        )
        for path in (users, ini):
            shutil.chown(path, "postgres", "postgres")
        self.procs["pgbouncer"] = subprocess.Popen(
            [PGBOUNCER, str(ini)],
            user="postgres",
            group="postgres",
            cwd=self.pg_dir,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "pgbouncer.err", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.psql(self.bouncer_port, "SELECT 1")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def replica_caught_up(self) -> bool:
        """The replica has replayed everything the primary has written so far."""
        lsn = self.psql(self.primary_port, "SELECT pg_current_wal_lsn()")
        try:
            return (
                self.psql(self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'") == "t"
            )
        except subprocess.CalledProcessError:
            return False

    def wait_caught_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.replica_caught_up():
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not catch up")
            time.sleep(0.2)

    # -- Django --------------------------------------------------------------------------

    def env(self, *, direct: bool = False) -> dict[str, str]:
        """The environment of the Django processes (``direct``: no pgbouncer, no replica)."""
        env = {
            **os.environ,
            **KEYS,
            "DJANGO_SETTINGS_MODULE": "config.settings.loadtest"
            if direct
            else ("config.settings.scaleout"),
            "DATABASE_URL": self.url(self.primary_port if direct else self.bouncer_port),
            "JICENG_VAR_DIR": str(self.dir / "var"),
            "JICENG_STATIC_ROOT": str(STATIC_ROOT),
            "JICENG_TODAY": os.environ.get("JICENG_TODAY", "2005-09-20"),
            "DATABASE_REPLICA_PIN_SECONDS": str(self.pin_seconds),
            "DATABASE_REPLICA_MAX_LAG_SECONDS": str(self.max_lag_seconds),
            "TASK_WORKER_HEARTBEAT_SECONDS": str(self.heartbeat_seconds),
            "TASK_WORKER_HEARTBEAT_STALE_SECONDS": str(4 * self.heartbeat_seconds),
            "WEB_ACCESS_LOG": "",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DEBUG", None)
        env.pop("DATABASE_REPLICA_URL", None)
        if not direct:
            env["DATABASE_REPLICA_URL"] = self.url(self.replica_port)
        return env

    def manage(self, *args: str, direct: bool = True) -> str:
        out = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT, env=self.env(direct=direct), check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout

    def _step(self, name: str, fn: Any, *args: Any) -> None:
        started = time.monotonic()
        fn(*args)
        self.timings[name] = round(time.monotonic() - started, 1)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=open(self.dir / f"{name}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )

    def start_web(self, i: int) -> None:
        env = {**self.env(), "BIND": f"127.0.0.1:{self.web_ports[i]}", "WEB_WORKERS": "2"}
        argv = [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"]
        self._spawn(f"web{i + 1}", argv, env)

    def start_worker(self, i: int) -> None:
        argv = [PYTHON, "manage.py", "run_worker_watched", "--watch", "1", "--",
                "--no-reload", "--interval", "0.5"]  # fmt: skip
        self._spawn(f"worker{i + 1}", argv, self.env())

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.web_ports]

    def start(self) -> Stack:
        try:
            collect = None
            if not static_fresh():
                collect = subprocess.Popen(
                    [PYTHON, "manage.py", "collectstatic", "--noinput", "--clear", "-v0"],
                    cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL,
                )  # fmt: skip
                self.procs["collectstatic"] = collect
            self._step("databases", self.start_databases)
            self._step("migrate", self.manage, "migrate", "--noinput", "-v0")
            self._step("scenario", self.manage, "scenario", "--scale", "tiny")
            if collect is not None:
                self._step("collectstatic", collect.wait)
                if collect.returncode:
                    raise RuntimeError("collectstatic failed")
            self._step("replica", self.start_replica)
            self._step("pgbouncer", self.start_bouncer)
            self._step("caught up", self.wait_caught_up)
            for i in range(2):
                self.start_web(i)
                self.start_worker(i)
            for url in self.web_urls:
                self._step(f"web {url}", _wait_http, f"{url}/health/", 90)
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self, *, keep: bool = False) -> None:
        """Stop every process started here, then the clusters; remove the directory."""
        for name in [n for n in self.procs if n != "pgbouncer"]:
            self.kill(name)
        self.kill("pgbouncer")
        for data in reversed(self.clusters):
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop_cluster(data.name)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> int:
    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)
    started = time.monotonic()
    print("starting primary, replica, pgbouncer, 2 web processes, 2 workers…", flush=True)
    stack = Stack()
    try:
        stack.start()
        print(f"ready in {time.monotonic() - started:.0f} s (files under {stack.dir})")
        for url in stack.web_urls:
            print(f"  web      {url}/   (login member.self / Jiceng@2005)")
        print(f"  primary  {stack.url(stack.primary_port)}")
        print(f"  replica  {stack.url(stack.replica_port)}")
        print(f"  pgbouncer {stack.url(stack.bouncer_port)}  (transaction pooling)")
        print("Ctrl-C stops everything.", flush=True)
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(1)
        print("a process stopped: stopping everything", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
