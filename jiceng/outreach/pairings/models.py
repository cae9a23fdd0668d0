"""Double pairing (双结对, S26): branches with needy people, organisations with residential
areas or two-new organisations."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import OPEN_STATES, PairingSource, PairingState, PartnerKind


class PairingBase(models.Model):
    """What both kinds of pairing share: the lifecycle and who started it."""

    state = models.CharField(
        _("状态"), max_length=10, choices=PairingState.choices, default=PairingState.PROPOSED
    )
    started_on = models.DateField(_("结对日期"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=PairingSource.choices, default=PairingSource.MANUAL
    )
    plan_id = models.IntegerField(_("结对方案"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提出时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    objects = ScopedManager()

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Pairing(PairingBase):
    """A branch paired with a needy person (S26). Placed at the person's street (``path``,
    copied) and at the branch (``branch_path``): the street officer and the branch both see it.
    On confirmation the person's ``paired_path`` becomes the branch's path, so the branch may
    read the person and its members may record visits to them."""

    needy = models.ForeignKey(
        "outreach.NeedyPerson",
        verbose_name=_("帮扶对象"),
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    branch = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("结对支部"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    distance_m = models.FloatField(_("距离（米）"), null=True, blank=True)
    path = models.CharField(max_length=255, editable=False, db_index=True)
    branch_path = models.CharField(max_length=255, editable=False, db_index=True)

    scope_path_fields: ClassVar[tuple[str, ...]] = ("path", "branch_path")

    class Meta:
        ordering = ["path", "-id"]
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        constraints = [
            models.UniqueConstraint(
                fields=["needy"],
                condition=Q(state__in=OPEN_STATES),
                name="pairing_one_open_per_needy",
            )
        ]
        indexes = [models.Index(fields=["state", "path"], name="pairing_state_path")]

    def __str__(self) -> str:
        return f"{self.branch} — {self.needy}"


class UnitPairing(PairingBase):
    """A unit's party organisation (``org``: an enterprise's, an agency's) paired with a
    residential area's organisation or a two-new organisation (``partner``, S26). Placed at both
    (``path`` the organisation's, ``partner_path`` the partner's)."""

    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("结对单位党组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("结对对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner_kind = models.CharField(_("结对对象类型"), max_length=12, choices=PartnerKind.choices)
    path = models.CharField(max_length=255, editable=False, db_index=True)
    partner_path = models.CharField(max_length=255, editable=False, db_index=True)

    scope_path_fields: ClassVar[tuple[str, ...]] = ("path", "partner_path")

    class Meta:
        ordering = ["path", "-id"]
        verbose_name = _("单位结对")
        verbose_name_plural = _("单位结对")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "partner"],
                condition=Q(state__in=OPEN_STATES),
                name="unitpairing_one_open_per_couple",
            )
        ]
        indexes = [models.Index(fields=["state", "partner_path"], name="unitpairing_state_partner")]

    def __str__(self) -> str:
        return f"{self.org} — {self.partner}"
