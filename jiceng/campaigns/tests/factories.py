"""Campaigns of a test's own small world (issue 16), made through the campaign's services.

``CampaignWorld`` takes ``tests.factories.SmallWorld`` and adds what a campaign needs: a city
administrator (frank) who deploys a second batch over the factory city, launched on
2005-06-30 and read as of 2005-09-20 like the demo's, and erin, the officer of district a's
street committee (the parent who signs off charlie's branch). ``advance`` moves a unit
through its steps with the services, as the secretary and the parent would; ``spread`` gives
both districts units in every kind of state, for the roll-ups and the dashboards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.campaigns.guidance import services as guidance_services
from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.campaigns.progress import services
from jiceng.campaigns.progress.rules import Batch, StepState
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, Sector
from tests.factories import District, OrganizationFactory, SmallWorld, UserFactory, make_member

START = dt.date(2005, 6, 30)
END = dt.date(2005, 12, 31)
AS_OF = dt.date(2005, 9, 20)
FIRST_START, FIRST_END = dt.date(2005, 1, 10), dt.date(2005, 7, 10)


def campaign_make(
    *,
    actor: Any,
    root: Organization,
    name: str = "测试第二批",
    batch: str = Batch.SECOND,
    starts_on: dt.date = START,
    ends_on: dt.date = END,
    as_of: dt.date | None = AS_OF,
    **kwargs: Any,
) -> Campaign:
    return services.campaign_create(
        actor=actor,
        name=name,
        batch=batch,
        root=root,
        starts_on=starts_on,
        ends_on=ends_on,
        as_of=as_of,
        **kwargs,
    )


def unit_of(campaign: Campaign, org: Organization) -> CampaignUnit:
    return CampaignUnit.objects.select_related("org").get(campaign=campaign, org=org)


def advance(
    unit: CampaignUnit,
    *,
    secretary: Any,
    parent: Any,
    signed: int,
    state: str = StepState.PENDING,
    on: dt.date | None = None,
) -> CampaignUnit:
    """Launch ``unit``, have ``signed`` steps submitted and signed off, then leave the current
    step pending, submitted or returned."""
    unit = services.unit_launch(actor=secretary, unit=unit, on=on)
    for k in range(signed):
        unit = services.unit_submit(actor=secretary, unit=unit, evidence=f"材料 {k}", on=on)
        unit = services.unit_sign_off(actor=parent, unit=unit, on=on)
    if state in (StepState.SUBMITTED, StepState.RETURNED):
        unit = services.unit_submit(actor=secretary, unit=unit, evidence="报送材料", on=on)
    if state == StepState.RETURNED:
        unit = services.unit_return(actor=parent, unit=unit, reason="材料不全", on=on)
    return unit


def member_user(member: Member, username: str) -> User:
    """An account for ``member`` themself (self-service): the MEMBER role over their branch."""
    user = UserFactory(username=username, role=Role.MEMBER, role__over=member.home_org)
    Member.objects.filter(pk=member.pk).update(user=user)
    member.refresh_from_db()
    return user


@dataclass
class CampaignWorld:
    small: SmallWorld
    frank: User  # city administrator over the factory city
    erin: User  # officer of district a's street committee (charlie's parent)
    campaign: Campaign  # the second batch over the factory city
    unit: CampaignUnit  # charlie's branch in it

    @classmethod
    def make(cls, small: SmallWorld, *, pilots: bool = False) -> CampaignWorld:
        """With ``pilots`` the second batch follows a first batch in which charlie's branch
        was the pilot and recorded a lesson (S5, S30)."""
        frank = UserFactory(username="frank", role=Role.CITY_ADMIN, role__over=small.city)
        erin = UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street)
        previous = None
        if pilots:
            previous = campaign_make(
                actor=frank,
                root=small.city,
                name="测试第一批",
                batch=Batch.FIRST,
                starts_on=FIRST_START,
                ends_on=FIRST_END,
                as_of=FIRST_END,
                subtrees=[small.a.street],
            )
            pilot = guidance_services.unit_set_pilot(
                actor=erin, unit=unit_of(previous, small.a.branches[0]), is_pilot=True
            )
            guidance_services.lesson_record(
                actor=small.charlie, unit=pilot, title="支部联建", text="与驻区单位签订共建协议"
            )
        campaign = campaign_make(
            actor=frank, root=small.city, previous=previous, subtrees=[small.city]
        )
        return cls(small, frank, erin, campaign, unit_of(campaign, small.a.branches[0]))

    def member_self(self, username: str = "mary") -> tuple[User, Member]:
        """mary: a member of charlie's branch with an account of her own."""
        member = make_member(self.small.a.branches[0])
        return member_user(member, username), member


