"""Tasks carried out at a unit and the four levels that own each (S6)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.progress.models import Campaign, CampaignUnit, Step
from jiceng.core.scoping import ScopedManager

from .rules import CHAIN_LEVELS, ESCALATION_DAYS, TaskState


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
