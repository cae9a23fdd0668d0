"""The review phase's democratic appraisal (分析评议 · 民主评议党员, S1).

Each member taking part in a campaign unit (their participating organisation, else their home
organisation) has one ``Appraisal`` in the campaign. It copies the unit's ``org_path`` and the
member's ``member_path`` so that scoping and roll-ups are one prefix filter; the member's own
row is reached by the self-service role through ``member__user``. The member writes a
``SelfAnalysis`` (党性分析材料), fellow members of the same unit give ``PeerRating`` rows,
and the branch committee decides the ``grade`` with a note.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import AppraisalState, Grade


class Appraisal(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="appraisals"
    )
    unit = models.ForeignKey(
        "campaigns.CampaignUnit",
        verbose_name=_("参加单位"),
        on_delete=models.CASCADE,
        related_name="appraisals",
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    member_path = models.CharField(max_length=255, editable=False)
    org_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(
        _("评议状态"),
        max_length=20,
        choices=AppraisalState.choices,
        default=AppraisalState.SELF_PENDING,
    )
    grade = models.CharField(_("评定等次"), max_length=20, choices=Grade.choices, blank=True)
    decision_note = models.TextField(_("评定意见"), blank=True)
    decided_on = models.DateField(_("评定日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path", "member_path")
    scope_self_field: ClassVar[str | None] = "member__user"

    class Meta:
        ordering = ["unit", "member_id"]
        verbose_name = _("民主评议")
        verbose_name_plural = _("民主评议")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member"],
                name="appraisal_unique",
                violation_error_message=_("该党员在本批活动中已有评议"),
            ),
            models.CheckConstraint(
                condition=Q(state=AppraisalState.DECIDED, grade__gt="")
                | (~Q(state=AppraisalState.DECIDED) & Q(grade="")),
                name="appraisal_grade_when_decided",
                violation_error_message=_("已评定的评议须有等次，未评定的不能有等次"),
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "org_path", "state"], name="appraisal_path"),
            models.Index(fields=["unit", "state", "grade"], name="appraisal_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.member_id} · {self.get_state_display()}"


class SelfAnalysis(models.Model):
    """The member's self-analysis (党性分析材料), written by the member (or entered by the
    branch from the member's paper copy)."""

    appraisal = models.OneToOneField(
        Appraisal, on_delete=models.CASCADE, related_name="self_analysis"
    )
    text = models.TextField(_("党性分析"))
    submitted_on = models.DateField(_("提交日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("appraisal__org_path", "appraisal__member_path")
    scope_self_field: ClassVar[str | None] = "appraisal__member__user"

    class Meta:
        verbose_name = _("党性分析")
        verbose_name_plural = _("党性分析")

    def __str__(self) -> str:
        return f"{self.appraisal_id} {self.submitted_on}"


class PeerRating(models.Model):
    """One fellow member's grade (and comment) for a member of the same unit; one per rater
    and appraisal, never for oneself. Pages show the tallies, not who rated whom."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(
        "members.Member", verbose_name=_("评议人"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("评议等次"), max_length=20, choices=Grade.choices)
    comment = models.TextField(_("评议意见"), blank=True)
    rated_on = models.DateField(_("评议日期"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("appraisal__org_path",)
    scope_self_field: ClassVar[str | None] = "rater__user"

    class Meta:
        ordering = ["appraisal", "id"]
        verbose_name = _("党员互评")
        verbose_name_plural = _("党员互评")
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "rater"],
                name="peer_rating_unique",
                violation_error_message=_("已评议过该党员"),
            )
        ]
        indexes = [models.Index(fields=["rater"], name="peer_rating_rater")]

    def __str__(self) -> str:
        return f"{self.appraisal_id} ← {self.rater_id}: {self.grade}"
