"""Helpers of the workers tests: applications made and scored through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jiceng.core.idnumber import make_id_number
from jiceng.workers import services

D = dt.date
BORN = D(1980, 3, 1)
SCREENED = D(2005, 5, 23)
EXAM = D(2005, 5, 28)


_seq = iter(range(1, 10**6))


def apply(post: Any, *, born: dt.date = BORN, education: str = "university", **kw: Any) -> Any:
    n = next(_seq)
    values = {
        "name": f"应聘者{n}",
        "id_number": make_id_number("310104", born, n % 480 + 10, "M"),
        "phone": "13800000000",
        "education": education,
    }
    values.update(kw)
    return services.application_submit(actor=None, post=post, **values)


def scored(
    alice: Any,
    post: Any,
    marks: list[tuple[str, str]],
    day: Any,
    today: str,
    on: dt.date = EXAM,
) -> list[Any]:
    """Applications made on the round's days, then (the site's day set to ``today``)
    screened eligible and scored (written, interview) as given."""
    day("2005-05-10")
    apps = [apply(post) for _ in marks]
    day(today)
    for a in apps:
        services.application_screen(actor=alice, application=a, eligible=True, on=SCREENED)
    services.scores_enter(
        actor=alice, post=post, scores={a.pk: m for a, m in zip(apps, marks, strict=True)}, on=on
    )
    for a in apps:
        a.refresh_from_db()
    return apps
