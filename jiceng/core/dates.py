"""Date arithmetic shared by every rule table: months, calendar days and China's working days.

"Within N days" (……日内) counts from the day after the starting date, so the last day of the
window is ``start + N``. Working days (工作日) are counted with the ``chinese_calendar``
package (the holidays and make-up working days the State Council announces each year), never a
hand-typed list; a day in a year the package does not know is refused with
:class:`UnknownCalendarError` instead of guessed.
"""

from __future__ import annotations

import calendar
import datetime as dt

import chinese_calendar
from django.utils.translation import gettext as _


class UnknownCalendarError(ValueError):
    """A working-day window reaching a year the holiday calendar does not know."""


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier when negative), or the month's last day when it
    has fewer days.

    >>> add_months(dt.date(2005, 8, 31), -6), add_months(dt.date(2005, 8, 31), 6)
    (datetime.date(2005, 2, 28), datetime.date(2006, 2, 28))
    >>> add_months(dt.date(2004, 2, 29), 12)
    datetime.date(2005, 2, 28)
    """
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day in China (make-up Saturdays and Sundays included)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise UnknownCalendarError(
            _(
                "节假日安排只收录到已公布的年份，无法推算%(year)s年的工作日；"
                "请在国务院公布当年节假日安排并更新日历后再计算"
            )
            % {"year": day.year}
        ) from exc


def add_days(start: dt.date, days: int, *, working: bool = False) -> dt.date:
    """The last day of a window of ``days`` from ``start`` (the start day not counted).

    >>> add_days(dt.date(2005, 1, 31), 30)
    datetime.date(2005, 3, 2)
    >>> add_days(dt.date(2024, 9, 27), 2, working=True)  # Sun 29th: a make-up working day
    datetime.date(2024, 9, 30)
    """
    if not working:
        return start + dt.timedelta(days=days)
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day
