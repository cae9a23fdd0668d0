"""Who read my ID number (issue 18 item 5): a member sees the reveals of their own record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.accounts.models import Role
from jiceng.core.models import AuditEvent
from jiceng.members import services
from jiceng.members.models import Member
from tests.factories import UserFactory


def _self_service(member: Member, username: str):
    user = UserFactory(username=username, role=Role.MEMBER, role__over=member.home_org)
    Member.objects.filter(pk=member.pk).update(user=user)
    member.refresh_from_db()
    return user


def _login(client, user):
    from conftest import mark_verified

    client.force_login(user)
    mark_verified(client, user)


@pytest.fixture
def reads(small):
    """alice reveals mary's ID number and phone and another member's ID number."""
    mary, other = small.a.members[0], small.a.members[1]
    user = _self_service(mary, "mary")
    services.member_reveal(actor=small.alice, member=mary, field="id_number")
    services.member_reveal(actor=small.alice, member=mary, field="phone")
    services.member_reveal(actor=small.alice, member=other, field="id_number")
    return small, mary, other, user


def test_the_member_sees_who_revealed_their_id_number_and_not_others(client, reads):
    small, mary, _other, user = reads
    _login(client, user)
    before = AuditEvent.objects.filter(verb="reveal").count()
    response = client.get(reverse("members:my-reads"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 2  # mary's two reveals, not the other member's
    assert {r.officer for r in rows} == {str(small.alice)}
    assert {r.unit for r in rows} == {small.a.org.name}
    assert {r.role for r in rows} == {str(Role.DISTRICT_OFFICER.label)}
    assert [r.field for r in rows] == ["联系电话", "公民身份号码"]  # newest first
    assert rows[0].at >= rows[1].at
    # reading one's own list is not a reveal
    assert AuditEvent.objects.filter(verb="reveal").count() == before
    # linked from the member's own page
    page = client.get(reverse("members:detail", args=[mary.pk]))
    assert reverse("members:my-reads") in page.content.decode()


def test_another_members_reveals_are_not_listed_for_them(client, reads):
    _small, _mary, other, _user = reads
    other_user = _self_service(other, "otto")
    _login(client, other_user)
    rows = client.get(reverse("members:my-reads")).context["rows"]
    assert len(rows) == 1
    assert rows[0].field == "公民身份号码"


def test_an_account_without_a_member_record_gets_404(client, reads):
    small, *_ = reads
    _login(client, small.alice)
    assert client.get(reverse("members:my-reads")).status_code == 404
    assert client.get(reverse("api-member-my-reads")).status_code == 404


def test_the_api_lists_the_callers_own_reads(client, reads):
    small, _mary, _other, user = reads
    _login(client, user)
    response = client.get(reverse("api-member-my-reads"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["field"] for r in results] == ["联系电话", "公民身份号码"]
    assert results[0]["officer"] == str(small.alice)
