"""The rules of recruiting full-time party-mass workers (党群工作者招聘, S3), as one table.

In May 2005 the 19 district organisation departments and personnel bureaus openly recruited
461 full-time party-mass workers, trained them and put every one in post, mainly in two-new
organisations (S3). Each application runs through one staged pipeline (``core.stages``):

applied → screened (eligible, or ineligible with reasons: ends) → written test → interview →
(ranked per post, the first ``places`` put) on public notice (公示) → hired, no sooner than the
first working day after the notice's working days and with no open objection → trained (a
certificate once the hours reach the minimum) → deployed to an organisation the post serves →
left (with reason: the next in the ranking is offered the place).

The articles are those of the districts' recruitment notices (招聘简章) of 2005 and of the
regulation on public notice named below; none could be checked against the text here, so each
step is ``confirmed=False`` (shown 待核).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.stages import Pipeline, Step, Wait

SOURCE = "《上海市社区党群工作者招聘办法》"
# The notice period the district sets, by default five working days: the districts' 2005
# recruitment notices ("公示期为5个工作日"); 待核.
NOTICE_DAYS_DEFAULT = 5
NOTICE_DAYS_RANGE = (5, 15)
# Training before taking up the post: at least 40 hours for the certificate (岗前培训), within
# two months of hiring; deployment within three months of hiring.
TRAINING_HOURS_MIN = 40
TRAINING_MONTHS = 2
DEPLOY_MONTHS = 3
# Weights of the written test and the interview, set by the district, summing to one.
WEIGHT_DEFAULT = (Decimal("0.40"), Decimal("0.60"))
SCORE_MAX = Decimal("100")


class AppState(models.TextChoices):
    APPLIED = "applied", _("已报名")
    ELIGIBLE = "eligible", _("资格审查通过")
    INELIGIBLE = "ineligible", _("资格审查未通过")
    WRITTEN = "written", _("已笔试")
    SCORED = "scored", _("已面试")
    ON_NOTICE = "on_notice", _("公示中")
    DISQUALIFIED = "disqualified", _("公示后不予聘用")
    HIRED = "hired", _("已聘用")
    TRAINED = "trained", _("已培训")
    DEPLOYED = "deployed", _("已上岗")
    LEFT = "left", _("已离岗")


# The state an application is in once a step is recorded.
STATE_AFTER = {
    "apply": AppState.APPLIED,
    "eligible": AppState.ELIGIBLE,
    "ineligible": AppState.INELIGIBLE,
    "written": AppState.WRITTEN,
    "interview": AppState.SCORED,
    "notice": AppState.ON_NOTICE,
    "disqualify": AppState.DISQUALIFIED,
    "hire": AppState.HIRED,
    "train": AppState.TRAINED,
    "deploy": AppState.DEPLOYED,
    "leave": AppState.LEFT,
}
IN_POST = (AppState.HIRED, AppState.TRAINED, AppState.DEPLOYED)


class EducationLevel(models.TextChoices):
    """Education, lowest first (the post's minimum compares by this order)."""

    HIGH_SCHOOL = "high_school", _("高中（中专）")
    COLLEGE = "college", _("大学专科")
    UNIVERSITY = "university", _("大学本科")
    POSTGRADUATE = "postgraduate", _("研究生")


EDUCATION_ORDER = [c.value for c in EducationLevel]

# How ties are broken in the ranking, said on the page: one rule for every district.
TIE_RULE = _("总成绩相同的，面试成绩高者在前；仍相同的，笔试成绩高者在前；仍相同的，报名在先者在前")


@lru_cache(maxsize=16)
def pipeline(notice_days: int = NOTICE_DAYS_DEFAULT) -> Pipeline:
    """The pipeline of one application, for a round whose notice runs ``notice_days`` working
    days: hiring comes no sooner than the first working day after them."""
    return Pipeline(
        source=SOURCE,
        version="2005",
        effective=dt.date(2005, 5, 1),
        stages=list(AppState.choices),
        steps=(
            Step("apply", _("报名"), "applied", "第六条", confirmed=False),
            Step(
                "eligible",
                _("资格审查通过"),
                "eligible",
                "第八条",
                requires=("apply",),
                until=("ineligible",),
                by="district",
                confirmed=False,
            ),
            Step(
                "ineligible",
                _("资格审查未通过"),
                "ineligible",
                "第八条",
                requires=("apply",),
                until=("eligible",),
                ends=True,
                by="district",
                confirmed=False,
            ),
            Step(
                "written",
                _("笔试"),
                "written",
                "第九条",
                requires=("eligible",),
                by="district",
                confirmed=False,
            ),
            Step(
                "interview",
                _("面试"),
                "scored",
                "第九条",
                requires=("written",),
                by="district",
                confirmed=False,
            ),
            Step(
                "notice",
                _("拟聘用人员公示"),
                "on_notice",
                "第十一条",
                requires=("interview",),
                by="district",
                confirmed=False,
            ),
            Step(
                "disqualify",
                _("公示后不予聘用"),
                "disqualified",
                "第十一条",
                requires=("notice",),
                until=("hire",),
                ends=True,
                optional=True,
                by="district",
                confirmed=False,
            ),
            Step(
                "hire",
                _("聘用"),
                "hired",
                "第十二条",
                requires=("notice",),
                earliest=Wait("notice", working_days=notice_days + 1),
                by="district",
                confirmed=False,
            ),
            Step(
                "train",
                _("岗前培训合格"),
                "trained",
                "第十三条",
                requires=("hire",),
                latest=Wait("hire", months=TRAINING_MONTHS),
                by="district",
                confirmed=False,
            ),
            Step(
                "deploy",
                _("派驻上岗"),
                "deployed",
                "第十四条",
                requires=("train",),
                latest=Wait("hire", months=DEPLOY_MONTHS),
                by="district",
                confirmed=False,
            ),
            Step(
                "leave",
                _("离岗"),
                "left",
                "第十六条",
                requires=("hire",),
                ends=True,
                optional=True,
                by="district",
                confirmed=False,
            ),
        ),
    )


def total_score(
    written: Decimal, interview: Decimal, w_written: Decimal, w_interview: Decimal
) -> Decimal:
    """The total: written × its weight + interview × its weight, to two places (half up).

    >>> total_score(Decimal("80"), Decimal("90"), Decimal("0.4"), Decimal("0.6"))
    Decimal('86.00')
    """
    raw = written * w_written + interview * w_interview
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rank_key(
    total: Decimal, interview: Decimal, written: Decimal, applied: dt.datetime, pk: int
) -> tuple:
    """The sort key of ``TIE_RULE`` (the SQL ranking orders by the same columns)."""
    return (-total, -interview, -written, applied, pk)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from ``birth`` to ``day``.

    >>> born = dt.date(1980, 5, 20)
    >>> age_on(born, dt.date(2005, 5, 19)), age_on(born, dt.date(2005, 5, 20))
    (24, 25)
    """
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def education_at_least(level: str, minimum: str) -> bool:
    """Whether ``level`` reaches ``minimum`` (an empty minimum asks nothing)."""
    if not minimum:
        return True
    return EDUCATION_ORDER.index(level) >= EDUCATION_ORDER.index(minimum)
