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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager, ScopedQuerySet
from jiceng.orgs.models import OrgType, Sector

from .rules import (
    CHAIN_LEVELS,
    ESCALATION_DAYS,
    Aim,
    Batch,
    Coverage,
    FourOnes,
    FourOnesState,
    Phase,
    PlanItemKind,
    StepAction,
    StepState,
    TaskState,
    UnitState,
    allowed_actions,
)


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
        return self.as_of or timezone.localdate()


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

    @property
    def actions(self) -> list[str]:
        return allowed_actions(self.state, self.step_state)


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
    by_name = models.CharField(_("操作人"), max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("unit__org_path",)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("环节记录")
        verbose_name_plural = _("环节记录")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_action_display()} {self.on}"


# ----- pilots (S5) ---------------------------------------------------------------------------


class PilotLesson(models.Model):
    """A lesson recorded by a pilot unit (S5). Lessons are published guidance: the units of
    the same sector in the next batch read them (``selectors.lessons_for``)."""

    unit = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="lessons")
    sector = models.CharField(_("所属领域"), max_length=30, choices=Sector.choices)
    title = models.CharField(_("经验"), max_length=120)
    text = models.TextField(_("做法与体会"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_on = models.DateField(_("日期"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("unit__org_path",)

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name = _("试点经验")
        verbose_name_plural = _("试点经验")

    def __str__(self) -> str:
        return self.title


# ----- classified guidance (S14, S15) ---------------------------------------------------------


class GuidanceTemplateQuerySet(ScopedQuerySet["GuidanceTemplate"]):
    def matching(self, sector: str, org_type: str) -> GuidanceTemplateQuerySet:
        """Templates for the sector, the organisation-type-specific ones first (S15)."""
        return self.filter(sector=sector).filter(Q(org_type=org_type) | Q(org_type=""))


class GuidanceTemplate(models.Model):
    """Classified guidance (分类指导, S14, S15): what a sector's (and organisation type's)
    units focus on in the campaign, the steps they must take and the indicators they report."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="templates")
    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("制定单位"), on_delete=models.PROTECT, related_name="+"
    )
    owner_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("指导方案"), max_length=120)
    sector = models.CharField(_("适用领域"), max_length=30, choices=Sector.choices)
    org_type = models.CharField(
        _("适用组织类别"),
        max_length=30,
        choices=OrgType.choices,
        blank=True,
        help_text=_("留空则适用该领域全部单位"),
    )
    focus = models.TextField(_("工作重点"), help_text=_("每行一项"))
    steps = models.TextField(_("规定动作"), blank=True, help_text=_("每行一项"))
    indicators = models.TextField(_("指标"), blank=True, help_text=_("每行一项"))
    source = models.CharField(_("依据"), max_length=200, blank=True)

    objects = models.Manager.from_queryset(GuidanceTemplateQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("owner_path",)
    scope_visible_from_below: ClassVar[bool] = True  # guidance issued above reaches below

    class Meta:
        ordering = ["sector", "org_type", "id"]
        verbose_name = _("分类指导方案")
        verbose_name_plural = _("分类指导方案")

    def __str__(self) -> str:
        return self.name

    def items(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for kind, text in (
            (PlanItemKind.FOCUS, self.focus),
            (PlanItemKind.STEP, self.steps),
            (PlanItemKind.INDICATOR, self.indicators),
        ):
            out += [(kind, line.strip()) for line in text.splitlines() if line.strip()]
        return out


class UnitPlanItem(models.Model):
    """One line of a unit's plan: instantiated from its guidance template, or the unit's own
    (its education carriers, S7)."""

    unit = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="plan_items")
    kind = models.CharField(_("类别"), max_length=20, choices=PlanItemKind.choices)
    text = models.CharField(_("内容"), max_length=300)
    template = models.ForeignKey(
        GuidanceTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done = models.BooleanField(_("已落实"), default=False)
    note = models.CharField(_("落实情况"), max_length=300, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("unit__org_path",)

    class Meta:
        ordering = ["unit", "kind", "id"]
        verbose_name = _("单位方案条目")
        verbose_name_plural = _("单位方案条目")

    def __str__(self) -> str:
        return self.text

    @property
    def is_own(self) -> bool:
        return self.template_id is None


# ----- four-level responsibility chains (S6) -----------------------------------------------


class ResponsibilityTask(models.Model):
    """A task carried out at a unit (from a step or the unit's plan), owned at each of up to
    four levels of the tree (``ChainLink``), from the unit up (S6)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    unit = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="tasks")
    org_path = models.CharField(max_length=255, editable=False)
    step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("任务"), max_length=200)
    due_on = models.DateField(_("完成期限"))
    state = models.CharField(
        _("状态"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("责任任务")
        verbose_name_plural = _("责任任务")
        indexes = [models.Index(fields=["campaign", "state", "due_on"], name="ctask_due")]

    def __str__(self) -> str:
        return self.title

    def overdue_days(self, on: dt.date) -> int:
        return (on - self.due_on).days if self.state == TaskState.OPEN and self.due_on < on else 0

    def escalation_rank(self, on: dt.date, links: int = CHAIN_LEVELS) -> int:
        """Which link holds the task now: 0 is the owner; every ``ESCALATION_DAYS`` overdue
        moves it one level up, never past the top of its chain."""
        days = self.overdue_days(on)
        return min(max(links - 1, 0), days // ESCALATION_DAYS) if days else 0


class ChainLink(models.Model):
    """The owner of a task at one level: the unit (rank 0) and up to three levels above."""

    task = models.ForeignKey(ResponsibilityTask, on_delete=models.CASCADE, related_name="links")
    rank = models.PositiveSmallIntegerField(_("层级"))  # 0 = the unit itself, then upwards
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.CharField(_("责任人"), max_length=60, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("task__org_path",)

    class Meta:
        ordering = ["task", "rank"]
        constraints = [models.UniqueConstraint(fields=["task", "rank"], name="chain_link_rank")]

    def __str__(self) -> str:
        return f"{self.rank}: {self.org_id} {self.person}"


# ----- "four lets" coverage, entered figures (S8) -------------------------------------------


class CoverageEntry(models.Model):
    """An entered figure for a coverage indicator that the data cannot give yet (owners
    supporting, residents aware: S8), e.g. 46 of 50 businesses; shown marked as entered."""

    unit = models.ForeignKey(CampaignUnit, on_delete=models.CASCADE, related_name="coverage")
    indicator = models.CharField(_("指标"), max_length=20, choices=Coverage.choices)
    numerator = models.PositiveIntegerField(_("达到数"))
    denominator = models.PositiveIntegerField(_("总数"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_on = models.DateField(_("填报日期"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("unit__org_path",)

    class Meta:
        verbose_name = _("覆盖指标填报")
        verbose_name_plural = _("覆盖指标填报")
        constraints = [
            models.UniqueConstraint(fields=["unit", "indicator"], name="coverage_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.numerator}/{self.denominator}"

    @property
    def rate(self) -> float:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else 0.0


# ----- theme practices (S24, S25) and "four ones" (S18) -------------------------------------


class ThemePractice(models.Model):
    """A named theme practice (S25: 高兴、放心、凝聚、覆盖) with its target industries or
    units (S24: taxis and supermarkets) and its activities."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="practices")
    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    owner_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("主题实践活动"), max_length=120)
    targets = models.CharField(_("面向行业或单位"), max_length=200, blank=True)
    description = models.TextField(_("内容"), blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("owner_path",)
    scope_visible_from_below: ClassVar[bool] = True  # units below record activities for it

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("主题实践活动")
        verbose_name_plural = _("主题实践活动")

    def __str__(self) -> str:
        return self.name


class PracticeActivity(models.Model):
    practice = models.ForeignKey(ThemePractice, on_delete=models.CASCADE, related_name="activities")
    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("开展单位"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    title = models.CharField(_("活动"), max_length=200)
    on = models.DateField(_("日期"))
    place = models.CharField(_("地点或对象"), max_length=120, blank=True)
    participants = models.PositiveIntegerField(_("参加党员（人次）"), default=0)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("主题实践活动记录")
        verbose_name_plural = _("主题实践活动记录")

    def __str__(self) -> str:
        return self.title


class FourOnesItem(models.Model):
    """One item of a member's "four ones" (S18), recorded by the member (self-service) or the
    branch, with evidence; the branch confirms it (or returns it with a reason)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="four_ones")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    member_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("项目"), max_length=20, choices=FourOnes.choices)
    description = models.CharField(_("内容"), max_length=300)
    evidence = models.CharField(_("佐证"), max_length=300, blank=True)
    done_on = models.DateField(_("完成日期"))
    state = models.CharField(
        _("状态"), max_length=20, choices=FourOnesState.choices, default=FourOnesState.RECORDED
    )
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_on = models.DateField(_("确认日期"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)
    scope_self_field: ClassVar[str | None] = "member__user"

    class Meta:
        verbose_name = _("四个一")
        verbose_name_plural = _("四个一")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member", "kind"], name="four_ones_unique")
        ]
        indexes = [models.Index(fields=["campaign", "member_path"], name="fourones_path")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.get_kind_display()}"
