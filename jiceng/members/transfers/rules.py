"""The transfer of organisational relationship (组织关系转接) as a state machine.

``TRANSITIONS`` is the single source of truth: the services, the pages (which buttons show),
the API and the tests all read it; ``ACTION_PARAMS`` says what each action is given. A
transition not in the table raises ``TransitionNotAllowedError`` (a 400 in the API); an
officer of the wrong side raises ``NotYourSideError`` (a refusal of rights, a 403). Both carry
a Chinese message for the page and the API.

The flow (S10, S17)::

    requested ──approve──▶ approved ──issue──▶ letter_issued ──dispatch──▶ in_transit
        │                     │                    │    └──────confirm / record_receipt──▶ done
        └──reject/withdraw────┴──reject/withdraw───┴──reject/withdraw/expire──▶ (closed)

* Within the city the receiving organisation is on the platform: its confirmation *is* the
  receipt (回执) returned to the sender, and the member's relationship moves at that moment.
* To outside the city the receiving organisation is not on the platform: the sending side
  records the paper receipt when it comes back, and only then is the member transferred out.
  Until the receipt the sending side stays responsible for the member (the relationship
  stays where it was).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Validity of an introduction letter, in days. Source: the 介绍信 form of the organisation
# department (有效期 filled in by the issuing officer); common practice is about a month
# within the city and up to three months to another province. Officers may change it per
# letter; these are the defaults.
LETTER_VALID_DAYS_IN_CITY = 30
LETTER_VALID_DAYS_OUT_OF_CITY = 90


class TransferKind(models.TextChoices):
    IN_CITY = "in_city", _("市内转接")
    OUT_OF_CITY = "out_of_city", _("转出本市")


class TransferState(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    APPROVED = "approved", _("已批准")
    LETTER_ISSUED = "letter_issued", _("已开具介绍信")
    IN_TRANSIT = "in_transit", _("转接途中")
    DONE = "done", _("已完成")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")


class TransferAction(models.TextChoices):
    REQUEST = "request", _("申请")
    APPROVE = "approve", _("批准")
    ISSUE = "issue", _("开具介绍信")
    DISPATCH = "dispatch", _("交付转出")
    CONFIRM = "confirm", _("确认接收")
    RECORD_RECEIPT = "record_receipt", _("登记回执")
    REJECT = "reject", _("退回")
    WITHDRAW = "withdraw", _("撤回")
    EXPIRE = "expire", _("逾期失效")


class Side(models.TextChoices):
    SENDING = "sending", _("转出方")
    RECEIVING = "receiving", _("接收方")
    SYSTEM = "system", _("系统")


OPEN_STATES = frozenset(
    {
        TransferState.REQUESTED,
        TransferState.APPROVED,
        TransferState.LETTER_ISSUED,
        TransferState.IN_TRANSIT,
    }
)
LETTER_OUT = frozenset({TransferState.LETTER_ISSUED, TransferState.IN_TRANSIT})
BOTH_KINDS = frozenset({TransferKind.IN_CITY, TransferKind.OUT_OF_CITY})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    side: str
    kinds: frozenset[str] = BOTH_KINDS


# (action, side) → transition. The same action may be open to both sides with different
# source states (a receiving side may send back a letter it cannot accept).
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        TransferAction.APPROVE,
        frozenset({TransferState.REQUESTED}),
        TransferState.APPROVED,
        Side.SENDING,
    ),
    Transition(
        TransferAction.ISSUE,
        frozenset({TransferState.APPROVED}),
        TransferState.LETTER_ISSUED,
        Side.SENDING,
    ),
    Transition(
        TransferAction.DISPATCH,
        frozenset({TransferState.LETTER_ISSUED}),
        TransferState.IN_TRANSIT,
        Side.SENDING,
    ),
    Transition(
        TransferAction.CONFIRM,
        LETTER_OUT,
        TransferState.DONE,
        Side.RECEIVING,
        frozenset({TransferKind.IN_CITY}),
    ),
    Transition(
        TransferAction.RECORD_RECEIPT,
        LETTER_OUT,
        TransferState.DONE,
        Side.SENDING,
        frozenset({TransferKind.OUT_OF_CITY}),
    ),
    Transition(
        TransferAction.REJECT,
        frozenset({TransferState.REQUESTED, TransferState.APPROVED}),
        TransferState.REJECTED,
        Side.SENDING,
    ),
    Transition(
        TransferAction.REJECT,
        LETTER_OUT,
        TransferState.REJECTED,
        Side.RECEIVING,
        frozenset({TransferKind.IN_CITY}),
    ),
    Transition(TransferAction.WITHDRAW, OPEN_STATES, TransferState.WITHDRAWN, Side.SENDING),
    Transition(TransferAction.EXPIRE, LETTER_OUT, TransferState.EXPIRED, Side.SYSTEM),
)

# Actions an officer takes from a page or the API (request and expire are not buttons).
USER_ACTIONS = tuple(
    a for a in TransferAction if a not in (TransferAction.REQUEST, TransferAction.EXPIRE)
)

# What each of those actions is given; the rest of a page's form or an API body is ignored.
ACTION_PARAMS: dict[str, tuple[str, ...]] = {
    TransferAction.APPROVE: ("note",),
    TransferAction.ISSUE: ("dues_paid_to", "valid_days", "note"),
    TransferAction.DISPATCH: ("note",),
    TransferAction.CONFIRM: ("note",),
    TransferAction.RECORD_RECEIPT: ("received_on", "note"),
    TransferAction.REJECT: ("reason",),
    TransferAction.WITHDRAW: ("reason",),
}


def action_params(action: str, given: dict[str, Any]) -> dict[str, Any]:
    """The parameters of ``given`` that ``action`` takes (none for an unknown action).

    >>> action_params("reject", {"reason": "x", "note": "y"})
    {'reason': 'x'}
    """
    taken = ACTION_PARAMS.get(action, ())
    return {k: v for k, v in given.items() if k in taken}


class TransferError(ValidationError):
    """A transfer operation that the rules forbid; the message is for the user."""


class TransitionNotAllowedError(TransferError):
    def __init__(self, *, action: str, state: str, kind: str) -> None:
        self.action, self.state, self.kind = action, state, kind
        super().__init__(
            str(
                _("当前状态为“%(state)s”，不能“%(action)s”")
                % {
                    "state": TransferState(state).label,
                    "action": TransferAction(action).label,
                }
            )
            if action in TransferAction.values and state in TransferState.values
            else str(_("不能执行该操作")),
            code="transition_not_allowed",
        )


class NotYourSideError(PermissionDenied):
    """The actor does not act for the side that may take this action (a question of rights,
    not of the transfer's state)."""

    def __init__(self, *, action: str) -> None:
        self.action = action
        super().__init__(
            str(
                _("您不是该转接中有权“%(action)s”的一方") % {"action": TransferAction(action).label}
            )
        )


def transitions_for(action: str, state: str, kind: str) -> list[Transition]:
    """The table rows that allow ``action`` from ``state`` for a transfer of ``kind``."""
    return [t for t in TRANSITIONS if t.action == action and state in t.sources and kind in t.kinds]


def allowed(action: str, state: str, kind: str) -> bool:
    return bool(transitions_for(action, state, kind))
