"""Transfer pages and API: worklist with pending counts and htmx actions, detail, request
form, printable letter, bulk page, member history; forbidden steps answer in Chinese, never
with a server error; a third district gets 404 (S10, S17).

Each test makes its own small world (``small``): alice sends from district a, bob receives in
district b (``factories_transfers``)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.members.models import Member, Transfer
from jiceng.members.transfers import services as ts
from jiceng.members.transfers.rules import TransferState

from .factories_transfers import (
    city_admin,
    log_in,
    make_transfer,
    third_district_officer,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_worklist_shows_pending_counts_for_each_side(client, small):
    t = make_transfer(small, TransferState.REQUESTED)
    issued = make_transfer(small, TransferState.LETTER_ISSUED)
    log_in(client, small.alice)
    response = client.get(reverse("members:transfer-list"))
    assert response.status_code == 200
    pending = response.context["pending"]
    assert pending["to_approve"] == 1
    body = response.content.decode()
    assert f'data-testid="act-approve-{t.pk}"' in body
    assert f'data-testid="act-confirm-{issued.pk}"' not in body
    log_in(client, small.bob)
    response = client.get(reverse("members:transfer-list"), {"direction": "in"})
    assert response.context["pending"]["to_confirm"] == 1
    body = response.content.decode()
    assert f'data-testid="act-confirm-{issued.pk}"' in body
    assert f'data-testid="act-approve-{t.pk}"' not in body


def test_each_action_form_offers_only_what_its_action_takes():
    """Which action takes which parameters is decided once (``rules.ACTION_PARAMS``, read by
    the service for the page and the API alike): no page form offers a field it would drop."""
    from jiceng.members.transfers.forms import NoteForm
    from jiceng.members.transfers.rules import ACTION_PARAMS, USER_ACTIONS
    from jiceng.members.transfers.views import ACTION_FORMS

    for action in USER_ACTIONS:
        offered = set(ACTION_FORMS.get(action, NoteForm).base_fields)
        assert offered <= set(ACTION_PARAMS[action]), action


def test_htmx_action_redirects_after_the_write(client, small):
    t = make_transfer(small, TransferState.REQUESTED)
    log_in(client, small.alice)
    url = reverse("members:transfer-act", args=[t.pk, "approve"])
    response = client.post(url, {"next": "/members/transfers/"}, **HTMX)
    assert response["HX-Redirect"] == "/members/transfers/"
    t.refresh_from_db()
    assert t.state == TransferState.APPROVED


@pytest.mark.parametrize(
    ("state", "who", "action", "message"),
    [
        ("letter_issued", "alice", "confirm", "您不是该转接中有权“确认接收”的一方"),
        ("requested", "alice", "issue", "当前状态为“已申请”，不能“开具介绍信”"),
        ("requested", "bob", "approve", "您不是该转接中有权“批准”的一方"),
        ("done", "bob", "reject", "当前状态为“已完成”，不能“退回”"),
        ("requested", "alice", "nonsense", "不能执行该操作"),
    ],
)
def test_forbidden_steps_answer_in_chinese_not_with_a_server_error(
    client, small, state, who, action, message
):
    """alice is the sending side, bob the receiving side."""
    t = make_transfer(small, state)
    log_in(client, getattr(small, who))
    url = reverse("members:transfer-act", args=[t.pk, action])
    response = client.post(url, {"issue-dues_paid_to": "2005-06", "reject-reason": "x"}, **HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()
    response = client.post(
        url, {"issue-dues_paid_to": "2005-06", "reject-reason": "x"}, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    t.refresh_from_db()
    assert t.state == state


def test_detail_and_letter_are_404_for_a_third_district(client, small):
    t = make_transfer(small, TransferState.LETTER_ISSUED)
    log_in(client, third_district_officer(small))
    for name in ("members:transfer-detail", "members:transfer-letter"):
        assert client.get(reverse(name, args=[t.pk])).status_code == 404
    for who in (small.alice, small.bob):
        log_in(client, who)
        assert client.get(reverse("members:transfer-detail", args=[t.pk])).status_code == 200


def test_letter_prints_the_three_parts(client, small):
    t = make_transfer(small, TransferState.LETTER_ISSUED)
    log_in(client, small.bob)
    body = client.get(reverse("members:transfer-letter", args=[t.pk])).content.decode()
    for part in ("letter-stub", "letter-body", "letter-receipt"):
        assert f'data-testid="{part}"' in body
    assert body.count(t.letter_no) >= 3  # stub, letter, receipt (and the title)
    assert t.member.id_number_masked in body
    assert "members/letter.css" in body


def test_letter_is_404_before_it_is_issued(client, small):
    t = make_transfer(small, TransferState.APPROVED)
    log_in(client, small.alice)
    assert client.get(reverse("members:transfer-letter", args=[t.pk])).status_code == 404


def test_request_form_opens_a_transfer_to_another_district(client, small):
    member = small.a.members[0]
    target = small.b.branches[0]
    log_in(client, small.alice)
    url = reverse("members:transfer-request", args=[member.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "in_city", "to_org": target.code, "reason": "工作调动"})
    t = Transfer.objects.get(member=member, state=TransferState.REQUESTED)
    assert response.status_code == 302
    assert (t.to_org, t.state) == (target, TransferState.REQUESTED)


def test_request_form_explains_an_unknown_target(client, small):
    member = small.a.members[0]
    log_in(client, small.alice)
    url = reverse("members:transfer-request", args=[member.pk])
    response = client.post(url, {"kind": "in_city", "to_org": "NOPE"})
    assert "找不到代码为 NOPE" in response.content.decode()
    response = client.post(url, {"kind": "out_of_city"})
    assert "转出本市须填写此项" in response.content.decode()


def test_member_page_shows_the_relationship_history(client, small):
    t = make_transfer(small, TransferState.DONE)
    log_in(client, small.bob)  # the member now belongs to b
    body = client.get(reverse("members:detail", args=[t.member_id])).content.decode()
    assert 'data-testid="relationship-history"' in body
    assert t.letter_no in body
    assert "确认接收" in body


def test_bulk_page_moves_a_pasted_list_all_or_nothing(client, small):
    target = small.a.branches[0]
    members = [m for m in small.a.members if m.home_org == small.a.branches[1]]
    assert len(members) == 3
    log_in(client, small.alice)
    assert client.get(reverse("members:transfer-bulk"), {"q": "w"}).status_code == 200
    text = "\n".join(str(m.pk) for m in members) + "\n999999999"
    data = {"members": text, "target": target.code, "complete": "on", "dues_paid_to": "2005-06"}
    response = client.post(reverse("members:transfer-bulk"), data)
    assert "未找到或无权办理：999999999" in response.content.decode()
    assert not Transfer.objects.filter(member__in=members, batch__isnull=False).exists()
    data["members"] = "\n".join(str(m.pk) for m in members if m.home_org_id != target.pk)
    response = client.post(reverse("members:transfer-bulk"), data)
    assert response.status_code == 302
    moved = Member.objects.filter(pk__in=[m.pk for m in members], home_org=target)
    assert moved.count() == len([m for m in members if m.home_org_id != target.pk])


# ----- API ----------------------------------------------------------------------------------


def test_api_creates_and_moves_a_transfer_through_its_states(client, small):
    member = small.a.members[0]
    target = small.b.branches[0]
    log_in(client, small.alice)
    response = client.post(
        "/api/transfers/",
        {"member_id": member.pk, "to_org_code": target.code, "reason": "工作调动"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert client.post(f"/api/transfers/{pk}/approve/").json()["state"] == "approved"
    response = client.post(
        f"/api/transfers/{pk}/issue/",
        {"dues_paid_to": str(timezone.localdate())},
        content_type="application/json",
    )
    assert response.json()["state"] == "letter_issued"
    assert response.json()["letter_no"]
    response = client.post(f"/api/transfers/{pk}/confirm/")
    assert response.status_code == 403
    assert "确认接收" in response.json()["detail"]
    log_in(client, small.bob)
    response = client.post(f"/api/transfers/{pk}/confirm/")
    assert response.json()["state"] == "done"
    assert [e["action"] for e in response.json()["events"]] == [
        "request",
        "approve",
        "issue",
        "confirm",
    ]
    response = client.post(f"/api/transfers/{pk}/withdraw/")
    assert response.status_code == 400
    assert "已完成" in response.content.decode()


def test_api_bulk_transfer(client, small):
    members = small.a.members[:4]
    target = small.b.branches[0]
    log_in(client, city_admin(small))
    response = client.post(
        "/api/transfers/bulk/",
        {
            "moves": [{"member_id": m.pk, "to_org_code": target.code} for m in members],
            "complete": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["count"] == 4
    assert Member.objects.filter(pk__in=[m.pk for m in members], home_org=target).count() == 4


def test_api_list_is_scoped(client, small):
    t = ts.transfer_request(
        actor=small.alice, member=small.a.members[0], to_org=small.b.branches[0]
    )
    log_in(client, small.bob)
    ids = {
        row["id"] for row in client.get("/api/transfers/", {"direction": "in"}).json()["results"]
    }
    assert t.pk in ids
    log_in(client, third_district_officer(small))
    ids = {row["id"] for row in client.get("/api/transfers/").json()["results"]}
    assert t.pk not in ids


def test_worklist_queries_do_not_grow_with_rows(client, small):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    log_in(client, small.alice)
    url = reverse("members:transfer-list")
    make_transfer(small, TransferState.LETTER_ISSUED)  # an empty list skips the rows' query

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"state": ""}).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for _ in range(4):
        make_transfer(small, TransferState.LETTER_ISSUED)
    assert count() == before
