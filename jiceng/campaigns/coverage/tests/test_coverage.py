"""The "four lets" coverage (S8): computed rates and entered figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from jiceng.campaigns.coverage import selectors, services
from jiceng.campaigns.coverage.rules import Coverage
from jiceng.campaigns.models import CampaignUnit
from jiceng.campaigns.tests.factories import CampaignWorld
from jiceng.members.models import Member
from jiceng.orgs import services as org_services
from jiceng.study import services as study_services
from jiceng.study.tests.factories import period_make
from tests.factories import make_member


@pytest.fixture
def cw(small):
    return CampaignWorld.make(small)


@pytest.fixture
def second(cw):
    return cw.campaign


@pytest.fixture
def branch_unit(cw):
    return cw.unit


def test_coverage_rates_equal_an_independent_count(cw, second):
    small, officer = cw.small, cw.small.alice
    a = small.a
    # this world's facts: one branch with a secretary, one member taking part nowhere, a
    # session in the campaign attended by two, the owners' figure entered by one unit
    org_services.organization_appoint_secretary(
        actor=officer, org=a.branches[0], member=a.members[0]
    )
    make_member(a.branches[1], participating_org=None)
    study_services.session_record(
        actor=small.charlie,
        period=period_make(),
        org=a.branches[0],
        held_on=dt.date(2005, 8, 1),
        topic="学习党章",
        amount=2,
        attendance=[(a.members[0].pk, True), (a.members[1].pk, True), (a.members[2].pk, False)],
    )
    services.coverage_enter(
        actor=small.charlie, unit=cw.unit, indicator="owners", numerator=8, denominator=10
    )
    row = selectors.coverage(officer, second, a.org)
    assert (row.units, row.secretaries, row.members, row.placed, row.attended) == (
        len(a.branches),
        1,
        len(a.members) + 1,
        len(a.members),
        2,
    )
    assert row.owners == (8, 10)
    units = CampaignUnit.objects.filter(campaign=second, org_path__startswith=a.org.path)
    assert row.units == units.count()
    assert row.secretaries == sum(1 for u in units.select_related("org") if u.org.secretary_id)
    members = Member.objects.on_roll().filter(home_path__startswith=a.org.path)
    assert row.members == members.count()
    assert row.placed == sum(1 for m in members if m.participating_org_id)
    from jiceng.study.models import Attendance

    attended = {
        a.member_id
        for a in Attendance.objects.filter(
            present=True,
            session__held_on__gte=second.starts_on,
            session__held_on__lte=second.ends_on,
        )
    }
    assert row.attended == sum(1 for m in members if m.pk in attended)
    entered = [e for u in units for e in u.coverage.filter(indicator=Coverage.OWNERS)]
    assert row.owners == (sum(e.numerator for e in entered), sum(e.denominator for e in entered))
    missing = selectors.coverage_missing(officer, second, a.org, Coverage.OWNERS)
    assert missing.count() == units.count() - len(entered) == len(a.branches) - 1


def test_coverage_entries_are_checked(cw, branch_unit):
    secretary = cw.small.charlie
    with pytest.raises(ValidationError, match="系统根据数据计算"):
        services.coverage_enter(
            actor=secretary, unit=branch_unit, indicator="secretary", numerator=1, denominator=1
        )
    with pytest.raises(ValidationError, match="达到数"):
        services.coverage_enter(
            actor=secretary, unit=branch_unit, indicator="owners", numerator=9, denominator=5
        )
    entry = services.coverage_enter(
        actor=secretary, unit=branch_unit, indicator="owners", numerator=4, denominator=5
    )
    assert entry.rate == 80.0
