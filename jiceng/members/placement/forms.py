"""The form behind the one-click (or by-code) placement of a member on the worklist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import Organization

from .rules import PLACEMENT_TYPES, PlacementReason


class PlaceForm(forms.Form):
    """The unit chosen on the page: the suggested one (``org``, with the suggestion's reason
    and distance) or one typed by ``code`` (a manual placement)."""

    org = forms.IntegerField(required=False)
    code = forms.CharField(max_length=32, required=False)
    reason = forms.CharField(max_length=20, required=False)
    distance_km = forms.FloatField(required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        units = Organization.objects.visible_to(self.user).filter(
            org_type__in=PLACEMENT_TYPES, abolished_on__isnull=True
        )
        code = (data.get("code") or "").strip()
        unit = (
            units.filter(code=code).first()
            if code
            else units.filter(pk=data.get("org") or 0).first()
        )
        if unit is None:
            raise forms.ValidationError(
                _("未找到可参加活动的党支部（请填写您管辖范围内党支部的组织编码）")
            )
        data["unit"] = unit
        if code or data.get("reason") not in PlacementReason.values:
            data["reason"] = PlacementReason.MANUAL
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        manual = data["reason"] == PlacementReason.MANUAL
        return {
            "participating_org": data["unit"],
            "reason": data["reason"],
            "distance_km": None if manual else data.get("distance_km"),
        }
