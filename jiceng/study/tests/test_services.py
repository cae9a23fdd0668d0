"""Study services (S9): the mode follows the sector of the member's study unit; a session and
its attendance are recorded all or nothing; a member is counted once per session; self-study
is entered by the member or an officer and confirmed by the branch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.core.models import AuditEvent
from jiceng.members.models import Member
from jiceng.study import services
from jiceng.study.models import Attendance, SelfStudy, StudySession
from jiceng.study.rules import StudyMode, mode_expression, mode_for_sector
from tests.factories import make_member

from .conftest import parent, unit_members

DAY = dt.date(2005, 9, 15)


def _record(actor, org, attendance, **kw):
    return services.session_record(
        actor=actor,
        period=kw.pop("period"),
        org=org,
        held_on=kw.pop("held_on", DAY),
        topic=kw.pop("topic", "学习党章"),
        amount=kw.pop("amount", 2),
        attendance=attendance,
        **kw,
    )


# ----- mode by sector (S9) ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sector", "mode"),
    [
        ("street_community", StudyMode.CLASS_HOURS),
        ("town", StudyMode.CLASS_HOURS),
        ("state_enterprise", StudyMode.CLASS_HOURS),
        ("new_economic", StudyMode.CREDITS),
        ("new_social", StudyMode.CREDITS),
    ],
)
def test_two_new_sectors_study_by_credits_everyone_else_by_class_hours_s9(sector, mode):
    assert mode_for_sector(sector) == mode


def test_the_mode_follows_the_participating_unit_then_the_home_unit(residential, two_new):
    member = unit_members(residential)[0]
    assert services.member_mode(member) == StudyMode.CLASS_HOURS
    member.participating_org = two_new  # takes part in a two-new organisation (S10)
    assert services.member_mode(member) == StudyMode.CREDITS
    assert services.member_mode(unit_members(two_new)[0]) == StudyMode.CREDITS


def test_the_sql_mode_agrees_with_the_python_rule(small, two_new):
    placed_in_two_new = make_member(small.a.branches[1], participating_org=two_new)  # S10
    rows = Member.objects.filter(home_path__startswith=small.a.org.path).annotate(
        study_mode=mode_expression()
    )
    modes = {}
    for m in rows.select_related("home_org", "participating_org"):
        assert m.study_mode == services.member_mode(m), m.pk
        modes[m.pk] = m.study_mode
    assert modes[placed_in_two_new.pk] == StudyMode.CREDITS
    assert set(modes.values()) == {StudyMode.CLASS_HOURS, StudyMode.CREDITS}


# ----- sessions and attendance ------------------------------------------------------------------
def test_a_session_is_recorded_with_its_attendance_and_audited(small, period, residential):
    members = unit_members(residential)
    attendance = [(m.pk, i % 2 == 0) for i, m in enumerate(members)]
    session = _record(
        small.charlie, residential, attendance, period=period, evidence_file="签到表.pdf"
    )
    assert session.mode == StudyMode.CLASS_HOURS
    assert session.org_path == residential.path
    rows = dict(Attendance.objects.filter(session=session).values_list("member_id", "present"))
    assert rows == dict(attendance)
    event = AuditEvent.objects.get(object_type="study.studysession", object_id=str(session.pk))
    assert event.org_path == residential.path
    assert event.changes["present"][1] == [m for m, p in attendance if p]


def test_attendance_is_all_or_nothing(small, period, residential, two_new):
    stranger = unit_members(two_new)[0]  # not a member of the residential branch
    attendance = [(m.pk, True) for m in unit_members(residential)] + [(stranger.pk, True)]
    sessions, rows = StudySession.objects.count(), Attendance.objects.count()
    with pytest.raises(ValidationError) as exc:
        _record(small.charlie, residential, attendance, period=period)
    assert "不在" in str(exc.value)
    assert str(stranger.pk) in str(exc.value)
    assert StudySession.objects.count() == sessions
    assert Attendance.objects.count() == rows


def test_a_member_listed_twice_refuses_the_session(small, period, residential):
    m = unit_members(residential)[0]
    before = StudySession.objects.count()
    with pytest.raises(ValidationError, match="重复登记"):
        _record(small.charlie, residential, [(m.pk, True), (m.pk, False)], period=period)
    assert StudySession.objects.count() == before


def test_duplicate_attendance_is_rejected(small, period, residential):
    first, second = unit_members(residential)[:2]
    session = _record(small.charlie, residential, [(first.pk, True)], period=period)
    services.attendance_add(actor=small.charlie, session=session, member=second)
    with pytest.raises(ValidationError, match="该党员本次学习的出勤已登记"):
        services.attendance_add(actor=small.charlie, session=session, member=second)
    assert Attendance.objects.filter(session=session).count() == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "两个"}, "请填写数字"),
        ({"amount": "0"}, "数量应在"),
        ({"amount": "12"}, "数量应在"),
        ({"amount": "1.25"}, "一位小数"),
        ({"held_on": dt.date(2006, 1, 5)}, "日期应在学习周期"),
        ({"topic": "  "}, ""),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message(small, period, residential, kwargs, message):
    m = unit_members(residential)[0]
    with pytest.raises(ValidationError) as exc:
        _record(small.charlie, residential, [(m.pk, True)], period=period, **kwargs)
    assert message in " ".join(exc.value.messages)


def test_a_session_needs_someone_present(small, period, residential):
    m = unit_members(residential)[0]
    with pytest.raises(ValidationError, match="没有党员出席"):
        _record(small.charlie, residential, [(m.pk, False)], period=period)
    with pytest.raises(ValidationError, match="请登记本次学习的出勤"):
        _record(small.charlie, residential, [], period=period)


def test_a_credit_member_is_not_counted_in_a_class_hour_session(erin, period, residential, two_new):
    street = parent(residential)  # street committee: class hours
    attendance = [(unit_members(residential)[0].pk, True), (unit_members(two_new)[0].pk, True)]
    with pytest.raises(ValidationError, match="学课制"):
        services.session_record(
            actor=erin,
            period=period,
            org=street,
            held_on=DAY,
            topic="街道党课",
            amount=3,
            attendance=attendance,
        )


def test_an_officer_of_another_district_may_not_record(small, period, residential):
    m = unit_members(residential)[0]
    with pytest.raises(PermissionDenied):
        services.session_record(
            actor=small.bob,
            period=period,
            org=residential,
            held_on=DAY,
            topic="x",
            amount=1,
            attendance=[(m.pk, True)],
        )


# ----- self-study -------------------------------------------------------------------------------
def test_a_members_own_self_study_waits_for_the_branch(small, mary, period):
    me = mary
    member = Member.objects.get(user=me)
    entry = services.selfstudy_record(
        actor=me, member=member, period=period, studied_on=DAY, topic="自学读本", amount="1.5"
    )
    assert not entry.is_confirmed
    assert entry.amount == Decimal("1.5")
    assert entry.mode == StudyMode.CLASS_HOURS
    with pytest.raises(PermissionDenied):
        services.selfstudy_confirm(actor=me, entry=entry)
    with pytest.raises(PermissionDenied):
        services.selfstudy_confirm(actor=small.bob, entry=entry)
    entry = services.selfstudy_confirm(actor=small.charlie, entry=entry)
    assert entry.is_confirmed
    assert entry.confirmed_by == small.charlie
    with pytest.raises(ValidationError, match="已确认"):
        services.selfstudy_confirm(actor=small.charlie, entry=entry)


def test_an_officer_of_the_unit_enters_self_study_confirmed(erin, period, two_new):
    member = unit_members(two_new)[0]
    entry = services.selfstudy_record(
        actor=erin,
        member=member,
        period=period,
        studied_on=DAY,
        topic="远程教育",
        amount=2,
    )
    assert entry.is_confirmed
    assert entry.mode == StudyMode.CREDITS
    assert entry.org == two_new


def test_nobody_else_enters_self_study_for_a_member(small, gus, mary, period, residential):
    member = unit_members(residential)[0]
    for user in (small.bob, gus, mary):
        if Member.objects.filter(pk=member.pk, user=user).exists():
            continue
        with pytest.raises(PermissionDenied):
            services.selfstudy_record(
                actor=user,
                member=member,
                period=period,
                studied_on=DAY,
                topic="x",
                amount=1,
            )
    assert not SelfStudy.objects.filter(member=member, topic="x").exists()


def test_self_study_cannot_be_dated_in_the_future_or_outside_the_period(mary, period):
    me = mary
    member = Member.objects.get(user=me)
    with pytest.raises(ValidationError, match="日期应在学习周期"):
        services.selfstudy_record(
            actor=me,
            member=member,
            period=period,
            studied_on=dt.date(2005, 6, 1),
            topic="x",
            amount=1,
        )
