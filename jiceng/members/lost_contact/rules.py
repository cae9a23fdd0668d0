"""Members out of contact (失去联系党员) and the search for them, as a state machine (S13:
"12,000 lost members found").

The rules, with their sources:

* ``LOST_CONTACT_AFTER_MONTHS`` — Party Constitution, Article 9: a member who without proper
  reason for six consecutive months does not take part in organisational life, pay dues or do
  the work the Party assigns is regarded as having given up membership. A member without any
  contact (organisational life, dues, check-in) for six months is therefore a candidate for a
  lost-contact case, which an officer opens after checking.
* ``STOP_AFTER_SEARCH_MONTHS`` and ``RESTORE_WITHIN_YEARS`` — the organisation department's
  handling of lost members as given in issue 4: a member still not found after six months of
  searching may have their membership stopped (停止党籍) by decision of the organisation,
  and the stop can be lifted (恢复党籍) within two years if the member comes back. These are the
  issue's rule; the exact department document is to be confirmed by the users, so both are
  named constants here.
* ``ATTEMPT_INTERVAL_DAYS`` — a case with no search attempt for this long is overdue (shown on
  the worklist and under the bell). A working default without an official source.

``TRANSITIONS`` is the single source of truth for what may happen to a case: the services, the
buttons on the page, the API and the tests read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.dates import add_months

LOST_CONTACT_AFTER_MONTHS = 6
STOP_AFTER_SEARCH_MONTHS = 6
RESTORE_WITHIN_YEARS = 2
ATTEMPT_INTERVAL_DAYS = 30


def months_before(day: dt.date, months: int) -> dt.date:
    return add_months(day, -months)


def candidate_cutoff(today: dt.date) -> dt.date:
    """Members whose last contact is before this day are lost-contact candidates."""
    return months_before(today, LOST_CONTACT_AFTER_MONTHS)


class ContactChannel(models.TextChoices):
    ORGANISATIONAL_LIFE = "organisational_life", _("参加组织生活")
    DUES = "dues", _("交纳党费")
    CHECK_IN = "check_in", _("报到")
    RELINKED = "relinked", _("失联后恢复联系")
    OTHER = "other", _("其他")


class SearchChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("走访")
    LETTER = "letter", _("函询")
    ONLINE = "online", _("网络")
    RELATIVES = "relatives", _("亲属")
    OTHER = "other", _("其他")


class SearchResult(models.TextChoices):
    NOT_FOUND = "not_found", _("未找到")
    LEAD = "lead", _("有线索")
    FOUND = "found", _("已找到")


class CaseState(models.TextChoices):
    SEARCHING = "searching", _("查找中")
    FOUND_RELINKED = "found_relinked", _("已找到，恢复联系")
    FOUND_TRANSFERRED = "found_transferred", _("已找到，转接组织关系")
    STOPPED = "stopped", _("已停止党籍")
    RESTORED = "restored", _("已恢复党籍")
    CANCELLED = "cancelled", _("已撤销")


class CaseAction(models.TextChoices):
    RELINK = "relink", _("找到并恢复联系")
    TRANSFER = "transfer", _("找到并转接组织关系")
    STOP = "stop", _("停止党籍")
    RESTORE = "restore", _("恢复党籍")
    CANCEL = "cancel", _("撤销立案")


FOUND_STATES = frozenset({CaseState.FOUND_RELINKED, CaseState.FOUND_TRANSFERRED})
# A member with a case in one of these states is not listed as a candidate again.
ACTIVE_STATES = frozenset({CaseState.SEARCHING, CaseState.STOPPED})


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(CaseAction.RELINK, CaseState.SEARCHING, CaseState.FOUND_RELINKED),
    Transition(CaseAction.TRANSFER, CaseState.SEARCHING, CaseState.FOUND_TRANSFERRED),
    Transition(CaseAction.STOP, CaseState.SEARCHING, CaseState.STOPPED),
    Transition(CaseAction.RESTORE, CaseState.STOPPED, CaseState.RESTORED),
    Transition(CaseAction.CANCEL, CaseState.SEARCHING, CaseState.CANCELLED),
)


def transition_for(action: str, state: str) -> Transition | None:
    return next((t for t in TRANSITIONS if t.action == action and t.source == state), None)


class CaseError(ValidationError):
    """A case operation the rules forbid; the message is for the officer."""


class CaseTransitionError(CaseError):
    def __init__(self, *, action: str, state: str) -> None:
        self.action, self.state = action, state
        super().__init__(
            str(
                _("当前状态为“%(state)s”，不能“%(action)s”")
                % {"state": CaseState(state).label, "action": CaseAction(action).label}
            )
            if action in CaseAction.values and state in CaseState.values
            else str(_("不能执行该操作")),
            code="transition_not_allowed",
        )


def stop_allowed_from(opened_on: dt.date) -> dt.date:
    """The first day membership may be stopped: six months of searching after opening."""
    return add_months(opened_on, STOP_AFTER_SEARCH_MONTHS)


def restore_allowed_until(stopped_on: dt.date) -> dt.date:
    """The last day a stopped membership may be restored (two years after the stop)."""
    try:
        return stopped_on.replace(year=stopped_on.year + RESTORE_WITHIN_YEARS)
    except ValueError:  # 29 February
        return stopped_on.replace(year=stopped_on.year + RESTORE_WITHIN_YEARS, day=28)
