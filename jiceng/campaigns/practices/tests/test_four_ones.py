"""Members' "four ones" with self-service and the branch's confirmation (S18)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiceng.campaigns.models import Campaign, FourOnesItem
from jiceng.campaigns.practices import selectors, services
from jiceng.campaigns.practices.rules import FourOnes, FourOnesState
from jiceng.members.models import Member


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


def test_a_member_records_four_ones_and_the_branch_confirms(world, second):
    member = Member.objects.get(user__username="member.self")
    me = world.user("member.self")
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
        services.four_ones_confirm(actor=world.user("xuhui.officer"), item=item)
    item = services.four_ones_confirm(actor=world.user("branch.secretary"), item=item)
    assert item.state == FourOnesState.CONFIRMED
    summary = selectors.four_ones_summary(world.user("huangpu.officer"), second, world.huangpu)
    welfare = next(k for k in summary["kinds"] if k["kind"] == FourOnes.WELFARE)
    assert (
        welfare["confirmed"]
        == FourOnesItem.objects.filter(
            campaign=second,
            member_path__startswith=world.huangpu.path,
            kind=FourOnes.WELFARE,
            state=FourOnesState.CONFIRMED,
        ).count()
    )
    other = Member.objects.exclude(pk=member.pk).filter(home_path__startswith=world.xuhui.path)
    with pytest.raises(PermissionDenied):
        services.four_ones_record(
            actor=me,
            campaign=second,
            member=other.first(),
            kind=FourOnes.PROPOSAL,
            description="x",
            done_on=dt.date(2005, 8, 20),
        )


def test_member_self_service_page_records_an_item(client, login, world, second):
    login("member.self")
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
    item = FourOnesItem.objects.get(member__user__username="member.self", kind="proposal")
    assert item.state == FourOnesState.RECORDED
    # a member sees no officer pages
    assert client.get(reverse("campaigns:detail", args=[second.pk])).status_code == 404