def login_as(client: Any, user: User) -> User:
    """Log the test client in as ``user`` with the second factor passed."""
    from conftest import mark_verified

    client.force_login(user)
    mark_verified(client, user)
    return user


ALL = -1  # ``signed`` for every step of the campaign: the unit has completed it
# Each district's street, one unit per row: its sector (``None``: one of the district's two
# branches, as made), then ``None`` (not launched) or how many steps are signed off and the
# state of the current one. Read as of 2005-09-20, steps 1-3 are past due (overdue) and 4 on
# are not; a unit not launched is late, its first step being due in July.
SPREAD_A: tuple[tuple[str | None, int | None, str], ...] = (
    (None, None, ""),  # charlie's branch: waiting to launch
    (None, 0, StepState.PENDING),  # study, overdue
    (Sector.STREET_COMMUNITY, 1, StepState.SUBMITTED),  # study, overdue, waiting for sign-off
    (Sector.STREET_COMMUNITY, 3, StepState.PENDING),  # review, on time
    (Sector.NEW_ECONOMIC, 4, StepState.RETURNED),  # review, on time, returned
    (Sector.NEW_ECONOMIC, 6, StepState.SUBMITTED),  # rectify, on time, waiting for sign-off
    (Sector.SCHOOL, ALL, ""),  # completed
    (Sector.SCHOOL, None, ""),  # waiting to launch
)
SPREAD_B: tuple[tuple[str | None, int | None, str], ...] = (
    (None, None, ""),  # waiting to launch
    (None, 2, StepState.RETURNED),  # study, overdue, returned
    (Sector.STREET_COMMUNITY, 0, StepState.SUBMITTED),  # study, overdue, waiting for sign-off
    (Sector.NEW_ECONOMIC, 5, StepState.PENDING),  # review, on time
    (Sector.SCHOOL, 7, StepState.PENDING),  # rectify, on time
    (Sector.OTHER, ALL, ""),  # completed
)


def spread(cw: CampaignWorld) -> list[CampaignUnit]:
    """Give each district's street more branches (``SPREAD_A``, ``SPREAD_B``), add them to
    the campaign, and move every unit to its row's state with the services, the district's
    officer (alice, bob) acting for the unit and for the street. Returns every unit of the
    campaign, as now stored."""
    steps = cw.campaign.steps.count()
    plans: list[tuple[District, User, tuple[tuple[str | None, int | None, str], ...]]] = [
        (cw.small.a, cw.small.alice, SPREAD_A),
        (cw.small.b, cw.small.bob, SPREAD_B),
    ]
    placed: list[tuple[Organization, User, int | None, str]] = []
    for district, officer, plan in plans:
        orgs = list(district.branches)
        for sector, _signed, _state in plan[len(orgs) :]:
            orgs.append(OrganizationFactory(parent=district.street, sector=sector))
        for org, (_sector, signed, state) in zip(orgs, plan, strict=True):
            placed.append((org, officer, signed, state))
    services.participation_add(actor=cw.frank, campaign=cw.campaign, org=cw.small.city)
    for org, officer, signed, state in placed:
        if signed is not None:
            advance(
                unit_of(cw.campaign, org),
                secretary=officer,
                parent=officer,
                signed=steps if signed == ALL else signed,
                state=state or StepState.PENDING,
            )
    return list(CampaignUnit.objects.filter(campaign=cw.campaign).order_by("org_path"))
