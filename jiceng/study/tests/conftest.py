"""Study fixtures of the test's own world (issue 16), on ``tests.factories.SmallWorld``: a
study period with a requirement of 24 under each mode, charlie's branch as the class-hour
unit (``residential``) and a non-public enterprise branch beside it under district a's street
committee (``two_new``, credits, S9); erin the street committee's officer, gus its party
worker, mary a member of charlie's branch with her own account; ``ledger`` three sessions in
charlie's branch that one member completes and the others do not. ``demo_period`` is the demo's
period, for the tests that count over the demo's ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q

from jiceng.accounts.roles import Role
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, Sector
from jiceng.study.models import StudyPeriod
from tests.factories import OrganizationFactory, UserFactory, make_member

from .factories import REQUIRED, period_make, session_make


@pytest.fixture
def demo_period(db: Any) -> StudyPeriod:
    return StudyPeriod.objects.get(name__startswith="第二批")


@pytest.fixture
def demo_residential(world: Any) -> Organization:
    """The demo branch secretary's residential branch in 黄浦 (class hours, S9)."""
    return world.user("branch.secretary").primary_assignment.organization


@pytest.fixture
def demo_two_new(world: Any, demo_residential: Organization) -> Organization:
    """A demo non-public enterprise branch under the same street committee (credits, S9)."""
    street = parent(demo_residential)
    return (
        Organization.objects.filter(
            path__startswith=street.path, sector=Sector.NEW_ECONOMIC, org_type="branch"
        )
        .order_by("path")
        .first()
    )


@pytest.fixture
def period(db: Any) -> StudyPeriod:
    return period_make()


@pytest.fixture
def residential(small: Any) -> Organization:
    """charlie's branch (sector "other"): its members study by class hours (S9)."""
    return small.a.branches[0]


@pytest.fixture
def two_new(small: Any) -> Organization:
    """A non-public enterprise branch under the same street committee (credits, S9)."""
    org = OrganizationFactory(
        parent=small.a.street, name="甲区某非公企业党支部", sector=Sector.NEW_ECONOMIC
    )
    for _ in range(3):
        make_member(org)
    return org


@pytest.fixture
def erin(small: Any) -> Any:
    return UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street)


@pytest.fixture
def gus(small: Any) -> Any:
    return UserFactory(username="gus", role=Role.PARTY_WORKER, role__over=small.a.street)


@pytest.fixture
def mary(small: Any, residential: Organization) -> Any:
    """A member of charlie's branch with a self-service account."""
    member = make_member(residential)
    user = UserFactory(username="mary", role=Role.MEMBER, role__over=residential)
    Member.objects.filter(pk=member.pk).update(user=user)
    return user


@pytest.fixture
def ledger(small: Any, period: StudyPeriod, residential: Organization) -> Member:
    """Three class-hour sessions of 8 in charlie's branch, recorded by charlie: its first member
    attends them all and meets the requirement (24); the others attend only the first and stay
    below it. Returns the member who completed."""
    members = unit_members(residential)
    first, rest = members[0], members[1:]
    amount = REQUIRED / 3
    session_make(small.charlie, residential, period, members, amount=amount)
    for day in (dt.date(2005, 10, 10), dt.date(2005, 11, 10)):
        session_make(small.charlie, residential, period, [first], rest, amount=amount, held_on=day)
    return first


def unit_members(org: Organization) -> list[Member]:
    return list(
        Member.objects.on_roll()
        .filter(Q(participating_org=org) | Q(participating_org__isnull=True, home_org=org))
        .select_related("home_org", "participating_org")
        .order_by("id")
    )


def parent(org: Organization) -> Organization:
    return Organization.objects.get(path=org.path[: -Organization.steplen])
