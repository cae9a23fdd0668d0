from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.forms import OrgCodeField

from .models import NeedyCategory, NeedyPerson
from .rules import SETTABLE_STATUSES, NeedyStatus


class NeedyForm(forms.ModelForm):
    """Register or change a needy person. The sensitive fields (categories, health) are on the
    form only for a user with outreach rights (the view says); the ID number and phone are never
    sent back to the browser in clear."""

    id_number = forms.CharField(
        label=_("公民身份号码"), max_length=40, required=False, help_text=_("可暂缺，核实后补录")
    )
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    street_org = OrgCodeField(label=_("居住地街道（乡镇）党组织（代码）"))
    categories = forms.ModelMultipleChoiceField(
        label=_("困难类别"),
        queryset=NeedyCategory.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("个人敏感信息，只有负责帮扶工作的人员可见，查看留痕"),
    )
    health = forms.CharField(
        label=_("健康状况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("个人敏感信息，只有负责帮扶工作的人员可见，查看留痕"),
    )

    class Meta:
        model = NeedyPerson
        fields = [
            "name",
            "id_number",
            "phone",
            "address",
            "street_org",
            "household_size",
            "categories",
            "health",
            "needs",
            "lng",
            "lat",
        ]

    def __init__(self, *args: Any, org_queryset: Any, sensitive: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street_org"].queryset = org_queryset
        if not sensitive:
            del self.fields["categories"]
            del self.fields["health"]
        if self.instance.pk:
            self.initial["street_org"] = self.instance.street_org.code
            for name in ("id_number", "phone"):
                masked = getattr(self.instance, f"{name}_masked")
                self.initial[name] = ""
                self.fields[name].help_text = _("留空则保持原号码（%(m)s）") % {"m": masked or "—"}
            if sensitive:
                self.initial["categories"] = list(self.instance.categories.all())
                self.initial["health"] = self.instance.health

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.instance.pk:
            for name in ("id_number", "phone"):
                if not data.get(name):
                    data.pop(name, None)  # left empty: keep the stored number
        return data


class NeedyStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), choices=[(s.value, s.label) for s in map(NeedyStatus, SETTABLE_STATUSES)]
    )
    on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("说明"), max_length=200, required=False)


class NeedyFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名或拼音首字母"), required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("", _("全部")),
            *[(s.value, s.label) for s in map(NeedyStatus, SETTABLE_STATUSES)],
        ],
    )
    category = forms.ModelChoiceField(
        label=_("困难类别"), queryset=NeedyCategory.objects.all(), required=False
    )

    def __init__(self, *args: Any, sensitive: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not sensitive:
            del self.fields["category"]


class MergeForm(forms.Form):
    drop = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("合并原因"), max_length=200)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = NeedyCategory
        fields = ["code", "name", "sort"]
