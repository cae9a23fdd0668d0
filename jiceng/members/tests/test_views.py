"""Member pages: scoped list with filters and search, detail with masked ID, audited reveal,
registration form. Every object page also answers 404 to an officer of another district."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.urls import reverse

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.core.text import to_traditional
from jiceng.members.models import Member
from tests.factories import District, UserFactory, make_member

from .factories_records import (
    bare_world,
    city_admin,
    member_account,
    probationary_member,
    second_street,
    sign_in,
    unplaced_member,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def small(db):
    """The small world of ``tests.factories``, without premade members: each test registers
    the members it needs (``roll`` for the list's tests, ``member_of`` for one record)."""
    return bare_world()


@pytest.fixture
def roll(small):
    """A varied roll: in district a 张伟 (full, at post), 王芳 (probationary) in the first
    branch; 李娜 (retired, not yet placed) and 刘洋 (on the roll, not at post) in the second;
    in district b 陈静 (full) and 赵磊 (on the roll, not at post, not yet placed)."""
    a0, a1 = small.a.branches
    b0 = small.b.branches[0]
    small.a.members += [
        make_member(a0, name="张伟", phone="+8613812340001"),
        probationary_member(a0, name="王芳"),
        unplaced_member(a1, name="李娜", employment_status="retired"),
        make_member(a1, name="刘洋", employment_status="on_roll_not_at_post"),
    ]
    small.b.members += [
        make_member(b0, name="陈静"),
        unplaced_member(b0, name="赵磊", employment_status="on_roll_not_at_post"),
    ]
    return small


def member_of(district: District, **fields: str) -> Member:
    """One member of the district's first branch, with a phone (the pages must hide it)."""
    return make_member(district.branches[0], **{"phone": "+8613812349999", **fields})


def street_officer(small) -> User:
    return UserFactory(username="sam", role=Role.COMMITTEE_OFFICER, role__over=small.a.street)


def listed(response) -> list[Member]:
    assert response.status_code == 200
    return list(response.context["page_obj"].object_list)


def listed_count(response) -> int:
    assert response.status_code == 200
    return response.context["page_obj"].paginator.count


def in_a(small) -> Q:
    return Q(home_path__startswith=small.a.org.path)


# ----- list: scope ----------------------------------------------------------------------


def test_list_shows_only_the_officers_district_and_members_taking_part_there(client, roll):
    """S10: a member of district b taking part in a unit of a shows up in a's list too."""
    small = roll
    district = small.a.org
    guest = small.b.members[0]
    unit = small.a.branches[0]
    Member.objects.filter(pk=guest.pk).update(participating_org=unit, participating_path=unit.path)
    sign_in(client, small.alice)
    response = client.get(reverse("members:list"))
    home = Member.objects.filter(home_path__startswith=district.path).count()
    assert home == len(small.a.members)
    assert listed_count(response) == home + 1
    # the guest sorts after a's own members (by home path): find them by name
    assert guest in listed(client.get(reverse("members:list"), {"q": guest.name}))
    rows = listed(response)
    for m in rows:
        assert m.home_path.startswith(district.path) or m.participating_path.startswith(
            district.path
        )
    body = response.content.decode()
    assert f"共 {home + 1} 人" in body
    other = Member.objects.filter(home_path__startswith=small.b.org.path).exclude(pk=guest.pk)
    assert other.exists()
    for m in other[:20]:
        assert reverse("members:detail", args=[m.pk]) not in body


def test_list_page_query_count_is_pinned(client, small, django_assert_max_num_queries):
    for i, branch in enumerate(small.a.branches * 10):
        make_member(branch, employment_status="retired" if i % 2 else "at_post")
    sign_in(client, small.alice)
    # session, user, role assignments; tree roots and their children for the org filter;
    # count; one page with both organisations joined; session save (savepoint, update,
    # release: SESSION_SAVE_EVERY_REQUEST); the second factor's device (issue 14). A per-row
    # query would add ~20 (one per member made above).
    with django_assert_max_num_queries(11):
        response = client.get(reverse("members:list"))
    assert listed_count(response) == 20


def test_filtered_table_query_count_is_pinned(client, small, django_assert_max_num_queries):
    for branch in small.a.branches * 5:
        make_member(branch, name="张伟")
    sign_in(client, small.alice)
    street = small.a.street
    # the same plus one query for the organisation of the subtree filter
    with django_assert_max_num_queries(12):
        response = client.get(
            reverse("members:list"), {"org": street.pk, "placed": "yes", "q": "zh"}, **HTMX
        )
    assert response.status_code == 200
    assert listed_count(response) == 10


# ----- list: filters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "lookup"),
    [
        ({"category": "probationary"}, {"category": "probationary"}),
        ({"category": "full"}, {"category": "full"}),
        ({"status": "retired"}, {"employment_status": "retired"}),
        ({"placed": "no"}, {"participating_org__isnull": True}),
        ({"placed": "yes"}, {"participating_org__isnull": False}),
    ],
)
def test_list_filters_match_the_roll(client, roll, params, lookup):
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), params)
    expected = set(Member.objects.filter(in_a(roll), **lookup).values_list("pk", flat=True))
    assert expected
    assert expected != {m.pk for m in roll.a.members}  # the filter leaves someone out
    assert {m.pk for m in listed(response)} == expected


