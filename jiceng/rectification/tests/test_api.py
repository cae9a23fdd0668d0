"""API of rectification items: the same services as the pages, 404 for another district,
refusals as 400 with the service's words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from conftest import mark_verified
from jiceng.core import clock
from jiceng.rectification.models import RectificationItem

from .helpers import closed_item, comments, need, petition, tianlin


def login(client: Any, user: Any) -> None:
    client.force_login(user)
    mark_verified(client, user)


def _post(client: Any, name: str, data: dict[str, Any], *args: Any) -> Any:
    return client.post(reverse(name, args=args), data, content_type="application/json")


def test_an_item_runs_its_course_through_the_api(client, small):
    login(client, small.alice)
    created = _post(
        client,
        "api-rectification-item-list",
        {
            "owner_id": small.a.street.pk,
            "title": "违法搭建",
            "since": "1995-01-01",
            "deadline": (clock.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body["id"]
    assert (body["state"], body["long_running"], body["rights"]["actions"]) == (
        "open",
        True,
        ["start"],
    )
    assert _post(client, "api-rectification-item-state", {"action": "start"}, pk).status_code == 200
    done = _post(
        client,
        "api-rectification-item-state",
        {
            "action": "complete",
            "result": "拆除",
            "notice_text": "公示",
            "noticed_on": clock.today().isoformat(),
        },
        pk,
    )
    assert done.json()["state"] == "done"
    closed = _post(
        client, "api-rectification-item-state", {"action": "verdict", "verdict": "satisfied"}, pk
    )
    assert closed.json()["state"] == "closed"
    assert [e["action"] for e in closed.json()["events"]] == [
        "create",
        "start",
        "complete",
        "verdict",
    ]
    arrangement = client.put(
        reverse("api-rectification-item-arrangement", args=[pk]),
        {
            "keeper_org_id": small.a.street.pk,
            "keeper": "居委会主任",
            "duties": "巡查",
            "check_every_days": 30,
        },
        content_type="application/json",
    )
    assert arrangement.status_code == 200, arrangement.content
    failed = _post(
        client,
        "api-rectification-item-checks",
        {"checked_on": clock.today().isoformat(), "passed": False, "note": "反弹"},
        pk,
    )
    assert failed.status_code == 201
    item = RectificationItem.objects.get(pk=pk)
    assert (item.state, item.reopened_count) == ("in_progress", 1)


def test_out_of_order_is_a_400_with_the_reason(client, small):
    item = tianlin(small)
    login(client, small.alice)
    response = _post(
        client,
        "api-rectification-item-state",
        {"action": "verdict", "verdict": "satisfied"},
        item.pk,
    )
    assert response.status_code == 400
    assert "该整改事项已立项，不能执行此操作" in response.content.decode()


def test_items_raised_from_a_petition_and_a_need(client, small):
    login(client, small.alice)
    deadline = (clock.today() + dt.timedelta(days=30)).isoformat()
    p = petition(small, subject="噪声扰民")
    from_petition = _post(
        client, "api-rectification-item-list", {"petition_id": p.pk, "deadline": deadline}
    )
    assert from_petition.status_code == 201
    assert from_petition.json()["title"] == "噪声扰民"
    n = need(small)
    from_need = _post(
        client, "api-rectification-item-list", {"need_id": n.pk, "deadline": deadline}
    )
    assert from_need.json()["sources"][0]["need_id"] == n.pk
    again = _post(
        client,
        "api-rectification-item-sources",
        {"kind": "petition", "petition_id": p.pk},
        from_need.json()["id"],
    )
    assert again.status_code == 400
    assert "同一来源不能关联两个事项" in again.content.decode()


def test_another_district_gets_404_and_sees_nothing(client, small):
    item = closed_item(small)
    login(client, small.bob)
    assert client.get(reverse("api-rectification-item-detail", args=[item.pk])).status_code == 404
    assert (
        _post(client, "api-rectification-item-state", {"action": "start"}, item.pk).status_code
        == 404
    )
    rows = client.get(reverse("api-rectification-item-list")).json()["results"]
    assert rows == []
    figures = client.get(reverse("api-rectification-item-figures")).json()
    assert figures["total"]["items"] == 0
    foreign_petition = petition(small, "a", subject="甲区信访")
    response = _post(
        client,
        "api-rectification-item-list",
        {"petition_id": foreign_petition.pk, "deadline": clock.today().isoformat()},
    )
    assert response.status_code == 400


def test_survey_comments_become_one_item_through_the_api(client, small):
    said = comments(small, ["路灯坏了", "晚上路太黑"])
    login(client, small.alice)
    response = _post(
        client,
        "api-rectification-item-list",
        {
            "comment_ids": [c.pk for c in said],
            "deadline": (clock.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    assert [s["comment_id"] for s in response.json()["sources"]] == [c.pk for c in said]
    login(client, small.bob)
    refused = _post(
        client,
        "api-rectification-item-list",
        {"comment_ids": [said[0].pk], "deadline": clock.today().isoformat()},
    )
    assert refused.status_code == 400


def test_a_read_only_role_reads_but_is_refused_the_writes(client, small):
    item = tianlin(small)
    login(client, small.dora)
    detail = client.get(reverse("api-rectification-item-detail", args=[item.pk])).json()
    assert detail["rights"] == {"change": False, "actions": [], "arrange": False, "check": False}
    response = _post(client, "api-rectification-item-state", {"action": "start"}, item.pk)
    assert response.status_code == 403
    assert "只有责任单位及其上级可以办理该整改事项" in response.content.decode()
