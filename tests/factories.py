"""Factories for small worlds made by the test that needs them (issue 16).

The tiny scenario (``conftest.py``) is the demo data: tests that are *about* the demo (the
scoping matrix over every route, the browser journeys) use it. A test about one rule makes
its own rows here instead, so that it says what it relies on and the demo need not bend to
it. Every factory world hangs under a root of its own, outside the demo's city: the demo's
users see none of it and its users see none of the demo.

``SmallWorld`` is the usual cast, like Healthchecks' alice/bob/charlie: two districts with a
street and two branches each, alice and bob officers of one district each, charlie the
secretary of alice's first branch, and auditor dora over both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import factory

from jiceng.accounts.models import RoleAssignment, User
from jiceng.accounts.roles import Role
from jiceng.core.idnumber import make_id_number
from jiceng.members import services as member_services
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType

PASSWORD = "Factory@2005"


class OrganizationFactory(factory.django.DjangoModelFactory):
    """An organisation placed in the tree: under ``parent``, or a new root without one."""

    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"F{n:07d}")
    name = factory.Sequence(lambda n: f"测试第{n}党支部")
    org_type = OrgType.BRANCH
    parent = None

    @classmethod
    def _create(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        parent: Organization | None = kwargs.pop("parent", None)
        node = model_class(**kwargs)
        if parent is None:
            return model_class.objects.add_root(instance=node)
        parent.refresh_from_db()  # treebeard counts the parent's children from the row
        return model_class.objects.add_child(parent, instance=node)


class UserFactory(factory.django.DjangoModelFactory):
    """An account; ``role`` and ``over`` give it one role assignment over a subtree."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        over = kwargs.get("over")
        if create and extracted and over is not None:
            RoleAssignment.objects.create(user=self, role=extracted, organization=over)
        self.save()


_member_seq = iter(range(1, 10**9))


def make_member(home_org: Organization, **fields: Any) -> Member:
    """A member registered through the service (as an officer's form would), at post and
    taking part in ``home_org`` unless told otherwise; a valid ID number of their own."""
    n = next(_member_seq)
    # born 1940–1964, joined at 25: every member had joined by the 2005 campaigns they take part in
    born = dt.date(1940, 1, 1) + dt.timedelta(days=n * 37 % 9000)
    values: dict[str, Any] = {
        "name": f"测试党员{n}",
        "id_number": make_id_number("110101", born, n % 500, "M" if n % 2 else "F"),
        "joined_on": dt.date(born.year + 25, 7, 1),
        "full_member_on": dt.date(born.year + 26, 7, 1),
        "participating_org": home_org,
    }
    values.update(fields)
    member, _warnings = member_services.member_create(actor=None, home_org=home_org, **values)
    return member


@dataclass
class District:
    org: Organization
    street: Organization
    branches: list[Organization] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)


@dataclass
class SmallWorld:
    city: Organization
    a: District
    b: District
    alice: User  # district officer of a
    bob: User  # district officer of b
    charlie: User  # secretary of a's first branch
    dora: User  # auditor over the city

    @classmethod
    def make(cls, members_per_branch: int = 3) -> SmallWorld:
        city = OrganizationFactory(name="测试市委", org_type=OrgType.CITY_COMMITTEE)
        districts = []
        for label in ("甲", "乙"):
            org = OrganizationFactory(
                parent=city, name=f"{label}区委", org_type=OrgType.DISTRICT_COMMITTEE
            )
            street = OrganizationFactory(
                parent=org, name=f"{label}区一街道党工委", org_type=OrgType.STREET_COMMITTEE
            )
            district = District(org, street)
            for i in (1, 2):
                branch = OrganizationFactory(parent=street, name=f"{label}区第{i}党支部")
                district.branches.append(branch)
                district.members += [make_member(branch) for _ in range(members_per_branch)]
            districts.append(district)
        a, b = districts
        return cls(
            city=city,
            a=a,
            b=b,
            alice=UserFactory(username="alice", role=Role.DISTRICT_OFFICER, role__over=a.org),
            bob=UserFactory(username="bob", role=Role.DISTRICT_OFFICER, role__over=b.org),
            charlie=UserFactory(
                username="charlie", role=Role.BRANCH_SECRETARY, role__over=a.branches[0]
            ),
            dora=UserFactory(username="dora", role=Role.AUDITOR, role__over=city),
        )
