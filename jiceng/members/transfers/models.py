"""Transfers of organisational relationship and their history; the member's ``home_org``
changes only when a transfer is done (``rules`` holds the state machine)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core import clock
from jiceng.core.scoping import ScopedQuerySet

from .rules import OPEN_STATES, TransferAction, TransferKind, TransferState


class TransferQuerySet(ScopedQuerySet["Transfer"]):
    def open(self) -> TransferQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Transfer(models.Model):
    """A transfer of a member's organisational relationship (组织关系转接).

    Within the city the target is an ``Organization``; to outside the city it is a free-text
    organisation name and region. ``from_path``/``to_path`` copy the two units' tree paths
    when the transfer is made, so that officers of either side see it (one scoping mechanism)
    and a third district does not. The member's ``home_org`` changes only when the transfer is
    done (``rules`` holds the state machine).
    """

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField(
        _("转接类别"), max_length=20, choices=TransferKind.choices, default=TransferKind.IN_CITY
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=TransferState.choices, default=TransferState.REQUESTED
    )
    from_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("转出党组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_path = models.CharField(max_length=255, editable=False)
    to_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("接收党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_path = models.CharField(max_length=255, blank=True, editable=False)
    dest_org_name = models.CharField(_("接收党组织名称（外省市）"), max_length=120, blank=True)
    dest_region = models.CharField(_("接收地区（外省市）"), max_length=60, blank=True)
    reason = models.CharField(_("转接原因"), max_length=200, blank=True)
    letter_no = models.CharField(_("介绍信编号"), max_length=40, null=True, blank=True, unique=True)
    dues_paid_to = models.DateField(_("党费交至"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("有效期（天）"), null=True, blank=True)
    issued_on = models.DateField(_("开具日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    received_on = models.DateField(_("回执日期"), null=True, blank=True)
    receipt_note = models.CharField(_("回执说明"), max_length=200, blank=True)
    closed_reason = models.CharField(_("退回/撤回原因"), max_length=200, blank=True)
    batch = models.UUIDField(_("批量转接批次"), null=True, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # On the site's calendar (core.clock): the demo's transfers happen in 2005.
    created_at = models.DateTimeField(_("申请时间"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    objects = models.Manager.from_queryset(TransferQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("from_path", "to_path")
    scope_self_field: ClassVar[str | None] = "member__user"

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        indexes = [
            models.Index(fields=["from_path", "state"], name="transfer_from"),
            models.Index(fields=["to_path", "state"], name="transfer_to"),
            models.Index(fields=["state", "valid_until"], name="transfer_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="one_open_transfer_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_org_id} → {self.destination_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.updated_at = clock.now()
        super().save(*args, **kwargs)

    @property
    def destination_name(self) -> str:
        if self.to_org is not None:
            return self.to_org.name
        return f"{self.dest_region} {self.dest_org_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class TransferEvent(models.Model):
    """One step of a transfer's history (who did what, from which state to which)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=TransferAction.choices)
    from_state = models.CharField(
        _("原状态"), max_length=20, choices=TransferState.choices, blank=True
    )
    to_state = models.CharField(_("新状态"), max_length=20, choices=TransferState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("时间"), default=clock.now, editable=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("转接记录")
        verbose_name_plural = _("转接记录")

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action} {self.to_state}"


class LetterCounter(models.Model):
    """The last introduction-letter number issued per district and year (rows are locked
    while a number is taken, so numbers are unique and without gaps)."""

    district_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "year"], name="letter_counter_key")
        ]

    def __str__(self) -> str:
        return f"{self.district_code}/{self.year}: {self.last}"
