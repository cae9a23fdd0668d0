"""The notification bell: each officer is told what waits for *their* side, counted through
the scoping mechanism, never about another district's work (issue 4 item 6; S10, S11, S16).

Each test makes its own small world (``small``): alice is the officer of district a, which
sends; bob the officer of district b, which receives."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.core.notices import Notice, notices_for, register_provider
from jiceng.members.transfers import services as ts
from jiceng.orgs.models import Rectification, RectificationState

from .factories_transfers import (
    DEST_ORG_NAME,
    DEST_REGION,
    log_in,
    overdue_rectification,
)

pytestmark = pytest.mark.django_db


def counts(user) -> dict[str, int]:
    return {n.key: n.count for n in notices_for(user)}


def test_a_transfer_request_waits_on_the_sender_then_on_the_receiver(small):
    hp, xh = small.alice, small.bob
    before_hp, before_xh = counts(hp), counts(xh)
    member = small.a.members[0]
    t = ts.transfer_request(actor=hp, member=member, to_org=small.b.branches[0])

    assert counts(hp).get("transfer.approve", 0) == before_hp.get("transfer.approve", 0) + 1
    # the receiving district has nothing to do until the letter is out
    assert counts(xh).get("transfer.approve", 0) == before_xh.get("transfer.approve", 0)
    assert counts(xh).get("transfer.confirm", 0) == before_xh.get("transfer.confirm", 0)

    ts.transfer_approve(actor=hp, transfer=t)
    ts.transfer_issue(actor=hp, transfer=t, dues_paid_to=timezone.localdate())
    assert counts(xh).get("transfer.confirm", 0) == before_xh.get("transfer.confirm", 0) + 1
    assert counts(hp).get("transfer.approve", 0) == before_hp.get("transfer.approve", 0)


def test_an_outsider_is_never_told_about_another_districts_work(small):
    """A request and an overdue rectification in a leave another district's bell alone."""
    hp = small.alice
    outsider = small.bob
    before = counts(outsider)
    ts.transfer_request(
        actor=hp, member=small.a.members[0], dest_org_name=DEST_ORG_NAME, dest_region=DEST_REGION
    )
    overdue_rectification(hp, small.a.branches[1])
    open_in_a = Rectification.objects.filter(
        org__path__startswith=small.a.org.path,
        state__in=[RectificationState.DESIGNATED, RectificationState.RECTIFYING],
    )
    assert open_in_a.count() == 1
    assert counts(outsider) == before
    # …while a's officer sees them, first in the list and marked overdue
    rows = notices_for(hp)
    assert rows[0].key == "health.rectification_overdue"
    assert rows[0].overdue
    assert rows[0].count == open_in_a.count()


def test_an_overdue_letter_is_flagged_to_the_sending_side(small):
    hp = small.alice
    before = counts(hp).get("transfer.letter_overdue", 0)
    member = small.a.members[0]
    t = ts.transfer_request(actor=hp, member=member, to_org=small.b.branches[0])
    ts.transfer_approve(actor=hp, transfer=t)
    ts.transfer_issue(actor=hp, transfer=t, dues_paid_to=timezone.localdate())
    type(t).objects.filter(pk=t.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert counts(hp)["transfer.letter_overdue"] == before + 1
    assert counts(small.bob).get("transfer.letter_overdue", 0) == 0


def test_the_bell_on_the_page_shows_the_total_and_links_to_the_worklists(client, small):
    user = log_in(client, small.alice)
    ts.transfer_request(actor=user, member=small.a.members[0], to_org=small.b.branches[0])
    rows = notices_for(user)
    response = client.get(reverse("core:notices"))
    assert response.status_code == 200
    body = response.content.decode()
    total = sum(n.count for n in rows)
    assert total >= 1  # the request waits on alice
    assert re.search(rf'data-testid="notice-count">{total}<', body)
    for n in rows:
        assert f'href="{n.url.replace("&", "&amp;")}"' in body
    # every page carries the bell, loaded after the page
    assert 'id="notice-bell"' in client.get(reverse("core:home")).content.decode()


def test_zero_counts_are_left_out_and_anonymous_users_get_nothing(small):
    def provider(user):
        return [Notice("test.zero", "零", 0, "/"), Notice("test.one", "一", 1, "/")]

    register_provider(provider)
    keys = [n.key for n in notices_for(small.alice)]
    assert "test.one" in keys
    assert "test.zero" not in keys
    from django.contrib.auth.models import AnonymousUser

    assert notices_for(AnonymousUser()) == []
    from jiceng.core import notices

    notices._providers.remove(provider)


def test_bell_requires_login(client):
    response = client.get(reverse("core:notices"))
    assert response.status_code == 302
