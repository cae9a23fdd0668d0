"""Support projects (帮扶项目, S28): an organisation helps a village, a farm household or an
enterprise, with members assigned, measurable goals and dated progress."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import BeneficiaryKind, ProjectRole, ProjectState

DIGITS, PLACES = 14, 2


class SupportProject(models.Model):
    """A project run by an organisation (``owner``) for a beneficiary. Placed at the owner
    (``path``, copied for scoping); an assigned member sees the projects they work on
    (``scope_self_field``, self-service)."""

    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("实施单位"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("项目名称"), max_length=120)
    beneficiary_kind = models.CharField(
        _("受助对象类型"), max_length=12, choices=BeneficiaryKind.choices
    )
    beneficiary_name = models.CharField(_("受助对象"), max_length=120)
    beneficiary_place = models.CharField(_("所在地"), max_length=200, blank=True)
    description = models.TextField(_("项目内容"), blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("计划结束日期"))
    state = models.CharField(
        _("状态"), max_length=12, choices=ProjectState.choices, default=ProjectState.PLANNED
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    closing_note = models.CharField(_("结项说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)
    scope_self_field: ClassVar[str] = "assignments__member__user"

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("帮扶项目")
        verbose_name_plural = _("帮扶项目")
        indexes = [models.Index(fields=["path", "state"], name="project_path_state")]

    def __str__(self) -> str:
        return self.title


class ProjectGoal(models.Model):
    """What is measured, in what unit, from which baseline to which target, by when."""

    project = models.ForeignKey(SupportProject, on_delete=models.CASCADE, related_name="goals")
    measure = models.CharField(_("目标内容"), max_length=120)
    unit = models.CharField(_("单位"), max_length=12)
    baseline = models.DecimalField(_("基数"), max_digits=DIGITS, decimal_places=PLACES)
    target = models.DecimalField(_("目标值"), max_digits=DIGITS, decimal_places=PLACES)
    target_on = models.DateField(_("目标日期"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("项目目标")
        verbose_name_plural = _("项目目标")

    def __str__(self) -> str:
        return self.measure


class ProjectMember(models.Model):
    """A member assigned to a project, as its lead or a member, from a date."""

    project = models.ForeignKey(
        SupportProject, on_delete=models.CASCADE, related_name="assignments"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("分工"), max_length=10, choices=ProjectRole.choices)
    since = models.DateField(_("参加日期"))

    class Meta:
        ordering = ["role", "since", "id"]
        verbose_name = _("项目成员")
        verbose_name_plural = _("项目成员")
        constraints = [
            models.UniqueConstraint(fields=["project", "member"], name="project_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_role_display()}"


class ProjectProgress(models.Model):
    """A dated note of what was done, by whom, with the goals' values measured then."""

    project = models.ForeignKey(SupportProject, on_delete=models.CASCADE, related_name="progress")
    noted_on = models.DateField(_("日期"))
    note = models.TextField(_("进展情况"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["-noted_on", "-id"]
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")

    def __str__(self) -> str:
        return f"{self.noted_on} {self.note[:30]}"


class ProjectMeasurement(models.Model):
    """One goal's value measured at a progress note."""

    progress = models.ForeignKey(
        ProjectProgress, on_delete=models.CASCADE, related_name="measurements"
    )
    goal = models.ForeignKey(ProjectGoal, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(_("实测值"), max_digits=DIGITS, decimal_places=PLACES)
    measured_on = models.DateField(_("测量日期"))

    class Meta:
        ordering = ["measured_on", "id"]
        verbose_name = _("目标实测值")
        verbose_name_plural = _("目标实测值")
        indexes = [models.Index(fields=["goal", "measured_on"], name="measurement_goal_on")]
        constraints = [
            models.UniqueConstraint(fields=["progress", "goal"], name="measurement_once")
        ]

    def __str__(self) -> str:
        return f"{self.goal} {self.value}"
