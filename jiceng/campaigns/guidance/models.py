"""Classified guidance issued for a sector (and organisation type) of a campaign (S14, S15),
the lines of each unit's plan made from it or added by the unit (S7), and the lessons pilot
units record for the next batch (S5)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.progress.models import Campaign, CampaignUnit
from jiceng.core.scoping import ScopedManager, ScopedQuerySet
from jiceng.orgs.models import OrgType, Sector

from .rules import PlanItemKind


class PilotLesson(models.Model):
    """A lesson recorded by a pilot unit (S5). Lessons are published guidance: the units of
    the same sector in the next batch read them (``guidance.selectors.lessons_for``)."""

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
