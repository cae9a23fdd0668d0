"""Organisation health (S11, S12): the weak-and-lax criteria worked out from data, and the
branch-size rules turned into suggested actions.

Nothing here queries the database: the selectors fetch the numbers in aggregate queries and
these helpers turn one row's numbers into reasons and suggestions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from . import rules
from .models import BRANCH_TYPES, Organization, OrgType, WeakCriterion


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end``.

    >>> months_between(dt.date(2005, 1, 31), dt.date(2005, 4, 30))
    2
    >>> months_between(dt.date(2005, 1, 15), dt.date(2005, 4, 15))
    3
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)


def vacancy_days(org: Organization, today: dt.date) -> int | None:
    if org.secretary_id is not None or org.secretary_vacant_since is None:
        return None
    return (today - org.secretary_vacant_since).days


def assess(org: Organization, *, full_members: int | None, today: dt.date) -> dict[str, dict]:
    """The criteria that can be computed from the platform's data, for one organisation.

    ``full_members`` is the number of full members registered in the unit (a branch or joint
    branch; None for other types, to which the size criterion does not apply). Returns
    ``{criterion: {"met", "entered", "detail", "note"}}`` with ``entered`` False.
    """
    out: dict[str, dict] = {}
    days = vacancy_days(org, today)
    out[WeakCriterion.SECRETARY_VACANT] = {
        "met": days is not None and days > rules.SECRETARY_VACANCY_ALERT_DAYS,
        "entered": False,
        "detail": (
            _("书记自 %(d)s 起空缺 %(n)s 天") % {"d": org.secretary_vacant_since, "n": days}
            if days is not None
            else _("书记在任")
        ),
        "note": "",
    }
    if org.org_type in BRANCH_TYPES and full_members is not None:
        out[WeakCriterion.TOO_FEW_MEMBERS] = {
            "met": full_members < rules.BRANCH_MIN_FULL_MEMBERS,
            "entered": False,
            "detail": _("正式党员 %(n)s 人") % {"n": full_members},
            "note": "",
        }
    return out


def candidate_reasons(org: Any, today: dt.date) -> list[tuple[str, str, str]]:
    """Reasons an annotated candidate row (``full_members``) is listed: (code, label, detail)."""
    criteria = assess(org, full_members=getattr(org, "full_members", None), today=today)
    return [
        (code, str(WeakCriterion(code).label), c["detail"])
        for code, c in criteria.items()
        if c["met"]
    ]


class SuggestionKind:
    SPLIT = "split"
    UPGRADE = "upgrade"
    JOIN = "join"


@dataclass
class Suggestion:
    """A suggested action for one branch whose size breaks the rules (``orgs.rules``)."""

    org: Organization
    kind: str
    message: str
    total: int
    full: int
    target_type: str = ""
    partners: list[Organization] = field(default_factory=list)
    parent: Organization | None = None  # where the found form opens (None: out of scope)


def size_suggestion(org: Any) -> Suggestion | None:
    """Turn a branch's size (annotated ``total_members``, ``full_members``) into an action."""
    total, full = int(org.total_members or 0), int(org.full_members or 0)
    if total > rules.BRANCH_MAX_MEMBERS:
        if total <= rules.SPLIT_MAX_MEMBERS:
            return Suggestion(
                org,
                SuggestionKind.SPLIT,
                _("党员 %(k)s 人，超过支部上限 %(n)s 人：拆分为两个支部，或升格为党总支")
                % {"k": total, "n": rules.BRANCH_MAX_MEMBERS},
                total,
                full,
                target_type=OrgType.GENERAL_BRANCH,
            )
        return Suggestion(
            org,
            SuggestionKind.UPGRADE,
            _("党员 %(k)s 人，超过 %(n)s 人：升格为基层党委，下设支部")
            % {"k": total, "n": rules.SPLIT_MAX_MEMBERS},
            total,
            full,
            target_type=OrgType.PRIMARY_COMMITTEE,
        )
    if full < rules.BRANCH_MIN_FULL_MEMBERS:
        return Suggestion(
            org,
            SuggestionKind.JOIN,
            _("正式党员 %(k)s 人，不足 %(n)s 人：与邻近小单位组成联合支部")
            % {"k": full, "n": rules.BRANCH_MIN_FULL_MEMBERS},
            total,
            full,
            target_type=OrgType.JOINT_BRANCH,
        )
    return None
