"""Rules of service programmes (S27: a property company gave 589 households numbered
special-service cards; party members make 3 home safety checks a year and 1 free cleaning),
with the state machines the services, the buttons and the tests read."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ProgrammeState(models.TextChoices):
    DRAFT = "draft", _("草拟")
    ACTIVE = "active", _("实施中")
    CLOSED = "closed", _("已结束")


class CardState(models.TextChoices):
    ACTIVE = "active", _("有效")
    WITHDRAWN = "withdrawn", _("已收回")


class TaskState(models.TextChoices):
    PLANNED = "planned", _("待服务")
    DONE = "done", _("已完成")
    MISSED = "missed", _("未完成")


class RunState(models.TextChoices):
    """A background scheduling of a programme's year: queued, running, then done or failed."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("正在排定")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


RUN_BUSY: tuple[str, ...] = (RunState.QUEUED, RunState.RUNNING)

# The stages a scheduling run reports, in the officers' words (the run stores the code).
RUN_STAGES: dict[str, str | Promise] = {
    "queued": _("排队中"),
    "read": _("读取服务卡和党员"),
    "solve": _("分配负责党员、安排日期"),
    "write": _("写入服务任务"),
    "done": _("完成"),
}

# A run still queued or running after this long lost its worker (a restart): the next click
# may start again instead of being refused for ever.
RUN_STALE_AFTER = dt.timedelta(hours=2)

# What an action may start from: a programme is drafted, then active (households enrolled,
# tasks scheduled and done), then closed; a task is planned until done or marked missed.
PROGRAMME_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "edit": (ProgrammeState.DRAFT, ProgrammeState.ACTIVE),
    "activate": (ProgrammeState.DRAFT,),
    "close": (ProgrammeState.ACTIVE,),
    "enrol": (ProgrammeState.DRAFT, ProgrammeState.ACTIVE),
    "schedule": (ProgrammeState.ACTIVE,),
}
TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "done": (TaskState.PLANNED, TaskState.MISSED),
    "missed": (TaskState.PLANNED,),
}

# S27's commitments: the two services its cards promise.
S27_COMMITMENTS: tuple[tuple[str, str, int, int], ...] = (
    ("safety_check", "安全检查", 3, 90),
    ("cleaning", "免费保洁", 1, 0),
)

MAX_TIMES = 12  # at most monthly: a commitment promised more often is not a yearly visit
MAX_ENROL = 2000  # households enrolled in one go
CARD_PREFIX_MAX = 12
