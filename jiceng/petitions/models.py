"""Petitions (信访, S21): a case from intake to closure with its statutory deadlines, the
dated history of every step, transfers between organisations and the petitioner's
satisfaction."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField, PersonNameField
from jiceng.core.scoping import ScopedManager

from . import rules
from .rules import Body, Category, Channel, Satisfaction, State, Version


class Petition(models.Model):
    """One petition case. Placed at the organisation that registered it (``intake_path``) and
    at the organisation responsible for it (``org_path``): both read it, nobody else.

    The petitioner's name is stored exactly as written; the ID number and phone like members'
    (AES-GCM, a blind index to find repeat petitioners, a masked form for lists). ``due_on``
    is the running deadline (``due_step``), kept on every transition so the overdue list is
    one indexed range."""

    number = models.CharField(_("编号"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("信访形式"), max_length=10, choices=Channel.choices)
    received_on = models.DateField(_("收到日期"))
    version = models.CharField(_("适用规定"), max_length=4, choices=Version.choices, editable=False)
    body = models.CharField(
        _("办理机构类别"), max_length=10, choices=Body.choices, default=Body.OFFICE
    )
    petitioner_name = PersonNameField(_("信访人"), max_length=50)
    id_number = EncryptedTextField(_("公民身份号码"), blank=True)
    id_number_index = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    id_number_masked = models.CharField(
        _("公民身份号码"), max_length=18, blank=True, editable=False
    )
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    subject = models.CharField(_("事由"), max_length=200)
    content = models.TextField(_("主要内容"), blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    street = models.ForeignKey(
        "geo.Street",
        verbose_name=_("问题发生地街道（乡镇）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    people = models.PositiveSmallIntegerField(_("人数"), default=1)
    joint = models.BooleanField(_("集体访（五人以上）"), default=False, editable=False)
    same_facts_as = models.ForeignKey(
        "self",
        verbose_name=_("同一事实的前案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    intake_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("登记单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    intake_path = models.CharField(max_length=255, editable=False, db_index=True)
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    org_depth = models.PositiveSmallIntegerField(default=0, editable=False)
    state = models.CharField(
        _("状态"), max_length=20, choices=State.choices, default=State.REGISTERED
    )
    due_step = models.CharField(max_length=20, blank=True, editable=False)
    due_on = models.DateField(_("当前期限"), null=True, blank=True, editable=False)
    routed_on = models.DateField(_("转送交办日期"), null=True, blank=True)
    transferred_on = models.DateField(_("最近转交日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("延长天数"), default=0)
    extension_reason = models.CharField(_("延期理由"), max_length=300, blank=True)
    replied_on = models.DateField(_("书面答复日期"), null=True, blank=True)
    reply = models.TextField(_("处理意见"), blank=True)
    on_time = models.BooleanField(_("按期办结"), null=True, blank=True, editable=False)
    review_asked_on = models.DateField(_("申请复查日期"), null=True, blank=True)
    review_decided_on = models.DateField(_("复查意见日期"), null=True, blank=True)
    re_review_asked_on = models.DateField(_("申请复核日期"), null=True, blank=True)
    re_review_decided_on = models.DateField(_("复核意见日期"), null=True, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    satisfaction = models.CharField(
        _("信访人满意度"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("登记时间"))
    # A case imported from a petition office's records (``importer``): the office's own
    # number, with the intake organisation the key that makes a re-import update or skip the
    # case instead of registering it twice; and when the import last wrote it (a step taken
    # in the system after that keeps the case from being changed by an import).
    reference = models.CharField(_("原编号"), max_length=40, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True, editable=False)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("intake_path", "org_path")

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("信访")
        verbose_name_plural = _("信访")
        indexes = [
            models.Index(fields=["due_on", "org_path"], name="petition_due_org"),
            models.Index(fields=["state", "org_path"], name="petition_state_org"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["intake_org", "reference"],
                condition=~models.Q(reference=""),
                name="petition_reference_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state in rules.OPEN_STATES

    def overdue_days(self, on: dt.date) -> int:
        """Days past the running deadline (0 when none is running or it is not passed)."""
        if not self.is_open or self.due_on is None or self.due_on >= on:
            return 0
        return (on - self.due_on).days

    def case_dates(self) -> rules.CaseDates:
        return rules.CaseDates(
            received_on=self.received_on,
            body=self.body,
            received_by_handler_on=self.routed_on,
            transferred_on=self.transferred_on,
            accepted_on=self.accepted_on,
            extended_days=self.extended_days,
            replied_on=self.replied_on,
            review_asked_on=self.review_asked_on,
            review_decided_on=self.review_decided_on,
            re_review_asked_on=self.re_review_asked_on,
        )

    @property
    def is_final(self) -> bool:
        """Re-reviewed: the same facts are not accepted again (2005 art. 35)."""
        return self.re_review_decided_on is not None


class PetitionEvent(models.Model):
    """A dated step of a case: what was done, from which state to which, by whom, why."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("办理环节"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    on = models.DateField(_("日期"))
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")

    def __str__(self) -> str:
        return f"{self.on} {self.action}"

    @property
    def action_label(self) -> str:
        if self.action == "register":
            return str(_("登记"))
        try:
            return str(rules.PetitionAction(self.action).label)
        except ValueError:
            return self.action


class PetitionTransfer(models.Model):
    """A case handed from one responsible organisation to another, with the reason."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="transfers")
    from_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("原责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("新责任单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("转交理由"), max_length=300)
    on = models.DateField(_("转交日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("转交记录")
        verbose_name_plural = _("转交记录")

    def __str__(self) -> str:
        return f"{self.on} → {self.to_org_id}"


class CategoryRoute(models.Model):
    """An organisation a category of petitions is routed to by default (e.g. 干部作风 to the
    district's discipline office), suggested when the street gives no committee."""

    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("责任单位"), on_delete=models.CASCADE, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        verbose_name = _("类别默认责任单位")
        verbose_name_plural = _("类别默认责任单位")
        constraints = [
            models.UniqueConstraint(fields=["category", "org"], name="petition_route_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} → {self.org_id}"
