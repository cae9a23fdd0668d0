"""Members' "four ones" with self-service and the branch's confirmation (S18)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiceng.campaigns.models import FourOnesItem
from jiceng.campaigns.practices import selectors, services
from jiceng.campaigns.practices.rules import FourOnes, FourOnesState
from jiceng.campaigns.tests.factories import CampaignWorld, login_as
from jiceng.members.models import Member


@pytest.fixture
def cw(small):
    return CampaignWorld.make(small)


@pytest.fixture
def second(cw):
    return cw.campaign


def test_a_member_records_four_ones_and_the_branch_confirms(cw, second):
    small = cw.small
    me, member = cw.member_self()
    item = services.four_ones_record(
        actor=me,
        campaign=second,
        member=member,
        kind=FourOnes.WELFARE,
        description="参加社区义务献血",
        done_on=dt.date(2005, 8, 20),
        evidence="献血证",
    )
    assert item.state == FourOnesState.RECORDED
    with pytest.raises(PermissionDenied):
        services.four_ones_confirm(actor=me, item=item)  # not by oneself
    with pytest.raises(PermissionDenied):
        services.four_ones_confirm(actor=small.bob, item=item)
    item = services.four_ones_confirm(actor=small.charlie, item=item)
    assert item.state == FourOnesState.CONFIRMED
    summary = selectors.four_ones_summary(small.alice, second, small.a.org)
    welfare = next(k for k in summary["kinds"] if k["kind"] == FourOnes.WELFARE)
    assert (
        welfare["confirmed"]
        == FourOnesItem.objects.filter(
            campaign=second,
            member_path__startswith=small.a.org.path,
            kind=FourOnes.WELFARE,
            state=FourOnesState.CONFIRMED,
        ).count()
        == 1
    )
    other = Member.objects.exclude(pk=member.pk).filter(home_path__startswith=small.b.org.path)
    with pytest.raises(PermissionDenied):
        services.four_ones_record(
            actor=me,
            campaign=second,
            member=other.first(),
            kind=FourOnes.PROPOSAL,
            description="x",
            done_on=dt.date(2005, 8, 20),
        )


def test_member_self_service_page_records_an_item(client, cw, second):
    me, _member = cw.member_self()
    login_as(client, me)
    assert client.get(reverse("campaigns:list"))["Location"] == reverse("campaigns:mine")
    page = client.get(reverse("campaigns:mine")).content.decode()
    assert 'data-testid="my-step"' in page
    assert f'href="{reverse("orgs:tree")}"' not in page  # a member's menu: their own pages only
    assert 'data-testid="nav-study"' in page
    response = client.post(
        reverse("campaigns:mine"),
        {"kind": "proposal", "description": "", "done_on": "2005-08-01"},
    )
    assert "请填写" in response.content.decode() or "必填" in response.content.decode()
    response = client.post(
        reverse("campaigns:mine"),
        {"kind": "proposal", "description": "建议增设路灯", "done_on": "2005-08-01"},
    )
    assert response.status_code == 302
    item = FourOnesItem.objects.get(member__user=me, kind="proposal")
    assert item.state == FourOnesState.RECORDED
    # a member sees no officer pages
    assert client.get(reverse("campaigns:detail", args=[second.pk])).status_code == 404
