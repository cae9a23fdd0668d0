from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.geo.models import Street

from .models import Organization, OrgType, Sector


class OrgCodeField(forms.ModelChoiceField):
    """An organisation typed by its code: a city has 80,000 of them, too many for a list. The
    queryset (set by the view) is the user's scope, so a code outside it is not found."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Organization.objects.none())
        kwargs.setdefault("help_text", _("填写组织代码，可在组织页面查到"))
        super().__init__(
            to_field_name="code",
            error_messages={"invalid_choice": _("找不到该组织代码，或该组织不在您的管辖范围内")},
            **kwargs,
        )

    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.name}（{obj.code}）"


class OrganizationFoundForm(forms.Form):
    code = forms.CharField(label=_("组织代码"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=120)
    org_type = forms.ChoiceField(label=_("组织类别"), choices=OrgType.choices)
    sector = forms.ChoiceField(label=_("所属领域"), choices=Sector.choices, initial=Sector.OTHER)
    host_unit = forms.CharField(label=_("所在单位"), max_length=120, required=False)
    founded_on = forms.DateField(
        label=_("成立日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    street = forms.ModelChoiceField(
        label=_("所在街道/乡镇"), queryset=Street.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, parent: Organization, allowed_types: tuple[str, ...], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_type"].choices = [(t, OrgType(t).label) for t in allowed_types]
        if parent.district_id:
            self.fields["street"].queryset = Street.objects.filter(district_id=parent.district_id)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if Organization.objects.filter(code=code).exists():
            raise forms.ValidationError(_("组织代码 %(c)s 已被使用") % {"c": code})
        return code


class OrganizationEditForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "sector",
            "kind",
            "host_unit",
            "street",
            "lng",
            "lat",
            "health",
            "is_pilot",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = (
            Street.objects.filter(district_id=self.instance.district_id)
            if self.instance.district_id
            else Street.objects.none()
        )


class OrganizationPickForm(forms.Form):
    """Choose another organisation (move target, merge target) among those the user may
    change; the queryset is always scoped by the view."""

    target = forms.ModelChoiceField(label=_("目标组织"), queryset=Organization.objects.none())

    def __init__(self, *args: Any, queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = queryset


class AbolishForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)
