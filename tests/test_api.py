"""The REST API: OpenAPI schema, token auth, members and organisations, all scoped like the
pages and calling the same services (masked values only; audited reveal)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.accounts.roles import Role
from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.members.models import EmploymentStatus, Member
from jiceng.members.tests.factories_records import sign_in, unplaced_member
from jiceng.orgs.models import Organization
from tests.factories import PASSWORD, UserFactory, make_member

MEMBERS = "/api/members/"
ORGS = "/api/organizations/"
NEW_ID = make_id_number("310101", dt.date(1972, 6, 30), 21, "F")


@pytest.fixture
def api(db) -> APIClient:
    return APIClient()


@pytest.fixture
def as_user(api):
    """``as_user(small.alice)`` authenticates the API client as a user of the test's own
    world."""

    def _as(user: Any) -> Any:
        api.force_authenticate(user)
        return user

    return _as


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    payload = response.json()
    assert payload["count"] == len(payload["results"]), "raise the limit for this test"
    return {row["id"] for row in payload["results"]}


def bad_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


# ----- schema and authentication --------------------------------------------------------


def test_schema_is_an_openapi_document_for_a_logged_in_user(client, login):
    login("party.worker")
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    for path in ("/api/members/", "/api/members/{id}/", "/api/organizations/", "/api/me/"):
        assert path in doc["paths"], path
    assert "post" in doc["paths"]["/api/members/{id}/reveal/{field}/"]


def test_schema_is_refused_to_anonymous_callers(client, db):
    response = client.get("/api/schema/")
    assert response.status_code in (401, 403)
    assert b"openapi" not in response.content


def test_api_docs_page_needs_login(client, login):
    assert client.get("/api/docs/").status_code in (401, 403)
    login("party.worker")
    assert client.get("/api/docs/").status_code == 200


def test_token_auth_then_member_list(api, client, small):
    # a token is issued to a browser session verified by the second factor (issue 14)
    sign_in(client, small.alice)
    response = client.post("/api/auth/token/")
    assert response.status_code == 201
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    listing = api.get(MEMBERS, {"limit": 500})
    visible = set(Member.objects.visible_to(small.alice).values_list("pk", flat=True))
    assert ids(listing) == visible == {m.pk for m in small.a.members}


def test_a_password_is_not_exchanged_for_a_token(api, small):
    assert small.alice.check_password(PASSWORD)  # the right password, still refused
    response = api.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code in (401, 403)
    assert "token" not in response.json()


def test_anonymous_api_calls_are_refused(api, db):
    assert api.get(MEMBERS).status_code in (401, 403)
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api.get(MEMBERS)
    # 403 rather than 401: session authentication comes first and sends no WWW-Authenticate
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


# ----- member list ----------------------------------------------------------------------


def test_member_list_is_scoped_to_the_district(api, as_user, small):
    as_user(small.bob)
    assert ids(api.get(MEMBERS, {"limit": 500})) == {m.pk for m in small.b.members}
    as_user(small.charlie)
    branch = small.a.branches[0]
    assert ids(api.get(MEMBERS)) == {m.pk for m in small.a.members if m.home_org == branch}


def _filter_cases(small) -> list[dict[str, Any]]:
    """Filters over district a, each matching someone there: an unplaced and a retired member
    are added to the small world's at-post members."""
    unplaced_member(small.a.branches[1])
    make_member(small.a.branches[0], employment_status=EmploymentStatus.RETIRED)
    member = small.a.members[0]
    return [
        {"org": small.a.branches[1].pk},
        {"q": member.name_initials},
        {"q": member.name},
        {"placed": "no"},
        {"placed": "yes", "category": "full"},
        {"status": "retired"},
    ]


def test_member_list_filters_equal_the_pages(api, as_user, client, small):
    sign_in(client, small.alice)
    as_user(small.alice)
    for params in _filter_cases(small):
        page = client.get(reverse("members:list"), params)
        assert page.status_code == 200
        page_ids = {m.pk for m in page.context["page_obj"].object_list}
        assert page.context["page_obj"].paginator.count == len(page_ids)
        assert page_ids, params
        assert ids(api.get(MEMBERS, {**params, "limit": 500})) == page_ids, params


