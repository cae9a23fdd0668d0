"""Transfers and the extra accounts their tests need, in a small world of the test's own
(``tests.factories.SmallWorld``, issue 16).

Transfers go from district a to district b: alice (a's officer) is the sending side, bob
(b's officer) the receiving side. Every transfer is made and moved through the transfer
services, as an officer would. The extra people are made only by the tests that ask for them:
a city administrator, an officer of a third district, a street officer, a member's own account;
so is an overdue rectification for the notification bell.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from conftest import mark_verified
from jiceng.accounts import services as account_services
from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.members.models import Member, Transfer
from jiceng.members.transfers import services as ts
from jiceng.members.transfers.rules import OPEN_STATES, TransferKind, TransferState
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Organization, OrgType, Rectification, WeakCriterion
from tests.factories import OrganizationFactory, SmallWorld, UserFactory

# Where an out-of-city transfer goes (a named organisation, not a unit of the tree).
DEST_ORG_NAME = "中共杭州市西湖区委"
DEST_REGION = "浙江省"


def today() -> dt.date:
    return timezone.localdate()


def free_members(district: Organization, n: int = 1) -> list[Member]:
    """Members of ``district`` still in the city and without an open transfer, newest first."""
    busy = Transfer.objects.filter(state__in=OPEN_STATES).values("member_id")
    return list(
        Member.objects.filter(home_path__startswith=district.path, transferred_out_on=None)
        .exclude(pk__in=busy)
        .select_related("home_org")
        .order_by("-id")[:n]
    )


# The services that bring a new request to each state, in order.
STEPS = {
    TransferState.REQUESTED: [],
    TransferState.APPROVED: ["approve"],
    TransferState.LETTER_ISSUED: ["approve", "issue"],
    TransferState.IN_TRANSIT: ["approve", "issue", "dispatch"],
    TransferState.DONE: ["approve", "issue", "finish"],
    TransferState.REJECTED: ["reject"],
    TransferState.WITHDRAWN: ["withdraw"],
    TransferState.EXPIRED: ["approve", "issue", "expire"],
}


def make_transfer(
    small: SmallWorld,
    state: str = TransferState.REQUESTED,
    kind: str = TransferKind.IN_CITY,
    *,
    member: Member | None = None,
) -> Transfer:
    """A transfer of ``member`` (by default a free member of district a) to b's first branch
    (or out of the city), requested by alice and brought to ``state`` by the services."""
    sender, receiver = small.alice, small.bob
    if member is None:
        (member,) = free_members(small.a.org)
    if kind == TransferKind.IN_CITY:
        t = ts.transfer_request(actor=sender, member=member, to_org=small.b.branches[0])
    else:
        t = ts.transfer_request(
            actor=sender, member=member, dest_org_name=DEST_ORG_NAME, dest_region=DEST_REGION
        )
    for step in STEPS[TransferState(state)]:
        if step == "approve":
            t = ts.transfer_approve(actor=sender, transfer=t)
        elif step == "issue":
            t = ts.transfer_issue(actor=sender, transfer=t, dues_paid_to=today())
        elif step == "dispatch":
            t = ts.transfer_dispatch(actor=sender, transfer=t)
        elif step == "finish" and kind == TransferKind.IN_CITY:
            t = ts.transfer_confirm(actor=receiver, transfer=t)
        elif step == "finish":
            t = ts.transfer_record_receipt(actor=sender, transfer=t)
        elif step == "reject":
            t = ts.transfer_reject(actor=sender, transfer=t, reason="材料不全")
        elif step == "withdraw":
            t = ts.transfer_withdraw(actor=sender, transfer=t)
        elif step == "expire":
            Transfer.objects.filter(pk=t.pk).update(valid_until=today() - dt.timedelta(days=1))
            ts.transfers_expire()
            t.refresh_from_db()
    assert t.state == state
    return t


# ----- the extra people ---------------------------------------------------------------------


def city_admin(small: SmallWorld) -> User:
    """erin, administrator over the whole factory city (both districts)."""
    return UserFactory(username="erin", role=Role.CITY_ADMIN, role__over=small.city)


def third_district_officer(small: SmallWorld) -> User:
    """frank, officer of a third district of the city, party to nothing between a and b."""
    district = OrganizationFactory(
        parent=small.city, name="丙区委", org_type=OrgType.DISTRICT_COMMITTEE
    )
    OrganizationFactory(parent=district, name="丙区第1党支部")
    return UserFactory(username="frank", role=Role.DISTRICT_OFFICER, role__over=district)


def street_officer(street: Organization, username: str = "grace") -> User:
    """A committee officer over ``street``: may change its members, not read ID numbers."""
    return UserFactory(username=username, role=Role.COMMITTEE_OFFICER, role__over=street)


def member_account(member: Member, username: str = "henry") -> User:
    """The member's own account (self-service): linked to the member, then given the
    member role at the member's branch through the accounts service."""
    user = UserFactory(username=username)
    Member.objects.filter(pk=member.pk).update(user=user)
    user.refresh_from_db()
    account_services.role_grant(
        actor=None, user=user, role=Role.MEMBER, organization=member.home_org
    )
    return user


def overdue_rectification(actor: User, org: Organization) -> Rectification:
    """``org`` designated weak and lax a month ago by ``actor``, its rectification plan's
    deadline passed yesterday (S12), both through the services."""
    rect = org_services.rectification_designate(
        actor=actor,
        org=org,
        entered={WeakCriterion.IRREGULAR_LIFE: "连续半年未开展组织生活"},
        on=today() - dt.timedelta(days=30),
    )
    return org_services.rectification_plan(
        actor=actor,
        rectification=rect,
        measures="按月召开支部党员大会\n书记上党课",
        owner="街道党工委",
        deadline=today() - dt.timedelta(days=1),
    )


def log_in(client: Any, user: User) -> User:
    """Log the test client in as ``user`` with the second factor passed."""
    client.force_login(user)
    mark_verified(client, user)
    return user
