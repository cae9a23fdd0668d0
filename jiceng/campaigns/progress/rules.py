"""Campaign rules as named constants with their sources, and the step state machine.

* S1: the campaign runs "every stage and every link" (各阶段各环节): three phases, each with
  ordered steps, and every participating unit moves through them; the parent unit signs each
  step off (or returns it with a reason).
* S2: four aims (提高党员素质、加强基层组织、服务人民群众、促进各项工作), indicators under each.
* S4: the second batch was launched city-wide on 30 June 2005; each unit has its own launch.
* S30: campaigns come in batches, and a new batch reuses the structure of the last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import OrgType


class Batch(models.TextChoices):
    FIRST = "first", _("第一批")
    SECOND = "second", _("第二批")
    THIRD = "third", _("第三批")


class Phase(models.TextChoices):
    STUDY = "study", _("学习动员")
    REVIEW = "review", _("分析评议")
    RECTIFY = "rectify", _("整改提高")


PHASE_ORDER = (Phase.STUDY, Phase.REVIEW, Phase.RECTIFY)


class Aim(models.TextChoices):
    """The four aims of the campaign (S2)."""

    QUALITY = "quality", _("提高党员素质")
    ORGANIZATION = "organization", _("加强基层组织")
    SERVICE = "service", _("服务人民群众")
    WORK = "work", _("促进各项工作")


class UnitState(models.TextChoices):
    NOT_LAUNCHED = "not_launched", _("未启动")
    IN_PROGRESS = "in_progress", _("进行中")
    COMPLETED = "completed", _("已完成")


class StepState(models.TextChoices):
    """The state of a unit's current step (blank before launch and after completion)."""

    PENDING = "pending", _("待报送")
    SUBMITTED = "submitted", _("已报送，待上级审核")
    RETURNED = "returned", _("已退回，待重新报送")


class StepAction(models.TextChoices):
    LAUNCH = "launch", _("启动")
    SUBMIT = "submit", _("报送")
    SIGN_OFF = "sign_off", _("审核通过")
    RETURN = "return", _("退回")


# The units that run the campaign themselves and whose progress is tracked: the grassroots
# organisations (基层党组织) — primary committees, general branches and branches (S1: "every
# grassroots organisation"); committees above them guide and sign off.
UNIT_TYPES = (
    OrgType.PRIMARY_COMMITTEE,
    OrgType.GENERAL_BRANCH,
    OrgType.BRANCH,
    OrgType.JOINT_BRANCH,
)

U, St, A = UnitState, StepState, StepAction
# (unit state, step state, action) → (unit state, step state). ``None`` as the step state
# after SIGN_OFF means "the next step, or the campaign completed when it was the last".
# Every triple not listed is forbidden (``StepTransitionError``).
TRANSITIONS: dict[tuple[str, str, str], tuple[str, str | None]] = {
    (U.NOT_LAUNCHED, "", A.LAUNCH): (U.IN_PROGRESS, St.PENDING),
    (U.IN_PROGRESS, St.PENDING, A.SUBMIT): (U.IN_PROGRESS, St.SUBMITTED),
    (U.IN_PROGRESS, St.RETURNED, A.SUBMIT): (U.IN_PROGRESS, St.SUBMITTED),
    (U.IN_PROGRESS, St.SUBMITTED, A.SIGN_OFF): (U.IN_PROGRESS, None),
    (U.IN_PROGRESS, St.SUBMITTED, A.RETURN): (U.IN_PROGRESS, St.RETURNED),
}
del U, St, A


class StepTransitionError(ValidationError):
    """An action the unit's state does not allow; the message is for the user."""

    def __init__(self, unit_state: str, step_state: str, action: str) -> None:
        self.unit_state, self.step_state, self.action = unit_state, step_state, action
        where = str(UnitState(unit_state).label)
        if step_state:
            where = f"{where}（{StepState(step_state).label}）"
        super().__init__(
            _("“%(where)s”的单位不能“%(action)s”")
            % {"where": where, "action": StepAction(action).label},
            code="transition_not_allowed",
        )


