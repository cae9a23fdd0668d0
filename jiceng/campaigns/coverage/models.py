"""Coverage figures a unit enters for the "four lets" the data cannot give yet (S8)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.progress.models import CampaignUnit
from jiceng.core.scoping import ScopedManager

from .rules import Coverage


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


class CoverageTally(models.Model):
    """Stored roll figures of one unit for a campaign's "four lets" (S8, issue 22): members
    registered there on the roll, those taking part somewhere (S10), and those present at a
    study session during the campaign (S9). Kept by ``coverage.totals`` in the transaction of
    every write that changes them; a subtree's figure is a sum over its units' rows."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, default="")  # a copy: sums read one table
    members = models.PositiveIntegerField(default=0)
    placed = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("四让覆盖合计")
        verbose_name_plural = _("四让覆盖合计")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org"], name="coverage_tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.org_id}: {self.placed}/{self.members}"
