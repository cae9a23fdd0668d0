"""Membership development (发展党员, issue 23): a case per applicant from the application to
full membership, and the dated steps taken on it (``DevelopmentStep``), checked against the
rule table in ``rules`` by the stage engine (``core.stages``).

A case sits at its branch (``org``, ``path`` copied for scoping). ``stage``, ``next_step`` and
``next_due`` are kept by the services from the engine on every step, so a worklist (due soon,
overdue) is one indexed range on ``(path, next_due)`` however many cases there are; overdue is
computed at read (``next_due`` before the site's today)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField, PersonNameField
from jiceng.core.scoping import ScopedManager

from .rules import By, DevelopmentStage, DevelopmentState


class Development(models.Model):
    """One applicant's development case. The name is kept as written; the ID number and phone
    encrypted with a blind index and a masked form (an applicant is not yet a member)."""

    name = PersonNameField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = EncryptedTextField(_("公民身份号码"))
    id_number_index = models.CharField(max_length=40, editable=False, db_index=True)
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18, editable=False)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = models.CharField(max_length=40, blank=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    work_unit = models.CharField(_("工作单位"), max_length=120, blank=True)
    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False)
    rules_version = models.CharField(_("适用细则"), max_length=8, default="2014")
    applied_on = models.DateField(_("递交申请书日期"))
    stage = models.CharField(
        _("阶段"), max_length=20, choices=DevelopmentStage.choices, default="applicant"
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=DevelopmentState.choices, default="active"
    )
    next_step = models.CharField(_("下一环节"), max_length=30, blank=True)
    next_due = models.DateField(_("下一期限"), null=True, blank=True)
    application_form_no = models.CharField(_("入党志愿书编号"), max_length=30, blank=True)
    form_committee_path = models.CharField(max_length=255, blank=True, editable=False)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员名册记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="developments",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = _("发展党员")
        verbose_name_plural = _("发展党员")
        indexes = [
            models.Index(fields=["path", "next_due"], name="development_path_due"),
            models.Index(fields=["next_due", "path"], name="development_due_path"),
            models.Index(fields=["path", "stage"], name="development_path_stage"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["form_committee_path", "application_form_no"],
                condition=~models.Q(application_form_no=""),
                name="development_form_no_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_stage_display()}）"

    def overdue(self, today: dt.date) -> bool:
        return self.next_due is not None and self.next_due < today


class DevelopmentStep(models.Model):
    """A step taken on a case, on a day, by whom; the number it carries (months of an
    extension), the counts of a vote or the length of a training as entered; the reason when
    it was late; where an upper committee's step was taken (``approver_path``)."""

    development = models.ForeignKey(Development, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("环节"), max_length=30)
    on = models.DateField(_("日期"))
    value = models.IntegerField(_("数值"), null=True, blank=True)
    details = models.JSONField(_("表决票数等"), default=dict, blank=True)
    reason = models.CharField(_("逾期原因"), max_length=300, blank=True)
    late = models.BooleanField(_("逾期办理"), default=False)
    by = models.CharField(max_length=10, choices=By.choices, default=By.BRANCH)
    approver_path = models.CharField(max_length=255, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("发展党员环节")
        verbose_name_plural = _("发展党员环节")
        indexes = [models.Index(fields=["development", "step"], name="development_step_case")]

    def __str__(self) -> str:
        return f"{self.step} {self.on}"


class DevelopmentPerson(models.Model):
    """A full member named on a case: an introducer (入党介绍人) or a contact (培养联系人,
    ``mentor``)."""

    class Role(models.TextChoices):
        INTRODUCER = "introducer", _("入党介绍人")
        MENTOR = "mentor", _("培养联系人")

    development = models.ForeignKey(Development, on_delete=models.CASCADE, related_name="people")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="development_roles"
    )
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        verbose_name = _("入党介绍人或培养联系人")
        verbose_name_plural = _("入党介绍人或培养联系人")
        constraints = [
            models.UniqueConstraint(
                fields=["development", "member", "role"], name="development_person_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.member_id}"
