"""Schemathesis over the whole API, in-process against the WSGI app (issue 14).

Every operation of the schema, as a city administrator and as a district officer (API tokens),
with every check: no server error, responses and status codes as documented, invalid input
refused, valid input accepted. Writes run inside the test's transaction and are rolled back.

``FUZZ_EXAMPLES`` sets the examples per operation and phase (10 by default, for CI);
``make fuzz`` runs many more and writes ``bench/results/fuzz.json`` (``FUZZ_REPORT``).
Generation is derandomized: the same cases on every run.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
USERS = ["city.admin", "huangpu.officer"]

# A schema says what is well formed, not what the stored rows allow: a write may be refused by
# a rule on the state of its rows ("only a pending item can be confirmed", "not before the
# campaign started"). Writes are therefore held to "the input serializer accepts every
# schema-valid body" (below) instead of Schemathesis' positive_data_acceptance.
# Reads whose rule depends on the caller's scope, which no schema can say:
SCOPE_RULES = {
    # a city-wide caller must name a district (one district's roll at a time)
    "GET /api/duplicates/",
    "GET /api/lost/candidates/",
}


def _schema_dict() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


def _wsgi_app() -> Any:
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


schema = schemathesis.openapi.from_dict(
    _schema_dict(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                # the token goes in the Authorization header; no generated cookies or tokens
                "with-security-parameters": False,
                # DRF refuses NUL in any text (PostgreSQL cannot store it), with a 400 that says so
                "allow-x00": False,
            }
        }
    ),
)
schema.app = _wsgi_app()

# what the run saw, for ``make fuzz``'s report: cases sent, and each (operation, user, check)
# that failed (once, however many examples Hypothesis tried while shrinking it)
_stats: dict[str, Any] = {"cases": 0, "operations": set(), "failed": set(), "items": 0}


@pytest.fixture
def token(request: Any, world: Any) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=world.user(request.param)).key


@pytest.fixture
def serializer_rejections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The errors of every input serializer that refused its data during the case."""
    from rest_framework import serializers

    rejected: list[Any] = []
    is_valid = serializers.Serializer.is_valid

    def recording(self: Any, *args: Any, **kwargs: Any) -> bool:
        try:
            ok = is_valid(self, *args, **kwargs)
        except Exception:
            rejected.append(getattr(self, "_errors", None))
            raise
        if not ok:
            rejected.append(self.errors)
        return ok

    monkeypatch.setattr(serializers.Serializer, "is_valid", recording)
    return rejected


@pytest.fixture(autouse=True)
def _one_connection() -> Any:
    """A real WSGI request closes "old" connections when it starts; the test's transaction
    lives on that connection, so keep it (as Django's test client does)."""
    from django.core.signals import request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def _record(label: str, user: str, failures: list[str]) -> None:
    _stats["cases"] += 1
    _stats["operations"].add(label)
    _stats["failed"].update((label, user, name) for name in failures)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    """With ``FUZZ_REPORT=path``, write the run's summary there when the module ends."""
    started = time.monotonic()
    yield
    path = os.environ.get("FUZZ_REPORT")
    if not path:
        return
    from django.db import connection

    by_check = Counter(name for _label, _user, name in _stats["failed"])
    by_operation: dict[str, list[str]] = {}
    for label, user, name in sorted(_stats["failed"]):
        by_operation.setdefault(label, []).append(f"{name} ({user})")
    report = {
        "examples_per_operation": MAX_EXAMPLES,
        "operations": len(_stats["operations"]),
        "users": USERS,
        "test_items": len(_stats["operations"]) * len(USERS),
        "cases": _stats["cases"],
        "failures_by_check": dict(sorted(by_check.items())),
        "failures_by_operation": by_operation,
        "duration_s": round(time.monotonic() - started, 1),
        "database": connection.vendor,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def _excluded_checks(label: str) -> list[Any]:
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    if not label.startswith("GET ") or label in SCOPE_RULES:
        return [positive_data_acceptance]
    return []


@pytest.mark.parametrize("token", USERS, indirect=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case: Any, token: str, serializer_rejections: list[Any], request: Any) -> None:
    label = case.operation.label
    user = request.node.callspec.params["token"]
    excluded = _excluded_checks(label)
    serializer_rejections.clear()
    failures: list[str] = []
    try:
        response = case.call_and_validate(
            headers={"Authorization": f"Token {token}"}, excluded_checks=excluded
        )
    except FailureGroup as group:
        failures = sorted({type(f).__name__ for f in group.exceptions})
        _record(label, user, failures)
        raise
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.method.upper() != "GET" and serializer_rejections:
        _record(label, user, ["SchemaValidInputRefused"])
        pytest.fail(
            f"{label}: a schema-valid body was refused by the input serializer: "
            f"{serializer_rejections} (body {case.body!r}, status {response.status_code})"
        )
    _record(label, user, [])
