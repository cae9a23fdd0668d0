"""The study ledger (S9): periods, requirements, sessions with attendance, self-study.

A ``StudySession`` belongs to the unit that held it (``org``; ``org_path`` places it in the
tree). ``Attendance`` rows belong to the session and to the member (``member_path``), so the
member sees their own. A ``SelfStudy`` entry belongs to the member's study unit (``org_path``:
the participating unit, else the home unit), whose branch confirms it, and to the member's
home unit (``member_path``).

Periods and requirements are reference data set by the organisation department for the whole
city (like the organisation types); every logged-in user may read them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager
from jiceng.orgs.models import OrgType, Sector

from .rules import AMOUNT_DIGITS, AMOUNT_PLACES, MAX_AMOUNT, MIN_AMOUNT, StudyMode


def _amount_field(verbose_name: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(MIN_AMOUNT), MaxValueValidator(MAX_AMOUNT)],
    )


class StudyPeriod(models.Model):
    """A study period, e.g. the second batch of the campaign (a campaign link comes later)."""

    name = models.CharField(_("学习周期"), max_length=80, unique=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("学习周期")
        verbose_name_plural = _("学习周期")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="study_period_dates",
                violation_error_message=_("结束日期不能早于开始日期"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day: object) -> bool:
        return self.starts_on <= day <= self.ends_on  # type: ignore[operator]


class StudyRequirement(models.Model):
    """How much a member must study in a period under one mode; blank sector or org type
    means "any". The most specific requirement matching the member's unit applies."""

    period = models.ForeignKey(
        StudyPeriod,
        verbose_name=_("学习周期"),
        on_delete=models.CASCADE,
        related_name="requirements",
    )
    mode = models.CharField(_("计量方式"), max_length=20, choices=StudyMode.choices)
    sector = models.CharField(
        _("适用领域"), max_length=30, choices=Sector.choices, blank=True, default=""
    )
    org_type = models.CharField(
        _("适用组织类别"), max_length=30, choices=OrgType.choices, blank=True, default=""
    )
    required_amount = models.DecimalField(
        _("要求数量"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(MIN_AMOUNT)],
    )
    source_note = models.CharField(_("依据"), max_length=200)

    class Meta:
        ordering = ["period", "mode", "sector", "org_type"]
        verbose_name = _("学习要求")
        verbose_name_plural = _("学习要求")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "mode", "sector", "org_type"],
                name="study_requirement_unique",
                violation_error_message=_("该周期已有相同范围的学习要求"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_mode_display()} {self.required_amount}"


class StudySession(models.Model):
    """A study session held by a unit: each member marked present earns ``amount``."""

    period = models.ForeignKey(
        StudyPeriod, verbose_name=_("学习周期"), on_delete=models.PROTECT, related_name="sessions"
    )
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("组织单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, editable=False)
    held_on = models.DateField(_("日期"))
    topic = models.CharField(_("学习主题"), max_length=200)
    mode = models.CharField(_("计量方式"), max_length=20, choices=StudyMode.choices)
    amount = _amount_field(_("每人计入"))
    evidence = models.TextField(_("学习记录（证明材料）"), blank=True)
    evidence_file = models.CharField(_("材料文件名"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("集中学习")
        verbose_name_plural = _("集中学习")
        indexes = [models.Index(fields=["org_path", "period", "held_on"], name="study_session_org")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class Attendance(models.Model):
    """Whether one member attended one session (one row per session and member)."""

    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    member_path = models.CharField(max_length=255, editable=False)
    present = models.BooleanField(_("出席"), default=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("session__org_path", "member_path")
    scope_self_field: ClassVar[str | None] = "member__user"

    class Meta:
        ordering = ["session", "member_id"]
        verbose_name = _("出勤")
        verbose_name_plural = _("出勤")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"],
                name="study_attendance_unique",
                violation_error_message=_("该党员本次学习的出勤已登记"),
            )
        ]
        indexes = [models.Index(fields=["member", "present"], name="study_attendance_member")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.member_id} {'✓' if self.present else '✗'}"


class SelfStudy(models.Model):
    """A member's self-study: entered by the member or an officer, confirmed by the branch.
    Only confirmed entries count toward completion."""

    period = models.ForeignKey(
        StudyPeriod, verbose_name=_("学习周期"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    member_path = models.CharField(max_length=255, editable=False)
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("确认单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, editable=False)
    studied_on = models.DateField(_("日期"))
    topic = models.CharField(_("学习内容"), max_length=200)
    mode = models.CharField(_("计量方式"), max_length=20, choices=StudyMode.choices)
    amount = _amount_field(_("数量"))
    evidence = models.TextField(_("学习记录（证明材料）"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path", "member_path")
    scope_self_field: ClassVar[str | None] = "member__user"

    class Meta:
        ordering = ["-studied_on", "-id"]
        verbose_name = _("个人自学")
        verbose_name_plural = _("个人自学")
        indexes = [
            models.Index(fields=["member", "period"], name="study_self_member"),
            models.Index(fields=["org_path", "confirmed_at"], name="study_self_org"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.studied_on} {self.topic}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class StudyTally(models.Model):
    """Stored completion of one period for the members who study in one unit (issue 22):
    what the completion pages roll up, kept by ``jiceng.study.totals`` in the transaction of
    every write that changes it. A subtree's figure is a sum over its units' rows."""

    period = models.ForeignKey(StudyPeriod, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, default="")  # a copy: sums read one table
    members = models.PositiveIntegerField(default=0)
    with_requirement = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    below = models.PositiveIntegerField(default=0)
    done = models.DecimalField(max_digits=14, decimal_places=AMOUNT_PLACES, default=0)

    class Meta:
        verbose_name = _("学习完成合计")
        verbose_name_plural = _("学习完成合计")
        constraints = [models.UniqueConstraint(fields=["period", "org"], name="study_tally_unique")]

    def __str__(self) -> str:
        return f"{self.period_id}/{self.org_id}: {self.completed}/{self.with_requirement}"
