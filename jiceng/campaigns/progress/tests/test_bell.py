"""The bell counts what waits for this user's action (issue 17): a step submitted for the
user's sign-off, the user's own overdue step; not the subtree's totals, which stay on the
dashboards (S1, S10)."""

from __future__ import annotations

from django.urls import reverse

from jiceng.campaigns.progress.rules import StepState
from jiceng.campaigns.tests.factories import CampaignWorld, advance, login_as, unit_of
from jiceng.core.notices import notices_for
from tests.factories import make_member


def _keys(user):
    return {n.key.rsplit(".", 2)[0]: n for n in notices_for(user)}


def test_a_submitted_step_waits_on_the_parent_who_signs_it_off(small):
    cw = CampaignWorld.make(small)
    advance(cw.unit, secretary=small.charlie, parent=cw.erin, signed=1, state=StepState.SUBMITTED)
    notice = _keys(cw.erin)["campaign.sign_off"]
    assert notice.count == 1
    assert f"under={small.a.street.pk}" in notice.url
    assert "waiting=1" in notice.url
    # the city and the district do not sign it off: it is not on their bell
    assert "campaign.sign_off" not in _keys(cw.frank)
    assert "campaign.sign_off" not in _keys(small.alice)


def test_a_units_own_overdue_step_is_on_its_secretarys_bell(small):
    """The demo's campaign is read as of 2005-09-20: the first step, due in July, is late."""
    cw = CampaignWorld.make(small)
    advance(cw.unit, secretary=small.charlie, parent=cw.erin, signed=0)
    notice = _keys(small.charlie)["campaign.overdue"]
    assert notice.overdue
    assert notice.url == reverse("campaigns:unit", args=[cw.unit.pk])
    # a branch that is on time has nothing overdue
    other = unit_of(cw.campaign, small.a.branches[1])
    assert other.pk != cw.unit.pk
    assert "campaign.overdue" not in _keys(cw.erin)


def test_the_citys_bell_does_not_add_up_every_unplaced_member(small, client):
    """Unplaced members wait on their branch and street, not on the city or the district;
    the city's home page still shows the total."""
    for branch in small.a.branches:
        make_member(branch, participating_org=None)
    cw = CampaignWorld.make(small)
    erin_unplaced = _keys(cw.erin)["placement"]
    assert erin_unplaced.count == 2
    assert "placement" not in _keys(cw.frank)
    assert "placement" not in _keys(small.alice)
    login_as(client, cw.frank)
    body = client.get("/").content.decode()
    assert 'data-testid="home-unplaced">2<' in body
