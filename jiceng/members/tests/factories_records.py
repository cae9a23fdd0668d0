"""Factories for the member-roll tests on worlds of their own (issue 16): the lost-contact,
placement, duplicate and member-page tests build on ``tests.factories.SmallWorld`` and add
here only what those tests need on top of it (a city administrator, a twin record, an
unplaced or located member, a member's own account), through the app's services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import mark_verified
from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.accounts.services import role_grant
from jiceng.core.idnumber import make_id_number
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType
from tests.factories import OrganizationFactory, SmallWorld, UserFactory, make_member

# Where the located factory units stand (central Shanghai); tests place members around it.
LAT, LNG = 31.230, 121.470


def bare_world() -> SmallWorld:
    """The small world without its premade members, for a test that registers the members it
    needs (fewer rows, and fewer draws on ``make_member``'s sequence)."""
    return SmallWorld.make(members_per_branch=0)


def sign_in(client: Any, user: User) -> User:
    """Log the test client in as ``user`` with the second factor passed (as ``login`` does
    for the demo's users)."""
    client.force_login(user)
    mark_verified(client, user)
    return user


def city_admin(small: SmallWorld, username: str = "erin") -> User:
    """A city administrator over the small world's city."""
    return UserFactory(username=username, role=Role.CITY_ADMIN, role__over=small.city)


def second_street(small: SmallWorld) -> tuple[Organization, Organization, Member]:
    """Another street in district a, with a branch and one member: a subtree of a that is not
    the first street's."""
    street = OrganizationFactory(
        parent=small.a.org, name="甲区二街道党工委", org_type=OrgType.STREET_COMMITTEE
    )
    branch = OrganizationFactory(parent=street, name="甲区二街道第1党支部")
    return street, branch, make_member(branch)


def unplaced_member(home_org: Organization, **fields: Any) -> Member:
    """A member registered with no participating unit yet (the S10 worklist)."""
    return make_member(home_org, participating_org=None, **fields)


def locate(*orgs: Organization, lat: float = LAT, lng: float = LNG) -> None:
    """Give units coordinates (the factory makes them without), as the suggestions need."""
    for i, org in enumerate(orgs):
        Organization.objects.filter(pk=org.pk).update(lat=lat + i * 0.01, lng=lng)
        org.refresh_from_db()


def twin(original: Member, home_org: Organization, *, name: str = "", seq: int = 7) -> Member:
    """The same person registered again under ``home_org`` with another ID number (same birth
    date and sex) and a phone of the copy's own."""
    return make_member(
        home_org,
        id_number=make_id_number("310101", original.birth_date, 400 + seq, original.sex),
        phone="+8613912345678",
        name=name or original.name,
        category=original.category,
        joined_on=original.joined_on,
        full_member_on=original.full_member_on,
        employment_status=original.employment_status,
    )


def probationary_member(home_org: Organization, **fields: Any) -> Member:
    """A probationary member who joined a hundred days ago (no full-member date yet)."""
    joined = dt.date.today() - dt.timedelta(days=100)  # noqa: DTZ011 - a calendar date
    return make_member(
        home_org, category="probationary", joined_on=joined, full_member_on=None, **fields
    )


def member_account(member: Member, username: str = "frank") -> User:
    """The member's own account: linked to their record, then granted Role.MEMBER over their
    branch through the accounts service (which refuses that role to an unlinked account)."""
    user = UserFactory(username=username)
    Member.objects.filter(pk=member.pk).update(user=user)
    member.refresh_from_db()
    user.refresh_from_db()
    role_grant(actor=None, user=user, role=Role.MEMBER, organization=member.home_org)
    return user
