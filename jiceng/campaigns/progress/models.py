"""Campaigns (先进性教育活动), their phases and steps, and each participating unit's progress.

A ``Campaign`` is one batch (S30) rooted at an organisation (the city committee for a
city-wide batch). Its ``Step`` rows are the ordered steps of the three phases, each with a due
date and the evidence it requires (S1). ``Participation`` rows name the subtrees taking part;
every grassroots organisation in them gets one ``CampaignUnit`` that holds its own launch
date, its current step and that step's state, copied fields for the roll-up (``org_path``,
``sector``, ``phase``, ``due_on``), and the parent unit that signs its steps off. The history
of launches, submissions, sign-offs and returns is ``StepRecord``.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core import clock, tree
from jiceng.core.fields import PersonNameField
from jiceng.core.scoping import ScopedManager, ScopedQuerySet
from jiceng.orgs.models import Sector

from .rules import Aim, Batch, Phase, Side, StepAction, StepState, UnitState


class Campaign(models.Model):
    name = models.CharField(_("活动名称"), max_length=120)
    batch = models.CharField(_("批次"), max_length=10, choices=Batch.choices)
    root = models.ForeignKey(
        "orgs.Organization", verbose_name=_("组织范围"), on_delete=models.PROTECT, related_name="+"
    )
    root_path = models.CharField(max_length=255, editable=False)
    starts_on = models.DateField(_("启动日期"))
    ends_on = models.DateField(_("结束日期"))
    as_of = models.DateField(
        _("统计日期"),
        null=True,
        blank=True,
        help_text=_("按此日期统计逾期；留空为今天（回顾往期活动时填写）"),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("沿用的上一批"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_batches",
    )
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("root_path",)
    # a district officer reads the city's batch (and only their district's units in it)
    scope_visible_from_below: ClassVar[bool] = True

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("先进性教育活动")
        verbose_name_plural = _("先进性教育活动")

    def __str__(self) -> str:
        return self.name

    def reference_date(self) -> dt.date:
        """The day overdue is counted at: ``as_of`` when set, else today."""
        return self.as_of or clock.today()


class Indicator(models.Model):
    """An indicator under one of the four aims (S2)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="indicators")
    aim = models.CharField(_("目标"), max_length=20, choices=Aim.choices)
    name = models.CharField(_("指标"), max_length=120)
    target = models.CharField(_("要求"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("campaign__root_path",)

    class Meta:
        ordering = ["campaign", "order", "id"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """One step of a phase: ordered within the campaign, with a due date and its evidence."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices)
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节"), max_length=120)
    evidence = models.CharField(_("需报送的材料"), max_length=200, blank=True)
    due_on = models.DateField(_("完成期限"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("campaign__root_path",)

    class Meta:
        ordering = ["campaign", "order"]
        verbose_name = _("环节")
        verbose_name_plural = _("环节")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="step_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} · {self.name}"


class Participation(models.Model):
    """A subtree taking part in the campaign (its grassroots organisations become units)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participations")
    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("参加范围"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        verbose_name = _("参加范围")
        verbose_name_plural = _("参加范围")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.org}"


class CampaignUnitQuerySet(ScopedQuerySet["CampaignUnit"]):
    def overdue(self, on: dt.date) -> CampaignUnitQuerySet:
        """In progress with the current step past its due date."""
        return self.filter(state=UnitState.IN_PROGRESS, due_on__lt=on)

    def late_launch(self, on: dt.date) -> CampaignUnitQuerySet:
        """Not launched although the first step is already due."""
        return self.filter(state=UnitState.NOT_LAUNCHED, due_on__lt=on)

    def lagging(self, on: dt.date) -> CampaignUnitQuerySet:
        return self.filter(state__in=[UnitState.NOT_LAUNCHED, UnitState.IN_PROGRESS], due_on__lt=on)


class CampaignUnit(models.Model):
    """A grassroots organisation's progress through the campaign.

    ``step`` is the current step (the first one before launch, None once completed);
    ``phase`` and ``due_on`` copy it so that roll-ups are one aggregate query.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="units")
    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    parent = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("上级党组织"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sector = models.CharField(_("所属领域"), max_length=30, choices=Sector.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=UnitState.choices, default=UnitState.NOT_LAUNCHED
    )
    launched_on = models.DateField(_("启动日期"), null=True, blank=True)
    step = models.ForeignKey(
        Step, verbose_name=_("当前环节"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    step_state = models.CharField(
        _("环节状态"), max_length=20, choices=StepState.choices, blank=True
    )
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices, blank=True)
    due_on = models.DateField(_("当前环节期限"), null=True, blank=True)
    signed_steps = models.PositiveSmallIntegerField(_("已通过环节"), default=0)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    is_pilot = models.BooleanField(_("试点单位"), default=False)  # S5
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(CampaignUnitQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        verbose_name = _("参加单位")
        verbose_name_plural = _("参加单位")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org"], name="campaign_unit_unique")
        ]
        indexes = [
            models.Index(fields=["campaign", "org_path"], name="cunit_path"),
            models.Index(fields=["campaign", "state", "due_on"], name="cunit_due"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.org}"

    def is_overdue(self, on: dt.date) -> bool:
        return self.state != UnitState.COMPLETED and self.due_on is not None and self.due_on < on

    def overdue_days(self, on: dt.date) -> int:
        return (on - self.due_on).days if self.is_overdue(on) and self.due_on else 0

    def side_path(self, side: str) -> str:
        """Where ``side`` sits in the tree: the unit's path, or its parent's ("" at the top)."""
        return self.org_path if side == Side.UNIT else tree.parent_path(self.org_path)


class StepRecord(models.Model):
    """One launch, submission, sign-off or return of a unit's step: the progress history."""

    unit = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="records")
    step = models.ForeignKey(Step, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("操作"), max_length=20, choices=StepAction.choices)
    on = models.DateField(_("日期"))
    evidence = models.TextField(_("报送材料"), blank=True)
    reason = models.TextField(_("退回原因"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_name = PersonNameField(_("操作人"), max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("unit__org_path",)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("环节记录")
        verbose_name_plural = _("环节记录")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_action_display()} {self.on}"
