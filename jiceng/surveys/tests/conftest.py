"""Fixtures of the test's own world (issue 16): ``tests.factories.SmallWorld`` with a second
batch over its city (``jiceng.campaigns.tests.factories.CampaignWorld``), mary a member of
charlie's branch with an account of her own, charlie's branch brought into the review phase
through the campaign's own services, and its appraisal opened."""

from __future__ import annotations

import pytest

from jiceng.accounts.roles import Role
from jiceng.campaigns.models import CampaignUnit
from jiceng.campaigns.progress import services as campaign_services
from jiceng.campaigns.progress.rules import Phase
from jiceng.campaigns.tests.factories import CampaignWorld
from jiceng.members.models import Member
from jiceng.surveys import services
from tests.factories import UserFactory


def to_review(unit: CampaignUnit, secretary, parent) -> CampaignUnit:
    """Move ``unit`` on to the review phase: the secretary submits each step and the parent
    signs it off (S1)."""
    if unit.state == "not_launched":
        unit = campaign_services.unit_launch(actor=secretary, unit=unit)
    while unit.phase == Phase.STUDY:
        if unit.step_state != "submitted":
            unit = campaign_services.unit_submit(actor=secretary, unit=unit, evidence="材料")
        unit = campaign_services.unit_sign_off(actor=parent, unit=unit)
    assert unit.phase == Phase.REVIEW
    return unit


@pytest.fixture
def cw(small):
    return CampaignWorld.make(small)


@pytest.fixture
def mary(cw):
    """A member of charlie's branch with a self-service account."""
    user, _member = cw.member_self("mary")
    return user


@pytest.fixture
def mary_member(mary) -> Member:
    return Member.objects.get(user=mary)


@pytest.fixture
def gus(small):
    """A party worker of district a's street committee (reads, never changes)."""
    return UserFactory(username="gus", role=Role.PARTY_WORKER, role__over=small.a.street)


@pytest.fixture
def second(cw):
    return cw.campaign


@pytest.fixture
def branch_unit(cw, mary):
    """charlie's branch (mary's), moved on to the review phase by charlie and erin."""
    return to_review(cw.unit, cw.small.charlie, cw.erin)


@pytest.fixture
def opened(cw, branch_unit):
    """The branch's appraisal, opened by its secretary: one appraisal per member."""
    services.appraisals_open(actor=cw.small.charlie, unit=branch_unit)
    return list(branch_unit.appraisals.select_related("member").order_by("member_id"))


@pytest.fixture
def in_committee(cw, branch_unit, opened):
    """Every member's self-analysis entered by the branch and the peer round closed."""
    secretary = cw.small.charlie
    for a in opened:
        services.self_analysis_submit(actor=secretary, appraisal=a, text="对照党章查找差距。")
    services.peer_review_close(actor=secretary, unit=branch_unit)
    return list(branch_unit.appraisals.select_related("member").order_by("member_id"))
