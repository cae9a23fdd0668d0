"""The accounts tests' own cast (issue 16): the small world of ``tests.factories`` and the
accounts of every other role that account management and the second factor are about.

alice and bob are the officers of districts a and b, charlie the secretary of a's first
branch; around them: erin (committee officer of a's street), frank (party worker there),
heidi (auditor of district a), ivan (a member's own account, in a's first branch) and grace
(city administrator over the whole factory city)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conftest import mark_verified
from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.members.models import Member
from tests.factories import SmallWorld, UserFactory


@dataclass
class Cast:
    small: SmallWorld
    grace: User  # city administrator over the factory city
    erin: User  # committee officer of a's street
    frank: User  # party worker at a's street
    heidi: User  # auditor of district a
    ivan: User  # a member's own account (a's first branch)

    @property
    def alice(self) -> User:
        return self.small.alice

    @property
    def bob(self) -> User:
        return self.small.bob

    @property
    def charlie(self) -> User:
        return self.small.charlie

    @property
    def own_member(self) -> Member:
        return Member.objects.get(user=self.ivan)

    @classmethod
    def make(cls) -> Cast:
        small = SmallWorld.make()
        a = small.a
        ivan = UserFactory(username="ivan", role=Role.MEMBER, role__over=a.branches[0])
        Member.objects.filter(pk=a.members[0].pk).update(user=ivan)
        return cls(
            small=small,
            grace=UserFactory(username="grace", role=Role.CITY_ADMIN, role__over=small.city),
            erin=UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=a.street),
            frank=UserFactory(username="frank", role=Role.PARTY_WORKER, role__over=a.street),
            heidi=UserFactory(username="heidi", role=Role.AUDITOR, role__over=a.org),
            ivan=ivan,
        )


@pytest.fixture
def cast(db: Any) -> Cast:
    return Cast.make()


@pytest.fixture
def sign_in(client: Any) -> Any:
    """``sign_in(user)`` logs the test client in as ``user`` with the second factor passed;
    ``sign_in(user, verified=False)`` stops after the password."""

    def _sign_in(user: User, *, verified: bool = True) -> User:
        client.force_login(user)
        if verified:
            mark_verified(client, user)
        return user

    return _sign_in
