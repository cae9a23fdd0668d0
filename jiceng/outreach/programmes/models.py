"""Service programmes (S27): a unit's promised services to registered households, their
numbered cards and the year's dated tasks assigned to members."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import CardState, ProgrammeState, TaskState


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
