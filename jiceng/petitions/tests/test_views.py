"""Pages and API of petitions (S21): intake through the form, the buttons asked from the same
permitted-actions source the services enforce, masking in lists and the audited reveal, the
statistics page, the API's steps and its refusals, and another district's officer's 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from conftest import mark_verified
from jiceng.core.models import AuditEvent
from jiceng.petitions import services
from jiceng.petitions.models import Petition
from jiceng.petitions.rules import State

ID_A = "310101194503150020"

pytestmark = pytest.mark.usefixtures("_in_2005")


@pytest.fixture
def _in_2005() -> Any:
    with override_settings(JICENG_TODAY="2005-12-31"):
        yield


@pytest.fixture
def as_alice(client, small) -> Any:
    client.force_login(small.alice)
    mark_verified(client, small.alice)
    return client


def _register(small: Any, **kw: Any) -> Petition:
    values: dict[str, Any] = {
        "actor": small.alice,
        "intake_org": small.a.org,
        "channel": "letter",
        "received_on": dt.date(2005, 6, 1),
        "petitioner_name": "張三",
        "subject": "噪声扰民",
        "category": "environment",
        "id_number": ID_A,
        "phone": "13812345678",
    }
    values.update(kw)
    return services.petition_register(**values)[0]


def test_intake_form_registers_a_case_and_warns_of_a_joint_visit(as_alice, small):
    response = as_alice.post(
        reverse("petitions:create"),
        {
            "intake_org": small.a.org.code,
            "channel": "visit",
            "received_on": "2005-09-01",
            "body": "office",
            "petitioner_name": "張三",
            "id_number": ID_A,
            "phone": "13812345678",
            "people": "6",
            "subject": "拆迁补偿",
            "category": "housing",
        },
        follow=True,
    )
    assert response.status_code == 200
    p = Petition.objects.get()
    assert p.joint
    body = response.content.decode()
    assert p.number in body
    assert "不超过5名代表" in body
    assert ID_A not in body  # masked on the page
    assert "310101********0020" in body


def test_intake_form_shows_a_clear_message_for_a_bad_id_number(as_alice, small):
    response = as_alice.post(
        reverse("petitions:create"),
        {
            "intake_org": small.a.org.code,
            "channel": "letter",
            "received_on": "2005-09-01",
            "body": "office",
            "petitioner_name": "张三",
            "id_number": "12345",
            "people": "1",
            "subject": "x",
            "category": "land",
        },
    )
    assert response.status_code == 200
    assert not Petition.objects.exists()
    assert "公民身份号码" in response.content.decode()


def test_the_list_masks_contacts_and_pins_its_queries(
    as_alice, small, django_assert_max_num_queries
):
    for _i in range(5):
        _register(small)
    with django_assert_max_num_queries(12):
        response = as_alice.get(reverse("petitions:list"))
    body = response.content.decode()
    assert body.count('data-testid="petition-row"') == 5
    assert ID_A not in body
    assert "13812345678" not in body


def test_the_detail_offers_only_the_permitted_buttons(as_alice, small, client):
    p = _register(small)
    body = as_alice.get(reverse("petitions:detail", args=[p.pk])).content.decode()
    assert 'data-testid="petition-route-form"' in body
    assert 'data-testid="petition-act-accept"' in body
    assert 'data-testid="petition-act-reply"' not in body
    assert "第二十一条" in body  # the running deadline cites its article
    # the auditor reads it but is offered no button
    client.force_login(small.dora)
    mark_verified(client, small.dora)
    body = client.get(reverse("petitions:detail", args=[p.pk])).content.decode()
    assert "petition-act-" not in body
    assert "petition-route-form" not in body
    assert "petition-reveal-id" not in body


def test_a_step_out_of_order_posted_anyway_is_refused_with_its_reason(as_alice, small):
    p = _register(small)
    response = as_alice.post(
        reverse("petitions:act", args=[p.pk, "reply"]), {"reply": "x"}, follow=True
    )
    assert "不能书面答复" in response.content.decode()
    p.refresh_from_db()
    assert p.state == State.REGISTERED


def test_a_case_from_intake_to_closure_through_the_buttons(as_alice, small):
    p = _register(small)
    as_alice.post(
        reverse("petitions:route", args=[p.pk]), {"org": small.a.street.code, "on": "2005-06-05"}
    )
    as_alice.post(reverse("petitions:act", args=[p.pk, "accept"]), {"on": "2005-06-10"})
    as_alice.post(
        reverse("petitions:act", args=[p.pk, "reply"]), {"on": "2005-07-01", "reply": "已处理"}
    )
    as_alice.post(
        reverse("petitions:act", args=[p.pk, "close"]),
        {"on": "2005-07-02", "satisfaction": "basically"},
    )
    p.refresh_from_db()
    assert p.state == State.CLOSED
    assert p.satisfaction == "basically"
    assert p.org == small.a.street
    assert p.on_time


def test_the_reveal_shows_the_value_and_is_audited(as_alice, small):
    p = _register(small)
    response = as_alice.post(reverse("petitions:reveal", args=[p.pk, "id_number"]))
    assert ID_A in response.content.decode()
    assert AuditEvent.objects.filter(verb="reveal", object_id=str(p.pk)).count() == 1


def test_another_districts_officer_gets_404_everywhere(client, small):
    p = _register(small)
    client.force_login(small.bob)
    mark_verified(client, small.bob)
    assert client.get(reverse("petitions:detail", args=[p.pk])).status_code == 404
    assert client.post(reverse("petitions:reveal", args=[p.pk, "phone"])).status_code == 404
    assert client.post(reverse("petitions:act", args=[p.pk, "accept"])).status_code == 404
    assert client.get(reverse("api-petition-detail", args=[p.pk])).status_code == 404
    rows = client.get(reverse("api-petition-list")).json()["results"]
    assert rows == []


def test_the_statistics_page_shows_the_rates_and_the_hot_spot_chart(as_alice, small):
    p = _register(small)
    p = services.petition_accept(actor=small.alice, petition=p, on=dt.date(2005, 6, 2))
    p = services.petition_reply(actor=small.alice, petition=p, reply="x", on=dt.date(2005, 7, 1))
    services.petition_close(actor=small.alice, petition=p, satisfaction="satisfied")
    _register(small)
    body = as_alice.get(reverse("petitions:statistics")).content.decode()
    assert 'data-testid="fig-on-time">100.0%' in body
    assert 'data-testid="fig-satisfaction">100.0%' in body
    assert 'data-testid="fig-repeat">1' in body
    bad = as_alice.get(
        reverse("petitions:statistics"), {"date_from": "2005-12-01", "date_to": "2005-01-01"}
    )
    assert "起始日期不能晚于截止日期" in bad.content.decode()


def test_the_api_takes_a_case_through_its_steps(as_alice, small):
    created = as_alice.post(
        reverse("api-petition-list"),
        {
            "intake_org_id": small.a.org.pk,
            "channel": "web",
            "received_on": "2005-06-01",
            "petitioner_name": "張三",
            "id_number": ID_A,
            "subject": "x",
            "category": "land",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()["petition"]
    assert data["id_number_masked"] == "310101********0020"
    assert "id_number" not in data
    assert data["permitted_actions"][:2] == ["route", "accept"]
    pk = data["id"]
    routed = as_alice.post(
        reverse("api-petition-route", args=[pk]),
        {"org_id": small.a.street.pk, "on": "2005-06-05"},
        content_type="application/json",
    )
    assert routed.json()["state"] == "routed"
    refused = as_alice.post(
        reverse("api-petition-act", args=[pk, "extend"]),
        {"days": 10, "reason": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "不能延长办理期限" in refused.content.decode()
    accepted = as_alice.post(
        reverse("api-petition-act", args=[pk, "accept"]),
        {"on": "2005-06-10"},
        content_type="application/json",
    )
    assert accepted.json()["due_on"] == "2005-08-09"
    steps = [d["step"] for d in accepted.json()["deadlines"]]
    assert "handle" in steps
    stats = as_alice.get(reverse("api-petition-statistics")).json()
    assert stats["total"] == 1
    revealed = as_alice.post(reverse("api-petition-reveal", args=[pk, "id_number"]))
    assert revealed.json() == {"field": "id_number", "value": ID_A}


def test_the_detail_shows_the_history_the_extension_the_transfer_and_the_verdict(as_alice, small):
    p = _register(small)
    p = services.petition_route(
        actor=small.alice, petition=p, org=small.a.street, on=dt.date(2005, 6, 5)
    )
    services.petition_transfer(
        actor=small.alice,
        petition=p,
        to_org=small.a.branches[0],
        reason="属该支部所在单位",
        on=dt.date(2005, 6, 6),
    )
    p = services.petition_accept(actor=small.alice, petition=p, on=dt.date(2005, 6, 10))
    p = services.petition_extend(
        actor=small.alice, petition=p, days=20, reason="需多部门会商", on=dt.date(2005, 7, 1)
    )
    p = services.petition_reply(actor=small.alice, petition=p, reply="已协调解决")
    services.petition_close(actor=small.alice, petition=p, satisfaction="not_satisfied")
    body = as_alice.get(reverse("petitions:detail", args=[p.pk])).content.decode()
    assert "需多部门会商" in body
    assert "属该支部所在单位" in body
    assert 'data-testid="petition-satisfaction">不满意' in body
    assert 'data-testid="petition-act-reopen"' in body  # a dissatisfied petitioner
    assert body.count("<li>") >= 7  # register, route, transfer, accept, extend, reply, close
