"""Handles on the tiny scenario's study ledger (built by ``jiceng/scenario/study.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q

from jiceng.members.models import Member
from jiceng.orgs.models import Organization, Sector
from jiceng.study.models import StudyPeriod


@pytest.fixture
def period(db: Any) -> StudyPeriod:
    return StudyPeriod.objects.get(name__startswith="第二批")


@pytest.fixture
def residential(world: Any) -> Organization:
    """The branch secretary's residential branch in 黄浦 (class hours, S9)."""
    return world.user("branch.secretary").primary_assignment.organization


@pytest.fixture
def two_new(world: Any, residential: Organization) -> Organization:
    """A non-public enterprise branch under the same street committee (credits, S9)."""
    street = parent(residential)
    return (
        Organization.objects.filter(
            path__startswith=street.path, sector=Sector.NEW_ECONOMIC, org_type="branch"
        )
        .order_by("path")
        .first()
    )


def unit_members(org: Organization) -> list[Member]:
    return list(
        Member.objects.on_roll()
        .filter(Q(participating_org=org) | Q(participating_org__isnull=True, home_org=org))
        .select_related("home_org", "participating_org")
        .order_by("id")
    )


def parent(org: Organization) -> Organization:
    return Organization.objects.get(path=org.path[: -Organization.steplen])
