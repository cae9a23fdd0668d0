"""Membership development (发展党员) as one rule table on the stage engine (``core.stages``).

《中国共产党发展党员工作细则》 (2014, in force 2014-06-10): five stages and 25 steps. Each row
cites its article; an article whose text could not be checked is ``confirmed=False`` and shown
待核 (docs/development.md lists them). The demo lives in 2005, before the 2014 rules: the
system applies the 2014 table to every date (the 1990 试行细则 is not in the system) and the
pages say so (``APPLIED_NOTE``).

Rules kept outside the engine, in this module, each with its article:
- an applicant is at least 18 on the day of application (第五条, ``MIN_AGE``);
- training lasts at least three days or 24 class hours (第十七条, ``TRAINING_*``);
- a general meeting's vote passes only when the votes for exceed half of the full members
  with voting rights due to attend, and the meeting sits only when more than half of them are
  present (第二十一条 / 第三十三条 待核, ``vote_refusal``);
- a probation is extended once only, by six months to a year (第三十二条, ``EXTENSION_*``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from jiceng.core.stages import Pipeline, Step, Wait

SOURCE = "《中国共产党发展党员工作细则》"
MIN_AGE = 18
TRAINING_DAYS = 3
TRAINING_HOURS = 24
EXTENSION_MIN_MONTHS = 6
EXTENSION_MAX_MONTHS = 12
DUE_SOON_DAYS = 30
APPLIED_NOTE = gettext_lazy(
    "期限与顺序按2014年《中国共产党发展党员工作细则》计算（此前日期亦按此执行，1990年试行细则未收录）"
)


class DevelopmentStage(models.TextChoices):
    APPLICANT = "applicant", gettext_lazy("入党申请人")
    ACTIVIST = "activist", gettext_lazy("入党积极分子")
    CANDIDATE = "candidate", gettext_lazy("发展对象")
    PROBATIONARY = "probationary", gettext_lazy("预备党员")
    FULL = "full", gettext_lazy("正式党员")


class DevelopmentState(models.TextChoices):
    ACTIVE = "active", gettext_lazy("培养中")
    ADMITTED = "admitted", gettext_lazy("预备期")
    FULL = "full", gettext_lazy("已转正")
    CANCELLED = "cancelled", gettext_lazy("已取消预备党员资格")
    WITHDRAWN = "withdrawn", gettext_lazy("已终止")


class By(models.TextChoices):
    BRANCH = "branch", gettext_lazy("党支部")
    ABOVE = "above", gettext_lazy("上级党委")


# Steps with a number they carry (``value``) or counts (``details``).
VOTE_STEPS = ("general_meeting", "full_meeting")
TRAINING_STEP = "training"
EXTEND_STEP = "extend"
INTRODUCERS_STEP = "introducers"
MENTORS_STEP = "contacts"
PRE_REVIEW_STEP = "pre_review"
ADMIT_STEP = "approval"
FULL_STEP = "full_approval"
CANCEL_STEP = "cancel"
APPLY_STEP = "apply"

PIPELINE_2014 = Pipeline(
    source=SOURCE,
    version="2014",
    effective=dt.date(2014, 6, 10),
    stages=DevelopmentStage.choices,
    steps=(
        # 一、入党申请
        Step("apply", _("递交入党申请书"), "applicant", "第五条、第六条"),
        Step(
            "talk",
            _("党组织派人谈话"),
            "applicant",
            "第七条",
            requires=("apply",),
            latest=Wait("apply", months=1),
            confirmed=False,
        ),
        # 二、入党积极分子的确定和培养教育
        Step(
            "activist",
            _("推荐和确定入党积极分子"),
            "activist",
            "第八条",
            requires=("talk",),
            confirmed=False,
        ),
        Step(
            "activist_filed",
            _("入党积极分子报上级党委备案"),
            "activist",
            "第八条",
            requires=("activist",),
            by="above",
            confirmed=False,
        ),
        Step(
            "contacts",
            _("指定培养联系人"),
            "activist",
            "第九条",
            requires=("activist",),
            confirmed=False,
        ),
        Step(
            "assess",
            _("培养教育考察（每半年一次）"),
            "activist",
            "第十一条",
            requires=("activist",),
            until=("candidate",),
            latest=Wait("activist", months=6),
            every=6,
            confirmed=False,
        ),
        # 三、发展对象的确定和考察
        Step(
            "candidate",
            _("确定发展对象"),
            "candidate",
            "第十三条",
            requires=("activist_filed", "contacts"),
            earliest=Wait("activist", months=12),
        ),
        Step(
            "candidate_filed",
            _("发展对象报上级党委备案"),
            "candidate",
            "第十三条",
            requires=("candidate",),
            by="above",
        ),
        Step("introducers", _("确定入党介绍人"), "candidate", "第十四条", requires=("candidate",)),
        Step(
            "political_review",
            _("进行政治审查"),
            "candidate",
            "第十五条",
            requires=("candidate",),
            confirmed=False,
        ),
        Step("training", _("开展集中培训"), "candidate", "第十七条", requires=("candidate",)),
        # 四、预备党员的接收
        Step(
            "committee_review",
            _("支部委员会审查"),
            "candidate",
            "第十九条",
            requires=("candidate_filed", "introducers", "political_review", "training"),
        ),
        Step(
            "pre_review",
            _("上级党委预审"),
            "candidate",
            "第十九条",
            requires=("committee_review",),
            by="above",
        ),
        Step(
            "form_filled",
            _("填写入党志愿书"),
            "candidate",
            "第二十条",
            requires=("pre_review",),
            confirmed=False,
        ),
        Step(
            "general_meeting",
            _("支部大会讨论"),
            "probationary",
            "第二十一条",
            requires=("form_filled",),
            confirmed=False,
        ),
        Step(
            "upper_talk",
            _("上级党委派人谈话"),
            "probationary",
            "第二十三条",
            requires=("general_meeting",),
            by="above",
            confirmed=False,
        ),
        Step(
            "approval",
            _("上级党委审批"),
            "probationary",
            "第二十四条",
            requires=("upper_talk",),
            latest=Wait("general_meeting", months=3),
            by="above",
            confirmed=False,
        ),
        Step(
            "approval_filed",
            _("再上一级党委组织部门备案"),
            "probationary",
            "第二十五条",
            requires=("approval",),
            by="above",
            confirmed=False,
        ),
        # 五、预备党员的教育、考察和转正
        Step(
            "grouped",
            _("编入党支部和党小组"),
            "probationary",
            "第二十六条",
            requires=("approval",),
            confirmed=False,
        ),
        Step(
            "oath",
            _("入党宣誓"),
            "probationary",
            "第二十七条",
            requires=("approval",),
            confirmed=False,
        ),
        Step(
            "education",
            _("继续教育考察"),
            "probationary",
            "第二十八条",
            requires=("approval",),
            optional=True,
            every=6,
            until=("full_approval",),
            confirmed=False,
        ),
        Step(
            "extend",
            _("延长预备期"),
            "probationary",
            "第三十二条",
            requires=("approval",),
            until=("full_meeting",),
            optional=True,
        ),
        Step(
            "full_request",
            _("提出转正申请"),
            "probationary",
            "第三十条",
            requires=("approval",),
            earliest=Wait("general_meeting", months=11, plus="extend"),
            latest=Wait("general_meeting", months=12, plus="extend"),
            confirmed=False,
        ),
        Step(
            "full_meeting",
            _("支部大会讨论转正"),
            "probationary",
            "第三十一条",
            requires=("full_request",),
            earliest=Wait("general_meeting", months=12, plus="extend"),
            confirmed=False,
        ),
        Step(
            "full_approval",
            _("上级党委审批转正"),
            "full",
            "第三十一条",
            requires=("full_meeting",),
            latest=Wait("full_meeting", months=3),
            by="above",
            confirmed=False,
        ),
        Step(
            "archive",
            _("材料归档"),
            "full",
            "第三十四条",
            requires=("full_approval",),
            ends=True,
            confirmed=False,
        ),
        Step(
            "cancel",
            _("取消预备党员资格"),
            "probationary",
            "第三十二条",
            requires=("approval",),
            until=("full_approval",),
            ends=True,
            optional=True,
        ),
    ),
)

VERSIONS: tuple[Pipeline, ...] = (PIPELINE_2014,)


def pipeline_on(day: dt.date) -> Pipeline:
    """The table in force on ``day``; a day before every table gets the oldest (the 2014
    table applies to 2005: the 1990 试行细则 is not in the system)."""
    current = VERSIONS[0]
    for p in VERSIONS:
        if p.effective <= day:
            current = p
    return current


def pipeline(version: str) -> Pipeline:
    for p in VERSIONS:
        if p.version == version:
            return p
    return VERSIONS[-1]


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_refusal(birth: dt.date | None, applied_on: dt.date) -> str | None:
    """第五条: 年满十八岁."""
    if birth is None:
        return None
    age = age_on(birth, applied_on)
    if age < MIN_AGE:
        return str(
            gettext("申请入党须年满十八岁，申请人递交申请书时为 %(age)s 岁（%(cite)s第五条）")
        ) % {"age": age, "cite": SOURCE}
    return None


def training_refusal(days: int | None, hours: int | None) -> str | None:
    """第十七条: 集中培训一般不少于三天（或不少于二十四个学时）."""
    if (days or 0) >= TRAINING_DAYS or (hours or 0) >= TRAINING_HOURS:
        return None
    return str(
        gettext(
            "集中培训一般不少于三天或不少于二十四个学时，本次为 %(days)s 天、%(hours)s 学时"
            "（%(cite)s第十七条）"
        )
    ) % {"days": days or 0, "hours": hours or 0, "cite": SOURCE}


def vote_refusal(counts: dict[str, Any]) -> str | None:
    """A general meeting's vote as counted: the meeting sits with more than half of the full
    members with voting rights due to attend present, and the resolution passes only when the
    votes for exceed half of those due (第二十一条, 待核). Counts are entered, never
    derived."""
    try:
        due = int(counts.get("due", 0))
        present = int(counts.get("present", 0))
        yes = int(counts.get("for", 0))
        no = int(counts.get("against", 0))
        abstain = int(counts.get("abstain", 0))
    except (TypeError, ValueError):
        return str(gettext("表决票数须为整数"))
    cite = f"{SOURCE}第二十一条" + str(gettext("（待核）"))
    if min(due, present, yes, no, abstain) < 0 or due == 0:
        return str(gettext("请填写应到会有表决权的正式党员人数和表决票数"))
    if present > due:
        return str(gettext("实到人数不能多于应到人数"))
    if yes + no + abstain > present:
        return str(gettext("赞成、反对、弃权票数之和不能多于实到人数"))
    if present * 2 <= due:
        return str(
            gettext(
                "有表决权的到会人数须超过应到会人数的半数方可开会："
                "应到 %(due)s 人，实到 %(present)s 人（%(cite)s）"
            )
        ) % {"due": due, "present": present, "cite": cite}
    if yes * 2 <= due:
        return str(
            gettext(
                "表决未通过：赞成 %(yes)s 票，"
                "未超过应到会有表决权的正式党员 %(due)s 人的半数（%(cite)s）"
            )
        ) % {"yes": yes, "due": due, "cite": cite}
    return None


def extension_refusal(months: int | None) -> str | None:
    """第三十二条: 延长时间不能少于半年，最长不超过一年 (once only: the engine refuses a second)."""
    if months is None or not (EXTENSION_MIN_MONTHS <= months <= EXTENSION_MAX_MONTHS):
        return str(
            gettext("延长预备期不能少于半年，最长不超过一年（6至12个月）（%(cite)s第三十二条）")
        ) % {"cite": SOURCE}
    return None


def stage_state(stage: str) -> str:
    states: dict[str, str] = {
        DevelopmentStage.PROBATIONARY: DevelopmentState.ADMITTED,
        DevelopmentStage.FULL: DevelopmentState.FULL,
    }
    return states.get(stage, DevelopmentState.ACTIVE)
