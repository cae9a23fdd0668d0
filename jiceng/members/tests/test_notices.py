"""The notification bell: each officer is told what waits for *their* side, counted through
the scoping mechanism, never about another district's work (issue 4 item 6; S10, S11, S16)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.core.notices import Notice, notices_for, register_provider
from jiceng.members.transfers import services as ts
from jiceng.orgs.models import Rectification, RectificationState

from .test_transfers import RECEIVER, SENDER, free_members

pytestmark = pytest.mark.django_db


def counts(user) -> dict[str, int]:
    return {n.key: n.count for n in notices_for(user)}


def test_a_transfer_request_waits_on_the_sender_then_on_the_receiver(world):
    hp, xh = world.user(SENDER), world.user(RECEIVER)
    before_hp, before_xh = counts(hp), counts(xh)
    (member,) = free_members(world.huangpu)
    t = ts.transfer_request(actor=hp, member=member, to_org=world.branch_in(world.xuhui))

    assert counts(hp).get("transfer.approve", 0) == before_hp.get("transfer.approve", 0) + 1
    # the receiving district has nothing to do until the letter is out
    assert counts(xh).get("transfer.approve", 0) == before_xh.get("transfer.approve", 0)
    assert counts(xh).get("transfer.confirm", 0) == before_xh.get("transfer.confirm", 0)

    ts.transfer_approve(actor=hp, transfer=t)
    ts.transfer_issue(actor=hp, transfer=t, dues_paid_to=timezone.localdate())
    assert counts(xh).get("transfer.confirm", 0) == before_xh.get("transfer.confirm", 0) + 1
    assert counts(hp).get("transfer.approve", 0) == before_hp.get("transfer.approve", 0)


def test_an_outsider_is_never_told_about_another_districts_work(world):
    """A 黄浦 request and an overdue 黄浦 rectification leave a third district's bell alone."""
    hp = world.user(SENDER)
    outsider = world.user(RECEIVER)
    before = counts(outsider)
    (member,) = free_members(world.huangpu)
    ts.transfer_request(
        actor=hp, member=member, dest_org_name="中共杭州市西湖区委", dest_region="浙江省"
    )
    open_in_huangpu = Rectification.objects.filter(
        org__path__startswith=world.huangpu.path,
        state__in=[RectificationState.DESIGNATED, RectificationState.RECTIFYING],
    )
    assert open_in_huangpu.exists(), "the tiny scenario has rectifications under way in 黄浦"
    open_in_huangpu.update(deadline=timezone.localdate() - dt.timedelta(days=1))
    assert counts(outsider) == before
    # …while the 黄浦 officer sees them, first in the list and marked overdue
    rows = notices_for(hp)
    assert rows[0].key == "health.rectification_overdue"
    assert rows[0].overdue
    assert rows[0].count >= open_in_huangpu.count()


def test_an_overdue_letter_is_flagged_to_the_sending_side(world):
    hp = world.user(SENDER)
    before = counts(hp).get("transfer.letter_overdue", 0)
    (member,) = free_members(world.huangpu)
    t = ts.transfer_request(actor=hp, member=member, to_org=world.branch_in(world.xuhui))
    ts.transfer_approve(actor=hp, transfer=t)
    ts.transfer_issue(actor=hp, transfer=t, dues_paid_to=timezone.localdate())
    type(t).objects.filter(pk=t.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert counts(hp)["transfer.letter_overdue"] == before + 1
    assert counts(world.user(RECEIVER)).get("transfer.letter_overdue", 0) == 0


def test_the_bell_on_the_page_shows_the_total_and_links_to_the_worklists(client, login, world):
    user = login(SENDER)
    rows = notices_for(user)
    response = client.get(reverse("core:notices"))
    assert response.status_code == 200
    body = response.content.decode()
    total = sum(n.count for n in rows)
    if total:
        assert re.search(rf'data-testid="notice-count">{total}<', body)
    for n in rows:
        assert f'href="{n.url.replace("&", "&amp;")}"' in body
    # every page carries the bell, loaded after the page
    assert 'id="notice-bell"' in client.get(reverse("core:home")).content.decode()


def test_zero_counts_are_left_out_and_anonymous_users_get_nothing(world):
    def provider(user):
        return [Notice("test.zero", "零", 0, "/"), Notice("test.one", "一", 1, "/")]

    register_provider(provider)
    keys = [n.key for n in notices_for(world.user(SENDER))]
    assert "test.one" in keys
    assert "test.zero" not in keys
    from django.contrib.auth.models import AnonymousUser

    assert notices_for(AnonymousUser()) == []
    from jiceng.core import notices

    notices._providers.remove(provider)


def test_bell_requires_login(client):
    response = client.get(reverse("core:notices"))
    assert response.status_code == 302
