"""Visits (S19) and the needs raised at them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import NeedKind, NeedState, TargetKind, VisitKind, VisitState


class Visit(models.Model):
    """Who visited (members of an organisation), whom (a needy person, a worker, a unit), when,
    what was found. Recorded by a member (self-service, on a phone) or the branch; confirmed or
    returned by the branch.

    Placed at the visiting organisation (``org_path``) and, for a needy person, at their street
    too (``target_path``), so the street officer sees every visit to its residents; a member
    sees the visits they recorded (``recorded_by``)."""

    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("走访单位"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    visitors = models.ManyToManyField(
        "members.Member", verbose_name=_("走访党员"), related_name="+", blank=True
    )
    target_kind = models.CharField(_("走访对象类型"), max_length=10, choices=TargetKind.choices)
    needy = models.ForeignKey(
        "outreach.NeedyPerson",
        verbose_name=_("帮扶对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    target_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("走访的单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_name = models.CharField(_("走访对象"), max_length=100, blank=True)
    target_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    visited_on = models.DateField(_("走访日期"))
    kind = models.CharField(_("走访形式"), max_length=20, choices=VisitKind.choices)
    findings = models.TextField(_("了解到的情况"), blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=VisitState.choices, default=VisitState.RECORDED
    )
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path", "target_path")
    scope_self_field: ClassVar[str] = "recorded_by"

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        indexes = [models.Index(fields=["visited_on", "org_path"], name="visit_on_org")]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.needy_id:
            return str(self.needy)
        if self.target_org_id:
            return str(self.target_org)
        return self.target_name


class VisitNeed(models.Model):
    """A need raised at a visit, followed up until resolved or closed with a reason; a record
    others link to (the public's voice, issue 21)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="needs")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    kind = models.CharField(_("类别"), max_length=20, choices=NeedKind.choices)
    text = models.CharField(_("反映的需求"), max_length=300)
    state = models.CharField(
        _("状态"), max_length=20, choices=NeedState.choices, default=NeedState.OPEN
    )
    raised_on = models.DateField(_("提出日期"))
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["state", "-raised_on", "-id"]
        verbose_name = _("走访中反映的需求")
        verbose_name_plural = _("走访中反映的需求")

    def __str__(self) -> str:
        return self.text


class NeedFollowUp(models.Model):
    need = models.ForeignKey(VisitNeed, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.CharField(_("跟进情况"), max_length=300)
    state = models.CharField(_("跟进后状态"), max_length=20, choices=NeedState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("需求跟进")
        verbose_name_plural = _("需求跟进")

    def __str__(self) -> str:
        return self.note
