"""The demo lives in 2005 (issue 17 item 6): with ``JICENG_TODAY`` set, the dates the site
shows and the services write are of that day; without it, of today."""

from __future__ import annotations

import datetime as dt

from django.test import override_settings
from django.utils import timezone

from jiceng.core import clock
from jiceng.members.transfers import services as ts

DEMO_DAY = dt.date(2005, 9, 20)


def test_the_site_reads_today_unless_a_demo_day_is_set():
    assert clock.today() == timezone.localdate()
    with override_settings(JICENG_TODAY="2005-09-20"):
        assert clock.today() == DEMO_DAY


@override_settings(JICENG_TODAY="2005-09-20")
def test_a_letter_issued_in_the_demo_is_of_2005(small):
    member = small.a.members[0]
    t = ts.transfer_request(actor=small.alice, member=member, to_org=small.b.branches[0])
    t = ts.transfer_approve(actor=small.alice, transfer=t)
    t = ts.transfer_issue(actor=small.alice, transfer=t, dues_paid_to=dt.date(2005, 9, 1))
    assert t.issued_on == DEMO_DAY
    assert "-2005-" in t.letter_no
    assert t.valid_until > DEMO_DAY
    # The worklist's "updated" time and the history are of the demo day too.
    assert timezone.localtime(t.updated_at).date() == DEMO_DAY
    assert {timezone.localtime(e.at).date() for e in t.events.all()} == {DEMO_DAY}
    assert timezone.localtime(t.created_at).date() == DEMO_DAY


def test_now_keeps_the_time_of_day_on_the_sites_date():
    with override_settings(JICENG_TODAY="2005-09-20"):
        moment = clock.now()
    real = timezone.localtime()
    assert moment.date() == DEMO_DAY
    assert abs((real - moment.replace(year=real.year, month=real.month, day=real.day)).seconds) < 5
