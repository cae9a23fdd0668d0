"""Petitions (S21) from intake to closure: the state machine (out-of-order steps refused with
the reason), the deadlines the services keep, extension once only, review and re-review
windows, re-review final, reopening after a dissatisfied reply, transfers, routing
suggestions, scoping, masking and the audited reveal, escalation in the bell, and the
statistics against an independent count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.core.notices import notices_for
from jiceng.geo.models import District, Street
from jiceng.petitions import selectors, services
from jiceng.petitions.models import Petition, PetitionEvent
from jiceng.petitions.rules import Body, PetitionAction, Satisfaction, State, Step
from tests.factories import SmallWorld, UserFactory

D = dt.date
TODAY = "2005-12-31"
ID_A = "310101194503150020"
ID_B = "11010519491231002X"

pytestmark = pytest.mark.usefixtures("_on_the_last_day_of_2005")


@pytest.fixture
def _on_the_last_day_of_2005() -> Any:
    with override_settings(JICENG_TODAY=TODAY):
        yield


@dataclass
class PW:
    small: SmallWorld
    street: Street  # the geo street of district a's street committee
    city_officer: Any

    @property
    def alice(self) -> Any:
        return self.small.alice


@pytest.fixture
def pw(small: SmallWorld) -> PW:
    geo, _created = District.objects.get_or_create(
        code="990101",
        defaults={"name": "测试甲区", "kind": District.Kind.DISTRICT, "lng": 121.4, "lat": 31.2},
    )
    street, _created = Street.objects.get_or_create(
        code="990101001",
        defaults={
            "name": "测试甲街道",
            "kind": Street.Kind.choices[0][0],
            "district": geo,
            "lng": 121.41,
            "lat": 31.21,
        },
    )
    small.a.street.street = street
    small.a.street.save(update_fields=["street"])
    city = UserFactory(username="city", role=Role.CITY_ADMIN, role__over=small.city)
    return PW(small=small, street=street, city_officer=city)


def register(pw: PW, **kw: Any) -> Petition:
    values: dict[str, Any] = {
        "actor": pw.alice,
        "intake_org": pw.small.a.org,
        "channel": "visit",
        "received_on": D(2005, 6, 1),
        "petitioner_name": "張三",
        "subject": "楼道违章搭建",
        "category": "land",
        "id_number": ID_A,
        "phone": "13812345678",
        "street": pw.street,
    }
    values.update(kw)
    p, _warnings = services.petition_register(**values)
    return p


def replied(pw: PW, **kw: Any) -> Petition:
    p = register(pw, **kw)
    p = services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street, on=D(2005, 6, 5))
    p = services.petition_accept(actor=pw.alice, petition=p, on=D(2005, 6, 10))
    return services.petition_reply(actor=pw.alice, petition=p, reply="已拆除", on=D(2005, 7, 1))


# ----- intake ----------------------------------------------------------------------------------


def test_intake_stores_the_name_as_written_and_the_contact_encrypted_and_masked(pw):
    p = register(pw)
    p.refresh_from_db()
    assert p.petitioner_name == "張三"  # never converted between scripts
    assert p.id_number == ID_A
    assert p.id_number_masked == "310101********0020"
    assert p.phone_masked
    assert "12345678" not in p.phone_masked
    assert p.number.startswith("XF2005")
    assert p.version == "2005"
    assert p.state == State.REGISTERED
    assert (p.due_step, p.due_on) == (Step.ROUTE, D(2005, 6, 16))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM petitions_petition WHERE id = %s", [p.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert ID_A not in raw_id
    assert "13812345678" not in raw_phone
    event = AuditEvent.objects.get(object_type="petitions.petition", verb="create")
    assert ID_A not in str(event.changes)
    assert p.events.get().action == "register"


def test_a_joint_visit_of_five_or_more_is_flagged(pw):
    p, warnings = services.petition_register(
        actor=pw.alice,
        intake_org=pw.small.a.org,
        channel="visit",
        received_on=D(2005, 6, 1),
        petitioner_name="李四",
        subject="拆迁补偿",
        category="housing",
        people=5,
    )
    assert p.joint
    assert any("不超过5名代表" in w and "第十八条" in w for w in warnings)
    assert not register(pw, people=4).joint


def test_intake_before_the_2005_regulations_is_refused_with_a_reason(pw):
    with pytest.raises(ValidationError) as caught:
        register(pw, received_on=D(2005, 4, 30))
    assert "2005年5月1日" in str(caught.value.message_dict["received_on"])


def test_an_officer_cannot_register_in_another_district(pw):
    with pytest.raises(PermissionDenied):
        register(pw, actor=pw.small.bob)


def test_routing_is_suggested_from_the_street_and_confirmed_by_the_officer(pw):
    p = register(pw)
    assert services.suggest_org(street=p.street, category=p.category) == pw.small.a.street
    services.category_route_set(actor=pw.alice, category="conduct", org=pw.small.a.branches[1])
    assert (
        services.suggest_org(street=None, category="conduct", near=pw.small.a.org)
        == pw.small.a.branches[1]
    )
    assert services.suggest_org(street=None, category="conduct", near=pw.small.b.org) is None
    p = services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street)
    assert p.org == pw.small.a.street
    assert p.state == State.ROUTED


# ----- the state machine and deadlines ---------------------------------------------------------


def test_out_of_order_steps_are_refused_with_the_state(pw):
    p = register(pw)
    with pytest.raises(ValidationError, match=r"已登记.*书面答复"):
        services.petition_reply(actor=pw.alice, petition=p, reply="x")
    with pytest.raises(ValidationError, match="不能申请复查"):
        services.petition_review(actor=pw.alice, petition=p)
    assert PetitionAction.REPLY not in services.permitted_actions(pw.alice, p)
    assert PetitionAction.ROUTE in services.permitted_actions(pw.alice, p)


def test_acceptance_starts_sixty_days_and_a_reply_by_then_is_on_time(pw):
    p = register(pw)
    p = services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street, on=D(2005, 6, 5))
    assert (p.due_step, p.due_on) == (Step.ACCEPT, D(2005, 6, 20))
    p = services.petition_accept(actor=pw.alice, petition=p, on=D(2005, 6, 10))
    assert (p.due_step, p.due_on) == (Step.HANDLE, D(2005, 8, 9))
    p = services.petition_reply(actor=pw.alice, petition=p, reply="已处理", on=D(2005, 8, 9))
    assert p.on_time is True
    assert p.due_on is None
    actions = list(p.events.values_list("action", flat=True))
    assert actions == ["register", "route", "accept", "reply"]


def test_a_late_reply_is_not_on_time(pw):
    p = register(pw)
    p = services.petition_accept(actor=pw.alice, petition=p, on=D(2005, 6, 2))
    p = services.petition_reply(actor=pw.alice, petition=p, reply="x", on=D(2005, 8, 2))
    assert p.on_time is False


def test_the_handling_time_is_extended_once_only(pw):
    p = register(pw)
    p = services.petition_accept(actor=pw.alice, petition=p, on=D(2005, 6, 10))
    with pytest.raises(ValidationError, match="1至30日"):
        services.petition_extend(actor=pw.alice, petition=p, days=31, reason="复杂")
    with pytest.raises(ValidationError, match="延期理由"):
        services.petition_extend(actor=pw.alice, petition=p, days=30, reason=" ")
    p = services.petition_extend(
        actor=pw.alice, petition=p, days=30, reason="涉及多个部门", on=D(2005, 8, 1)
    )
    assert p.state == State.EXTENDED
    assert p.due_on == D(2005, 9, 8)
    with pytest.raises(ValidationError, match="只能延长一次"):
        services.petition_extend(
            actor=pw.alice, petition=p, days=5, reason="再延", on=D(2005, 8, 2)
        )
    assert PetitionAction.EXTEND not in services.permitted_actions(pw.alice, p)


def test_a_review_after_thirty_days_of_the_reply_is_refused_with_the_article(pw):
    p = replied(pw)  # replied 2005-07-01
    with pytest.raises(ValidationError, match="第三十四条") as caught:
        services.petition_review(actor=pw.alice, petition=p, on=D(2005, 8, 1))
    assert "2005-07-31" in str(caught.value)
    p = services.petition_review(actor=pw.alice, petition=p, on=D(2005, 7, 31))
    assert (p.due_step, p.due_on) == (Step.REVIEW_DECIDE, D(2005, 8, 30))


def test_the_review_is_decided_by_the_level_above(pw):
    p = replied(pw)
    p = services.petition_review(actor=pw.alice, petition=p, on=D(2005, 7, 10))
    # alice's district is the level above the street committee that handled it
    secretary = UserFactory(
        username="streetofficer", role=Role.COMMITTEE_OFFICER, role__over=pw.small.a.street
    )
    with pytest.raises(PermissionDenied, match="上一级"):
        services.petition_decide_review(actor=secretary, petition=p, reason="维持")
    p = services.petition_decide_review(
        actor=pw.alice, petition=p, reason="维持原处理意见", on=D(2005, 8, 1)
    )
    assert p.state == State.REVIEWED


def test_a_re_review_after_its_window_is_refused_and_after_it_the_facts_are_final(pw):
    p = replied(pw)
    p = services.petition_review(actor=pw.alice, petition=p, on=D(2005, 7, 10))
    p = services.petition_decide_review(actor=pw.alice, petition=p, reason="维持", on=D(2005, 8, 1))
    with pytest.raises(ValidationError, match="第三十五条"):
        services.petition_re_review(actor=pw.alice, petition=p, on=D(2005, 9, 1))
    p = services.petition_re_review(actor=pw.alice, petition=p, on=D(2005, 8, 31))
    # decided two levels above the handler: the city, not alice's district
    with pytest.raises(PermissionDenied):
        services.petition_decide_re_review(actor=pw.alice, petition=p, reason="维持")
    p = services.petition_decide_re_review(
        actor=pw.city_officer, petition=p, reason="维持", on=D(2005, 9, 20)
    )
    assert p.state == State.RE_REVIEWED
    assert p.is_final
    # closed and not satisfied: a final case is not handled again
    p = services.petition_close(actor=pw.alice, petition=p, satisfaction=Satisfaction.NOT_SATISFIED)
    with pytest.raises(ValidationError, match="复核终结"):
        services.petition_reopen(actor=pw.alice, petition=p, reason="仍不满意")
    # a new petition naming it as the same facts is refused; one by the same petitioner in
    # the same category is flagged
    with pytest.raises(ValidationError, match="不再受理"):
        register(pw, same_facts_as=p, received_on=D(2005, 10, 1))
    _new, warnings = services.petition_register(
        actor=pw.alice,
        intake_org=pw.small.a.org,
        channel="letter",
        received_on=D(2005, 10, 1),
        petitioner_name="张三",
        subject="楼道违章搭建",
        category="land",
        id_number=ID_A,
    )
    assert any(p.number in w and "第三十五条" in w for w in warnings)


def test_a_dissatisfied_petitioner_reopens_the_case_and_a_satisfied_one_cannot(pw):
    p = replied(pw)
    p = services.petition_close(
        actor=pw.alice, petition=p, satisfaction=Satisfaction.NOT_SATISFIED, on=D(2005, 7, 5)
    )
    assert p.state == State.CLOSED
    p = services.petition_reopen(
        actor=pw.alice, petition=p, reason="信访人不满意，重新核查", on=D(2005, 7, 6)
    )
    assert p.state == State.ACCEPTED
    assert (p.due_step, p.due_on) == (Step.HANDLE, D(2005, 9, 4))
    assert p.satisfaction == ""
    p = services.petition_reply(actor=pw.alice, petition=p, reply="已整改", on=D(2005, 8, 1))
    p = services.petition_close(actor=pw.alice, petition=p, satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(ValidationError, match="不满意"):
        services.petition_reopen(actor=pw.alice, petition=p, reason="x")


def test_a_transfer_moves_the_case_with_its_reason_and_keeps_its_state(pw):
    p = register(pw)
    p = services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street)
    moved = services.petition_transfer(
        actor=pw.alice, petition=p, to_org=pw.small.a.branches[0], reason="属该支部所在单位"
    )
    p.refresh_from_db()
    assert moved.from_org == pw.small.a.street
    assert p.org == pw.small.a.branches[0]
    assert p.state == State.ROUTED
    with pytest.raises(PermissionDenied):
        services.petition_transfer(actor=pw.alice, petition=p, to_org=pw.small.b.street, reason="x")


def test_every_step_is_audited_with_its_history(pw):
    p = replied(pw)
    assert PetitionEvent.objects.filter(petition=p).count() == 4
    assert (
        AuditEvent.objects.filter(object_type="petitions.petition", object_id=str(p.pk)).count()
        == 4
    )
    event = p.events.last()
    assert event.actor == pw.alice
    assert event.from_state == State.ACCEPTED
    assert event.to_state == State.REPLIED


# ----- scoping, masking, reveal ------------------------------------------------------------------


def test_another_districts_officer_sees_nothing(pw):
    p = register(pw)
    assert not Petition.objects.visible_to(pw.small.bob).filter(pk=p.pk).exists()
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.petition_get(pw.small.bob, p.pk)
    with pytest.raises(PermissionDenied):
        services.petition_accept(actor=pw.small.bob, petition=p)


def test_the_responsible_branch_sees_a_case_routed_to_it_only(pw):
    charlie = pw.small.charlie
    p = register(pw)
    assert not selectors.petition_list(charlie).filter(pk=p.pk).exists()
    services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.branches[0])
    assert selectors.petition_list(charlie).filter(pk=p.pk).exists()


def test_the_reveal_is_audited_without_the_value_and_refused_to_a_read_only_role(pw):
    p = register(pw)
    assert services.petition_reveal(actor=pw.alice, petition=p, field="id_number") == ID_A
    event = AuditEvent.objects.get(verb="reveal", object_id=str(p.pk))
    assert event.actor == pw.alice
    assert ID_A not in event.note
    assert "公民身份号码" in event.note
    with pytest.raises(PermissionDenied):
        services.petition_reveal(actor=pw.small.dora, petition=p, field="id_number")
    with pytest.raises(ValidationError):
        services.petition_reveal(actor=pw.alice, petition=p, field="content")


# ----- the bell: overdue cases climb the tree -----------------------------------------------------


def _keys(user: Any) -> dict[str, int]:
    return {n.key: n.count for n in notices_for(user) if n.key.startswith("petitions.")}


def test_an_overdue_case_is_in_the_units_bell_then_climbs_to_its_parent(pw, settings):
    street_officer = UserFactory(
        username="streetofficer2", role=Role.COMMITTEE_OFFICER, role__over=pw.small.a.street
    )
    p = register(pw, received_on=D(2005, 6, 1))
    p = services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street, on=D(2005, 6, 2))
    p = services.petition_accept(actor=street_officer, petition=p, on=D(2005, 6, 3))
    assert p.due_on == D(2005, 8, 2)
    settings.JICENG_TODAY = "2005-08-02"
    assert _keys(street_officer) == {}
    settings.JICENG_TODAY = "2005-08-03"  # one day overdue: the street's own bell
    assert _keys(street_officer) == {"petitions.overdue": 1}
    assert "petitions.escalated" not in _keys(pw.alice)
    settings.JICENG_TODAY = "2005-08-17"  # 15 days overdue: not yet above
    assert "petitions.escalated" not in _keys(pw.alice)
    settings.JICENG_TODAY = "2005-08-18"  # more than 15 days: the district sees it
    assert _keys(pw.alice).get("petitions.escalated") == 1
    assert list(selectors.escalated_list(pw.alice)) == [p]
    assert "petitions.escalated" not in _keys(pw.small.bob)


def test_a_case_not_routed_in_time_is_in_the_intake_offices_bell(pw, settings):
    register(pw, received_on=D(2005, 6, 1))  # to be routed by 16 June (art. 21)
    settings.JICENG_TODAY = "2005-06-16"
    assert "petitions.overdue" not in _keys(pw.alice)
    settings.JICENG_TODAY = "2005-06-17"
    assert _keys(pw.alice).get("petitions.overdue") == 1


# ----- statistics against an independent count ---------------------------------------------------


def test_statistics_match_an_independent_count(pw):
    cases = []
    for i, (on_time, satisfaction, id_number) in enumerate(
        [
            (True, Satisfaction.SATISFIED, ID_A),
            (True, Satisfaction.BASICALLY, ID_A),
            (False, Satisfaction.NOT_SATISFIED, ID_B),
            (True, "", ID_A),
        ]
    ):
        p = register(pw, id_number=id_number, received_on=D(2005, 6, 1 + i))
        p = services.petition_accept(actor=pw.alice, petition=p, on=D(2005, 6, 5))
        reply_on = D(2005, 7, 1) if on_time else D(2005, 9, 1)
        p = services.petition_reply(actor=pw.alice, petition=p, reply="x", on=reply_on)
        if satisfaction:
            p = services.petition_close(actor=pw.alice, petition=p, satisfaction=satisfaction)
        cases.append(p)
    register(pw, id_number="", street=None)  # open, no street, no ID
    # one in district b: never counted for alice
    services.petition_register(
        actor=pw.small.bob,
        intake_org=pw.small.b.org,
        channel="letter",
        received_on=D(2005, 6, 1),
        petitioner_name="王五",
        subject="x",
        category="land",
        id_number=ID_A,
    )
    rows = list(Petition.objects.filter(intake_path__startswith=pw.small.a.org.path))
    answered = [r for r in rows if r.on_time is not None]
    rated = [r for r in rows if r.satisfaction]
    good = [r for r in rated if r.satisfaction in ("satisfied", "basically")]
    ids: dict[str, int] = {}
    for r in rows:
        if r.id_number_index:
            ids[r.id_number_index] = ids.get(r.id_number_index, 0) + 1

    figures = selectors.statistics(pw.alice, pw.small.a.org)
    assert figures["total"] == len(rows) == 5
    assert figures["answered"] == len(answered) == 4
    assert figures["on_time"] == sum(1 for r in answered if r.on_time) == 3
    assert figures["on_time_rate"] == 75.0
    assert figures["satisfaction_rate"] == round(100 * len(good) / len(rated), 1) == 66.7
    assert selectors.repeat_count(pw.alice, pw.small.a.org) == sum(1 for n in ids.values() if n > 1)
    repeat = selectors.repeat_petitioners(pw.alice, pw.small.a.org)
    assert [(r["masked"], r["n"]) for r in repeat] == [("310101********0020", 3)]
    by_unit = selectors.rates_by_unit(pw.alice, pw.small.a.org)
    # the four answered cases were accepted at district a itself (never routed): its own row
    assert [(r["name"], r["answered"], r["on_time_rate"]) for r in by_unit] == [
        (pw.small.a.org.name, 4, 75.0)
    ]
    spots = selectors.hot_spots(pw.alice, pw.small.a.org)
    assert [(s["street"], s["n"]) for s in spots] == [(pw.street.pk, 4)]


def test_an_agency_registers_and_accepts_itself_without_routing(pw):
    p = register(pw, body=Body.AGENCY, intake_org=pw.small.a.street)
    assert p.org == pw.small.a.street
    assert (p.due_step, p.due_on) == (Step.ACCEPT, D(2005, 6, 16))
    assert PetitionAction.ROUTE not in services.permitted_actions(pw.alice, p)
    with pytest.raises(ValidationError, match="无需转送"):
        services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street)


def test_the_city_sees_the_on_time_rate_of_each_district(pw):
    late = services.petition_accept(actor=pw.alice, petition=register(pw), on=D(2005, 6, 2))
    services.petition_reply(actor=pw.alice, petition=late, reply="x", on=D(2005, 9, 1))
    on_time = services.petition_accept(actor=pw.alice, petition=register(pw), on=D(2005, 6, 2))
    services.petition_reply(actor=pw.alice, petition=on_time, reply="x", on=D(2005, 7, 1))
    p, _w = services.petition_register(
        actor=pw.small.bob,
        intake_org=pw.small.b.org,
        channel="letter",
        received_on=D(2005, 6, 1),
        petitioner_name="王五",
        subject="x",
        category="land",
    )
    p = services.petition_route(
        actor=pw.small.bob, petition=p, org=pw.small.b.street, on=D(2005, 6, 2)
    )
    p = services.petition_accept(actor=pw.small.bob, petition=p, on=D(2005, 6, 3))
    services.petition_reply(actor=pw.small.bob, petition=p, reply="x", on=D(2005, 7, 1))
    rows = {
        r["name"]: (r["answered"], r["on_time_rate"])
        for r in selectors.rates_by_unit(pw.city_officer, pw.small.city)
    }
    assert rows == {pw.small.a.org.name: (2, 50.0), pw.small.b.org.name: (1, 100.0)}
    # a district officer sees only their own district's units
    assert [r["name"] for r in selectors.rates_by_unit(pw.small.bob, pw.small.b.org)] == [
        pw.small.b.street.name
    ]


def test_a_2022_transfer_counts_working_days_and_an_unknown_year_blocks_nothing(pw, settings):
    settings.JICENG_TODAY = "2024-09-27"
    p = register(pw, received_on=D(2024, 9, 20))
    assert p.version == "2022"
    p = services.petition_route(actor=pw.alice, petition=p, org=pw.small.a.street)
    services.petition_transfer(
        actor=pw.alice, petition=p, to_org=pw.small.a.branches[0], reason="属地"
    )
    p.refresh_from_db()
    rows = {d.step: d for d in selectors.deadlines_of(p)}
    assert rows[Step.RECEIVE_TRANSFER].due_on == D(2024, 10, 10)  # over National Day
    assert rows[Step.RECEIVE_TRANSFER].citation.endswith("（待核）")
    settings.JICENG_TODAY = "2099-01-05"  # the holiday calendar does not know 2099
    services.petition_transfer(actor=pw.alice, petition=p, to_org=pw.small.a.street, reason="x")
    p.refresh_from_db()
    rows = {d.step: d for d in selectors.deadlines_of(p)}
    assert Step.RECEIVE_TRANSFER not in rows  # refused, not guessed
    assert Step.ACCEPT in rows


def test_a_step_dated_before_the_step_before_it_is_refused(pw):
    """Paper cases are entered afterwards with their real dates: a date before the previous
    step's (a reply before the acceptance) is refused, naming that date."""
    p = services.petition_accept(actor=pw.alice, petition=register(pw), on=D(2005, 6, 10))
    with pytest.raises(ValidationError, match="2005-06-10"):
        services.petition_reply(actor=pw.alice, petition=p, reply="x", on=D(2005, 6, 9))
    p = services.petition_reply(actor=pw.alice, petition=p, reply="x", on=D(2005, 6, 10))
    assert p.replied_on == D(2005, 6, 10)
