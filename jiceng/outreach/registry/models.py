"""The needy-people registry (S26): people and households the branches pair with and visit."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField, PersonNameField
from jiceng.core.models import NameSearchKeys
from jiceng.core.scoping import ScopedManager

from .rules import NeedyStatus


class NeedyCategory(models.Model):
    """A kind of need (困难职工, 低保户 …): a table the city extends."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        ordering = ["sort", "id"]
        verbose_name = _("帮扶对象类别")
        verbose_name_plural = _("帮扶对象类别")

    def __str__(self) -> str:
        return self.name


class NeedyPerson(NameSearchKeys, models.Model):
    """A needy person and their household, registered by the street (or town) of residence.

    Scoped by ``path``, the street or town committee's tree path; ``paired_path`` (the branch
    paired with them, when one is) lets that branch read the record too. The ID number and the
    phone are stored like members' (AES-GCM, a blind index to find duplicates, a masked form for
    lists); categories and the health note are sensitive (see ``rules``)."""

    PERSON_NAME = True

    name = PersonNameField(_("姓名"), max_length=50)
    name_simplified = models.CharField(max_length=50, editable=False)
    name_initials = models.CharField(max_length=20, editable=False)
    name_pinyin = models.CharField(max_length=120, editable=False)
    id_number = EncryptedTextField(_("公民身份号码"), blank=True)
    id_number_index = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    id_number_masked = models.CharField(
        _("公民身份号码"), max_length=18, blank=True, editable=False
    )
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    address = models.CharField(_("住址"), max_length=200)
    street_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("居住地街道（乡镇）党组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    street = models.ForeignKey(
        "geo.Street",
        verbose_name=_("街道/乡镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), default=1)
    categories = models.ManyToManyField(
        NeedyCategory, verbose_name=_("困难类别"), related_name="people", blank=True
    )
    health = EncryptedTextField(_("健康状况"), blank=True)
    needs = models.CharField(_("主要困难和需求"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=NeedyStatus.choices, default=NeedyStatus.ACTIVE
    )
    status_since = models.DateField(_("状态日期"))
    paired_path = models.CharField(max_length=255, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path", "paired_path")

    class Meta:
        ordering = ["path", "name_pinyin", "id"]
        verbose_name = _("帮扶对象")
        verbose_name_plural = _("帮扶对象")
        indexes = [models.Index(fields=["status", "path"], name="needy_status_path")]

    def __str__(self) -> str:
        return self.name


class NeedyStatusChange(models.Model):
    """A dated change of a needy person's status, with its reason (the history)."""

    person = models.ForeignKey(NeedyPerson, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(_("状态"), max_length=20, choices=NeedyStatus.choices)
    on = models.DateField(_("日期"))
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("状态变化")
        verbose_name_plural = _("状态变化")

    def __str__(self) -> str:
        return f"{self.on} {self.get_status_display()}"


class NeedyMerge(models.Model):
    """Two registrations of one household merged: the dropped record as it was (masked), the
    kept one, who merged them and why."""

    kept = models.ForeignKey(NeedyPerson, on_delete=models.PROTECT, related_name="merges")
    dropped = models.ForeignKey(NeedyPerson, on_delete=models.PROTECT, related_name="+")
    dropped_snapshot = models.JSONField(default=dict)
    reason = models.CharField(_("说明"), max_length=200)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("合并时间"))

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("重复登记合并")
        verbose_name_plural = _("重复登记合并")

    def __str__(self) -> str:
        return f"{self.dropped_id} → {self.kept_id}"
