"""Unit appraisal (issue 21 item 4): the weights the city sets, versioned by the date they take
effect; a run computing every unit of a campaign as of a date; one stored score per unit and
run. Runs are kept, so a ranking handed over stays as it was handed over."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager
from jiceng.orgs.models import Sector

from . import rules
from .rules import RunState


class WeightSet(models.Model):
    """The weights of the indicators from ``effective_on`` until the next set takes effect.
    Set by the city (placed at the city committee's ``path``; every officer below reads it)."""

    effective_on = models.DateField(_("生效日期"), unique=True)
    weights = models.JSONField(_("权重"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    path = models.CharField(max_length=255, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)
    scope_visible_from_below: ClassVar[bool] = True

    class Meta:
        ordering = ["-effective_on"]
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")

    def __str__(self) -> str:
        return f"{self.effective_on:%Y-%m-%d}"

    def weight_rows(self) -> list[tuple[rules.Rule, int]]:
        return [(r, int(self.weights.get(r.indicator, 0))) for r in rules.RULES]


class AppraisalRun(models.Model):
    """One computation of every unit of a campaign as of a date, with the weights in force on
    that date (copied into ``weights``). Its scores appear only once it is done: the scores
    are written in one transaction with the state."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("活动"), on_delete=models.CASCADE, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False)  # the campaign's root
    as_of = models.DateField(_("统计日期"))
    period_from = models.DateField(_("统计起始日期"))
    weight_set = models.ForeignKey(
        WeightSet,
        verbose_name=_("权重版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
    )
    weights = models.JSONField(_("权重"), default=dict)
    state = models.CharField(
        _("状态"), max_length=10, choices=RunState.choices, default=RunState.QUEUED
    )
    progress = models.FloatField(default=0)
    stage = models.CharField(max_length=60, blank=True)
    message = models.CharField(max_length=1000, blank=True)
    units = models.PositiveIntegerField(_("单位数"), default=0)
    scored = models.PositiveIntegerField(_("有得分的单位数"), default=0)
    seconds = models.FloatField(_("用时（秒）"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)
    # a district officer reads the city's runs (and only their district's scores in them)
    scope_visible_from_below: ClassVar[bool] = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("考核计算")
        verbose_name_plural = _("考核计算")

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.as_of:%Y-%m-%d} #{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.progress)

    @property
    def is_running(self) -> bool:
        return self.state in (RunState.QUEUED, RunState.RUNNING)

    @property
    def weights_label(self) -> str:
        ws = self.weight_set
        if ws is None:
            return str(_("默认权重"))
        return str(_("%(d)s 起施行的权重") % {"d": ws.effective_on})


class UnitScore(models.Model):
    """A unit's score in one run: the figures of each indicator (``figures``: indicator →
    [numerator, denominator]; ``lets``: the four lets behind coverage), the score over the
    indicators present and its ranks within the district and, city-wide, the sector."""

    run = models.ForeignKey(AppraisalRun, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey(
        "campaigns.CampaignUnit",
        verbose_name=_("参加单位"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255)
    district_path = models.CharField(max_length=255)
    sector = models.CharField(_("所属领域"), max_length=30, choices=Sector.choices)
    score = models.FloatField(_("得分"), null=True, blank=True)
    figures = models.JSONField(default=dict)
    lets = models.JSONField(default=dict)
    rank_district = models.PositiveIntegerField(_("区县内排名"), null=True, blank=True)
    rank_sector = models.PositiveIntegerField(_("领域内排名"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        verbose_name = _("单位考核得分")
        verbose_name_plural = _("单位考核得分")
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="appraisal_score_once")]
        indexes = [
            models.Index(fields=["run", "org_path"], name="appraisal_score_path"),
            models.Index(fields=["run", "district_path", "rank_district"], name="appraisal_rank_d"),
            models.Index(fields=["run", "sector", "rank_sector"], name="appraisal_rank_s"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.score}"

    def parts(self) -> list[rules.Part]:
        figures = {k: (v[0], v[1]) for k, v in self.figures.items()}
        return rules.parts(figures, self.run.weights)

    @property
    def missing(self) -> list[str]:
        return [p.label for p in self.parts() if not p.present]
