"""Roll-ups (S1) equal an independent count over the same rows: per child subtree, per
sector, the totals, and the lagging list, on a second batch over the test's own small world
with units of both districts in every kind of state (``factories.spread``); the demo's second
batch (S4) is checked to be part way."""

from __future__ import annotations

from collections import Counter

import pytest

from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.campaigns.progress import selectors
from jiceng.campaigns.progress.rules import StepState, UnitState
from jiceng.campaigns.tests.factories import ALL, SPREAD_A, SPREAD_B, CampaignWorld, spread


@pytest.fixture
def second(world):
    return Campaign.objects.get(name__contains="第二批", root=world.city)


@pytest.fixture
def cw(small):
    """frank's second batch over the factory city."""
    return CampaignWorld.make(small)


@pytest.fixture
def units(cw):
    """The batch's units, in every kind of state in both districts (``factories.spread``)."""
    return spread(cw)


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


def test_city_roll_up_by_district_equals_an_independent_count(cw, units):
    admin, second, city = cw.frank, cw.campaign, cw.small.city
    on = second.reference_date()
    rows = selectors.progress_by_child(admin, second, city)
    assert [r.key for r in rows] == sorted([cw.small.a.org.path, cw.small.b.org.path])
    all_units = list(CampaignUnit.objects.filter(campaign=second))
    assert sorted(u.pk for u in all_units) == sorted(u.pk for u in units)
    for row in rows:
        expected = _independent([u for u in all_units if u.org_path.startswith(row.key)], on)
        assert {k: getattr(row, k) for k in KEYS} == {k: expected[k] for k in KEYS}, row.label
        # every district has units waiting, behind, submitted, returned and completed
        for k in ("not_launched", "overdue", "late_launch", "submitted", "returned", "completed"):
            assert getattr(row, k) > 0, (row.label, k)
    total = selectors.progress_total(admin, second, city)
    assert {k: getattr(total, k) for k in KEYS} == {k: _independent(all_units, on)[k] for k in KEYS}
    for k in KEYS:
        assert getattr(total, k) > 0, k  # the spread covers every count
    assert total.total == len(all_units) == sum(r.total for r in rows)
    assert total.lagging == sum(r.lagging for r in rows)
    # and the states the units were moved to, read from the plan rather than the rows
    plan = SPREAD_A + SPREAD_B
    assert total.total == len(plan)
    assert total.not_launched == total.late_launch == sum(1 for p in plan if p[1] is None)
    assert total.completed == sum(1 for p in plan if p[1] == ALL)
    assert total.submitted == sum(1 for p in plan if p[2] == StepState.SUBMITTED)
    assert total.returned == sum(1 for p in plan if p[2] == StepState.RETURNED)


def test_sector_roll_up_equals_an_independent_count(cw, units):
    admin, second = cw.frank, cw.campaign
    on = second.reference_date()
    stored = list(CampaignUnit.objects.filter(campaign=second))
    assert len(stored) == len(units)
    rows = selectors.progress_by_sector(admin, second, cw.small.city)
    assert {r.key for r in rows} == {u.sector for u in stored}
    assert len(rows) > 2
    for row in rows:
        expected = _independent([u for u in stored if u.sector == row.key], on)
        assert row.total == expected["total"]
        assert row.overdue == expected["overdue"]
        assert row.completed == expected["completed"]
        assert {k: getattr(row, k) for k in KEYS} == {k: expected[k] for k in KEYS}, row.key


def test_a_district_officer_counts_only_their_district(cw, units):
    officer, second, a = cw.small.alice, cw.campaign, cw.small.a.org
    total = selectors.progress_total(officer, second, second.root)
    assert (
        total.total
        == CampaignUnit.objects.filter(campaign=second, org_path__startswith=a.path).count()
    )
    assert 0 < total.total < second.units.count()  # district b has units too
    keys = {r.key for r in selectors.progress_by_child(officer, second, second.root)}
    assert keys == {a.path}


def test_lagging_units_are_exactly_the_overdue_and_late_launched(cw, units):
    admin, second = cw.frank, cw.campaign
    on = second.reference_date()
    listed = list(selectors.lagging_units(admin, second, cw.small.city))
    expected = [
        u.pk
        for u in CampaignUnit.objects.filter(campaign=second)
        if u.state != UnitState.COMPLETED and u.due_on and u.due_on < on
    ]
    assert sorted(u.pk for u in listed) == sorted(expected)
    assert listed  # the spread has units behind
    assert {u.state for u in listed} == {UnitState.NOT_LAUNCHED, UnitState.IN_PROGRESS}
    assert second.units.count() > len(listed)  # and units on time or completed
    dues = [u.due_on for u in listed]
    assert dues == sorted(dues)  # longest overdue first
    assert len(set(dues)) > 1


def test_the_cached_roll_up_shows_a_launch_at_once(cw, django_capture_on_commit_callbacks):
    """S1: the dashboard's counts are cached (a second view reads none of the units again),
    and a unit launched is counted on the next view, in every process: the campaign's progress
    generation is bumped when the write commits."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiceng.campaigns.progress import services

    cache.clear()
    city = cw.small.city

    def launched() -> int:
        children = selectors.dashboard_counts(cw.frank, cw.campaign, city)["children"]
        return sum(p.total - p.not_launched for p in children)

    before = launched()
    with CaptureQueriesContext(connection) as again:
        assert launched() == before
    assert not [q for q in again.captured_queries if "campaigns_campaignunit" in q["sql"]]
    with django_capture_on_commit_callbacks(execute=True):
        services.unit_launch(actor=cw.frank, unit=cw.unit)
    assert launched() == before + 1