def test_dispersed_members_are_found_by_employment_status(client, roll):
    """S16: members on the roll but not at post are found by a query on their status."""
    sign_in(client, city_admin(roll))
    response = client.get(reverse("members:list"), {"status": "on_roll_not_at_post"})
    expected = set(
        Member.objects.filter(
            home_path__startswith=roll.city.path, employment_status="on_roll_not_at_post"
        ).values_list("pk", flat=True)
    )
    assert len(expected) > 1
    assert listed_count(response) == len(expected)
    assert {m.pk for m in listed(response)} <= expected


def test_unplaced_filter_lists_the_members_still_to_place(client, roll):
    """S10: the report of members not yet placed must reach zero."""
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), {"placed": "no"})
    rows = listed(response)
    assert rows
    assert all(m.participating_org_id is None for m in rows)
    assert "未落实" in response.content.decode()


def test_org_filter_lists_the_subtree(client, roll):
    street = roll.a.street
    _street, _branch, elsewhere = second_street(roll)  # in district a, outside the street
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), {"org": street.pk})
    expected = set(
        Member.objects.filter(home_path__startswith=street.path).values_list("pk", flat=True)
    )
    assert expected
    assert elsewhere.pk not in expected
    assert {m.pk for m in listed(response)} == expected
    assert street.name in response.content.decode()


def test_search_by_pinyin_initials_finds_the_member(client, roll):
    member = roll.a.members[0]
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), {"q": member.name_initials.upper()})
    rows = listed(response)
    assert member in rows
    assert all(
        m.name_initials.startswith(member.name_initials)
        or m.name_pinyin.startswith(member.name_initials)
        for m in rows
    )
    assert len(rows) < Member.objects.filter(in_a(roll)).count()


def test_search_by_full_pinyin_finds_the_member(client, roll):
    member = roll.a.members[0]
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), {"q": member.name_pinyin})
    assert member in listed(response)


def test_search_by_traditional_characters_finds_the_member(client, roll):
    member = next(
        m
        for m in Member.objects.filter(in_a(roll)).order_by("id")
        if to_traditional(m.name) != m.name
    )
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), {"q": to_traditional(member.name)})
    rows = listed(response)
    assert member in rows
    assert all(member.name in m.name_simplified for m in rows)


def test_search_does_not_reach_another_district(client, small):
    foreign = member_of(small.a)
    sign_in(client, small.bob)
    response = client.get(reverse("members:list"), {"q": foreign.name})
    assert foreign not in listed(response)


def test_htmx_request_returns_only_the_table(client, roll):
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"), {"category": "full"}, **HTMX)
    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert "members/_list_table.html" in names
    assert "members/list.html" not in names
    body = response.content.decode()
    assert 'data-testid="member-table"' in body
    assert "<html" not in body


def test_full_page_wraps_the_table(client, roll):
    sign_in(client, roll.alice)
    response = client.get(reverse("members:list"))
    assert "members/list.html" in [t.name for t in response.templates]
    assert "<html" in response.content.decode()


# ----- outsiders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [("members:detail", "get"), ("members:edit", "get"), ("members:edit", "post")],
)
def test_outsider_gets_404_for_a_member_of_another_district(client, small, name, method):
    member = member_of(small.a)
    sign_in(client, small.bob)
    response = getattr(client, method)(reverse(name, args=[member.pk]))
    assert response.status_code == 404


def test_outsider_gets_404_on_reveal_and_nothing_is_audited(client, small):
    member = member_of(small.a)
    sign_in(client, small.bob)
    url = reverse("members:reveal", args=[member.pk, "id_number"])
    response = client.post(url, **HTMX)
    assert response.status_code == 404
    assert member.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk)).exists()


