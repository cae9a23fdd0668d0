from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoordSource(models.TextChoices):
    PACKAGE = "package", _("公开数据包")
    SYNTHETIC = "synthetic", _("合成（演示用，非实测）")
    ENTERED = "entered", _("人工录入")
    GEOCODED = "geocoded", _("地址解析")


class District(models.Model):
    """A district or county of Shanghai as divided in 2005 (19 of them)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("区")
        COUNTY = "county", _("县")

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=30)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    coord_source = models.CharField(_("坐标来源"), max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区县")
        verbose_name_plural = _("区县")

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """A street (街道), town (镇) or township (乡) of a 2005 district."""

    class Kind(models.TextChoices):
        STREET = "street", _("街道")
        TOWN = "town", _("镇")
        TOWNSHIP = "township", _("乡")

    code = models.CharField(_("代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=40)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    district = models.ForeignKey(
        District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="streets"
    )
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    coord_source = models.CharField(_("坐标来源"), max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("街道/乡镇")
        verbose_name_plural = _("街道/乡镇")

    def __str__(self) -> str:
        return self.name

    @property
    def coords_are_synthetic(self) -> bool:
        return self.coord_source == CoordSource.SYNTHETIC


class DivisionChange(models.Model):
    """A dated change of the divisions after 2005: merge, rename, county → district."""

    date = models.DateField(_("日期"))
    from_code = models.CharField(_("原代码"), max_length=6)
    from_name = models.CharField(_("原名称"), max_length=30)
    to_code = models.CharField(_("新代码"), max_length=6)
    to_name = models.CharField(_("新名称"), max_length=30)
    event = models.CharField(_("变更"), max_length=20)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("区划变更")
        verbose_name_plural = _("区划变更")
        constraints = [
            models.UniqueConstraint(fields=["date", "from_code", "to_code"], name="unique_change")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.from_name} → {self.to_name}"
