"""Roll-ups (S1) equal an independent count over the same rows: per child subtree, per
sector, the totals, and the lagging list, on the demo's second batch (S4)."""

from __future__ import annotations

from collections import Counter

import pytest

from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.campaigns.progress import selectors
from jiceng.campaigns.progress.rules import StepState, UnitState


@pytest.fixture
def second(world):
    return Campaign.objects.get(name__contains="第二批", root=world.city)


def _independent(units, on):
    c = Counter()
    for u in units:
        c["total"] += 1
        if u.state == UnitState.NOT_LAUNCHED:
            c["not_launched"] += 1
            if u.due_on and u.due_on < on:
                c["late_launch"] += 1
        elif u.state == UnitState.COMPLETED:
            c["completed"] += 1
        else:
            c[u.phase] += 1
            if u.due_on < on:
                c["overdue"] += 1
        if u.step_state == StepState.SUBMITTED:
            c["submitted"] += 1
        if u.step_state == StepState.RETURNED:
            c["returned"] += 1
    return c


KEYS = (
    "total",
    "not_launched",
    "study",
    "review",
    "rectify",
    "completed",
    "overdue",
    "late_launch",
    "submitted",
    "returned",
)


def test_the_demo_campaign_is_part_way(second):
    states = Counter(second.units.values_list("state", flat=True))
    phases = Counter(second.units.values_list("phase", flat=True))
    assert states[UnitState.IN_PROGRESS] > states[UnitState.NOT_LAUNCHED] > 0
    assert phases["study"]
    assert phases["review"]


def test_city_roll_up_by_district_equals_an_independent_count(world, second):
    admin = world.user("city.admin")
    on = second.reference_date()
    rows = selectors.progress_by_child(admin, second, world.city)
    assert len(rows) > 2
    all_units = list(CampaignUnit.objects.filter(campaign=second))
    for row in rows:
        expected = _independent([u for u in all_units if u.org_path.startswith(row.key)], on)
        assert {k: getattr(row, k) for k in KEYS} == {k: expected[k] for k in KEYS}, row.label
    total = selectors.progress_total(admin, second, world.city)
    assert total.total == len(all_units) == sum(r.total for r in rows)
    assert total.lagging == sum(r.lagging for r in rows)


def test_sector_roll_up_equals_an_independent_count(world, second):
    admin = world.user("city.admin")
    on = second.reference_date()
    units = list(CampaignUnit.objects.filter(campaign=second))
    for row in selectors.progress_by_sector(admin, second, world.city):
        expected = _independent([u for u in units if u.sector == row.key], on)
        assert row.total == expected["total"]
        assert row.overdue == expected["overdue"]
        assert row.completed == expected["completed"]


def test_a_district_officer_counts_only_their_district(world, second):
    officer = world.user("huangpu.officer")
    total = selectors.progress_total(officer, second, second.root)
    assert (
        total.total
        == CampaignUnit.objects.filter(
            campaign=second, org_path__startswith=world.huangpu.path
        ).count()
    )
    keys = {r.key for r in selectors.progress_by_child(officer, second, second.root)}
    assert keys == {world.huangpu.path}


def test_lagging_units_are_exactly_the_overdue_and_late_launched(world, second):
    admin = world.user("city.admin")
    on = second.reference_date()
    listed = list(selectors.lagging_units(admin, second, world.city))
    expected = [
        u.pk
        for u in CampaignUnit.objects.filter(campaign=second)
        if u.state != UnitState.COMPLETED and u.due_on and u.due_on < on
    ]
    assert sorted(u.pk for u in listed) == sorted(expected)
    assert listed  # the demo has units behind
    dues = [u.due_on for u in listed]
    assert dues == sorted(dues)  # longest overdue first
