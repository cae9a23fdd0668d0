"""The needy-people registry (S26: about 87,000 needy people paired with branches): registering,
the sensitive-category rule (PIPL art. 28), duplicates and their merge, the status history.

The sensitive-category rule: a role without outreach rights never learns a person's categories
or health — not on the list, the person's page, the edit form, the API, the counts, a filter or
a search — and a role with them reads them only through an audited reveal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.models import RoleAssignment
from jiceng.accounts.roles import Role
from jiceng.accounts.services import role_grant
from jiceng.core.models import AuditEvent
from jiceng.outreach.registry import selectors, services
from jiceng.outreach.registry.models import NeedyCategory
from jiceng.outreach.registry.rules import MASK, NeedyStatus
from tests.factories import UserFactory

ID_NUMBER = "310101194503150020"  # a valid number (check digit), a woman born 1945
ELDERLY = "elderly_alone"
MINIMUM = "minimum_living"


@pytest.fixture
def outreach(small):
    """alice (district a) holds outreach rights; erin, a committee officer of a's street, may
    register people but has none."""
    RoleAssignment.objects.filter(user=small.alice).update(outreach=True)
    small.alice.forget_scopes()
    small.erin = UserFactory(
        username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street
    )
    return small


def _register(world, actor=None, **fields):
    data = {
        "street_org": world.a.street,
        "name": "顾阿婆",
        "address": "甲区一街道幸福里5号",
        "id_number": ID_NUMBER,
        "household_size": 1,
        "categories": [NeedyCategory.objects.get(code=ELDERLY).pk],
        "health": "高血压，行动不便",
    }
    data.update(fields)
    person, warnings = services.needy_register(actor=actor or world.alice, **data)
    return person, warnings


def test_a_registration_is_masked_scoped_and_audited(outreach):
    person, warnings = _register(outreach)
    assert warnings == []
    assert person.path == outreach.a.street.path
    assert person.id_number_masked != ID_NUMBER
    assert person.id_number_masked.endswith("0020")
    assert [h.status for h in person.history.all()] == [NeedyStatus.ACTIVE]
    event = AuditEvent.objects.get(object_type="outreach.needyperson", verb="create")
    assert ID_NUMBER not in str(event.changes)
    assert "高血压" not in str(event.changes)
    assert event.changes["categories"][1] == MASK  # which categories is itself withheld
    assert list(selectors.needy_list(outreach.bob)) == []  # district b
    assert list(selectors.needy_list(outreach.erin)) == [person]


def test_the_same_id_number_cannot_be_registered_twice(outreach):
    _register(outreach)
    with pytest.raises(ValidationError, match="已在甲区一街道党工委登记"):
        _register(outreach, name="顾阿婆", address="别处")


def test_a_role_without_outreach_rights_cannot_write_categories_or_health(outreach):
    with pytest.raises(PermissionDenied, match="没有帮扶对象敏感信息的权限"):
        _register(outreach, actor=outreach.erin)
    person, _ = _register(outreach, actor=outreach.erin, categories=[], health="")
    with pytest.raises(PermissionDenied):
        services.needy_update(
            actor=outreach.erin, person=person, categories=[NeedyCategory.objects.first().pk]
        )
    services.needy_update(actor=outreach.erin, person=person, household_size=2)  # allowed
    person.refresh_from_db()
    assert person.household_size == 2


def test_categories_never_reach_a_role_without_outreach_rights(outreach, client):
    person, _ = _register(outreach)
    erin = outreach.erin
    # selectors: counts and the category filter are empty, a search by category finds nobody
    assert selectors.category_counts(erin) == []
    elderly = NeedyCategory.objects.get(code=ELDERLY)
    assert list(selectors.needy_list(erin, category=elderly)) == []
    assert list(selectors.needy_list(erin, q="独居")) == []
    assert [
        c.people for c in selectors.category_counts(outreach.alice) if c.category == elderly
    ] == [1]
    # pages
    client.force_login(erin)
    mark_verified(client, erin)
    pages = [
        reverse("outreach:needy-list"),
        reverse("outreach:needy-list") + f"?category={elderly.pk}",
        reverse("outreach:needy-detail", args=[person.pk]),
        reverse("outreach:needy-edit", args=[person.pk]),
        reverse("api-needy-list"),
        reverse("api-needy-detail", args=[person.pk]),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert "独居老人" not in body, url
        assert "高血压" not in body, url
    detail = client.get(reverse("outreach:needy-detail", args=[person.pk])).content.decode()
    assert "needy-reveal-sensitive" not in detail
    assert "needy-sensitive-refusal" in detail
    refused = client.post(reverse("outreach:needy-reveal", args=[person.pk, "sensitive"]))
    assert refused.status_code == 403
    assert "高血压" not in refused.content.decode()
    api = client.post(reverse("api-needy-reveal", args=[person.pk, "sensitive"]))
    assert api.status_code == 403
    assert not AuditEvent.objects.filter(verb="reveal", object_id=str(person.pk)).exists()


def test_a_role_with_outreach_rights_reads_them_through_an_audited_reveal(outreach, client):
    person, _ = _register(outreach)
    client.force_login(outreach.alice)
    mark_verified(client, outreach.alice)
    listing = client.get(reverse("outreach:needy-list")).content.decode()
    table = listing.split('data-testid="needy-table"')[1].split("</table>")[0]
    assert "独居老人" not in table  # masked on the list, even for her
    assert MASK in table
    assert "独居老人" in listing.split('data-testid="needy-by-category"')[1]  # counted
    shown = client.post(reverse("outreach:needy-reveal", args=[person.pk, "sensitive"]))
    assert shown.status_code == 200
    assert "独居老人" in shown.content.decode()
    assert "高血压" in shown.content.decode()
    api = client.post(reverse("api-needy-reveal", args=[person.pk, "sensitive"])).json()
    assert api["value"] == {"categories": ["独居老人"], "health": "高血压，行动不便"}
    reads = AuditEvent.objects.filter(verb="reveal", object_id=str(person.pk))
    assert reads.count() == 2
    assert all("高血压" not in e.note for e in reads)


def test_outreach_rights_are_passed_on_only_by_who_holds_them(outreach):
    frank = UserFactory(username="frank")
    with pytest.raises(PermissionDenied, match="没有帮扶对象敏感信息的权限"):
        role_grant(
            actor=outreach.erin,
            user=frank,
            role=Role.COMMITTEE_OFFICER,
            organization=outreach.a.street,
            outreach=True,
        )
    with pytest.raises(ValidationError, match="不能查看帮扶对象敏感信息"):
        role_grant(
            actor=outreach.alice,
            user=frank,
            role=Role.AUDITOR,
            organization=outreach.a.street,
            outreach=True,
        )
    role_grant(
        actor=outreach.alice,
        user=frank,
        role=Role.COMMITTEE_OFFICER,
        organization=outreach.a.street,
        outreach=True,
    )
    person, _ = _register(outreach)
    assert services.may_see_sensitive(frank, person)
    assert not services.may_see_sensitive(outreach.bob, person)


def test_status_changes_are_dated_and_kept(outreach):
    person, _ = _register(outreach)
    with pytest.raises(ValidationError, match="请说明原因"):
        services.needy_status_set(
            actor=outreach.alice,
            person=person,
            status=NeedyStatus.MOVED_AWAY,
            on=person.status_since,
        )
    services.needy_status_set(
        actor=outreach.alice,
        person=person,
        status=NeedyStatus.MOVED_AWAY,
        on=person.status_since,
        reason="随子女迁往外区",
    )
    person.refresh_from_db()
    assert person.status == NeedyStatus.MOVED_AWAY
    assert [h.status for h in person.history.order_by("id")] == [
        NeedyStatus.ACTIVE,
        NeedyStatus.MOVED_AWAY,
    ]
    assert list(selectors.needy_list(outreach.alice)) == []  # the active list
    assert list(selectors.needy_list(outreach.alice, status="")) == [person]
    with pytest.raises(ValidationError, match="晚于今天"):
        services.needy_status_set(
            actor=outreach.alice,
            person=person,
            status=NeedyStatus.ACTIVE,
            on=person.status_since + dt.timedelta(days=3650),
        )
    with pytest.raises(PermissionDenied):
        services.needy_status_set(
            actor=outreach.bob, person=person, status=NeedyStatus.ACTIVE, on=person.status_since
        )


def test_likely_duplicates_are_found_and_merged_with_a_trail(outreach):
    first, _ = _register(outreach, id_number="")
    second, warnings = _register(
        outreach, id_number=ID_NUMBER, categories=[NeedyCategory.objects.get(code=MINIMUM).pk]
    )
    assert warnings
    assert "同名帮扶对象" in warnings[0]
    (pair,) = selectors.likely_duplicates(outreach.alice)
    assert {pair.first, pair.second} == {first, second}
    assert pair.reason == "同名同住址"
    assert selectors.likely_duplicates(outreach.bob) == []
    with pytest.raises(PermissionDenied):
        services.needy_merge(actor=outreach.bob, kept=first, dropped=second, reason="同一人")
    merge = services.needy_merge(actor=outreach.alice, kept=first, dropped=second, reason="同一人")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == NeedyStatus.MERGED
    assert second.merged_into == first
    assert first.id_number_masked.endswith("0020")  # the number the kept record lacked
    assert set(first.categories.values_list("code", flat=True)) == {ELDERLY, MINIMUM}
    assert ID_NUMBER not in str(merge.dropped_snapshot)
    assert list(selectors.needy_list(outreach.alice)) == [first]
    assert selectors.likely_duplicates(outreach.alice) == []
    assert AuditEvent.objects.filter(verb="merge").count() == 2
    with pytest.raises(ValidationError, match="已合并过"):
        services.needy_merge(actor=outreach.alice, kept=first, dropped=second, reason="再来")


def test_the_city_extends_the_categories(outreach, world):
    with pytest.raises(PermissionDenied, match="市委组织部"):
        services.category_create(actor=outreach.alice, code="orphan", name="孤儿")
    admin = UserFactory(username="root", role=Role.CITY_ADMIN, role__over=outreach.city)
    category = services.category_create(actor=admin, code="orphan", name="孤儿")
    services.category_set_active(actor=admin, category=category, active=False)
    assert category not in selectors.categories()