def test_outsider_gets_404_for_a_foreign_org_filter(client, small):
    sign_in(client, small.bob)
    response = client.get(reverse("members:list"), {"org": small.a.org.pk})
    assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(reverse("members:list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


# ----- detail and reveal ----------------------------------------------------------------


def test_detail_shows_the_masked_id_number_only(client, small):
    member = member_of(small.a)
    sign_in(client, small.alice)
    response = client.get(reverse("members:detail", args=[member.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert member.id_number_masked in body
    assert member.id_number not in body
    assert member.phone.removeprefix("+86") not in body
    assert 'data-testid="reveal-id"' in body


def test_detail_hides_the_reveal_button_from_a_street_officer(client, small):
    member = member_of(small.a)
    sign_in(client, street_officer(small))
    response = client.get(reverse("members:detail", args=[member.pk]))
    assert response.status_code == 200
    assert 'data-testid="reveal-id"' not in response.content.decode()


def test_reveal_by_post_returns_the_full_number_and_audits_it(client, small):
    member = member_of(small.a)
    user = sign_in(client, small.alice)
    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert member.id_number in body
    assert 'data-testid="revealed-id_number"' in body
    [event] = AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk))
    assert event.actor == user
    assert member.id_number not in event.note + str(event.changes)


def test_reveal_by_get_is_not_allowed(client, small):
    member = member_of(small.a)
    sign_in(client, small.alice)
    response = client.get(reverse("members:reveal", args=[member.pk, "id_number"]))
    assert response.status_code == 405
    assert member.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk)).exists()


def test_reveal_by_a_street_officer_is_refused_with_a_message(client, small):
    member = member_of(small.a)
    sign_in(client, street_officer(small))
    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]), **HTMX)
    assert response.status_code == 403
    body = response.content.decode()
    assert "无权" in body
    assert member.id_number not in body
    assert not AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk)).exists()


def test_reveal_of_an_unknown_field_is_refused(client, small):
    member = member_of(small.a)
    sign_in(client, small.alice)
    response = client.post(reverse("members:reveal", args=[member.pk, "name"]), **HTMX)
    assert response.status_code == 403
    assert "不能查看该字段" in response.content.decode()


# ----- registration form ----------------------------------------------------------------

NEW_ID = make_id_number("310101", dt.date(1971, 4, 30), 12, "M")


def form_data(small, **overrides: str) -> dict[str, str]:
    branch = small.a.branches[0]
    data = {
        "name": "表单党员",
        "id_number": NEW_ID,
        "ethnicity": "汉族",
        "education": "university",
        "phone": "13812345678",
        "category": "full",
        "joined_on": "1996-07-01",
        "full_member_on": "1997-07-01",
        "employment_status": "at_post",
        "work_unit": "",
        "home_address": "",
        "street": "",
        "home_org": branch.code,
        "participating_org": branch.code,
    }
    data.update(overrides)
    return data


def edit_data(small, member: Member, **overrides: str) -> dict[str, str]:
    """The edit form as the browser posts it back, with ``overrides``."""
    data = form_data(
        small,
        name=member.name,
        id_number="",
        phone="",
        category=member.category,
        joined_on=member.joined_on.isoformat(),
        full_member_on=member.full_member_on.isoformat() if member.full_member_on else "",
        employment_status=member.employment_status,
        work_unit=member.work_unit,
        home_org=member.home_org.code,
        participating_org=member.participating_org.code if member.participating_org else "",
    )
    data.update(overrides)
    return data


def test_create_form_registers_a_member(client, small):
    sign_in(client, small.alice)
    response = client.post(reverse("members:create"), form_data(small))
    member = Member.objects.get(name="表单党员")
    assert response.status_code == 302
    assert response["Location"] == reverse("members:detail", args=[member.pk])
    assert member.id_number == NEW_ID
    assert member.birth_date == dt.date(1971, 4, 30)
    assert member.phone == "+8613812345678"
    assert member.placed


def test_create_form_shows_a_chinese_error_for_a_bad_id_number(client, small):
    sign_in(client, small.alice)
    bad = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
    response = client.post(reverse("members:create"), form_data(small, id_number=bad))
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert "id_number" in response.context["form"].errors
    assert not Member.objects.filter(name="表单党员").exists()


def test_create_form_shows_a_chinese_error_for_a_duplicate_id_number(client, small):
    other = member_of(small.b)
    sign_in(client, small.alice)
    response = client.post(reverse("members:create"), form_data(small, id_number=other.id_number))
    assert response.status_code == 200
    body = response.content.decode()
    assert "已登记" in body
    assert other.name not in body
    assert "id_number" in response.context["form"].errors


def test_create_form_shows_a_chinese_error_for_joining_too_young(client, small):
    sign_in(client, small.alice)
    response = client.post(
        reverse("members:create"),
        form_data(small, joined_on="1988-01-01", full_member_on="1989-01-01"),
    )
    assert response.status_code == 200
    assert "不满 18 周岁" in response.content.decode()


def test_create_form_refuses_a_home_org_outside_scope(client, small):
    sign_in(client, small.alice)
    foreign = small.b.branches[0]
    response = client.post(reverse("members:create"), form_data(small, home_org=foreign.code))
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not Member.objects.filter(name="表单党员").exists()


