"""Writes to the member roll: registration, update, placement (S10) and audited reveal.

ID numbers and phones are validated with Chinese messages, stored encrypted with a blind index
for de-duplication, shown masked, and never written to the audit log in clear.

Each test makes its own small world (``small``): alice registers members in district a, bob is
the officer of district b, the other people are made by the tests that need them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from jiceng.core.idnumber import check_digit, make_id_number
from jiceng.core.models import AuditEvent
from jiceng.members import services
from jiceng.members.models import Member
from tests.factories import SmallWorld, make_member

from .factories_transfers import (
    city_admin,
    street_officer,
)

# The demo's members are born on days 1-28 and factory members carry area code 110101: days
# 29-31 and area 310101 keep these numbers clear of both.
BIRTH = dt.date(1970, 3, 30)
VALID_ID = make_id_number("310101", BIRTH, 42, "F")


def member_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "测试党员",
        "id_number": VALID_ID,
        "phone": "13812345678",
        "category": "full",
        "joined_on": dt.date(1995, 7, 1),
        "full_member_on": dt.date(1996, 7, 1),
        "employment_status": "at_post",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def officer(small: SmallWorld):
    """alice, the officer of district a."""
    return small.alice


@pytest.fixture
def branch(small: SmallWorld):
    """A branch of alice's district a."""
    return small.a.branches[0]


def create(officer, branch, **overrides: Any) -> tuple[Member, list[str]]:
    return services.member_create(actor=officer, home_org=branch, **member_fields(**overrides))


def audit_rows(member: Member, verb: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="members.member", object_id=str(member.pk), verb=verb
        ).order_by("id")
    )


def audit_text(event: AuditEvent) -> str:
    return json.dumps(event.changes, ensure_ascii=False) + event.note + event.object_repr


# ----- registration and ID numbers -------------------------------------------------------


def test_create_derives_birth_date_and_sex_from_the_id_number(officer, branch):
    member, warnings = create(officer, branch, birth_date=dt.date(2000, 1, 1), sex="M")
    member.refresh_from_db()
    assert member.birth_date == BIRTH
    assert member.sex == "F"  # even order code
    assert member.id_number == VALID_ID
    assert member.home_org == branch
    assert member.home_path == branch.path
    assert warnings == []


@pytest.mark.parametrize(
    "typed",
    [
        VALID_ID[:-1] + VALID_ID[-1].lower(),
        " ".join([VALID_ID[:6], VALID_ID[6:14], VALID_ID[14:]]),
        VALID_ID.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}),
        f"\u200b{VALID_ID}\u3000",
    ],
    ids=["lower-case", "spaces", "full-width", "invisible"],
)
def test_create_normalises_the_typed_id_number(officer, branch, typed):
    member, _warnings = create(officer, branch, id_number=typed)
    member.refresh_from_db()
    assert member.id_number == VALID_ID


def test_create_with_lower_case_x_stores_upper_case(officer, branch):
    # Find an order code whose check character is X (one in eleven).
    order = next(o for o in range(0, 999, 2) if check_digit(f"31010119700331{o:03d}") == "X")
    first17 = f"31010119700331{order:03d}"
    member, _warnings = create(officer, branch, id_number=first17 + "x")
    member.refresh_from_db()
    assert member.id_number == first17 + "X"


def test_create_upgrades_a_15_digit_number(officer, branch):
    old = "310101700329421"  # 1970-03-29, order 421 (odd: a man)
    member, _warnings = create(officer, branch, id_number=old)
    member.refresh_from_db()
    first17 = "31010119700329421"
    assert member.id_number == first17 + check_digit(first17)
    assert member.birth_date == dt.date(1970, 3, 29)
    assert member.sex == "M"


def test_create_accepts_a_chongming_county_code_for_someone_born_in_1962(officer, branch):
    """310230 (崇明县) is in the historical table; numbers carry the code in force at issue."""
    number = make_id_number("310230", dt.date(1962, 5, 30), 61, "M")
    member, warnings = create(officer, branch, id_number=number, joined_on=dt.date(1985, 1, 1))
    assert member.birth_date == dt.date(1962, 5, 30)
    assert warnings == []


def test_create_warns_about_an_unknown_area_code_without_refusing(officer, branch):
    number = make_id_number("310999", BIRTH, 7, "M")
    member, warnings = create(officer, branch, id_number=number)
    assert member.pk is not None
    assert len(warnings) == 1
    assert "310999" in warnings[0]
    assert "人工核对" in warnings[0]
    [event] = audit_rows(member, "create")
    assert "310999" in event.note


def test_create_refuses_a_wrong_check_digit_with_a_chinese_message(officer, branch):
    wrong = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    before = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(officer, branch, id_number=wrong)
    assert "校验位错误" in exc.value.message_dict["id_number"][0]
    assert Member.objects.count() == before