def test_member_list_rejects_a_foreign_org_filter(api, as_user, small):
    as_user(small.bob)
    assert api.get(MEMBERS, {"org": small.a.org.pk}).status_code == 404


def _clear_values(members: list[Member]) -> list[str]:
    values = []
    for m in members:
        values.append(m.id_number)
        if m.phone:
            values.append(m.phone.removeprefix("+86"))
    return values


def test_member_list_and_detail_never_return_clear_id_numbers_or_phones(api, as_user, small):
    for phone in ("13912345678", "021-64331234"):
        make_member(small.a.branches[1], phone=phone)
    as_user(small.alice)
    listing = api.get(MEMBERS, {"limit": 500})
    assert listing.status_code == 200
    rows = listing.json()["results"]
    members = list(Member.objects.filter(pk__in=[r["id"] for r in rows]).order_by("-phone"))
    assert len(members) == len(small.a.members) + 2
    text = listing.content.decode()
    for value in _clear_values(members):
        assert value not in text
    member = members[0]
    detail = api.get(f"{MEMBERS}{member.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["id_number_masked"] == member.id_number_masked
    assert body["phone_masked"] == member.phone_masked
    assert "id_number" not in body
    assert "phone" not in body
    for value in _clear_values([member]):
        assert value not in detail.content.decode()


# ----- member create / update -----------------------------------------------------------


def member_payload(small, **overrides: Any) -> dict[str, Any]:
    branch = small.a.branches[0]
    payload = {
        "name": "接口党员",
        "id_number": NEW_ID,
        "phone": "021-64331234",
        "category": "full",
        "joined_on": "1997-07-01",
        "full_member_on": "1998-07-01",
        "home_org_id": branch.pk,
        "participating_org_id": branch.pk,
    }
    payload.update(overrides)
    return payload


def test_member_create_returns_201_with_masked_values(api, as_user, small):
    as_user(small.alice)
    response = api.post(MEMBERS, member_payload(small), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get(pk=body["id"])
    assert member.id_number == NEW_ID
    assert member.phone == "+862164331234"
    assert body["birth_date"] == "1972-06-30"
    assert body["sex"] == "F"
    assert body["id_number_masked"] == NEW_ID[:6] + "*" * 8 + NEW_ID[-4:]
    assert body["phone_masked"] == "021-****1234"
    assert body["placed"] is True
    assert NEW_ID not in response.content.decode()
    assert AuditEvent.objects.filter(verb="create", object_id=str(member.pk)).exists()


def test_member_create_with_a_bad_id_number_is_a_400_with_the_chinese_message(api, as_user, small):
    as_user(small.alice)
    response = api.post(
        MEMBERS, member_payload(small, id_number=bad_check_digit(NEW_ID)), format="json"
    )
    assert response.status_code == 400
    [message] = response.json()["id_number"]
    assert "校验位错误" in message
    assert not Member.objects.filter(name="接口党员").exists()


def test_member_create_with_a_bad_phone_is_a_400_with_the_chinese_message(api, as_user, small):
    as_user(small.alice)
    response = api.post(MEMBERS, member_payload(small, phone="12345"), format="json")
    assert response.status_code == 400
    assert response.json()["phone"][0].startswith("电话号码")


def test_member_create_in_another_district_is_a_404(api, as_user, small):
    as_user(small.bob)
    response = api.post(MEMBERS, member_payload(small), format="json")
    assert response.status_code == 404
    assert not Member.objects.filter(name="接口党员").exists()


def test_member_create_by_a_read_only_role_is_refused(api, as_user, small):
    as_user(small.dora)
    response = api.post(MEMBERS, member_payload(small), format="json")
    assert response.status_code in (403, 404)
    assert not Member.objects.filter(name="接口党员").exists()


def test_member_patch_changes_only_the_given_fields(api, as_user, small):
    member = make_member(small.a.branches[0], phone="13912345678")
    original_id, original_phone = member.id_number, member.phone
    as_user(small.alice)
    response = api.patch(f"{MEMBERS}{member.pk}/", {"work_unit": "接口单位"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["work_unit"] == "接口单位"
    member.refresh_from_db()
    assert member.work_unit == "接口单位"
    assert member.id_number == original_id
    assert member.phone == original_phone


def test_a_date_known_to_the_month_is_written_and_read_as_such(api, as_user, small):
    """issue 15: the API shows and takes the precision the import keeps (入党时间 1998年6月),
    and the age rule treats the month as any of its days."""
    as_user(small.alice)
    born_mid_june = make_id_number("310101", dt.date(1980, 6, 15), 22, "M")
    payload = member_payload(
        small,
        id_number=born_mid_june,
        joined_on="1998-06-01",
        joined_on_precision="month",
        full_member_on="1999-06-01",
        full_member_on_precision="month",
    )
    response = api.post(MEMBERS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["joined_on"], body["joined_on_precision"]) == ("1998-06-01", "month")
    assert body["full_member_on_precision"] == "month"
    assert Member.objects.get(pk=body["id"]).joined_on_precision == "month"

    again = api.get(f"{MEMBERS}{body['id']}/").json()
    assert again["joined_on_precision"] == "month"
    # a new date without a precision is a whole date again
    changed = api.patch(f"{MEMBERS}{body['id']}/", {"joined_on": "1998-06-20"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["joined_on_precision"] == "day"


def test_a_month_precision_on_a_day_other_than_the_first_is_a_400(api, as_user, small):
    as_user(small.alice)
    payload = member_payload(small, joined_on="1998-06-15", joined_on_precision="month")
    response = api.post(MEMBERS, payload, format="json")
    assert response.status_code == 400
    assert "该月1日" in response.json()["joined_on"][0]
    assert not Member.objects.filter(name="接口党员").exists()


def test_member_patch_with_a_bad_id_number_is_a_400(api, as_user, small):
    member = small.a.members[0]
    as_user(small.alice)
    response = api.patch(
        f"{MEMBERS}{member.pk}/", {"id_number": bad_check_digit(NEW_ID)}, format="json"
    )
    assert response.status_code == 400
    assert "校验位错误" in response.json()["id_number"][0]


@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_districts_member_is_a_404(api, as_user, small, method):
    member = small.a.members[0]
    as_user(small.bob)
    response = getattr(api, method)(f"{MEMBERS}{member.pk}/", {"work_unit": "x"}, format="json")
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.work_unit != "x"


# ----- reveal ---------------------------------------------------------------------------


def test_reveal_returns_the_clear_number_and_is_audited(api, as_user, small):
    member = small.a.members[0]
    user = as_user(small.alice)
    response = api.post(f"{MEMBERS}{member.pk}/reveal/id_number/")
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": member.id_number}
    [event] = AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk))
    assert event.actor == user
    assert member.id_number not in event.note + json.dumps(event.changes)


def test_reveal_by_get_is_not_allowed(api, as_user, small):
    member = small.a.members[0]
    as_user(small.alice)
    assert api.get(f"{MEMBERS}{member.pk}/reveal/id_number/").status_code == 405
    assert not AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk)).exists()


def test_reveal_by_a_street_officer_is_a_403(api, as_user, small):
    """A street officer (a committee officer: may change, not reveal)."""
    member = small.a.members[0]
    as_user(UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street))
    response = api.post(f"{MEMBERS}{member.pk}/reveal/id_number/")
    assert response.status_code == 403
    assert member.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(verb="reveal", object_id=str(member.pk)).exists()


def test_reveal_of_another_districts_member_is_a_404(api, as_user, small):
    member = small.a.members[0]
    as_user(small.bob)
    assert api.post(f"{MEMBERS}{member.pk}/reveal/id_number/").status_code == 404


def test_reveal_of_an_unknown_field_is_a_400(api, as_user, small):
    member = small.a.members[0]
    as_user(small.alice)
    assert api.post(f"{MEMBERS}{member.pk}/reveal/home_address/").status_code == 400


# ----- organisations --------------------------------------------------------------------


def test_organization_list_is_scoped(api, as_user, small):
    as_user(small.alice)
    found = ids(api.get(ORGS, {"limit": 500}))
    assert found == {small.a.org.pk, small.a.street.pk, *(b.pk for b in small.a.branches)}


def test_organization_list_children_of_a_parent(api, as_user, small):
    as_user(small.alice)
    response = api.get(ORGS, {"parent": small.a.street.pk, "limit": 500})
    rows = response.json()["results"]
    assert {r["id"] for r in rows} == {b.pk for b in small.a.branches}
    assert all(r["parent_id"] == small.a.street.pk for r in rows)
    assert {r["depth"] for r in rows} == {small.a.street.depth + 1}


def test_organization_list_search_by_initials(api, as_user, small):
    street = small.a.street
    as_user(small.alice)
    response = api.get(ORGS, {"q": street.name_initials, "limit": 500})
    assert street.pk in ids(response)


def test_organization_detail_and_outsider_404(api, as_user, small):
    street = small.a.street
    as_user(small.alice)
    body = api.get(f"{ORGS}{street.pk}/").json()
    assert body["code"] == street.code
    assert body["parent_id"] == small.a.org.pk
    as_user(small.bob)
    assert api.get(f"{ORGS}{street.pk}/").status_code == 404


def org_payload(parent: Organization, **overrides: Any) -> dict[str, Any]:
    payload = {
        "parent_id": parent.pk,
        "code": "310101002T99",
        "name": "接口测试党支部",
        "org_type": "branch",
        "host_unit": "接口测试单位",
    }
    payload.update(overrides)
    return payload


def test_organization_create_under_own_subtree(api, as_user, small):
    street = small.a.street
    as_user(small.alice)
    response = api.post(ORGS, org_payload(street), format="json")
    assert response.status_code == 201, response.content
    org = Organization.objects.get(code="310101002T99")
    assert org.path.startswith(street.path)
    assert org.depth == street.depth + 1
    assert response.json()["parent_id"] == street.pk
    assert AuditEvent.objects.filter(verb="create", object_id=str(org.pk)).exists()


def test_organization_create_refuses_a_wrong_child_type(api, as_user, small):
    branch = small.a.branches[0]
    as_user(small.alice)
    response = api.post(ORGS, org_payload(branch, org_type="street_committee"), format="json")
    assert response.status_code == 400
    assert "不能设立" in json.dumps(response.json(), ensure_ascii=False)


def test_organization_create_under_another_district_is_a_404(api, as_user, small):
    as_user(small.bob)
    response = api.post(ORGS, org_payload(small.a.street), format="json")
    assert response.status_code == 404
    assert not Organization.objects.filter(code="310101002T99").exists()


def test_organization_patch(api, as_user, small):
    branch = small.a.branches[0]
    as_user(small.charlie)
    response = api.patch(f"{ORGS}{branch.pk}/", {"host_unit": "新单位"}, format="json")
    assert response.status_code == 200, response.content
    branch.refresh_from_db()
    assert branch.host_unit == "新单位"


def test_organization_patch_by_an_outsider_is_a_404(api, as_user, small):
    branch = small.a.branches[1]
    as_user(small.charlie)  # secretary of the neighbouring branch
    response = api.patch(f"{ORGS}{branch.pk}/", {"host_unit": "新单位"}, format="json")
    assert response.status_code == 404
    as_user(small.bob)
    response = api.patch(f"{ORGS}{branch.pk}/", {"host_unit": "新单位"}, format="json")
    assert response.status_code == 404
    branch.refresh_from_db()
    assert branch.host_unit != "新单位"


def test_organization_patch_by_a_read_only_role_is_refused(api, as_user, small):
    branch = small.a.branches[0]
    as_user(small.dora)
    response = api.patch(f"{ORGS}{branch.pk}/", {"host_unit": "新单位"}, format="json")
    assert response.status_code in (403, 404)
    branch.refresh_from_db()
    assert branch.host_unit != "新单位"
