"""The campaign's step state machine (S1): launch, submit, sign-off by the parent, return with
a reason, overdue; a new batch from the last one (S30); participation is re-runnable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.accounts.roles import Role
from jiceng.campaigns.models import Campaign, CampaignUnit, StepRecord
from jiceng.campaigns.progress import services
from jiceng.campaigns.progress.rules import (
    DEFAULT_STEPS,
    UNIT_TYPES,
    Batch,
    Phase,
    StepAction,
    StepState,
    StepTransitionError,
    UnitState,
)
from jiceng.core.models import AuditEvent
from jiceng.orgs.models import Organization
from tests.factories import UserFactory

START = dt.date(2005, 6, 30)


@pytest.fixture
def erin(small):
    """The officer of district a's street committee: the parent of charlie's branch."""
    return UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street)


@pytest.fixture
def campaign(small):
    return services.campaign_create(
        actor=small.alice,
        name="甲区第二批",
        batch=Batch.SECOND,
        root=small.a.org,
        starts_on=START,
        ends_on=dt.date(2005, 12, 31),
        as_of=dt.date(2005, 8, 1),  # read as in 2005: actions without a date fall on this day
    )


@pytest.fixture
def unit(small, campaign):
    return CampaignUnit.objects.get(campaign=campaign, org=small.a.branches[0])


def test_a_new_campaign_has_three_phases_and_every_grassroots_unit_of_its_subtree(small, campaign):
    steps = list(campaign.steps.order_by("order"))
    assert next(s.phase for s in steps) == Phase.STUDY
    assert [s.phase for s in steps][-1] == Phase.RECTIFY
    assert len(steps) == len(DEFAULT_STEPS)
    assert steps[0].due_on == START + dt.timedelta(days=DEFAULT_STEPS[0].days)
    expected = Organization.objects.filter(
        path__startswith=small.a.org.path, org_type__in=UNIT_TYPES, abolished_on__isnull=True
    ).count()
    assert expected > 0
    assert campaign.units.count() == expected
    assert not campaign.units.exclude(state=UnitState.NOT_LAUNCHED).exists()
    assert set(campaign.indicators.values_list("aim", flat=True)) == {
        "quality",
        "organization",
        "service",
        "work",
    }  # S2
    assert AuditEvent.objects.filter(object_type="campaigns.campaign", verb="create").exists()


def test_adding_the_same_subtree_again_adds_nothing(small, campaign):
    before = campaign.units.count()
    added = services.participation_add(actor=small.alice, campaign=campaign, org=small.a.org)
    assert added == 0
    assert campaign.units.count() == before


def test_a_unit_goes_through_every_step_to_completion(small, erin, campaign, unit):
    secretary = small.charlie
    street = erin
    unit = services.unit_launch(actor=secretary, unit=unit, on=dt.date(2005, 7, 2))
    assert unit.state == UnitState.IN_PROGRESS
    assert unit.step.order == 1
    assert unit.step_state == StepState.PENDING
    assert unit.phase == Phase.STUDY
    n = campaign.steps.count()
    for k in range(n):
        unit = services.unit_submit(actor=secretary, unit=unit, evidence=f"材料 {k}")
        assert unit.step_state == StepState.SUBMITTED
        unit = services.unit_sign_off(actor=street, unit=unit)
    assert unit.state == UnitState.COMPLETED
    assert unit.step is None
    assert unit.signed_steps == n
    assert unit.completed_on is not None
    actions = list(StepRecord.objects.filter(unit=unit).values_list("action", flat=True))
    assert actions == [StepAction.LAUNCH] + [StepAction.SUBMIT, StepAction.SIGN_OFF] * n


def test_a_returned_step_needs_a_reason_and_is_submitted_again(small, erin, campaign, unit):
    secretary = small.charlie
    street = erin
    unit = services.unit_launch(actor=secretary, unit=unit)
    unit = services.unit_submit(actor=secretary, unit=unit, evidence="动员大会记录")
    with pytest.raises(ValidationError, match="退回原因"):
        services.unit_return(actor=street, unit=unit, reason="  ")
    unit = services.unit_return(actor=street, unit=unit, reason="缺参会名单")
    assert unit.step_state == StepState.RETURNED
    assert unit.step.order == 1
    with pytest.raises(StepTransitionError):
        services.unit_sign_off(actor=street, unit=unit)
    unit = services.unit_submit(actor=secretary, unit=unit, evidence="补充了参会名单")
    unit = services.unit_sign_off(actor=street, unit=unit)
    assert unit.step.order == 2
    assert unit.signed_steps == 1


def test_only_the_parent_signs_off(small, campaign, unit):
    secretary = small.charlie
    unit = services.unit_launch(actor=secretary, unit=unit)
    unit = services.unit_submit(actor=secretary, unit=unit, evidence="记录")
    with pytest.raises(PermissionDenied, match="上级"):
        services.unit_sign_off(actor=secretary, unit=unit)
    with pytest.raises(PermissionDenied):
        services.unit_sign_off(actor=small.bob, unit=unit)
    unit.refresh_from_db()
    assert unit.step_state == StepState.SUBMITTED


def test_the_rights_over_a_unit_are_the_buttons_and_the_services_refuse_the_rest(
    small, erin, campaign, unit
):
    """``unit_rights`` is what the unit page shows; every action it leaves out is refused."""
    secretary, street = small.charlie, erin
    outsider = small.bob
    assert services.unit_rights(secretary, unit).actions == (StepAction.LAUNCH,)
    assert services.unit_rights(outsider, unit).actions == ()
    unit = services.unit_launch(actor=secretary, unit=unit)
    unit = services.unit_submit(actor=secretary, unit=unit, evidence="记录")
    mine = services.unit_rights(secretary, unit)
    parent = services.unit_rights(street, unit)
    assert (mine.for_unit, mine.for_parent, mine.actions) == (True, False, ())
    assert parent.for_parent
    assert parent.actions == (StepAction.SIGN_OFF, StepAction.RETURN)
    assert services.unit_rights(None, unit).actions == parent.actions  # the system
    for actor in (secretary, outsider):
        for action in (StepAction.SIGN_OFF, StepAction.RETURN):
            assert action not in services.unit_rights(actor, unit).actions
            with pytest.raises(PermissionDenied):
                services.unit_act(actor=actor, unit=unit, action=action, text="意见")
    unit = services.unit_act(actor=street, unit=unit, action=parent.actions[0], text="同意")
    assert unit.signed_steps == 1


def test_steps_out_of_order_are_refused_with_a_message(small, campaign, unit):
    secretary = small.charlie
    with pytest.raises(StepTransitionError, match="未启动"):
        services.unit_submit(actor=secretary, unit=unit, evidence="x")
    unit = services.unit_launch(actor=secretary, unit=unit)
    with pytest.raises(StepTransitionError):
        services.unit_launch(actor=secretary, unit=unit)
    with pytest.raises(ValidationError, match="报送材料"):
        services.unit_submit(actor=secretary, unit=unit, evidence="")
    with pytest.raises(ValidationError, match="不能早于"):
        services.unit_submit(actor=secretary, unit=unit, evidence="x", on=dt.date(2005, 1, 1))


def test_overdue_is_the_current_step_past_its_due_date(small, erin, campaign, unit):
    secretary = small.charlie
    first_due = campaign.steps.get(order=1).due_on
    assert not unit.is_overdue(first_due)
    assert unit.is_overdue(first_due + dt.timedelta(days=1))  # not launched, first step due
    assert CampaignUnit.objects.late_launch(first_due + dt.timedelta(days=1)).filter(pk=unit.pk)
    unit = services.unit_launch(actor=secretary, unit=unit, on=START)
    day = first_due + dt.timedelta(days=3)
    assert unit.overdue_days(day) == 3
    assert CampaignUnit.objects.overdue(day).filter(pk=unit.pk).exists()
    unit = services.unit_submit(actor=secretary, unit=unit, evidence="x", on=first_due)
    unit = services.unit_sign_off(actor=erin, unit=unit, on=first_due)
    assert not unit.is_overdue(day)  # now on step 2, due weeks later


def test_a_new_batch_copies_steps_indicators_and_subtrees_from_the_last(small, campaign):
    third = services.campaign_create(
        actor=small.alice,
        name="黄浦区第三批",
        batch=Batch.THIRD,
        root=small.a.org,
        starts_on=dt.date(2006, 1, 10),
        ends_on=dt.date(2006, 7, 31),
        previous=campaign,
    )
    shift = dt.date(2006, 1, 10) - START
    old = list(campaign.steps.order_by("order").values_list("name", "phase", "due_on"))
    new = list(third.steps.order_by("order").values_list("name", "phase", "due_on"))
    assert [(n, p, d + shift) for n, p, d in old] == new  # S30
    assert third.indicators.count() == campaign.indicators.count()
    assert third.units.count() == campaign.units.count()
    assert third.previous == campaign


def test_a_batch_ending_before_its_steps_is_refused(small):
    with pytest.raises(ValidationError, match="结束日期"):
        services.campaign_create(
            actor=small.alice,
            name="太短",
            batch=Batch.SECOND,
            root=small.a.org,
            starts_on=START,
            ends_on=dt.date(2005, 8, 1),
        )
    assert not Campaign.objects.filter(name="太短").exists()


def test_an_officer_cannot_deploy_outside_their_subtree(small):
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            actor=small.bob,
            name="越权",
            batch=Batch.SECOND,
            root=small.a.org,
            starts_on=START,
            ends_on=dt.date(2005, 12, 31),
        )


def test_launching_a_subtree_launches_every_waiting_unit(small, campaign):
    n = services.units_launch(actor=small.alice, campaign=campaign, under=small.a.org, on=START)
    assert n == campaign.units.count()
    assert not campaign.units.filter(state=UnitState.NOT_LAUNCHED).exists()
    assert services.units_launch(actor=small.alice, campaign=campaign, under=small.a.org) == 0