def test_create_refuses_a_duplicate_id_number_without_naming_the_other_member(
    officer, branch, small
):
    other = small.b.members[0]  # registered in another district
    with pytest.raises(ValidationError) as exc:
        create(officer, branch, id_number=other.id_number.lower())
    message = " ".join(exc.value.message_dict["id_number"])
    assert "已登记" in message
    for secret in (other.name, other.home_org.name, other.id_number, other.id_number_masked):
        assert secret not in message


def test_create_refuses_a_duplicate_typed_differently(officer, branch):
    create(officer, branch)
    with pytest.raises(ValidationError) as exc:
        create(officer, branch, name="另一人", id_number=f" {VALID_ID[:9]} {VALID_ID[9:]} ")
    assert "id_number" in exc.value.message_dict
    assert "测试党员" not in str(exc.value)


def test_id_number_and_phone_are_encrypted_at_rest(officer, branch):
    member, _warnings = create(officer, branch, phone="13812345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member WHERE id = %s", [member.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert VALID_ID not in raw_id
    assert VALID_ID[6:14] not in raw_id  # not even the birth date
    assert "13812345678" not in raw_phone
    assert raw_id.startswith("g1.")
    assert raw_phone.startswith("g1.")
    member.refresh_from_db()
    assert member.id_number == VALID_ID
    assert member.phone == "+8613812345678"


def test_masked_id_number_keeps_the_first_six_and_last_four(officer, branch):
    member, _warnings = create(officer, branch)
    assert member.id_number_masked == VALID_ID[:6] + "*" * 8 + VALID_ID[-4:]


# ----- phones ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "masked"),
    [
        ("13812345678", "+8613812345678", "138****5678"),
        ("138 1234 5678", "+8613812345678", "138****5678"),
        ("+86 138-1234-5678", "+8613812345678", "138****5678"),
        ("021-64331234", "+862164331234", "021-****1234"),
        ("(021)6433 1234", "+862164331234", "021-****1234"),
        ("", "", ""),
    ],
)
def test_create_accepts_mobile_and_shanghai_landline_numbers(
    officer, branch, typed, stored, masked
):
    member, _warnings = create(officer, branch, phone=typed)
    member.refresh_from_db()
    assert member.phone == stored
    assert member.phone_masked == masked
    assert bool(member.phone_index) == bool(stored)


@pytest.mark.parametrize("typed", ["12345", "abc", "1381234567", "021-123"])
def test_create_rejects_a_nonsense_phone_with_a_chinese_message(officer, branch, typed):
    with pytest.raises(ValidationError) as exc:
        create(officer, branch, phone=typed)
    [message] = exc.value.message_dict["phone"]
    assert message.startswith("电话号码")


# ----- dates ----------------------------------------------------------------------------


def test_create_refuses_joining_before_eighteen(officer, branch):
    with pytest.raises(ValidationError) as exc:
        create(officer, branch, joined_on=dt.date(1988, 3, 29), full_member_on=None)
    assert "不满 18 周岁" in exc.value.message_dict["joined_on"][0]


def test_create_accepts_joining_on_the_eighteenth_birthday(officer, branch):
    member, _warnings = create(
        officer, branch, joined_on=dt.date(1988, 3, 30), full_member_on=dt.date(1989, 3, 30)
    )
    assert member.pk is not None


def test_create_outside_the_actors_scope_is_refused(small, branch):
    with pytest.raises(PermissionDenied):
        create(small.bob, branch)


def test_create_refuses_a_participating_unit_outside_the_actors_scope(officer, branch, small):
    """Same rule as member_place (S10): the unit must be one the actor can see."""
    with pytest.raises(PermissionDenied):
        create(officer, branch, participating_org=small.b.branches[0])
    assert not Member.objects.filter(name="测试党员").exists()


# ----- update ---------------------------------------------------------------------------


def test_update_keeps_the_id_number_when_not_given(officer, branch):
    member, _warnings = create(officer, branch)
    index = member.id_number_index
    updated, warnings = services.member_update(actor=officer, member=member, work_unit="新单位")
    updated.refresh_from_db()
    assert updated.work_unit == "新单位"
    assert updated.id_number == VALID_ID
    assert updated.id_number_index == index
    assert updated.birth_date == BIRTH
    assert warnings == []


def test_update_to_another_members_id_number_is_refused(officer, branch, small):
    member, _warnings = create(officer, branch)
    other = small.a.members[0]
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=officer, member=member, id_number=other.id_number)
    assert other.name not in str(exc.value)


def test_update_refuses_a_participating_unit_outside_the_actors_scope(officer, branch, small):
    member, _warnings = create(officer, branch)
    with pytest.raises(PermissionDenied):
        services.member_update(actor=officer, member=member, participating_org=small.b.branches[0])


def test_update_keeps_a_participating_unit_placed_by_someone_with_wider_scope(small):
    """A member of b placed in a unit of a by the city stays editable by b's officer."""
    member = small.b.members[0]
    unit = small.a.branches[0]
    services.member_place(actor=city_admin(small), member=member, participating_org=unit)
    updated, _w = services.member_update(actor=small.bob, member=member, work_unit="乙区某单位")
    assert updated.participating_org == unit
    assert updated.work_unit == "乙区某单位"


