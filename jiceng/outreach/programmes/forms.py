"""Forms of service programmes (S27)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from ..registry.models import NeedyCategory, NeedyPerson
from .rules import S27_COMMITMENTS
from .services import CommitmentSpec

DATE = forms.DateInput(attrs={"type": "date"})
COMMITMENT_ROWS = 4


class ProgrammeForm(forms.Form):
    owner = OrgCodeField(label=_("实施单位（党组织）"))
    name = forms.CharField(label=_("服务项目名称"), max_length=100)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    card_prefix = forms.CharField(
        label=_("卡号前缀"), max_length=12, help_text=_("服务卡号为“前缀-0001”")
    )
    hotline = forms.CharField(label=_("服务热线"), max_length=40, required=False)
    description = forms.CharField(
        label=_("服务内容说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("服务对象类别"),
        queryset=NeedyCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
        self.fields["categories"].queryset = NeedyCategory.objects.filter(active=True)
        if editing:
            del self.fields["owner"]
        for i in range(1, COMMITMENT_ROWS + 1):
            self.fields[f"c{i}_label"] = forms.CharField(
                label=_("服务内容"), max_length=40, required=False
            )
            self.fields[f"c{i}_times"] = forms.IntegerField(
                label=_("每年次数"), min_value=1, max_value=12, required=False
            )
            self.fields[f"c{i}_gap"] = forms.IntegerField(
                label=_("最短间隔（天）"), min_value=0, max_value=364, required=False
            )
            self.fields[f"c{i}_code"] = forms.CharField(
                max_length=30, required=False, widget=forms.HiddenInput
            )
        if not self.is_bound and not self.initial.get("c1_label"):
            for i, (code, label, times, gap) in enumerate(S27_COMMITMENTS, 1):
                self.initial.update(
                    {
                        f"c{i}_code": code,
                        f"c{i}_label": label,
                        f"c{i}_times": times,
                        f"c{i}_gap": gap,
                    }
                )

    def main_fields(self) -> list[Any]:
        return [self[n] for n in self.fields if not re.match(r"c\d+_", n)]

    def commitment_rows(self) -> list[tuple[Any, Any, Any, Any]]:
        return [
            (self[f"c{i}_label"], self[f"c{i}_times"], self[f"c{i}_gap"], self[f"c{i}_code"])
            for i in range(1, COMMITMENT_ROWS + 1)
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        specs = []
        for i in range(1, COMMITMENT_ROWS + 1):
            label = data.pop(f"c{i}_label", "")
            times = data.pop(f"c{i}_times", None)
            gap = data.pop(f"c{i}_gap", None)
            code = data.pop(f"c{i}_code", "")
            if label:
                specs.append(CommitmentSpec(code, label, times or 1, gap or 0))
        data["commitments"] = specs
        data["categories"] = list(data.get("categories") or [])
        return data

    @staticmethod
    def initial_for(programme: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": programme.name,
            "year": programme.year,
            "card_prefix": programme.card_prefix,
            "hotline": programme.hotline,
            "description": programme.description,
            "categories": list(programme.categories.all()),
        }
        for i, c in enumerate(programme.commitments.all(), 1):
            initial.update(
                {
                    f"c{i}_code": c.code,
                    f"c{i}_label": c.label,
                    f"c{i}_times": c.times,
                    f"c{i}_gap": c.min_gap_days,
                }
            )
        return initial


class HouseholdsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: NeedyPerson) -> str:
        return f"{obj.name}（{obj.address}）"


class EnrolForm(forms.Form):
    LIST_MAX = 600  # a page of checkboxes; more are enrolled in batches or through the API

    households = HouseholdsField(
        label=_("发卡的服务对象"),
        queryset=NeedyPerson.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, people: QuerySet[NeedyPerson], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["households"].queryset = people


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("收回原因"), max_length=200)


class DoneForm(forms.Form):
    note = forms.CharField(
        label=_("服务情况"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如：检查燃气、电线，已更换插座")}),
    )


class MissedForm(forms.Form):
    note = forms.CharField(label=_("未完成原因"), max_length=300, required=False)


class WorklistForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("服务项目"), queryset=NeedyPerson.objects.none(), required=False
    )

    def __init__(self, *args: Any, programmes: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
