"""Judgements that two listed members are two people, and merges of duplicate records with
what an undo needs."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import PersonNameField
from jiceng.core.scoping import ScopedQuerySet


class DuplicateDismissal(models.Model):
    """An officer's judgement that two members listed as likely duplicates are two people."""

    member_a = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    member_b = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    member_path = models.CharField(max_length=255, editable=False)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member_a", "member_b"], name="dismissal_pair"),
            models.CheckConstraint(
                condition=Q(member_a__lt=models.F("member_b")), name="dismissal_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_a_id} ≠ {self.member_b_id}"


class MemberMerge(models.Model):
    """A merge of a duplicate member record into the one kept, with everything needed to undo
    it: the dropped row as stored (encrypted columns as ciphertext, never in clear), the kept
    row before the merge, the rows that were re-pointed and the related rows removed."""

    kept = models.ForeignKey(
        "members.Member",
        verbose_name=_("保留的记录"),
        on_delete=models.PROTECT,
        related_name="merges",
    )
    dropped_id = models.BigIntegerField(_("被合并记录编号"))
    dropped_name = PersonNameField(_("被合并记录姓名"), max_length=50)
    member_path = models.CharField(max_length=255, editable=False)
    dropped_row = models.JSONField()
    kept_before = models.JSONField()
    repointed = models.JSONField(default=list)  # [[model label, pk, field, old member_path]]
    removed = models.JSONField(default=list)  # [[db table, raw row]]
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("合并时间"), auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("党员记录合并")
        verbose_name_plural = _("党员记录合并")

    def __str__(self) -> str:
        return f"{self.dropped_name}（{self.dropped_id}）→ {self.kept_id}"
