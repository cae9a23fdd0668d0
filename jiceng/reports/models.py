"""Summary reports (综述, S29): each generated once, by the task worker, and kept as it was
generated — the content document, every figure it quotes with what it counted, the time it
was made "as of" and the data's generation (the audit log's last event then), so a report
handed over never changes and a later one can be compared with it."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager


class ReportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("正在生成")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class SummaryReport(models.Model):
    root = models.ForeignKey(
        "orgs.Organization", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("活动批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    period_start = models.DateField(_("统计起始日期"))
    period_end = models.DateField(_("统计截止日期"))
    title = models.CharField(_("标题"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=ReportState.choices, default=ReportState.QUEUED
    )
    progress = models.FloatField(default=0)
    stage = models.CharField(max_length=80, blank=True)
    message = models.CharField(max_length=1000, blank=True)
    # the document (compose.write) and every figure it quotes: value, figure, subtree, window
    content = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True)
    as_of = models.DateTimeField(_("数据截至"), null=True, blank=True)
    data_generation = models.BigIntegerField(_("数据版本"), null=True, blank=True)
    seconds = models.FloatField(_("用时（秒）"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("综述")
        verbose_name_plural = _("综述")
        indexes = [models.Index(fields=["path", "-created_at"], name="report_path_created")]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.progress)

    @property
    def is_running(self) -> bool:
        return self.state in (ReportState.QUEUED, ReportState.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.state == ReportState.DONE

    def figure(self, ref: str) -> dict[str, Any] | None:
        return self.figures.get(ref)
