"""Study periods of a test's own (issue 16), made through the study services.

Periods and requirements are city-wide reference data; the factory sets them as the system
(``actor=None``), so that they do not depend on who administers which city.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from jiceng.accounts.roles import Role
from jiceng.orgs.models import Organization
from jiceng.study import services
from jiceng.study.models import StudyPeriod
from jiceng.study.rules import StudyMode
from tests.factories import UserFactory

PERIOD_START = dt.date(2005, 7, 1)
PERIOD_END = dt.date(2005, 12, 31)
REQUIRED = Decimal(24)  # this world's requirement, either mode

_n = itertools.count(1)


def period_make(
    *,
    name: str | None = None,
    starts_on: dt.date = PERIOD_START,
    ends_on: dt.date = PERIOD_END,
    required: Decimal | int | None = REQUIRED,
) -> StudyPeriod:
    """A period with a requirement of ``required`` under each mode (none when None)."""
    period = services.period_create(
        actor=None,
        name=name or f"测试学习周期{next(_n)}",
        starts_on=starts_on,
        ends_on=ends_on,
    )
    if required is not None:
        for mode in StudyMode.values:
            services.requirement_set(
                actor=None, period=period, mode=mode, required_amount=required, source_note="测试"
            )
    return period


def the_city() -> Organization:
    """The organisation the study rules treat as the city: the first root of the tree."""
    return Organization.objects.filter(depth=1).order_by("path").first()


def city_study_admin(username: str = "olga") -> Any:
    """An account of the city's organisation department, which sets periods (S9)."""
    return UserFactory(username=username, role=Role.CITY_ADMIN, role__over=the_city())


SESSION_DAY = dt.date(2005, 9, 15)


def session_make(
    actor: Any,
    org: Organization,
    period: StudyPeriod,
    present: Sequence[Any],
    absent: Sequence[Any] = (),
    *,
    amount: Decimal | int = 2,
    held_on: dt.date = SESSION_DAY,
    topic: str = "学习党章",
) -> Any:
    """A session of ``org`` recorded by ``actor`` through the service, ``present`` members
    attending and ``absent`` ones listed as absent."""
    return services.session_record(
        actor=actor,
        period=period,
        org=org,
        held_on=held_on,
        topic=topic,
        amount=amount,
        attendance=[(m.pk, True) for m in present] + [(m.pk, False) for m in absent],
    )


def selfstudy_make(
    actor: Any,
    member: Any,
    period: StudyPeriod,
    *,
    amount: Decimal | int = 1,
    studied_on: dt.date = SESSION_DAY,
    topic: str = "自学读本",
) -> Any:
    """Self-study entered through the service: by the member it waits for the branch."""
    return services.selfstudy_record(
        actor=actor, member=member, period=period, studied_on=studied_on, topic=topic, amount=amount
    )