def next_states(unit_state: str, step_state: str, action: str) -> tuple[str, str | None]:
    """The unit and step state after ``action``, or ``StepTransitionError``.

    >>> unit_state, step_state = next_states("in_progress", "pending", "submit")
    >>> str(unit_state), str(step_state)
    ('in_progress', 'submitted')
    >>> next_states("in_progress", "pending", "sign_off")
    Traceback (most recent call last):
    ...
    jiceng.campaigns.progress.rules.StepTransitionError: ['“进行中（待报送）”的单位不能“审核通过”']
    """
    try:
        return TRANSITIONS[(unit_state, step_state or "", action)]
    except KeyError:
        raise StepTransitionError(unit_state, step_state or "", action) from None


def allowed_actions(unit_state: str, step_state: str) -> list[str]:
    """The actions the unit's state allows, whoever asks (``TRANSITIONS`` order).

    >>> [str(a) for a in allowed_actions("in_progress", "submitted")]
    ['sign_off', 'return']
    """
    return [a for (u, s, a) in TRANSITIONS if u == unit_state and s == (step_state or "")]


class Side(models.TextChoices):
    """Who acts on a unit: the unit itself, or its parent organisation, which signs each of
    its steps off (S1) and chooses its pilots (S5)."""

    UNIT = "unit", _("本单位")
    PARENT = "parent", _("上级党组织")


# Which side takes each step action, and what someone who may not act for that side is told.
ACTION_SIDE: dict[str, Side] = {
    StepAction.LAUNCH: Side.UNIT,
    StepAction.SUBMIT: Side.UNIT,
    StepAction.SIGN_OFF: Side.PARENT,
    StepAction.RETURN: Side.PARENT,
}
REFUSALS: dict[str, Promise] = {
    StepAction.LAUNCH: _("无权为该单位启动活动"),
    StepAction.SUBMIT: _("无权为该单位报送"),
    StepAction.SIGN_OFF: _("审核须由上级党组织进行"),
    StepAction.RETURN: _("审核须由上级党组织进行"),
}


@dataclass(frozen=True)
class StepTemplate:
    phase: str
    name: str
    evidence: str
    days: int  # due this many days after the campaign's launch


# The second batch's schedule as the city set it out (S1, S4): launched 30 June 2005, about
# two months of study and mobilisation, a month of analysis and review, and rectification to
# the end of the year. These are data stored with the campaign (in Chinese, as officers wrote
# them). A campaign without a previous batch starts from these steps; a new batch copies the
# steps of the batch it is created from (S30).
DEFAULT_STEPS: tuple[StepTemplate, ...] = (
    StepTemplate(Phase.STUDY, "召开动员大会", "动员大会记录、参会名单", 14),
    StepTemplate(Phase.STUDY, "集中学习培训", "学习计划、学习记录、心得体会", 56),
    StepTemplate(Phase.STUDY, "征求群众意见", "征求意见汇总表", 70),
    StepTemplate(Phase.REVIEW, "谈心交心", "谈心谈话记录", 84),
    StepTemplate(Phase.REVIEW, "撰写党性分析材料", "党员党性分析材料", 98),
    StepTemplate(Phase.REVIEW, "召开专题组织生活会、民主评议", "会议记录、评议结果", 112),
    StepTemplate(Phase.RECTIFY, "制定整改方案并公示", "整改方案、公示照片", 133),
    StepTemplate(Phase.RECTIFY, "落实整改、建立长效机制", "整改台账、长效机制文件", 161),
    StepTemplate(Phase.RECTIFY, "群众满意度测评、总结", "测评结果、工作总结", 180),
)

# Indicators under the four aims (S2), as the city's guidance phrased them for the second
# batch; a new batch copies the indicators of the last one (S30).
DEFAULT_INDICATORS: tuple[tuple[str, str, str], ...] = (
    (Aim.QUALITY, "党员参加集中学习", "参学率 95％以上"),
    (Aim.QUALITY, "党员撰写党性分析材料", "100％"),
    (Aim.ORGANIZATION, "支部书记配备到位", "空缺不超过 3 个月"),
    (Aim.ORGANIZATION, "软弱涣散党组织整顿", "全部完成整顿销号"),
    (Aim.SERVICE, "党员联系困难群众", "每名党员结对 1 户"),
    (Aim.SERVICE, "群众满意度", "满意率 90％以上"),
    (Aim.WORK, "整改事项完成", "按期完成率 90％以上"),
    (Aim.WORK, "长效机制建立", "每个单位至少 1 项"),
)

# The second batch's city-wide launch (S4).
SECOND_BATCH_LAUNCH = dt.date(2005, 6, 30)
