"""The "four lets" coverage (S8): computed rates and entered figures."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from jiceng.campaigns.coverage import selectors, services
from jiceng.campaigns.coverage.rules import Coverage
from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.members.models import Member


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def branch_unit(world, second):
    org = world.user("branch.secretary").primary_assignment.organization
    return CampaignUnit.objects.select_related("org").get(campaign=second, org=org)


def test_coverage_rates_equal_an_independent_count(world, second):
    officer = world.user("huangpu.officer")
    row = selectors.coverage(officer, second, world.huangpu)
    units = CampaignUnit.objects.filter(campaign=second, org_path__startswith=world.huangpu.path)
    assert row.units == units.count()
    assert row.secretaries == sum(1 for u in units.select_related("org") if u.org.secretary_id)
    members = Member.objects.on_roll().filter(home_path__startswith=world.huangpu.path)
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
    missing = selectors.coverage_missing(officer, second, world.huangpu, Coverage.OWNERS)
    assert missing.count() == units.count() - len(entered)


def test_coverage_entries_are_checked(world, branch_unit):
    secretary = world.user("branch.secretary")
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