def test_edit_form_keeps_the_id_number_and_phone_when_left_blank(client, small):
    member = member_of(small.a)
    original_id, original_phone = member.id_number, member.phone
    sign_in(client, small.alice)
    page = client.get(reverse("members:edit", args=[member.pk]))
    body = page.content.decode()
    assert original_id not in body
    assert original_phone.removeprefix("+86") not in body
    assert member.id_number_masked in body  # in the help text
    response = client.post(
        reverse("members:edit", args=[member.pk]),
        edit_data(small, member, work_unit="新的工作单位"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.work_unit == "新的工作单位"
    assert member.id_number == original_id
    assert member.phone == original_phone


def test_create_form_shows_the_unknown_area_code_warning_after_saving(client, small):
    sign_in(client, small.alice)
    number = make_id_number("310999", dt.date(1971, 4, 30), 13, "M")
    response = client.post(
        reverse("members:create"), form_data(small, id_number=number), follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "已登记党员 表单党员" in body
    assert "310999" in body
    assert "人工核对" in body
    assert Member.objects.filter(name="表单党员").exists()


def test_create_form_with_an_org_outside_scope_is_a_404(client, small):
    sign_in(client, small.alice)
    response = client.get(reverse("members:create"), {"home_org": small.b.org.pk})
    assert response.status_code == 404


# ----- other roles ----------------------------------------------------------------------


def test_member_self_sees_only_their_own_record(client, small):
    mine, other = member_of(small.a), member_of(small.a)
    user = sign_in(client, member_account(mine))
    own = Member.objects.get(user=user)
    assert own == mine
    response = client.get(reverse("members:list"))
    assert listed(response) == [own]
    assert client.get(reverse("members:detail", args=[own.pk])).status_code == 200
    neighbour = Member.objects.filter(home_org=own.home_org).exclude(pk=own.pk).first()
    assert neighbour == other
    assert client.get(reverse("members:detail", args=[neighbour.pk])).status_code == 404
    assert client.get(reverse("members:edit", args=[own.pk])).status_code == 404


def test_party_worker_may_view_but_not_edit_or_reveal(client, small):
    member = member_of(small.a)
    sign_in(client, UserFactory(username="pat", role=Role.PARTY_WORKER, role__over=small.a.street))
    assert client.get(reverse("members:detail", args=[member.pk])).status_code == 200
    assert client.get(reverse("members:edit", args=[member.pk])).status_code == 404
    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]), **HTMX)
    assert response.status_code == 403


def test_auditor_may_not_reveal(client, small):
    member = member_of(small.a)
    sign_in(client, small.dora)
    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]), **HTMX)
    assert response.status_code == 403
    assert member.id_number not in response.content.decode()


def test_street_officer_may_edit_a_member_of_the_street(client, small):
    member = member_of(small.a)
    _street, _branch, other_street = second_street(small)
    sign_in(client, street_officer(small))
    assert client.get(reverse("members:edit", args=[member.pk])).status_code == 200
    assert client.get(reverse("members:edit", args=[other_street.pk])).status_code == 404


def test_an_invalid_filter_value_does_not_drop_the_other_filters(client, roll):
    member = roll.a.members[0]
    sign_in(client, roll.alice)
    plain = listed(client.get(reverse("members:list"), {"q": member.name}))
    response = client.get(reverse("members:list"), {"q": member.name, "status": "bogus"})
    assert listed(response) == plain
    assert len(plain) < Member.objects.filter(in_a(roll)).count()


# ----- members taking part outside their home district (S10, S17) -----------------------


@pytest.fixture
def guest(small):
    """A member of district b placed by the city in a unit of district a near home."""
    from jiceng.members.services import member_place

    member = member_of(small.b)
    member_place(
        actor=city_admin(small),
        member=member,
        participating_org=small.a.branches[0],
    )
    member.refresh_from_db()
    return member


def test_home_officer_can_edit_a_member_placed_in_another_district(client, small, guest):
    sign_in(client, small.bob)
    page = client.get(reverse("members:edit", args=[guest.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("members:edit", args=[guest.pk]), edit_data(small, guest, work_unit="徐汇单位")
    )
    assert response.status_code == 302, response.context["form"].errors
    guest.refresh_from_db()
    assert guest.work_unit == "徐汇单位"
    assert guest.participating_org == small.a.branches[0]


def test_host_officer_sees_a_guest_member_but_may_not_edit_it(client, small, guest):
    sign_in(client, small.alice)
    detail = client.get(reverse("members:detail", args=[guest.pk]))
    assert detail.status_code == 200
    assert reverse("members:edit", args=[guest.pk]) not in detail.content.decode()
    assert client.get(reverse("members:edit", args=[guest.pk])).status_code == 403
    response = client.post(
        reverse("members:edit", args=[guest.pk]), edit_data(small, guest, work_unit="改")
    )
    assert response.status_code == 403
    guest.refresh_from_db()
    assert guest.work_unit != "改"
