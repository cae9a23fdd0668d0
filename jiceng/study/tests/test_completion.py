"""Completion per member and per unit (S9) comes from aggregate queries; here it is checked
against an independent count in Python over the same rows — the demo's ledger, a large one
built by the scenario — and its rules in a world of the test's own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from jiceng.accounts.roles import Role
from jiceng.members.models import Member
from jiceng.study import selectors, services
from jiceng.study.models import Attendance, SelfStudy, StudyRequirement
from tests.factories import UserFactory

from .conftest import parent, unit_members
from .factories import REQUIRED, city_study_admin


def _independent(org, period):
    """Done and required per member, counted row by row in Python."""
    requirements = list(StudyRequirement.objects.filter(period=period))
    members = [
        m
        for m in Member.objects.on_roll().select_related("home_org", "participating_org")
        if services.member_study_unit(m).path.startswith(org.path)
    ]
    done: dict[int, Decimal] = defaultdict(Decimal)
    modes = {m.pk: services.member_mode(m) for m in members}
    for a in Attendance.objects.filter(session__period=period, present=True).select_related(
        "session"
    ):
        if a.member_id in modes and a.session.mode == modes[a.member_id]:
            done[a.member_id] += a.session.amount
    for e in SelfStudy.objects.filter(period=period, confirmed_at__isnull=False):
        if e.member_id in modes and e.mode == modes[e.member_id]:
            done[e.member_id] += e.amount
    required = {}
    for m in members:
        unit = services.member_study_unit(m)
        fits = [
            r
            for r in requirements
            if r.mode == modes[m.pk]
            and r.sector in ("", unit.sector)
            and r.org_type in ("", unit.org_type)
        ]
        fits.sort(key=lambda r: bool(r.sector) * 2 + bool(r.org_type), reverse=True)
        required[m.pk] = fits[0].required_amount if fits else None
    return members, done, required


def test_member_completion_equals_an_independent_count(world, demo_period):
    period = demo_period
    admin = world.user("city.admin")
    members, done, required = _independent(world.huangpu, period)
    rows = {m.pk: m for m in selectors.member_completion(admin, world.huangpu, period)}
    assert set(rows) == {m.pk for m in members}
    assert any(done.values()), "the demo ledger should have rows"
    for pk, m in rows.items():
        assert m.done == done[pk], pk
        assert m.required == required[pk], pk


def test_unit_completion_equals_an_independent_count(world, demo_period):
    period = demo_period
    admin = world.user("city.admin")
    members, done, required = _independent(world.huangpu, period)
    rows = selectors.unit_completion(admin, world.huangpu, period)
    assert rows, "黄浦 has streets"
    for row in rows:
        mine = [m for m in members if services.member_study_unit(m).path.startswith(row.org.path)]
        below = [m for m in mine if required[m.pk] is not None and done[m.pk] < required[m.pk]]
        assert row.members == len(mine), row.org.name
        assert row.below == len(below), row.org.name
        assert row.completed == len(mine) - len(below), row.org.name
        assert row.done == sum((done[m.pk] for m in mine), Decimal(0))
    totals = selectors.unit_totals(admin, world.huangpu, period)
    assert totals.members == len(members) == sum(r.members for r in rows)
    assert totals.below == sum(r.below for r in rows)
    assert 0 < totals.completed < totals.members, "the demo has both"


def test_only_confirmed_self_study_counts(small, mary, period):
    me = mary
    member = Member.objects.get(user=me)
    before = selectors.member_record(me, member, period).done
    entry = services.selfstudy_record(
        actor=me,
        member=member,
        period=period,
        studied_on=dt.date(2005, 10, 1),
        topic="自学",
        amount=3,
    )
    assert selectors.member_record(me, member, period).done == before
    services.selfstudy_confirm(actor=small.charlie, entry=entry)
    assert selectors.member_record(me, member, period).done == before + 3


def test_the_most_specific_requirement_applies(erin, period, residential, two_new):
    services.requirement_set(
        actor=city_study_admin(),
        period=period,
        mode="credits",
        sector="new_economic",
        org_type="branch",
        required_amount=30,
        source_note="测试",
    )
    street = parent(residential)
    rows = {m.pk: m for m in selectors.member_completion(erin, street, period)}
    assert unit_members(two_new)
    assert unit_members(residential)
    for m in unit_members(two_new):
        assert rows[m.pk].required == 30
    for m in unit_members(residential):
        assert rows[m.pk].required == REQUIRED == 24


def test_requirements_are_set_only_by_the_city(small, period):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.requirement_set(
            actor=small.alice,
            period=period,
            mode="credits",
            required_amount=1,
            source_note="x",
        )


def test_below_requirement_lists_exactly_the_members_short_of_it(world, demo_period):
    period = demo_period
    admin = world.user("city.admin")
    _members, done, required = _independent(world.huangpu, period)
    expected = {pk for pk, r in required.items() if r is not None and done[pk] < r}
    below = list(selectors.below_requirement(admin, world.huangpu, period))
    assert {m.pk for m in below} == expected
    assert all(m.shortfall == m.required - m.done > 0 for m in below)


def test_an_officer_counts_only_their_own_subtree(small, erin, period):
    officer = erin
    street = small.a.street
    admin = UserFactory(username="frank", role=Role.CITY_ADMIN, role__over=small.city)
    mine = selectors.unit_totals(officer, small.city, period)
    assert mine.members == selectors.unit_totals(admin, street, period).members
    assert mine.members == len(small.a.members)  # not district b's
    assert selectors.unit_totals(admin, small.city, period).members == len(
        small.a.members + small.b.members
    )


def test_unit_completion_takes_a_fixed_number_of_queries(
    world, demo_period, django_assert_max_num_queries
):
    period = demo_period
    admin = world.user("city.admin")
    admin.scope_for("view")
    with django_assert_max_num_queries(3):
        rows = selectors.unit_completion(admin, world.city, period)
    assert len(rows) > 3
