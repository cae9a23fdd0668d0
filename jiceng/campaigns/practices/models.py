"""Theme practices with the activities units record for them (S24, S25), and members' "four
ones" items (S18)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.progress.models import Campaign
from jiceng.core.scoping import ScopedManager

from .rules import FourOnes, FourOnesState


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


class FourOnesTally(models.Model):
    """Stored "four ones" counts (S18, issue 22) of the items recorded at one member path:
    per kind, how many are confirmed and how many wait for the branch. Kept by
    ``practices.totals`` with every write of the items; a subtree's figure is a sum over the
    rows whose path lies in it (the items' own ``member_path``, as the pages always read)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=FourOnes.choices)
    confirmed = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("四个一合计")
        verbose_name_plural = _("四个一合计")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "path", "kind"], name="four_ones_tally_unique"
            )
        ]
        indexes = [models.Index(fields=["path"], name="four_ones_tally_path")]

    def __str__(self) -> str:
        return f"{self.path} {self.kind}: {self.confirmed}+{self.waiting}"


class FourOnesComplete(models.Model):
    """A member with all four items confirmed (S18), placed at the longest path common to
    their items: the member counts in a subtree exactly when all four items lie in it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    member_id = models.BigIntegerField()  # no foreign key: a member merge re-points none
    path = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("四个一全部确认")
        verbose_name_plural = _("四个一全部确认")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member_id"], name="four_ones_complete")
        ]
        indexes = [models.Index(fields=["campaign", "path"], name="four_ones_complete_path")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.member_id} {self.path}"
