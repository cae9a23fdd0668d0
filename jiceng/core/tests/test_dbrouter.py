"""The replica router's decisions (core.dbrouter), without any replica: the lag probe is a
fake, the ``replica`` alias a settings entry that is never connected to."""

from __future__ import annotations

import contextlib
import math
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from jiceng.accounts.models import User
from jiceng.core import dbrouter
from jiceng.core.dbrouter import PRIMARY, REPLICA, ReplicaRouter, ReplicaRoutingMiddleware

WITH_REPLICA = {**settings.DATABASES, REPLICA: {**settings.DATABASES["default"]}}


@pytest.fixture
def replica(monkeypatch: Any) -> Any:
    """A configured replica whose lag the test sets (``replica.lag = …``; an exception:
    unreachable); its connection is never opened."""

    class Fake:
        lag: float | Exception = 0.0
        probes = 0

        def probe(self) -> float:
            self.probes += 1
            if isinstance(self.lag, Exception):
                raise self.lag
            return self.lag

    fake = Fake()
    monkeypatch.setattr(dbrouter, "health", dbrouter.ReplicaHealth(fake.probe))
    monkeypatch.setattr(dbrouter, "_replica_ready", lambda: dbrouter.health.usable())
    monkeypatch.setattr(dbrouter, "_watching", contextlib.ExitStack)
    monkeypatch.setattr(dbrouter, "_close_quietly", lambda alias: None)
    with override_settings(
        DATABASES=WITH_REPLICA,
        DATABASE_REPLICA_PIN_SECONDS=10,
        DATABASE_REPLICA_MAX_LAG_SECONDS=5,
        DATABASE_REPLICA_CHECK_SECONDS=0,
        DATABASE_ROUTE_HEADER=True,
    ):
        yield fake


def _serve(request: Any, view: Any) -> HttpResponse:
    return ReplicaRoutingMiddleware(view)(request)


def _reads(method: str = "get", cookies: dict[str, str] | None = None) -> list[str]:
    """Where a request's reads went (a user and a session read), and its response."""
    request = getattr(RequestFactory(), method)("/")
    request.COOKIES.update(cookies or {})
    seen: list[str] = []

    def view(request: Any) -> HttpResponse:
        router = ReplicaRouter()
        seen.append(router.db_for_read(User))
        seen.append(router.db_for_read(Session))
        return HttpResponse("ok")

    _serve(request, view)
    return seen


def test_no_replica_no_effect() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(User) is None
    assert router.db_for_write(User) is None
    assert router.allow_migrate(PRIMARY, "members") is None
    response = _serve(RequestFactory().post("/"), lambda r: HttpResponse("ok"))
    assert "X-Jiceng-DB" not in response
    assert dbrouter.PIN_COOKIE not in response.cookies


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_safe_methods_read_the_replica_sessions_stay_on_the_primary(replica, method) -> None:
    assert _reads(method) == [REPLICA, PRIMARY]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_methods_use_the_primary_and_pin_the_client(replica, method) -> None:
    request = getattr(RequestFactory(), method)("/")
    seen = []

    def view(request: Any) -> HttpResponse:
        seen.append(ReplicaRouter().db_for_read(User))
        return HttpResponse("ok")

    response = _serve(request, view)
    assert seen == [PRIMARY]
    assert response["X-Jiceng-DB"] == PRIMARY
    cookie = response.cookies[dbrouter.PIN_COOKIE]
    assert cookie["max-age"] == 10
    assert cookie["httponly"]
    # The same client's next GET reads the primary; an old or forged pin does not count.
    assert _reads("get", {dbrouter.PIN_COOKIE: cookie.value}) == [PRIMARY, PRIMARY]
    assert _reads("get", {dbrouter.PIN_COOKIE: "1"}) == [REPLICA, PRIMARY]
    with mock.patch("django.core.signing.time.time", return_value=10**10):
        assert _reads("get", {dbrouter.PIN_COOKIE: cookie.value}) == [REPLICA, PRIMARY]


