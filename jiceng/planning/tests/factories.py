"""Worlds of the planning tests' own (issue 16), grown on ``tests.factories.SmallWorld``.

``sector_world`` is a sector committee of the small world's city (like the demo's electric
committee) whose branches hold dispersed members living across two districts of their own —
the data set a plan forming regional branches is computed on — and a few members at post,
who stay out of the plan. ``assign_world`` locates district a's branches and gives the
district dispersed members living near them, for plans assigning members to branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.geo.models import District as GeoDistrict
from jiceng.geo.models import Street as GeoStreet
from jiceng.members.models import EmploymentStatus, Member
from jiceng.members.tests.factories_records import LAT, LNG, locate
from jiceng.orgs.models import Organization, OrgType
from tests.factories import OrganizationFactory, SmallWorld, UserFactory, make_member

# The two districts the sector's members live in: centres about 8 km apart.
HOMES = ((31.230, 121.470), (31.180, 121.420))
DISPERSED = (EmploymentStatus.MOBILE, EmploymentStatus.ON_ROLL_NOT_AT_POST)


def _offset(i: int) -> tuple[float, float]:
    """A spread of homes within about 2 km of a centre (deterministic)."""
    return ((i * 7 % 19) - 9) * 0.002, ((i * 11 % 23) - 11) * 0.002


def home_districts() -> list[GeoStreet]:
    """Two geographic districts of the test's own, each with a street (the plan reads a
    member's district from the street they live in)."""
    streets = []
    for k, (lat, lng) in enumerate(HOMES):
        district = GeoDistrict.objects.create(
            code=f"99000{k + 1}",
            name=f"测试{'甲乙'[k]}区",
            kind=GeoDistrict.Kind.DISTRICT,
            lat=lat,
            lng=lng,
            coord_source="test",
        )
        streets.append(
            GeoStreet.objects.create(
                code=f"99000{k + 1}001",
                name=f"测试{'甲乙'[k]}区一街道",
                kind=GeoStreet.Kind.STREET,
                district=district,
                lat=lat,
                lng=lng,
                coord_source="test",
            )
        )
    return streets


@dataclass
class SectorWorld:
    small: SmallWorld
    sector: Organization
    officer: User  # committee officer of the sector
    streets: list[GeoStreet]
    dispersed: list[Member] = field(default_factory=list)
    at_post: list[Member] = field(default_factory=list)


def sector_world(
    small: SmallWorld, *, dispersed: int = 60, at_post: int = 6, branches: int = 3
) -> SectorWorld:
    """A sector committee under the small world's city with ``branches`` branches, holding
    ``dispersed`` mobile or off-post members living alternately in two districts, and
    ``at_post`` members at post (also with homes on the map)."""
    sector = OrganizationFactory(
        parent=small.city, name="中共测试集团委员会", org_type=OrgType.SECTOR_COMMITTEE
    )
    units = [
        OrganizationFactory(parent=sector, name=f"测试集团第{i + 1}党支部") for i in range(branches)
    ]
    world = SectorWorld(
        small=small,
        sector=sector,
        officer=UserFactory(
            username="sector.officer", role=Role.COMMITTEE_OFFICER, role__over=sector
        ),
        streets=home_districts(),
    )
    for i in range(dispersed + at_post):
        street = world.streets[i % 2]
        dlat, dlng = _offset(i)
        status = DISPERSED[(i // 2) % 2] if i < dispersed else EmploymentStatus.AT_POST
        member = make_member(
            units[i % branches],
            employment_status=status,
            street=street,
            lat=street.lat + dlat,
            lng=street.lng + dlng,
        )
        (world.dispersed if i < dispersed else world.at_post).append(member)
    return world


def assign_world(small: SmallWorld, *, dispersed: int = 12) -> list[Member]:
    """District a's two branches located (about 1 km apart) and ``dispersed`` mobile members
    of a living within about 2 km of them; returns those members."""
    locate(*small.a.branches)
    members = []
    for i in range(dispersed):
        dlat, dlng = _offset(i)
        members.append(
            make_member(
                small.a.branches[i % 2],
                employment_status=EmploymentStatus.MOBILE,
                lat=LAT + dlat,
                lng=LNG + dlng,
            )
        )
    return members
