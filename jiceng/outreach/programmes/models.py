"""Service programmes (S27): a unit's promised services to registered households, their
numbered cards and the year's dated tasks assigned to members."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import RUN_BUSY, RUN_STAGES, CardState, ProgrammeState, RunState, TaskState


class ServiceProgramme(models.Model):
    """A unit's "special service for special groups" of one year: whom it serves (target
    categories), what it promises (commitments), the hotline printed on the cards. Placed at
    the owner organisation (``path``)."""

    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("实施单位"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    name = models.CharField(_("服务项目名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    categories = models.ManyToManyField(
        "outreach.NeedyCategory", verbose_name=_("服务对象类别"), related_name="+", blank=True
    )
    description = models.TextField(_("服务内容说明"), blank=True)
    hotline = models.CharField(_("服务热线"), max_length=40, blank=True)
    card_prefix = models.CharField(_("卡号前缀"), max_length=12)
    state = models.CharField(
        _("状态"), max_length=10, choices=ProgrammeState.choices, default=ProgrammeState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-year", "path", "id"]
        verbose_name = _("特色服务项目")
        verbose_name_plural = _("特色服务项目")

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class Commitment(models.Model):
    """A promised service: ``times`` a year per household, at least ``min_gap_days`` apart."""

    programme = models.ForeignKey(
        ServiceProgramme, on_delete=models.CASCADE, related_name="commitments"
    )
    code = models.SlugField(_("服务代码"), max_length=30)
    label = models.CharField(_("服务内容"), max_length=40)
    times = models.PositiveSmallIntegerField(_("每年次数"))
    min_gap_days = models.PositiveSmallIntegerField(_("最短间隔（天）"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("服务承诺")
        verbose_name_plural = _("服务承诺")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="commitment_code_once"),
            models.CheckConstraint(condition=Q(times__gte=1), name="commitment_times_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ×{self.times}"


class ServiceCard(models.Model):
    """A household's numbered special-service card (``<prefix>-0001``), unique in its
    programme; one active card per household per programme."""

    programme = models.ForeignKey(ServiceProgramme, on_delete=models.PROTECT, related_name="cards")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    household = models.ForeignKey(
        "outreach.NeedyPerson",
        verbose_name=_("服务对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    seq = models.PositiveIntegerField(editable=False)
    number = models.CharField(_("服务卡号"), max_length=30)
    issued_on = models.DateField(_("发卡日期"))
    state = models.CharField(
        _("状态"), max_length=10, choices=CardState.choices, default=CardState.ACTIVE
    )
    withdrawn_on = models.DateField(_("收回日期"), null=True, blank=True)
    reason = models.CharField(_("收回原因"), max_length=200, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["programme", "seq"]
        verbose_name = _("特色服务卡")
        verbose_name_plural = _("特色服务卡")
        constraints = [
            models.UniqueConstraint(fields=["programme", "seq"], name="card_seq_unique"),
            models.UniqueConstraint(fields=["programme", "number"], name="card_number_unique"),
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=Q(state="active"),
                name="card_one_active_per_household",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ServiceTask(models.Model):
    """One dated service to a card's household by its responsible member. Placed at the
    owner organisation (``path``); the responsible member sees their own
    (``scope_self_field``: the member's account)."""

    card = models.ForeignKey(ServiceCard, on_delete=models.CASCADE, related_name="tasks")
    programme = models.ForeignKey(ServiceProgramme, on_delete=models.CASCADE, related_name="+")
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="tasks")
    path = models.CharField(max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)  # the owner's, for the bell
    sequence = models.PositiveSmallIntegerField(_("第几次"), default=1)
    due_on = models.DateField(_("计划日期"))
    responsible = models.ForeignKey(
        "members.Member",
        verbose_name=_("负责党员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=TaskState.choices, default=TaskState.PLANNED
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("服务情况"), max_length=300, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)
    scope_self_field: ClassVar[str] = "responsible__user"

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("服务任务")
        verbose_name_plural = _("服务任务")
        indexes = [
            # the overdue worklist: not done, due before today, in a subtree
            models.Index(fields=["state", "due_on", "path"], name="svctask_state_due_path"),
            models.Index(fields=["path", "state", "due_on"], name="svctask_path_state_due"),
            models.Index(fields=["responsible", "state", "due_on"], name="svctask_member_due"),
            models.Index(fields=["programme", "state", "due_on"], name="svctask_prog_due"),
        ]

    def __str__(self) -> str:
        return f"{self.due_on} {self.commitment.label}"


class ScheduleRun(models.Model):
    """One scheduling of a programme's year, computed by a background task
    (``tasks.run_schedule``): queued, running with its progress, then done with the figures
    or failed with the reason. At most one queued or running per programme. Placed at the
    programme's owner (``path``)."""

    programme = models.ForeignKey(
        ServiceProgramme, on_delete=models.CASCADE, related_name="schedule_runs"
    )
    path = models.CharField(max_length=255, editable=False)
    state = models.CharField(
        _("状态"), max_length=10, choices=RunState.choices, default=RunState.QUEUED
    )
    progress = models.FloatField(default=0)
    stage = models.CharField(max_length=20, blank=True)
    message = models.TextField(_("说明"), blank=True)
    result = models.JSONField(default=dict, blank=True)
    # Who asked: the task acts as them (their rights are checked again when it runs), so
    # the account is kept while a run names it.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("排定服务任务")
        verbose_name_plural = _("排定服务任务")
        constraints = [
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(state__in=["queued", "running"]),
                name="schedule_run_one_busy",
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.state}"

    @property
    def is_busy(self) -> bool:
        return self.state in RUN_BUSY

    @property
    def percent(self) -> int:
        return round(100 * min(max(self.progress, 0.0), 1.0))

    @property
    def stage_label(self) -> str:
        return str(RUN_STAGES.get(self.stage, self.stage))

    @property
    def summary(self) -> str:
        """A finished run's figures in a sentence (empty before it is done)."""
        r = self.result
        if self.state != RunState.DONE or not r:
            return ""
        return gettext(
            "已排定 %(tasks)s 项服务任务（%(start)s 至 %(end)s）：%(households)s 户分给 "
            "%(members)s 名党员，每名党员负责 %(low)s–%(high)s 户；保留已有任务 %(kept)s 项"
        ) % {
            "tasks": r.get("tasks", 0),
            "start": r.get("start", ""),
            "end": r.get("end", ""),
            "households": r.get("households", 0),
            "members": r.get("members", 0),
            "low": r.get("min_per_member", 0),
            "high": r.get("max_per_member", 0),
            "kept": r.get("kept", 0),
        }
