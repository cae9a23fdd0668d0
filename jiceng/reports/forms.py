"""The form that asks for a summary: the subtree, the batch (or a period)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.models import Campaign
from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization


class ReportForm(forms.Form):
    root_code = OrgCodeField(
        label=_("综述范围（党组织代码）"),
        help_text=_("综述该党组织及下级的情况；留空为您负责的最高一级组织"),
        required=False,
    )
    campaign = forms.ModelChoiceField(
        label=_("活动批次"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("不按批次，按下面的起止日期"),
    )
    start = forms.DateField(
        label=_("统计起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("按批次时留空，为该批启动日期"),
    )
    end = forms.DateField(
        label=_("统计截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空为该批的统计日期"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["root_code"].queryset = Organization.objects.visible_to(
            user, Action.CHANGE
        ).active()
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("campaign") and not (data.get("start") and data.get("end")):
            raise forms.ValidationError(_("请选择活动批次，或填写统计起止日期"))
        return data
