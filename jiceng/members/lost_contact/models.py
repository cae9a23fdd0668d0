"""Contacts between members and the organisation, and the searches for members out of
contact (S13)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedQuerySet

from .rules import ACTIVE_STATES, CaseState, ContactChannel, SearchChannel, SearchResult


class ContactRecord(models.Model):
    """A contact between a member and the organisation: organisational life attended, dues
    paid, a check-in, or a lost member found again (the evidence the six-month rule reads)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="contacts"
    )
    member_path = models.CharField(max_length=255, editable=False)
    on = models.DateField(_("日期"))
    channel = models.CharField(_("联系方式"), max_length=30, choices=ContactChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        indexes = [models.Index(fields=["member", "-on"], name="contact_member_on")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.on} {self.channel}"


class LastContact(models.Model):
    """Each member's latest contact, one row per member, kept by the contact services, so the
    candidates worklist never takes a max() over the whole log."""

    member = models.OneToOneField(
        "members.Member", primary_key=True, on_delete=models.CASCADE, related_name="last_contact"
    )
    on = models.DateField(_("最近联系日期"), db_index=True)
    channel = models.CharField(_("联系方式"), max_length=30, choices=ContactChannel.choices)

    def __str__(self) -> str:
        return f"{self.member_id} {self.on}"


class LostContactCaseQuerySet(ScopedQuerySet["LostContactCase"]):
    def active(self) -> LostContactCaseQuerySet:
        return self.filter(state__in=ACTIVE_STATES)


class LostContactCase(models.Model):
    """A search for a member out of contact (S13), from opening to found, stopped or restored."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        related_name="lost_cases",
    )
    member_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.SEARCHING
    )
    last_contact_on = models.DateField(_("最近联系日期"), null=True, blank=True)
    opened_on = models.DateField(_("立案日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立案人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found_on = models.DateField(_("找到日期"), null=True, blank=True)
    transfer = models.ForeignKey(
        "members.Transfer",
        verbose_name=_("组织关系转接"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stopped_on = models.DateField(_("停止党籍日期"), null=True, blank=True)
    decision_no = models.CharField(_("处置决定文号"), max_length=60, blank=True)
    restored_on = models.DateField(_("恢复党籍日期"), null=True, blank=True)
    outcome_note = models.CharField(_("结果说明"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(LostContactCaseQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("失联党员查找")
        verbose_name_plural = _("失联党员查找")
        constraints = [
            # one search under way (or one stop in force) per member at a time
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=["searching", "stopped"]),
                name="lost_case_one_active",
            )
        ]
        indexes = [models.Index(fields=["member_path", "state"], name="lost_case_path_state")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.state}"


class LostContactAttempt(models.Model):
    """One search attempt: who, when, how, the result and any leads."""

    case = models.ForeignKey(LostContactCase, on_delete=models.PROTECT, related_name="attempts")
    on = models.DateField(_("日期"))
    channel = models.CharField(_("查找方式"), max_length=20, choices=SearchChannel.choices)
    result = models.CharField(_("结果"), max_length=20, choices=SearchResult.choices)
    leads = models.CharField(_("线索"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查找人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(_("查找人"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("查找记录")
        verbose_name_plural = _("查找记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.on} {self.result}"
