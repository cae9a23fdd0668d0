"""Reads from a streaming replica, writes to the primary (issue 18 item 4; docs/operations.md
"Scale-out").

Nothing here acts unless the settings define a ``replica`` database (``DATABASE_REPLICA_URL``):
without it every query goes to ``default``, as before. With it:

- a request whose method is safe (GET, HEAD, OPTIONS) reads from the replica; any other request,
  a task run by the worker, a management command and anything outside a request use the
  primary for everything. ``ReplicaRoutingMiddleware`` marks the request in a context variable.
- every write goes to the primary; a write during a safe request sends the rest of that
  request's reads to the primary too.
- reading one's own writes: after a request that wrote (any unsafe method, or a write through
  the router), the middleware sets a signed cookie and that client's reads stay on the primary
  for ``DATABASE_REPLICA_PIN_SECONDS`` (10).
- the replica is used only while it is a standby that is caught up, or lagging by at most
  ``DATABASE_REPLICA_MAX_LAG_SECONDS`` (5). The lag is measured on the replica at most once
  per ``DATABASE_REPLICA_CHECK_SECONDS`` (1) per process (``measure_lag``). When it cannot be
  reached, reads fall back to the primary; a safe request that failed on the replica is run
  again once on the primary.
- sessions, API tokens, task rows and workers' heartbeats live on the primary only (read and
  written there), so a login or a second-factor check never meets a stale session and a
  worker is never judged from a stale heartbeat; their writes do not pin.
- migrations run on the primary only: the replica is a physical copy.

A request's reads all come from one database: the choice is made at its first read.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_COOKIE = "jiceng_primary"
PIN_SALT = "jiceng.core.dbrouter.pin"
# Models read and written on the primary only (sessions, API tokens, task rows, workers'
# heartbeats, the shared database cache): a login is never checked against a stale copy, a
# worker never judged by one, a cached figure's generation never read behind a write; their
# writes do not pin the client.
PRIMARY_ONLY = frozenset(
    {
        "sessions.session",
        "authtoken.token",
        "django_tasks_database.dbtaskresult",
        "core.workerheartbeat",
        "django_cache.cacheentry",  # DatabaseCache's stand-in model (no label_lower)
    }
)

# Lag of the replica, measured on it: 0 when its WAL receiver streams and it has replayed all
# it received (an idle primary sends nothing, so the last replay's time alone would age);
# otherwise the age of the last replayed transaction; NULL when it is no standby at all.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       pg_last_wal_receive_lsn() IS NOT NULL
           AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
"""


def pin_seconds() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_PIN_SECONDS", 10))


def max_lag_seconds() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_MAX_LAG_SECONDS", 5))


def check_seconds() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_CHECK_SECONDS", 1))


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def lag_from_row(in_recovery: bool, streaming: bool, caught_up: bool, age: float | None) -> float:
    """The lag in seconds the probe's row means (``math.inf``: not to be read from)."""
    if not in_recovery:
        return math.inf  # promoted or not a standby: it does not follow the primary
    if streaming and caught_up:
        return 0.0
    return math.inf if age is None else max(0.0, float(age))


