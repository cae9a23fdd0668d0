"""Fixtures: the city's second batch (S1), branch.secretary's branch brought into the review
phase through the campaign's own services, and its appraisal opened."""

from __future__ import annotations

import pytest

from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.campaigns.progress import services as campaign_services
from jiceng.campaigns.progress.rules import Phase
from jiceng.surveys import services


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def branch_unit(world, second):
    """branch.secretary's branch (member.self's), moved on to the review phase: the
    secretary submits each step and the street committee signs it off (S1)."""
    org = world.user("branch.secretary").primary_assignment.organization
    unit = CampaignUnit.objects.get(campaign=second, org=org)
    secretary, street = world.user("branch.secretary"), world.user("street.officer")
    if unit.state == "not_launched":
        unit = campaign_services.unit_launch(actor=secretary, unit=unit)
    while unit.phase == Phase.STUDY:
        if unit.step_state != "submitted":
            unit = campaign_services.unit_submit(actor=secretary, unit=unit, evidence="材料")
        unit = campaign_services.unit_sign_off(actor=street, unit=unit)
    assert unit.phase == Phase.REVIEW
    return unit


@pytest.fixture
def opened(world, branch_unit):
    """The branch's appraisal, opened by its secretary: one appraisal per member."""
    services.appraisals_open(actor=world.user("branch.secretary"), unit=branch_unit)
    return list(branch_unit.appraisals.select_related("member").order_by("member_id"))


@pytest.fixture
def in_committee(world, branch_unit, opened):
    """Every member's self-analysis entered by the branch and the peer round closed."""
    secretary = world.user("branch.secretary")
    for a in opened:
        services.self_analysis_submit(actor=secretary, appraisal=a, text="对照党章查找差距。")
    services.peer_review_close(actor=secretary, unit=branch_unit)
    return list(branch_unit.appraisals.select_related("member").order_by("member_id"))
