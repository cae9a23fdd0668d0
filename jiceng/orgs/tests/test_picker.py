"""Organisation pickers (issue 17): every organisation field finds units as you type, by name
in Simplified or Traditional characters, pinyin initials or code, each shown with its path;
a transfer's receiver is found anywhere in the city, names and codes only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.orgs import selectors
from tests.factories import OrganizationFactory


def _pick(client, q, scope="change", target="id_x"):
    response = client.get(reverse("orgs:pick"), {"q": q, "scope": scope, "target": target})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def signed_in(client, small):
    from conftest import mark_verified

    client.force_login(small.alice)
    mark_verified(client, small.alice)
    return client


@pytest.mark.parametrize("query", ["甲区第1党支部", "甲區第1黨支部", "jqd", "F"])
def test_a_unit_is_found_by_name_traditional_initials_or_code(small, query):
    branch = small.a.branches[0]
    if query == "F":
        query = branch.code
    found = selectors.organization_pick(small.alice, query, "change")
    assert branch in [o for o, _ in found]
    path = dict(found)[branch]
    assert path == f"{small.city.name} › {small.a.org.name} › {small.a.street.name}"


def test_the_users_own_scope_only_unless_it_is_a_transfers_receiver(small):
    foreign = small.b.branches[0]
    assert foreign not in [o for o, _ in selectors.organization_pick(small.alice, "乙区", "change")]
    # charlie, a branch secretary, finds the neighbouring district's branch to send a member to
    receivers = [o for o, _ in selectors.organization_pick(small.charlie, "乙区", "receiving")]
    assert foreign in receivers
    assert small.b.street not in receivers  # a street committee holds no members' relationships
    assert small.b.org not in receivers


def test_an_abolished_unit_and_an_unknown_scope_offer_nothing(small):
    OrganizationFactory(
        parent=small.a.street, name="甲区已撤销党支部", abolished_on=dt.date(2005, 3, 1)
    )
    assert selectors.organization_pick(small.alice, "已撤销", "change") == []
    assert selectors.organization_pick(small.alice, "甲区", "everything") == []


def test_the_results_fill_the_field_they_belong_to(signed_in, small):
    body = _pick(signed_in, "甲区第2", target="id_root")
    branch = small.a.branches[1]
    assert f'data-pick-target="id_root" data-pick-code="{branch.code}"' in body
    assert small.a.street.name in body  # the path is shown
    assert "没有找到" in _pick(signed_in, "不存在的组织")


def test_organisation_fields_are_pickers(signed_in):
    body = signed_in.get(reverse("campaigns:create")).content.decode()
    assert 'data-testid="org-picker-root"' in body
    assert "scope=change" in body
