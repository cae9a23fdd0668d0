"""A recruitment round of district a of the small world (S3): one post of two places serving
a two-new organisation, applications made on the round's days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from jiceng.orgs.models import Sector
from jiceng.workers import services
from tests.factories import OrganizationFactory

D = dt.date


@pytest.fixture
def day(settings: Any) -> Any:
    """Set the site's day: ``day("2005-05-20")``."""

    def _set(value: str) -> dt.date:
        settings.JICENG_TODAY = value
        return dt.date.fromisoformat(value)

    _set("2005-05-10")
    return _set


@pytest.fixture
def two_new(small: Any) -> Any:
    return OrganizationFactory(
        parent=small.a.street, name="甲区某科技公司党支部", sector=Sector.NEW_ECONOMIC
    )


@pytest.fixture
def post(small: Any, two_new: Any, day: Any) -> Any:
    r = services.recruitment_create(
        actor=small.alice,
        district=small.a.org,
        title="甲区2005年专职党群工作者招聘",
        opens_on=D(2005, 5, 9),
        closes_on=D(2005, 5, 20),
        written_weight=Decimal("0.40"),
        interview_weight=Decimal("0.60"),
        notice_days=5,
    )
    return services.post_create(
        actor=small.alice,
        recruitment=r,
        title="两新组织党群工作者",
        places=2,
        min_age=22,
        max_age=35,
        min_education="college",
        serves=[two_new, small.a.branches[0]],
    )
