"""Rules of public satisfaction surveys (群众满意度测评, S23: passenger satisfaction made part of
a unit's appraisal; issue 21 item 3), as named constants with their sources.

Each rule, its value and its source:

- Answer scale (default): 满意 / 基本满意 / 不满意. Issue 21 item 3: "the 2005 campaign's
  scale was satisfied / basically satisfied / not satisfied".
- Satisfied: the first two levels (满意 + 基本满意). The 2005 campaign counted its 满意率 as
  满意 plus 基本满意; the petitions app reads a petitioner's satisfaction the same way
  (issue 21 item 1).
- Redo threshold (补课): below 60 % satisfied. Issue 21 item 3: "units below a threshold
  (60 % satisfied in 2005) flagged to redo the work".
- What is measured: the survey's first rating question (总体评价), so a unit has one share.
- Confidence interval: Wilson score, 95 % (z = 1.96); Wilson (1927), good coverage for small
  samples and for shares near 0 or 1.
- Tokens: single use, consumed only by the submitting POST. Issue 21 item 3 (mail scanners
  open links).
- Open link: rate limit per address, honeypot, self-hosted captcha. Issue 21 item 3 (no
  foreign captcha service: it does not load in China).

The scale, the number of satisfied levels and the threshold are settings of each survey with
these defaults; a unit is flagged when it has rated responses and its share is below the
threshold (its interval is shown beside it, so a small sample is read with care).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# The 2005 campaign's three-level scale (issue 21 item 3).
DEFAULT_SCALE: tuple[str, ...] = ("满意", "基本满意", "不满意")
# Leading levels of the scale counted as satisfied: 满意 + 基本满意 (2005 满意率).
DEFAULT_SATISFIED_LEVELS = 2
# A unit whose satisfied share is below this percentage redoes the work (补课; 2005: 60 %).
DEFAULT_THRESHOLD_PERCENT = 60
SCALE_MIN, SCALE_MAX = 2, 7
CHOICES_MAX = 12
QUESTIONS_MAX = 40
TEXT_ANSWER_MAX = 1000
# Tokens generated per unit in one go (a printed sheet holds a unit's tokens).
TOKENS_PER_UNIT_MAX = 500
UNITS_MAX = 2000
# z of a two-sided 95 % interval.
Z95 = 1.959963984540054


class QuestionKind(models.TextChoices):
    RATING = "rating", _("满意度评价")
    CHOICE = "choice", _("单项选择")
    TEXT = "text", _("意见建议")


class SurveyState(models.TextChoices):
    DRAFT = "draft", _("准备中")
    OPEN = "open", _("测评中")
    CLOSED = "closed", _("已结束")


class Channel(models.TextChoices):
    TOKEN = "token", _("测评码")
    OPEN_LINK = "open", _("公开链接")


# Which states an action may start from: a survey is opened once its questions and units are
# set, closed when the period is over, and may be opened again (a late unit's residents).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": (SurveyState.DRAFT, SurveyState.CLOSED),
    "close": (SurveyState.OPEN,),
}
TARGET_STATE: dict[str, str] = {"open": SurveyState.OPEN, "close": SurveyState.CLOSED}
# Questions, scale and units are changed only before the first opening (answers would
# otherwise mean different things); tokens may be added while it runs.
EDITABLE_STATES: tuple[str, ...] = (SurveyState.DRAFT,)
TOKEN_STATES: tuple[str, ...] = (SurveyState.DRAFT, SurveyState.OPEN)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(k: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of a share ``k / n`` (95 % by default); ``None`` when there
    is nothing to estimate.

    >>> i = wilson(8, 10)
    >>> round(i.low, 4), round(i.high, 4)
    (0.4902, 0.9433)
    >>> round(wilson(0, 10).high, 4)
    0.2775
    >>> wilson(0, 0) is None
    True
    """
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError("k must lie between 0 and n")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def needs_redo(satisfied: int, rated: int, threshold_percent: float) -> bool:
    """Whether a unit redoes the work (补课): it has rated responses and the share satisfied
    is below the threshold.

    >>> needs_redo(5, 10, 60), needs_redo(6, 10, 60), needs_redo(0, 0, 60)
    (True, False, False)
    """
    return rated > 0 and satisfied * 100 < threshold_percent * rated
