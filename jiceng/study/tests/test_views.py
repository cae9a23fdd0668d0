"""Study pages (S9): a subtree's units with completion, a unit's ledger, recording a session
with the attendance checklist (all or nothing, clear messages), a member's record, the
member's own self-study and its confirmation by the branch; outsiders get 404."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jiceng.campaigns.tests.factories import login_as
from jiceng.members.models import Member
from jiceng.study import selectors, views
from jiceng.study.models import Attendance, SelfStudy, StudySession

from .conftest import parent, unit_members
from .factories import selfstudy_make, session_make

HTMX = {"HTTP_HX_REQUEST": "true"}


def _session_post(period, members, present, **extra):
    data = {
        "period": period.pk,
        "held_on": "2005-10-12",
        "topic": "学习《保持共产党员先进性教育读本》",
        "amount": "2",
        "evidence": "签到表已存档",
        "evidence_file": "签到表.pdf",
        "listed": [m.pk for m in members],
        "present": [m.pk for m in present],
    }
    data.update(extra)
    return data


def _in(period, **query):
    """The query string that names the period (the pages default to the latest one)."""
    return {"period": period.pk, **query}


def test_study_home_shows_the_units_with_completion(client, small, period, ledger):
    login_as(client, small.alice)
    street = small.a.street
    rows = selectors.unit_completion(small.alice, street, period)
    assert len(rows) >= 2  # the street's two branches
    response = client.get(reverse("study:home"), _in(period, org=street.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="unit-row"') == len(rows)
    assert 'data-testid="study-chart"' in page
    assert "学课制" in page
    assert "学分制" in page
    # The practice is named; fact ids stay out of the interface (as a word: a random CSRF
    # token may well hold the letters "S9").
    assert not re.search(r"\bS9\b", page)
    assert small.b.org.name not in page
    assert small.b.street.name not in page


def test_a_member_is_sent_from_study_home_to_their_own_record(client, mary):
    login_as(client, mary)
    response = client.get(reverse("study:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("study:mine")


def test_the_unit_ledger_lists_sessions_pending_self_study_and_members_below(
    client, small, mary, residential, period, ledger
):
    selfstudy_make(mary, Member.objects.get(user=mary), period)  # waits for the branch
    login_as(client, small.charlie)
    response = client.get(reverse("study:unit", args=[residential.pk]), _in(period))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="session-table"' in page
    assert 'data-testid="pending-row"' in page  # mary's entry
    assert 'data-testid="below-list"' in page
    assert 'data-testid="new-session"' in page


def test_the_below_list_pages_by_htmx(client, monkeypatch, small, period):
    monkeypatch.setattr(views, "BELOW_PAGE", 5)  # this world is smaller than a real page
    below = selectors.below_requirement(small.dora, small.city, period).count()
    assert below > 5
    pages = -(-below // 5)
    login_as(client, small.dora)
    response = client.get(
        reverse("study:below", args=[small.city.pk]), _in(period, below_page=2), **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.count('data-testid="below-row"') == min(5, below - 5)
    assert f"第 2 / {pages} 页，共 {below} 人" in page


def test_recording_a_session_on_the_page_saves_it_with_the_checklist(
    client, small, residential, period
):
    login_as(client, small.charlie)
    url = reverse("study:session-create", args=[residential.pk])
    form = client.get(url, _in(period)).content.decode()
    members = unit_members(residential)
    for m in members:
        assert f'value="{m.pk}"' in form
    response = client.post(url, _session_post(period, members, members[:-1]))
    session = StudySession.objects.filter(org=residential).latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("study:session", args=[session.pk])
    assert session.period == period
    rows = dict(Attendance.objects.filter(session=session).values_list("member_id", "present"))
    assert rows == {m.pk: m != members[-1] for m in members}
    detail = client.get(response["Location"]).content.decode()
    assert f"出席 {len(members) - 1} 人 / 登记 {len(members)} 人" in detail


def test_htmx_recording_redirects_with_a_header(client, small, residential, period):
    login_as(client, small.charlie)
    members = unit_members(residential)
    response = client.post(
        reverse("study:session-create", args=[residential.pk]),
        _session_post(period, members, members),
        **HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/study/sessions/")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "两个"}, "请填写数字"),
        ({"present": []}, "没有党员出席"),
        ({"listed": ["abc"], "present": ["abc"]}, "党员编号“abc”无效"),
        ({"held_on": "2006-03-01"}, "日期应在学习周期"),
    ],
)
def test_bad_input_on_the_page_says_why_in_chinese_and_saves_nothing(
    client, small, residential, period, change, message
):
    login_as(client, small.charlie)
    members = unit_members(residential)
    before = (StudySession.objects.count(), Attendance.objects.count())
    data = _session_post(period, members, members)
    data.update(change)
    response = client.post(reverse("study:session-create", args=[residential.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (StudySession.objects.count(), Attendance.objects.count()) == before


def test_a_tampered_checklist_with_a_stranger_saves_nothing(
    client, small, residential, two_new, period
):
    login_as(client, small.charlie)
    members = unit_members(residential)
    stranger = small.b.members[0]  # a member of the other district
    before = Attendance.objects.count()
    response = client.post(
        reverse("study:session-create", args=[residential.pk]),
        _session_post(period, [*members, stranger], [*members, stranger]),
    )
    assert response.status_code == 200
    assert "不能登记出勤" in response.content.decode()
    assert Attendance.objects.count() == before


def test_the_checklist_lists_only_members_of_the_units_mode(
    client, erin, residential, two_new, period
):
    login_as(client, erin)  # the street committee's officer
    street = parent(residential)
    url = reverse("study:session-create", args=[street.pk])
    page = client.get(url, _in(period)).content.decode()
    for m in unit_members(residential):
        assert f'id="present-{m.pk}"' in page
    assert unit_members(two_new)
    for m in unit_members(two_new):
        assert f'id="present-{m.pk}"' not in page


def test_a_members_record_shows_their_total(client, small, residential, period):
    login_as(client, small.charlie)
    member = unit_members(residential)[0]
    response = client.get(reverse("study:member", args=[member.pk]), _in(period))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="member-total"' in page
    assert "学课制" in page


def test_a_member_sees_and_enters_only_their_own_rows(client, mary, period):
    me = login_as(client, mary)
    member = Member.objects.get(user=me)
    selfstudy_make(me, member, period)
    page = client.get(reverse("study:mine"), _in(period)).content.decode()
    assert "我的学习记录" in page
    own = SelfStudy.objects.filter(member=member, period=period).count()
    assert own
    assert page.count('data-testid="selfstudy-row"') == own
    assert 'data-testid="selfstudy-form"' in page
    # another member of the same branch is out of reach
    other = Member.objects.filter(home_org=member.home_org).exclude(pk=member.pk).first()
    assert client.get(reverse("study:member", args=[other.pk])).status_code == 404
    assert (
        client.post(
            reverse("study:selfstudy-create", args=[other.pk]),
            {"period": period.pk, "studied_on": "2005-10-01", "topic": "x", "amount": "1"},
        ).status_code
        == 404
    )
    response = client.post(
        reverse("study:selfstudy-create", args=[member.pk]),
        {"period": period.pk, "studied_on": "2005-10-01", "topic": "自学读本", "amount": "1.5"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("study:mine"))
    entry = SelfStudy.objects.filter(member=member).latest("id")
    assert entry.topic == "自学读本"
    assert not entry.is_confirmed
    assert entry.recorded_by == me


def test_a_bad_self_study_entry_is_explained(client, mary, period):
    me = login_as(client, mary)
    member = Member.objects.get(user=me)
    response = client.post(
        reverse("study:selfstudy-create", args=[member.pk]),
        {"period": period.pk, "studied_on": "2004-10-01", "topic": "x", "amount": "20"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "数量不能超过 8" in page
    assert not SelfStudy.objects.filter(member=member).exists()


def test_the_branch_secretary_confirms_self_study(client, small, mary, period):
    member = Member.objects.get(user=mary)
    entry = selfstudy_make(mary, member, period)
    assert not entry.is_confirmed
    login_as(client, small.charlie)
    response = client.post(reverse("study:selfstudy-confirm", args=[entry.pk]), **HTMX)
    assert response.status_code == 200
    assert 'data-testid="confirmed"' in response.content.decode()
    entry.refresh_from_db()
    assert entry.is_confirmed
    again = client.post(reverse("study:selfstudy-confirm", args=[entry.pk]))
    assert again.status_code == 302


def test_a_member_cannot_confirm_their_own_self_study(client, mary, period):
    me = login_as(client, mary)
    entry = selfstudy_make(me, Member.objects.get(user=me), period)
    assert not entry.is_confirmed
    assert client.post(reverse("study:selfstudy-confirm", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert not entry.is_confirmed


def test_outsider_gets_404_on_huangpu_study_objects(client, small, mary, residential, period):
    members = unit_members(residential)
    session = session_make(small.charlie, residential, period, members)
    entry = selfstudy_make(mary, Member.objects.get(user=mary), period)
    member = members[0]
    login_as(client, small.bob)  # officer of the other district
    for url, query in (
        (reverse("study:unit", args=[residential.pk]), _in(period)),
        (reverse("study:below", args=[residential.pk]), _in(period)),
        (reverse("study:session-create", args=[residential.pk]), _in(period)),
        (reverse("study:session", args=[session.pk]), _in(period)),
        (reverse("study:member", args=[member.pk]), _in(period)),
        (reverse("study:selfstudy-create", args=[member.pk]), _in(period)),
        (reverse("study:home"), _in(period, org=small.a.org.pk)),
    ):
        assert client.get(url, query).status_code == 404, (url, query)
    assert client.post(reverse("study:selfstudy-confirm", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert not entry.is_confirmed
    page = client.get(reverse("study:home"), _in(period)).content.decode()
    assert small.b.org.name in page  # bob's own district
    assert small.a.org.name not in page


def test_a_party_worker_reads_but_does_not_record(client, gus, residential, period):
    login_as(client, gus)  # party worker of the street committee over charlie's branch
    assert client.get(reverse("study:unit", args=[residential.pk]), _in(period)).status_code == 200
    create = reverse("study:session-create", args=[residential.pk])
    assert client.get(create, _in(period)).status_code == 404


def test_the_unit_page_takes_a_bounded_number_of_queries(
    client, small, mary, residential, period, ledger, django_assert_max_num_queries
):
    selfstudy_make(mary, Member.objects.get(user=mary), period)
    login_as(client, small.charlie)
    url = reverse("study:unit", args=[residential.pk])
    client.get(url, _in(period))
    with django_assert_max_num_queries(17):  # 16 + the second factor's device (issue 14)
        assert client.get(url, _in(period)).status_code == 200
