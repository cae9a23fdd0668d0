"""Organisation trees of a test's own (issue 16), grown on ``tests.factories.SmallWorld``.

``add_street`` gives a district another street with branches and members (the second street
a move or a merge needs); ``with_secretary`` appoints a full member of the branch through the
service, so that the branch is healthy (S11); ``officer`` is an account with one role over a
unit, for the roles the small world's cast does not hold (a city administrator, a street
committee's officer).
"""

from __future__ import annotations

from typing import Any

from jiceng.accounts.models import User
from jiceng.members.models import Member, MemberCategory
from jiceng.orgs import services
from jiceng.orgs.models import Organization, OrgType
from tests.factories import District, OrganizationFactory, UserFactory, make_member


def add_street(
    district: District,
    name: str = "二街道党工委",
    *,
    branches: int = 1,
    members_per_branch: int = 3,
) -> Organization:
    """A further street committee of ``district`` with its branches and members (added to
    ``district.members``)."""
    street = OrganizationFactory(parent=district.org, name=name, org_type=OrgType.STREET_COMMITTEE)
    for i in range(branches):
        branch = OrganizationFactory(parent=street, name=f"{name}第{i + 1}党支部")
        district.members += [make_member(branch) for _ in range(members_per_branch)]
    street.refresh_from_db()
    return street


def with_secretary(branch: Organization) -> Organization:
    """``branch`` with one of its full members appointed secretary (as an officer would)."""
    member = (
        Member.objects.filter(home_org=branch, category=MemberCategory.FULL).order_by("id").first()
    )
    assert member is not None, "the branch has a full member to appoint"
    return services.organization_appoint_secretary(actor=None, org=branch, member=member)


def officer(role: str, over: Organization, username: str | None = None) -> User:
    """An account holding ``role`` over ``over``'s subtree."""
    extra: dict[str, Any] = {"username": username} if username else {}
    return UserFactory(role=role, role__over=over, **extra)
