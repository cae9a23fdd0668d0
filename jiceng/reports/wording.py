"""How a summary writes its numbers and lists, the way the seed report does (S29): counts under
ten thousand as digits (1427个, 5698人次), larger ones in 万 with one decimal and a word for
what was cut off (1.2万多 for 12,345; 近8.7万 for 86,800; 8.7万 for 87,000), shares as
percentages with one decimal, and named units joined with 、.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

WAN = 10_000
# Below this many 万 the figure keeps one decimal (1.2万多); from here on whole 万 (208万多).
WHOLE_WAN_FROM = 100 * WAN
# "近" (nearly) when the figure falls short of the next step by at most this share of a step.
NEARLY = 0.2


def amount(n: int) -> str:
    """``n`` written the Chinese way.

    >>> [amount(x) for x in (0, 461, 1427, 10000, 12345, 15278, 86800, 87000, 2081990)]
    ['0', '461', '1427', '1万', '1.2万多', '1.5万多', '近8.7万', '8.7万', '208万多']
    """
    if n < WAN:
        return str(n)
    step = WAN if n >= WHOLE_WAN_FROM else WAN // 10
    below, rest = divmod(n, step)
    if rest == 0:
        return f"{_wan(below * step)}万"
    if step - rest <= NEARLY * step:
        return f"近{_wan((below + 1) * step)}万"
    return f"{_wan(below * step)}万多"


def _wan(n: int) -> str:
    """``n`` (a multiple of 1,000) in 万: 87000 → 8.7, 2080000 → 208."""
    whole, tenths = divmod(n // 1000, 10)
    return f"{whole}.{tenths}" if tenths else str(whole)


def percent(numerator: int, denominator: int) -> str:
    """A share with one decimal, without a trailing .0 (95.2%, 100%)."""
    if not denominator:
        return "0%"
    value = round(100 * numerator / denominator, 1)
    return f"{value:g}%"


def change(current: int, previous: int, unit: str) -> str:
    """The comparison with the previous batch (比上一批增加 N 个 / 增长 x%), or ``""``."""
    if previous <= 0 or current == previous:
        return ""
    diff = current - previous
    word = "增加" if diff > 0 else "减少"
    return f"{word}{amount(abs(diff))}{unit}"


def joined(parts: Sequence[str]) -> str:
    """Named units as the report lists them: A、B和C."""
    if len(parts) <= 1:
        return "".join(parts)
    return "、".join(parts[:-1]) + "和" + parts[-1]


def long_date(day: dt.date) -> str:
    """2005年12月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


def months_between(start: dt.date, end: dt.date) -> tuple[int, bool]:
    """Whole months from ``start`` to ``end`` and whether some days are left over, for "历时5个
    多月": (5, True)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    anniversary_month = start.month + months
    year = start.year + (anniversary_month - 1) // 12
    month = (anniversary_month - 1) % 12 + 1
    try:
        anniversary = dt.date(year, month, start.day)
    except ValueError:  # 31 January + 1 month: the month's last day
        anniversary = dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else end
    return max(months, 0), end > anniversary