def measure_lag(alias: str = REPLICA) -> float:
    """The replica's lag in seconds; raises DatabaseError when it cannot be reached."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        row = cursor.fetchone()
    return lag_from_row(*row)


class ReplicaHealth:
    """The last measurement of the replica, kept ``check_seconds()`` (per process)."""

    def __init__(self, probe: Callable[[], float] | None = None) -> None:
        self.probe = probe
        self.checked_at = -math.inf
        self.lag = math.inf
        self.down = False
        self._lock = threading.Lock()

    def usable(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self.checked_at >= check_seconds():
                self.checked_at = now
                _probing.set(True)
                try:
                    self.lag = (self.probe or measure_lag)()
                    self.down = False
                except DatabaseError as exc:
                    self.lag, self.down = math.inf, True
                    logger.warning("replica unreachable, reading from the primary: %s", exc)
                    _close_quietly(REPLICA)
                finally:
                    _probing.set(False)
                if not self.down and self.lag > max_lag_seconds():
                    logger.warning("replica lags %.1f s, reading from the primary", self.lag)
            return not self.down and self.lag <= max_lag_seconds()

    def mark_down(self) -> None:
        with self._lock:
            self.checked_at, self.lag, self.down = time.monotonic(), math.inf, True

    def reset(self) -> None:
        with self._lock:
            self.checked_at, self.lag, self.down = -math.inf, math.inf, False


health = ReplicaHealth()


def _close_quietly(alias: str) -> None:
    try:
        connections[alias].close()
    except Exception:
        logger.debug("closing %s failed", alias, exc_info=True)


@dataclass
class RequestRoute:
    """What the router knows about the request being served."""

    read_only: bool  # a safe method, not pinned to the primary
    reads_from: str | None = None  # chosen at the first read
    wrote: bool = False
    replica_failed: bool = False
    queries: Counter[str] = field(default_factory=Counter)


_route: contextvars.ContextVar[RequestRoute | None] = contextvars.ContextVar(
    "jiceng_db_route", default=None
)
_probing: contextvars.ContextVar[bool] = contextvars.ContextVar("jiceng_db_probe", default=False)


def current_route() -> RequestRoute | None:
    return _route.get()


def _label(model: Any) -> str:
    meta = model._meta
    # DatabaseCache routes a stand-in class whose options carry app_label and model_name only
    label = getattr(meta, "label_lower", None) or f"{meta.app_label}.{meta.model_name}"
    return str(label)


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry; inert when there is no ``replica`` database."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not replica_configured():
            return None
        route = _route.get()
        if route is None or not route.read_only or _label(model) in PRIMARY_ONLY:
            return PRIMARY
        if route.reads_from is None:
            route.reads_from = REPLICA if _replica_ready() else PRIMARY
        return route.reads_from

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        if not replica_configured():
            return None
        route = _route.get()
        if route is not None and _label(model) not in PRIMARY_ONLY:
            route.wrote = True
            route.reads_from = PRIMARY  # read this request's own write back
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        if not replica_configured():
            return None
        dbs = {PRIMARY, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= dbs else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if not replica_configured():
            return None
        return db == PRIMARY


def _replica_ready() -> bool:
    if not health.usable():
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as exc:
        logger.warning("replica unreachable, reading from the primary: %s", exc)
        health.mark_down()
        _close_quietly(REPLICA)
        return False
    return True


def _counting(alias: str) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        route = _route.get()
        if route is not None and not _probing.get():
            route.queries[alias] += 1
        try:
            return execute(sql, params, many, ctx)
        except (OperationalError, InterfaceError):
            if route is not None and alias == REPLICA:
                route.replica_failed = True
            raise

    return wrapper


def _watching() -> contextlib.ExitStack:
    """Count each database's queries and notice the replica's connection errors."""
    stack = contextlib.ExitStack()
    for alias in (PRIMARY, REPLICA):
        stack.enter_context(connections[alias].execute_wrapper(_counting(alias)))
    return stack


def _on_request_exception(sender: Any, **kwargs: Any) -> None:
    """A connection error while reading from the replica: run the request again on the
    primary (the middleware does)."""
    import sys

    route = _route.get()
    exc = sys.exc_info()[1]
    failed = isinstance(exc, OperationalError | InterfaceError)
    if route is not None and route.reads_from == REPLICA and failed:
        route.replica_failed = True


got_request_exception.connect(_on_request_exception, dispatch_uid="jiceng.core.dbrouter")


def is_pinned(request: HttpRequest) -> bool:
    value = request.get_signed_cookie(
        PIN_COOKIE, default=None, salt=PIN_SALT, max_age=dt.timedelta(seconds=pin_seconds())
    )
    return value is not None


def route_header_enabled() -> bool:
    return bool(getattr(settings, "DATABASE_ROUTE_HEADER", settings.DEBUG))


class ReplicaRoutingMiddleware:
    """Marks the request for the router; pins a client that wrote; retries a safe request
    once on the primary when the replica failed under it; with ``DATABASE_ROUTE_HEADER`` (or
    DEBUG) says which database served the reads (``X-Jiceng-DB``) and how many queries each
    database ran (``X-Jiceng-DB-Queries``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        safe = request.method in SAFE_METHODS
        route = RequestRoute(read_only=safe and not is_pinned(request))
        token = _route.set(route)
        try:
            with _watching():
                response = self.get_response(request)
                if route.replica_failed and safe and not route.wrote:
                    logger.warning("replica failed during %s %s: again on the primary",
                                   request.method, request.path)  # fmt: skip
                    health.mark_down()
                    _close_quietly(REPLICA)
                    first = route
                    route = RequestRoute(read_only=False, queries=first.queries)
                    _route.set(route)
                    response = self.get_response(request)
        finally:
            _route.reset(token)
        if not safe or route.wrote:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=math.ceil(pin_seconds()),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        if route_header_enabled():
            response["X-Jiceng-DB"] = route.reads_from or PRIMARY
            response["X-Jiceng-DB-Queries"] = ",".join(
                f"{alias}={route.queries[alias]}" for alias in (PRIMARY, REPLICA)
            )
        return response
