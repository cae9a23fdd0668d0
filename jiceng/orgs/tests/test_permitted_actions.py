"""Who decides a pilot (issue 14, low): the parent organisation's officers, not the branch's
own secretary; the page, the API and the service ask ``organization_permitted_actions``.

The test's own small world: charlie is the secretary of district a's first branch; erin the
officer of its street committee (the parent), alice of district a, frank the city's
administrator."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.accounts.roles import Role
from jiceng.orgs import services
from jiceng.orgs.models import Organization
from jiceng.orgs.tests.factories import officer


@pytest.fixture
def cast(small: Any) -> dict[str, Any]:
    return {
        "charlie": small.charlie,
        "erin": officer(Role.COMMITTEE_OFFICER, small.a.street, "erin"),
        "alice": small.alice,
        "frank": officer(Role.CITY_ADMIN, small.city, "frank"),
    }


@pytest.fixture
def branch(cast: dict[str, Any]) -> Organization:
    return cast["charlie"].active_assignments()[0].organization


def test_a_branch_secretary_may_change_their_branch_but_not_make_it_a_pilot(
    cast: dict[str, Any], branch: Organization
) -> None:
    permitted = services.organization_permitted_actions(cast["charlie"], branch)
    assert services.CHANGE in permitted
    assert services.SET_PILOT not in permitted


def test_the_parents_officers_may_make_it_a_pilot(
    cast: dict[str, Any], branch: Organization
) -> None:
    for username in ("erin", "alice", "frank"):
        permitted = services.organization_permitted_actions(cast[username], branch)
        assert services.SET_PILOT in permitted, username


def test_the_service_refuses_a_pilot_flag_from_the_branch_itself(
    cast: dict[str, Any], branch: Organization
) -> None:
    with pytest.raises(PermissionDenied):
        services.organization_update(
            actor=cast["charlie"], org=branch, is_pilot=not branch.is_pilot
        )
    branch.refresh_from_db()
    services.organization_update(actor=cast["charlie"], org=branch, name="新名称")


def test_the_api_refuses_a_pilot_flag_from_the_branch_itself(
    cast: dict[str, Any], branch: Organization
) -> None:
    api = APIClient()
    api.force_authenticate(cast["charlie"])
    url = f"/api/organizations/{branch.pk}/"
    response = api.patch(url, {"is_pilot": not branch.is_pilot}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "是否试点单位由上级党组织确定"}
    assert Organization.objects.get(pk=branch.pk).is_pilot == branch.is_pilot
    # the branch's other fields stay theirs to change
    assert api.patch(url, {"host_unit": "接口单位"}, format="json").status_code == 200


def test_the_api_lets_the_parent_decide(cast: dict[str, Any], branch: Organization) -> None:
    api = APIClient()
    api.force_authenticate(cast["erin"])
    response = api.patch(
        f"/api/organizations/{branch.pk}/", {"is_pilot": not branch.is_pilot}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_pilot"] is (not branch.is_pilot)


def test_the_edit_page_offers_the_pilot_flag_only_to_the_parent(
    client: Any, login: Any, cast: dict[str, Any], branch: Organization
) -> None:
    url = reverse("orgs:edit", args=[branch.pk])
    login("charlie")
    assert 'name="is_pilot"' not in client.get(url).content.decode()
    login("erin")
    assert 'name="is_pilot"' in client.get(url).content.decode()
