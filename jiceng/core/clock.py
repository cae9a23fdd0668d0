"""The site's calendar date. Normally today; the demo reads as of one day of 2005
(``settings.JICENG_TODAY``, set by ``make demo``) so that every date it shows and every date
its services write belong to the year of the campaign it portrays. Business records that keep
a time of day as well (a transfer's steps) take ``now()``: the site's date at the real time of
day. Timestamps of what the system did (audit, logins, imports) stay on the real clock.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    """The calendar date the site works on: ``JICENG_TODAY`` when set, else today."""
    fixed = getattr(settings, "JICENG_TODAY", None)
    if fixed:
        return fixed if isinstance(fixed, dt.date) else dt.date.fromisoformat(str(fixed))
    return timezone.localdate()


def now() -> dt.datetime:
    """The moment on the site's calendar: the real time of day on ``today()``."""
    real = timezone.localtime()
    fixed = today()
    if fixed == real.date():
        return real
    return real.replace(year=fixed.year, month=fixed.month, day=fixed.day)
