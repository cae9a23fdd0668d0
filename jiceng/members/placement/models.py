"""The placement history behind ``Member.participating_org``."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedQuerySet

from .rules import PlacementReason


class Placement(models.Model):
    """One placement of a member in a participating unit for a campaign period (S10): the
    history behind ``Member.participating_org``, which holds the current one. ``org`` is
    None when an officer took a placement back (the member is unplaced again)."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    member_path = models.CharField(max_length=255, editable=False)
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("参加活动单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    period = models.CharField(_("活动批次"), max_length=40)
    reason = models.CharField(_("落实方式"), max_length=20, choices=PlacementReason.choices)
    distance_km = models.FloatField(_("距住址（公里）"), null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path", "org_path")

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("参加活动单位落实记录")
        verbose_name_plural = _("参加活动单位落实记录")
        indexes = [models.Index(fields=["member", "-placed_at"], name="placement_member")]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.org_id} ({self.period})"