def test_update_without_changes_writes_no_audit_row(officer, branch):
    member, _warnings = create(officer, branch)
    services.member_update(actor=officer, member=member, phone="138 1234 5678")
    assert audit_rows(member, "update") == []


def test_update_may_keep_its_own_id_number(officer, branch):
    member, _warnings = create(officer, branch)
    updated, _w = services.member_update(actor=officer, member=member, id_number=VALID_ID.lower())
    assert updated.id_number == VALID_ID


# ----- placement (S10) ------------------------------------------------------------------


def test_place_sets_the_participating_unit_and_is_audited(officer, small):
    """S10: every member takes part somewhere; placing an unplaced member is audited."""
    member = make_member(small.a.branches[1], participating_org=None)
    assert not member.placed
    unit = small.a.branches[0]
    placed = services.member_place(actor=officer, member=member, participating_org=unit)
    placed.refresh_from_db()
    assert placed.placed
    assert placed.participating_org == unit
    assert placed.participating_path == unit.path
    [event] = audit_rows(member, "update")
    assert event.changes == {"participating_org": [None, unit.pk], "reason": [None, "manual"]}
    assert event.actor == officer
    assert event.org_path == member.home_path


def test_place_can_clear_the_unit(officer, small):
    member = small.a.members[0]
    assert member.placed
    services.member_place(actor=officer, member=member, participating_org=None)
    member.refresh_from_db()
    assert not member.placed
    assert member.participating_path == ""


def test_place_refuses_a_unit_outside_the_actors_scope(officer, small):
    member = small.a.members[0]
    with pytest.raises(PermissionDenied):
        services.member_place(actor=officer, member=member, participating_org=small.b.branches[0])


# ----- reveal ---------------------------------------------------------------------------


def test_reveal_by_a_district_officer_returns_the_clear_number_and_audits_it(officer, small):
    member = small.a.members[0]
    value = services.member_reveal(actor=officer, member=member, field="id_number")
    assert value == member.id_number
    [event] = audit_rows(member, "reveal")
    assert event.actor == officer
    assert "公民身份号码" in event.note
    text = audit_text(event)
    assert member.id_number not in text
    assert member.id_number[6:14] not in text


def test_reveal_of_a_phone_returns_it_readable_and_audits_it(officer, small):
    member = make_member(small.a.branches[0], phone="021-64331234")  # a landline: "021-…"
    assert member.phone
    value = services.member_reveal(actor=officer, member=member, field="phone")
    digits = member.phone.removeprefix("+86")
    assert "".join(ch for ch in value if ch.isdigit()).lstrip("0") == digits
    [event] = audit_rows(member, "reveal")
    assert digits not in audit_text(event)


def test_reveal_by_a_street_officer_is_refused(small):
    """A committee officer may change members but not read their full ID numbers."""
    member = small.a.members[0]  # under a's street
    with pytest.raises(PermissionDenied):
        services.member_reveal(
            actor=street_officer(small.a.street), member=member, field="id_number"
        )
    assert audit_rows(member, "reveal") == []


def test_reveal_of_another_field_is_refused(officer, small):
    with pytest.raises(ValidationError):
        services.member_reveal(actor=officer, member=small.a.members[0], field="name")


# ----- audit never holds the values -----------------------------------------------------


def test_create_audit_row_masks_id_number_and_phone(officer, branch):
    member, _warnings = create(officer, branch, home_address="南京东路1号")
    [event] = audit_rows(member, "create")
    assert event.changes["id_number"] == [None, "******"]
    assert event.changes["phone"] == [None, "******"]
    assert event.changes["home_address"] == [None, "******"]
    assert event.changes["name"] == [None, "测试党员"]
    text = audit_text(event)
    for secret in (VALID_ID, "13812345678", "南京东路1号"):
        assert secret not in text


def test_update_audit_row_masks_a_changed_phone(officer, branch):
    member, _warnings = create(officer, branch, phone="")
    services.member_update(actor=officer, member=member, phone="13912345678")
    [event] = audit_rows(member, "update")
    assert event.changes["phone"] == ["", "******"]
    assert "13912345678" not in audit_text(event)


def test_update_of_only_the_id_number_is_still_audited_without_the_value(officer, branch):
    member, _warnings = create(officer, branch)
    new_id = make_id_number("310101", BIRTH, 43, "M")
    services.member_update(actor=officer, member=member, id_number=new_id)
    [event] = audit_rows(member, "update")
    assert "id_number" in event.changes
    assert all("******" in str(v) for v in event.changes["id_number"])
    text = audit_text(event)
    assert new_id not in text
    assert VALID_ID not in text


def test_update_of_only_the_phone_is_still_audited_without_the_value(officer, branch):
    member, _warnings = create(officer, branch, phone="13812345678")
    services.member_update(actor=officer, member=member, phone="13912345678")
    [event] = audit_rows(member, "update")
    assert "phone" in event.changes
    text = audit_text(event)
    assert "13812345678" not in text
    assert "13912345678" not in text
