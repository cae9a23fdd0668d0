"""What the API fuzzing (issue 14) found, one regression test per class of failure: ids and
pages beyond what the database holds, input the schema calls invalid, service errors that
escaped as 500s, and the error responses each operation documents.

The caller is alice, officer of district a of the test's own world (``tests.factories``); only
the campaign test stays on the demo, whose campaigns it needs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import mark_verified
from jiceng.core.api import MAX_ID
from jiceng.members.transfers import services as transfer_services

HUGE = 10**20


@pytest.fixture
def api(small: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(small.alice)
    return client


# ----- integers beyond what the database can hold: 400 or 404, never 500 ---------------------


@pytest.mark.parametrize("param", ["limit", "offset"])
@pytest.mark.parametrize("value", [str(HUGE), "-1", "abc", ""])
def test_a_page_outside_the_bounds_is_a_400(api: APIClient, param: str, value: str) -> None:
    response = api.get("/api/members/", {param: value})
    assert response.status_code == 400
    assert param in response.json()


def test_limit_and_offset_within_the_bounds_still_page(api: APIClient) -> None:
    response = api.get("/api/members/", {"limit": 2, "offset": 1})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize("pk", [MAX_ID, MAX_ID + 1, HUGE])
def test_an_id_in_the_path_beyond_bigint_is_a_404(api: APIClient, pk: int) -> None:
    assert api.get(f"/api/members/{pk}/").status_code == 404
    assert api.get(f"/api/organizations/{pk}/weak-candidates/").status_code == 404


def test_an_id_in_a_filter_beyond_bigint_is_a_400(api: APIClient) -> None:
    response = api.get("/api/members/", {"org": HUGE})
    assert response.status_code == 400
    assert "org" in response.json()


def test_ids_in_a_body_beyond_bigint_are_a_400(api: APIClient) -> None:
    response = api.post("/api/lost/cases/", {"member_ids": [HUGE]}, format="json")
    assert response.status_code == 400
    assert "member_ids" in response.json()


def test_an_unknown_api_path_answers_json(api: APIClient) -> None:
    response = api.get("/api/members/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# ----- service errors that were 500s ---------------------------------------------------------


def test_dismissing_a_pair_of_one_member_is_a_400(api: APIClient, small: Any) -> None:
    member = small.a.members[0]
    response = api.post(
        "/api/duplicates/dismiss/", {"a_id": member.pk, "b_id": member.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == ["请选择两条不同的党员记录"]


def test_rejecting_a_transfer_without_a_reason_is_a_400(api: APIClient, small: Any) -> None:
    # alice's district sends a member to b: she, the sending side, may send it back
    transfer = transfer_services.transfer_request(
        actor=small.alice, member=small.a.members[0], to_org=small.b.branches[0]
    )
    response = api.post(f"/api/transfers/{transfer.pk}/reject/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reason": ["请填写退回原因"]}


# ----- input the schema calls invalid is refused ---------------------------------------------


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/lost/cases/", {"group": "AAA"}),
        ("/api/rectifications/", {"group": "AAA"}),
        ("/api/transfers/", {"state": "AAA"}),
        ("/api/members/", {"category": "AAA"}),
        ("/api/organizations/", {"org_type": "AAA"}),
        ("/api/study/self-study/", {"pending": "null"}),
        ("/api/duplicates/", {"page": "null"}),
        ("/api/lost/report/", {"since": "个人自学"}),
        ("/api/rectifications/", {"org": ""}),
        ("/api/study/sessions/", {"period": ""}),
        ("/api/members/", {"org": "abc"}),
    ],
)
def test_an_unknown_filter_value_is_a_400_not_the_default(
    api: APIClient, url: str, params: dict[str, str]
) -> None:
    response = api.get(url, params)
    assert response.status_code == 400
    assert set(params) <= set(response.json())


def test_an_empty_transfer_state_still_means_all(api: APIClient) -> None:
    assert api.get("/api/transfers/", {"state": ""}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"note": 0},  # a number for a string
        {"denominator": "5"},  # a string for an integer
    ],
)
def test_a_json_value_of_the_wrong_type_is_a_400(world: Any, body: dict[str, Any]) -> None:
    # stays on the demo: it needs a unit of a running campaign, which the demo has
    from jiceng.campaigns.models import CampaignUnit

    api = APIClient()
    api.force_authenticate(world.user("huangpu.officer"))
    unit = CampaignUnit.objects.filter(org_path__startswith=world.huangpu.path).first()
    payload = {"indicator": "owners", "numerator": 1, "denominator": 2, **body}
    response = api.post(f"/api/campaign-units/{unit.pk}/coverage/", payload, format="json")
    assert response.status_code == 400
    assert set(body) <= set(response.json())


def test_a_study_amount_is_a_plain_decimal(api: APIClient, small: Any) -> None:
    member = small.a.members[0]
    for amount in ("", "-", "08", 2):
        response = api.post(
            "/api/study/self-study/",
            {"member_id": member.pk, "studied_on": "2005-08-08", "topic": "自学", "amount": amount},
            format="json",
        )
        assert response.status_code == 400, amount
        assert "amount" in response.json()


def test_an_empty_bulk_transfer_is_refused_by_the_schema_too(api: APIClient) -> None:
    response = api.post("/api/transfers/bulk/", {"moves": []}, format="json")
    assert response.status_code == 400
    assert "moves" in response.json()


# ----- the schema says what really happens ---------------------------------------------------


@pytest.fixture
def schema(client: Any, small: Any) -> dict[str, Any]:
    client.force_login(small.alice)
    mark_verified(client, small.alice)
    return client.get(reverse("api-schema"), {"format": "json"}).json()


def test_every_operation_documents_its_errors(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert "403" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch"):
                assert {"400", "409"} <= codes, (method, path)


def test_nullable_output_fields_are_declared_nullable(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["OrganizationOutput"]["properties"]["district_code"]["nullable"]
    assert components["MemberOutput"]["properties"]["participating_org_name"]["nullable"]
    assert components["TransferOutput"]["properties"]["to_org_name"]["nullable"]


def test_health_lists_are_documented_as_pages(schema: dict[str, Any]) -> None:
    for name in ("weak-candidates", "secretary-vacancies", "size-suggestions"):
        op = schema["paths"][f"/api/organizations/{{id}}/{name}/"]["get"]
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1].startswith("Paginated"), name
