"""Rules of unit appraisal (issue 21 item 4; S1, S20–S23): the indicators, each with its
definition, the default weight the city starts from and its source, in one table; how a score
is made of them; how units are ranked.

**Indicators.** Each is a share (numerator over denominator, shown as a percentage) of rows
of another app, counted over the unit's subtree (a primary committee counts its branches' rows
too) and up to the run's date (``as_of``); petitions and survey answers also from the run's
start (``period_from``, the campaign's launch by default).

**Score.** ``score = Σ wᵢ·vᵢ / Σ wᵢ`` over the indicators the unit *has* (a denominator above
zero). A missing indicator (no petition routed to the unit, no survey of it) is not a zero:
the weights of the indicators present are scaled up to make 100 (re-normalised), and the
unit's explanation says which indicator was left out and the weights actually used. A unit
with no indicator at all has no score and is not ranked.

**Ranking** (``rank``). Within the unit's district (区县) and, city-wide, within its sector
(系统/领域, ``Organization.sector``). Scores are compared rounded to two decimals
(``SCORE_PLACES``); equal scores share a rank and the next rank skips ("1, 2, 2, 4":
standard competition ranking), and tied units are listed by organisation code. Units without
a score come after every ranked unit, without a rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Indicator(models.TextChoices):
    STEPS_ON_TIME = "steps_on_time", _("环节按期通过")
    COVERAGE = "coverage", _("四让覆盖")
    FOUR_ONES = "four_ones", _("四个一完成")
    PETITIONS_ON_TIME = "petitions_on_time", _("信访按期办结")
    PETITIONS_SATISFIED = "petitions_satisfied", _("信访人满意")
    SURVEY_SATISFIED = "survey_satisfied", _("群众满意度测评")


@dataclass(frozen=True)
class Rule:
    """One indicator: what it counts (``definition``, shown next to the weight), the default
    weight in percent, and the source of the indicator."""

    indicator: str
    numerator: Promise
    denominator: Promise
    default_weight: int
    source: str

    @property
    def label(self) -> str:
        return str(Indicator(self.indicator).label)


# The one table. Default weights sum to 100; the city sets its own (``WeightSet``), versioned
# by the date they take effect. Survey satisfaction weighs most: S23 makes the public's
# satisfaction part of a unit's appraisal, and S21 makes petitions the barometer.
RULES: tuple[Rule, ...] = (
    Rule(
        Indicator.STEPS_ON_TIME,
        _("上级党组织在期限内（含当日）审核通过的环节数"),
        _("截至统计日已到期的活动环节数"),
        20,
        "S1: every stage and every link (各阶段各环节), each step signed off by the parent",
    ),
    Rule(
        Indicator.COVERAGE,
        _("各覆盖项达到率之和：支部书记到位（0 或 1）、党员参与率、业主支持率、居民知晓率"),
        _("可计算的覆盖项数（业主支持、居民知晓为单位填报，有填报才计）"),
        15,
        "S8: Songnan town's four lets (四让工作法)",
    ),
    Rule(
        Indicator.FOUR_ONES,
        _("支部已确认、完成日期不晚于统计日的“四个一”项目数"),
        _("在册党员数 × 4"),
        15,
        "S18: each member's four ones (四个一)",
    ),
    Rule(
        Indicator.PETITIONS_ON_TIME,
        _("按期答复或告知不予受理的信访件数"),
        _("已答复或已告知不予受理的信访件数（交由本单位及下级办理，统计期内收到）"),
        15,
        "S21 and 《信访条例》(2005) arts. 21, 22, 33: handled within the statutory deadlines",
    ),
    Rule(
        Indicator.PETITIONS_SATISFIED,
        _("信访人评价为满意或基本满意的件数"),
        _("已办结并有信访人评价的件数（交由本单位及下级办理，统计期内收到）"),
        10,
        "S21: the petitioner's satisfaction at closure (满意率 = 满意 + 基本满意)",
    ),
    Rule(
        Indicator.SURVEY_SATISFIED,
        _("总体评价为满意等级的答卷数（按各测评设定的满意等级，默认满意 + 基本满意）"),
        _("对本单位及下级单位的有效答卷数（统计期内提交，总体评价已作答）"),
        25,
        "S23: passenger satisfaction made part of appraisal; S20 the public's verdict",
    ),
)
RULE_BY_KEY: dict[str, Rule] = {r.indicator: r for r in RULES}
KEYS: tuple[str, ...] = tuple(r.indicator for r in RULES)
DEFAULT_WEIGHTS: dict[str, int] = {r.indicator: r.default_weight for r in RULES}

# Weights are whole percentages summing to this.
WEIGHT_TOTAL = 100
# Scores are kept and compared at this many decimals (the tie rule).
SCORE_PLACES = 2
# The "four ones" per member (S18).
FOUR_ONES_PER_MEMBER = 4


class RunState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def check_weights(weights: Mapping[str, object]) -> list[str]:
    """What is wrong with a set of weights (empty when nothing): every indicator a whole number
    from 0 to 100, together ``WEIGHT_TOTAL``.

    >>> check_weights(DEFAULT_WEIGHTS)
    []
    >>> check_weights({**DEFAULT_WEIGHTS, "coverage": 16})
    ['各项权重之和须为 100（现为 101）']
    """
    problems: list[str] = []
    total = 0
    for key in KEYS:
        value = weights.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            problems.append(f"“{RULE_BY_KEY[key].label}”的权重须为 0 至 100 的整数")
            continue
        total += value
    unknown = sorted(set(weights) - set(KEYS))
    if unknown:
        problems.append(f"未知的指标：{'、'.join(unknown)}")
    if not problems and total != WEIGHT_TOTAL:
        problems.append(f"各项权重之和须为 {WEIGHT_TOTAL}（现为 {total}）")
    return problems


@dataclass(frozen=True)
class Part:
    """One indicator of one unit: its figures, the weight set and the weight used."""

    indicator: str
    numerator: float
    denominator: float
    weight: int  # as set
    used_weight: float  # re-normalised over the indicators present (0 when missing)

    @property
    def present(self) -> bool:
        return self.denominator > 0

    @property
    def value(self) -> float | None:
        """The share in percent, or None when the unit has nothing to count."""
        if not self.present:
            return None
        return round(100 * min(self.numerator / self.denominator, 1.0), SCORE_PLACES)

    @property
    def contribution(self) -> float:
        """Points this indicator adds to the score."""
        if self.value is None:
            return 0.0
        return round(self.value * self.used_weight / WEIGHT_TOTAL, SCORE_PLACES)

    @property
    def label(self) -> str:
        return RULE_BY_KEY[self.indicator].label


def parts(figures: Mapping[str, tuple[float, float]], weights: Mapping[str, int]) -> list[Part]:
    """Each indicator's figures with the weight used: the set weights scaled over the
    indicators present to make 100 (a missing indicator weighs 0, not a zero score).

    >>> ps = parts({"steps_on_time": (3, 4), "coverage": (0, 0)}, {"steps_on_time": 20,
    ...     "coverage": 20})
    >>> [(str(p.indicator), p.value, p.used_weight) for p in ps][:2]
    [('steps_on_time', 75.0, 100.0), ('coverage', None, 0.0)]
    """
    present = [k for k in KEYS if figures.get(k, (0, 0))[1] > 0]
    total = sum(weights.get(k, 0) for k in present)
    out = []
    for key in KEYS:
        n, d = figures.get(key, (0, 0))
        used = WEIGHT_TOTAL * weights.get(key, 0) / total if d > 0 and total else 0.0
        out.append(Part(key, n, d, weights.get(key, 0), round(used, 4)))
    return out


def score(figures: Mapping[str, tuple[float, float]], weights: Mapping[str, int]) -> float | None:
    """The unit's score (0–100, two decimals), or None when it has no indicator with a
    positive weight.

    >>> w = {"steps_on_time": 50, "survey_satisfied": 50}
    >>> score({"steps_on_time": (1, 2), "survey_satisfied": (9, 10)}, w)
    70.0
    >>> score({"steps_on_time": (1, 2)}, w)  # no survey: not a zero, the steps weigh all
    50.0
    >>> score({}, w) is None
    True
    """
    # the same sum as ``parts`` (values at two decimals, weights over those present), written
    # out because it runs for every unit of the city
    total = weighted = 0.0
    for key in KEYS:
        n, d = figures.get(key, (0, 0))
        w = weights.get(key, 0)
        if d > 0 and w > 0:
            weighted += round(100 * min(n / d, 1.0), SCORE_PLACES) * w
            total += w
    if not total:
        return None
    return round(weighted / total, SCORE_PLACES)


def rank(scores: Iterable[tuple[int, float | None, str]]) -> dict[int, int]:
    """Standard competition ranks ("1, 2, 2, 4") of ``(id, score, code)``: the highest score
    first, equal scores (at ``SCORE_PLACES`` decimals) share a rank; units without a score get
    none.

    >>> rank([(1, 90.0, "a"), (2, 80.0, "b"), (3, 90.0, "c"), (4, None, "d"), (5, 70.0, "e")])
    {1: 1, 3: 1, 2: 3, 5: 4}
    """
    rows = sorted(
        ((i, round(s, SCORE_PLACES), c) for i, s, c in scores if s is not None),
        key=lambda r: (-r[1], r[2]),
    )
    out: dict[int, int] = {}
    previous: float | None = None
    current = 0
    for position, (pk, s, _code) in enumerate(rows, 1):
        if s != previous:
            current, previous = position, s
        out[pk] = current
    return out
