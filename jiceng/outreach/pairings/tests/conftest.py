"""Pairing fixtures on ``tests.factories.SmallWorld``: three needy people of district a's
street (``pw.people``), one of district b's street, a residential-area branch and a non-public
enterprise branch under a's street (partners for unit pairings, S26)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from jiceng.orgs.models import Organization, OrgType, Sector
from jiceng.outreach.registry import services as registry_services
from jiceng.outreach.registry.models import NeedyPerson
from tests.factories import OrganizationFactory, SmallWorld


@dataclass
class PairWorld:
    small: SmallWorld
    people: list[NeedyPerson]  # of a's street
    foreign: NeedyPerson  # of b's street
    residential: Organization  # a residential-area branch in a's street
    two_new: Organization  # a non-public enterprise branch in a's street
    agency: Organization  # an agency's party committee in district a

    @property
    def branch(self) -> Organization:
        return self.small.a.branches[0]


def register(street: Organization, name: str, address: str) -> NeedyPerson:
    person, _warnings = registry_services.needy_register(
        actor=None, street_org=street, name=name, address=address
    )
    return person


@pytest.fixture
def pw(small: Any) -> PairWorld:
    people = [
        register(small.a.street, name, f"甲区一街道幸福里{i}号")
        for i, name in enumerate(("顾阿婆", "钱老伯", "孙阿姨"), start=1)
    ]
    foreign = register(small.b.street, "李大爷", "乙区一街道和平路3号")
    residential = OrganizationFactory(
        parent=small.a.street, name="甲区幸福里居民区党支部", sector=Sector.STREET_COMMUNITY
    )
    two_new = OrganizationFactory(
        parent=small.a.street, name="甲区某科技公司党支部", sector=Sector.NEW_ECONOMIC
    )
    agency = OrganizationFactory(
        parent=small.a.org,
        name="甲区机关工委",
        org_type=OrgType.SECTOR_COMMITTEE,
        sector=Sector.GOVERNMENT,
    )
    return PairWorld(small, people, foreign, residential, two_new, agency)
