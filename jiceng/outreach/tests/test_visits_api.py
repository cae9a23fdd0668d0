"""The API of visits (S19: 33 branches made 5,698 visits focused on 1,500 needy families):
the same services and selectors as the pages, refusals as 400/403/404 with their words, and
no category for a caller without outreach rights."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.models import RoleAssignment
from jiceng.core import clock
from jiceng.outreach.visits.models import Visit

from .test_visits import _record
from .test_visits import vw as vw  # the fixture


def _login(client, user):
    client.force_login(user)
    mark_verified(client, user)


def _body(vw, **fields):
    body = {
        "org_id": vw.branch.pk,
        "target_kind": "needy",
        "needy_id": vw.needy.pk,
        "visited_on": (clock.today() - dt.timedelta(days=2)).isoformat(),
        "kind": "home",
        "findings": "了解生活情况",
        "needs": [{"kind": "living", "text": "希望帮助申请补助"}],
    }
    body.update(fields)
    return body


def test_a_member_records_a_visit_and_the_branch_confirms_it(client, vw):
    """S19 through the API: the member records for their branch (self-service), sees it among
    their own, cannot confirm it; the secretary confirms it."""
    _login(client, vw.member_user)
    response = client.post(reverse("api-visit-list"), _body(vw), content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "recorded"
    assert data["visitor_ids"] == [vw.member.pk]
    assert [n["text"] for n in data["needs"]] == ["希望帮助申请补助"]
    mine = client.get(reverse("api-visit-list")).json()
    assert [v["id"] for v in mine["results"]] == [data["id"]]
    confirm = reverse("api-visit-confirm", args=[data["id"]])
    assert client.post(confirm).status_code == 403
    # a needy person not paired with the branch is refused in words
    other = client.post(
        reverse("api-visit-list"),
        _body(vw, needy_id=vw.other_needy.pk),
        content_type="application/json",
    )
    assert other.status_code == 400
    assert "needy_id" in other.json()

    _login(client, vw.small.charlie)
    assert client.post(confirm).json()["state"] == "confirmed"


def test_return_needs_a_reason_and_the_recorder_resubmits(client, vw):
    visit = _record(vw)
    _login(client, vw.small.charlie)
    url = reverse("api-visit-return", args=[visit.pk])
    assert client.post(url, {"reason": ""}, content_type="application/json").status_code == 400
    response = client.post(url, {"reason": "请写明需求"}, content_type="application/json")
    assert response.json()["state"] == "returned"
    _login(client, vw.member_user)
    response = client.post(
        reverse("api-visit-resubmit", args=[visit.pk]),
        {"findings": "希望帮助申请低保"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "recorded"


def test_an_outsider_gets_404_and_sees_nothing(client, vw):
    visit = _record(vw)
    need = visit.needs.get()
    _login(client, vw.small.bob)
    assert client.get(reverse("api-visit-detail", args=[visit.pk])).status_code == 404
    assert client.post(reverse("api-visit-confirm", args=[visit.pk])).status_code == 404
    assert (
        client.post(
            reverse("api-need-follow-up", args=[need.pk]),
            {"state": "resolved", "note": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get(reverse("api-visit-list")).json()["count"] == 0
    assert client.get(reverse("api-visit-needs")).json()["count"] == 0
    # recording for another district's branch: the unit is not found
    response = client.post(reverse("api-visit-list"), _body(vw), content_type="application/json")
    assert response.status_code == 404


def test_a_need_is_followed_up_through_the_api(client, vw):
    visit = _record(vw)
    need = visit.needs.get()
    _login(client, vw.small.alice)
    needs = client.get(reverse("api-visit-needs")).json()
    assert [n["id"] for n in needs["results"]] == [need.pk]
    response = client.post(
        reverse("api-need-follow-up", args=[need.pk]),
        {"state": "resolved", "note": "已办理"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["need"]["state"] == "resolved"
    assert response.json()["need"]["closed_on"] == clock.today().isoformat()
    assert client.get(reverse("api-visit-needs")).json()["count"] == 0


def test_counts_by_category_only_with_outreach_rights(client, vw):
    """S19 counts; PIPL art. 28: the category rows are empty without outreach rights."""
    _record(vw)
    _login(client, vw.small.alice)
    url = reverse("api-visit-counts")
    data = client.get(url, {"under": vw.small.a.org.pk}).json()
    assert (
        data["total"]["visits"]
        == Visit.objects.filter(org_path__startswith=vw.small.a.org.path).count()
        == 1
    )
    assert data["total"]["households"] == 1
    assert data["by_category"] == []
    RoleAssignment.objects.filter(user=vw.small.alice).update(outreach=True)
    data = client.get(url, {"under": vw.small.a.org.pk}).json()
    rows = {r["category"]: r["visits"] for r in data["by_category"]}
    assert rows["独居老人"] == 1
    assert client.get(url, {"under": vw.small.b.org.pk}).status_code == 404
    assert client.get(url, {"date_from": "nonsense"}).status_code == 400
