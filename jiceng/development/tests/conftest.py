"""A case walked through the 2014 steps on dates the rules accept (``walk``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from jiceng.core.idnumber import make_id_number
from jiceng.development import services
from jiceng.development.models import Development

D = dt.date
APPLICANT_ID = make_id_number("310101", D(1980, 5, 20), 12, "M")

# step → (date, extra keyword arguments); ``people`` filled from the world at run time
STEPS: list[tuple[str, dt.date, dict[str, Any]]] = [
    ("talk", D(2003, 2, 5), {}),
    ("activist", D(2003, 3, 1), {}),
    ("activist_filed", D(2003, 3, 10), {}),
    ("contacts", D(2003, 3, 15), {"people": 1}),
    ("assess", D(2003, 9, 1), {}),
    ("assess", D(2004, 3, 1), {}),
    ("candidate", D(2004, 3, 2), {}),
    ("candidate_filed", D(2004, 3, 10), {}),
    ("introducers", D(2004, 3, 15), {"people": 2}),
    ("political_review", D(2004, 4, 1), {}),
    ("training", D(2004, 4, 10), {"details": {"days": 3}}),
    ("committee_review", D(2004, 5, 1), {}),
    ("pre_review", D(2004, 5, 10), {"application_form_no": "2004-001"}),
    ("form_filled", D(2004, 5, 20), {}),
    (
        "general_meeting",
        D(2004, 6, 1),
        {"details": {"due": 9, "present": 8, "for": 7, "against": 1, "abstain": 0}},
    ),
    ("upper_talk", D(2004, 6, 15), {}),
    ("approval", D(2004, 7, 1), {}),
    ("approval_filed", D(2004, 7, 10), {}),
    ("grouped", D(2004, 7, 15), {}),
    ("oath", D(2004, 7, 20), {}),
    ("full_request", D(2005, 5, 15), {}),
    (
        "full_meeting",
        D(2005, 6, 1),
        {"details": {"due": 10, "present": 9, "for": 9, "against": 0, "abstain": 0}},
    ),
    ("full_approval", D(2005, 7, 1), {}),
    ("archive", D(2005, 7, 10), {}),
]


@pytest.fixture(autouse=True)
def _end_of_2005() -> Any:
    with override_settings(JICENG_TODAY="2005-12-31"):
        yield


def register(small: Any, *, actor: Any = None, **kw: Any) -> Development:
    values: dict[str, Any] = {
        "actor": actor if actor is not None else small.alice,
        "org": small.a.branches[0],
        "name": "李曉明",
        "id_number": APPLICANT_ID,
        "phone": "13812345678",
        "applied_on": D(2003, 1, 10),
    }
    values.update(kw)
    return services.development_register(**values)


def step_kwargs(small: Any, extra: dict[str, Any]) -> dict[str, Any]:
    kw = dict(extra)
    if "people" in kw:
        kw["people"] = small.a.members[: kw["people"]]
    return kw


def walk(small: Any, d: Development, until: str, *, actor: Any = None) -> Development:
    """Take every step of ``STEPS`` before ``until`` (the first record of that code) not
    already taken on ``d``."""
    seen: dict[str, int] = {}
    for code, on, extra in STEPS:
        if code == until:
            break
        seen[code] = seen.get(code, 0) + 1
        if d.steps.filter(step=code).count() >= seen[code]:
            continue
        d = services.development_step(
            actor=actor if actor is not None else small.alice,
            development=d,
            step=code,
            on=on,
            **step_kwargs(small, extra),
        )
    return d


def date_of(code: str) -> dt.date:
    return next(on for c, on, _extra in STEPS if c == code)


def extra_of(small: Any, code: str) -> dict[str, Any]:
    return step_kwargs(small, next(extra for c, _on, extra in STEPS if c == code))
