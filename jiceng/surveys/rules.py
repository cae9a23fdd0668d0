"""Rules of the review phase's democratic appraisal (分析评议 · 民主评议), with their sources.

* S1: the campaign is carried out "in every stage and every link" (各阶段各环节); the review
  phase (``Phase.REVIEW``) is where each member writes a self-analysis (党性分析材料), is
  appraised by the fellow members of the branch, and receives the branch committee's grade.
  The order is fixed: self → peers → branch committee (``AppraisalState``).
* The central guidance for the campaign's democratic appraisal (民主评议党员) graded members
  excellent / qualified / basically qualified / unqualified and capped "excellent" at one third
  of the branch's members taking part in the appraisal (``EXCELLENT_MAX_SHARE``, S1: the city
  carried out the central deployment).
"""

from __future__ import annotations

import math
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASICALLY_QUALIFIED = "basically_qualified", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


class AppraisalState(models.TextChoices):
    SELF_PENDING = "self_pending", _("待提交党性分析")
    PEER_REVIEW = "peer_review", _("党员互评中")
    COMMITTEE_REVIEW = "committee_review", _("待支部委员会评定")
    DECIDED = "decided", _("已评定")


class AppraisalAction(models.TextChoices):
    SUBMIT_SELF = "submit_self", _("提交党性分析")
    CLOSE_PEERS = "close_peers", _("结束党员互评")
    DECIDE = "decide", _("评定等次")


# The central guidance for the campaign's democratic appraisal: members graded "excellent"
# are at most one third of the branch's members taking part in the appraisal (S1: the city ran
# the campaign under the central deployment). n members appraised allow floor(n / 3).
EXCELLENT_MAX_SHARE = Fraction(1, 3)
EXCELLENT_MAX_SHARE_LABEL = _("三分之一")  # the same share, as the guidance words it

# A grade below "qualified" must say why; "unqualified" always needs the committee's note
# (the member is told the reasons and what to rectify).
NOTE_REQUIRED = (Grade.UNQUALIFIED,)

S, A = AppraisalState, AppraisalAction
# (state, action) → state. Deciding again a decided appraisal corrects the grade.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.SELF_PENDING, A.SUBMIT_SELF): S.PEER_REVIEW,
    (S.PEER_REVIEW, A.SUBMIT_SELF): S.PEER_REVIEW,  # a revised self-analysis
    (S.PEER_REVIEW, A.CLOSE_PEERS): S.COMMITTEE_REVIEW,
    (S.COMMITTEE_REVIEW, A.DECIDE): S.DECIDED,
    (S.DECIDED, A.DECIDE): S.DECIDED,
}
del S, A


def excellent_cap(n: int) -> int:
    """How many members of a unit with ``n`` members appraised may be graded excellent.

    >>> [excellent_cap(n) for n in (0, 2, 3, 8, 9, 30)]
    [0, 0, 1, 2, 3, 10]
    """
    return math.floor(n * EXCELLENT_MAX_SHARE)


class AppraisalTransitionError(ValidationError):
    """An action the appraisal's state does not allow; the message is for the user."""

    def __init__(self, state: str, action: str) -> None:
        self.state, self.action = state, action
        super().__init__(
            _("评议处于“%(state)s”，不能“%(action)s”")
            % {"state": AppraisalState(state).label, "action": AppraisalAction(action).label},
            code="transition_not_allowed",
        )


def next_state(state: str, action: str) -> str:
    """The appraisal's state after ``action``, or ``AppraisalTransitionError``.

    >>> str(next_state("self_pending", "submit_self"))
    'peer_review'
    >>> next_state("self_pending", "decide")
    Traceback (most recent call last):
    ...
    jiceng.surveys.rules.AppraisalTransitionError: ['评议处于“待提交党性分析”，不能“评定等次”']
    """
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise AppraisalTransitionError(state, action) from None
