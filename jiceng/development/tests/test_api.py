"""API of membership development: register (under 18 a 400 with the article), a step POSTed
to the same service (out of order a 400 naming the article; the branch secretary's approval a
403), masked values, the worklist and figures, another district's case a 404."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from jiceng.development.models import Development

from .conftest import APPLICANT_ID, register, walk

BASE = "/api/development/"


@pytest.fixture
def api(db) -> APIClient:
    return APIClient()


def _new(api: APIClient, small: Any, **kw: Any) -> Any:
    data = {
        "org_id": small.a.branches[0].pk,
        "name": "李曉明",
        "id_number": APPLICANT_ID,
        "phone": "13812345678",
        "applied_on": "2003-01-10",
    }
    data.update(kw)
    return api.post(BASE, data, format="json")


def test_register_masked_and_under_18_refused(api, small):
    api.force_authenticate(small.charlie)
    response = _new(api, small, applied_on="1998-05-01")
    assert response.status_code == 400
    assert "第五条" in str(response.json())
    response = _new(api, small)
    assert response.status_code == 201, response.content
    body = response.json()
    assert APPLICANT_ID not in str(body)
    assert "13812345678" not in str(body)
    assert body["stage"] == "applicant"
    assert body["open_steps"][0]["step"] == "talk"
    assert body["open_steps"][0]["due"] == "2003-02-10"


def test_steps_through_the_api_refused_out_of_order_and_above(api, small):
    d = walk(small, register(small), "upper_talk")
    api.force_authenticate(small.charlie)
    url = f"{BASE}{d.pk}/steps/"
    response = api.post(url, {"step": "approval", "on": "2004-07-01"}, format="json")
    assert response.status_code == 403
    assert "上级党委" in str(response.json())
    api.force_authenticate(small.alice)
    response = api.post(url, {"step": "approval", "on": "2004-07-01"}, format="json")
    assert response.status_code == 400
    assert "须先办理" in str(response.json())
    response = api.post(url, {"step": "upper_talk", "on": "2004-06-15"}, format="json")
    assert response.status_code == 200, response.content
    response = api.post(url, {"step": "approval", "on": "2004-07-01"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["member_id"] is not None
    assert response.json()["stage"] == "probationary"


def test_vote_counts_as_entered(api, small):
    d = walk(small, register(small), "general_meeting")
    api.force_authenticate(small.charlie)
    url = f"{BASE}{d.pk}/steps/"
    counts = {"due": 10, "present": 9, "for": 5, "against": 4, "abstain": 0}
    response = api.post(
        url, {"step": "general_meeting", "on": "2004-06-01", "details": counts}, format="json"
    )
    assert response.status_code == 400
    assert "表决未通过" in str(response.json())


def test_scoping_worklist_and_figures(api, small):
    d = register(small)
    api.force_authenticate(small.bob)
    assert api.get(f"{BASE}{d.pk}/").status_code == 404
    assert api.get(BASE).json()["count"] == 0
    assert api.post(f"{BASE}{d.pk}/reveal/id_number/").status_code == 404
    api.force_authenticate(small.alice)
    rows = api.get(f"{BASE}worklist/", {"kind": "overdue"}).json()["results"]
    assert [r["id"] for r in rows] == [d.pk]
    assert rows[0]["overdue"] is True
    figures = api.get(f"{BASE}figures/").json()
    assert figures["overdue"] == 1
    assert figures["stages"][0]["n"] == 1
    assert Development.objects.filter(path__startswith=small.city.path).count() == 1