def test_a_write_in_a_get_reads_back_from_the_primary_and_pins(replica) -> None:
    seen = []

    def view(request: Any) -> HttpResponse:
        router = ReplicaRouter()
        seen.append(router.db_for_read(User))
        seen.append(router.db_for_write(User))
        seen.append(router.db_for_read(User))
        return HttpResponse("ok")

    response = _serve(RequestFactory().get("/"), view)
    assert seen == [REPLICA, PRIMARY, PRIMARY]
    assert dbrouter.PIN_COOKIE in response.cookies


def test_a_session_write_does_not_pin(replica) -> None:
    def view(request: Any) -> HttpResponse:
        ReplicaRouter().db_for_write(Session)
        return HttpResponse("ok")

    response = _serve(RequestFactory().get("/"), view)
    assert dbrouter.PIN_COOKIE not in response.cookies


def test_lag_bound(replica) -> None:
    replica.lag = 4.9
    assert _reads() == [REPLICA, PRIMARY]
    replica.lag = 5.1
    assert _reads() == [PRIMARY, PRIMARY]
    replica.lag = math.inf  # not a standby, or never replayed
    assert _reads() == [PRIMARY, PRIMARY]
    replica.lag = 0.0
    assert _reads() == [REPLICA, PRIMARY]


def test_replica_down_falls_back_to_the_primary(replica) -> None:
    replica.lag = OperationalError("connection refused")
    assert _reads() == [PRIMARY, PRIMARY]
    replica.lag = 0.0
    assert _reads() == [REPLICA, PRIMARY]


def test_measurement_is_cached(replica) -> None:
    with override_settings(DATABASE_REPLICA_CHECK_SECONDS=60):
        dbrouter.health.reset()
        for _ in range(3):
            _reads()
    assert replica.probes == 1


def test_outside_a_request_everything_is_on_the_primary(replica) -> None:
    """Task workers and management commands: no request, no replica."""
    router = ReplicaRouter()
    assert router.db_for_read(User) == PRIMARY
    assert router.db_for_write(User) == PRIMARY


def test_migrations_only_on_the_primary(replica) -> None:
    router = ReplicaRouter()
    assert router.allow_migrate(PRIMARY, "members") is True
    assert router.allow_migrate(REPLICA, "members") is False


def test_a_safe_request_that_failed_on_the_replica_runs_again_on_the_primary(replica) -> None:
    calls = []

    def view(request: Any) -> HttpResponse:
        db = ReplicaRouter().db_for_read(User)
        calls.append(db)
        if db == REPLICA:
            dbrouter.current_route().replica_failed = True  # as the execute wrapper does
            return HttpResponse("error", status=500)
        return HttpResponse("ok")

    with override_settings(DATABASE_REPLICA_CHECK_SECONDS=60):
        response = _serve(RequestFactory().get("/"), view)
        assert calls == [REPLICA, PRIMARY]
        assert response.status_code == 200
        assert response["X-Jiceng-DB"] == PRIMARY
        assert _reads() == [PRIMARY, PRIMARY]  # marked down until the next check


@pytest.mark.parametrize(
    ("row", "lag"),
    [
        ((True, True, True, 3600.0), 0.0),  # idle primary: old replay time, nothing pending
        ((True, True, False, 2.0), 2.0),
        ((True, False, True, 30.0), 30.0),  # not streaming: the replay's age is all we know
        ((True, True, False, None), math.inf),
        ((False, False, False, None), math.inf),  # promoted: not a copy of the primary
    ],
)
def test_lag_from_the_probe_row(row, lag) -> None:
    assert dbrouter.lag_from_row(*row) == lag


def test_the_shared_cache_is_read_and_written_on_the_primary_without_pinning(replica) -> None:
    """The database cache (generations of cached figures) routes a stand-in model without
    ``label_lower``: it is read on the primary even on a replica-read page (a generation must
    not lag behind a write), and setting a cached figure does not pin the client."""
    from django.core.cache.backends.db import DatabaseCache

    entry = DatabaseCache("jiceng_cache", {}).cache_model_class
    seen: list[str | None] = []

    def view(request: Any) -> HttpResponse:
        router = ReplicaRouter()
        seen.append(router.db_for_read(User))
        seen.append(router.db_for_read(entry))
        seen.append(router.db_for_write(entry))
        return HttpResponse("ok")

    response = _serve(RequestFactory().get("/"), view)
    assert seen == [REPLICA, PRIMARY, PRIMARY]
    assert dbrouter.PIN_COOKIE not in response.cookies
