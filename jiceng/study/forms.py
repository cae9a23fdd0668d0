"""Study forms; the services validate again (the API and commands call them directly)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import StudyPeriod, StudyRequirement
from .rules import MAX_AMOUNT, MIN_AMOUNT


class _PeriodForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("学习周期"), queryset=StudyPeriod.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = selectors.period_list()


def _amount_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=MIN_AMOUNT,
        max_value=MAX_AMOUNT,
        decimal_places=1,
        max_digits=5,
        error_messages={
            "invalid": _("请填写数字，例如 2 或 1.5"),
            "min_value": _("数量应在 %(limit_value)s 以上"),
            "max_value": _("数量不能超过 %(limit_value)s"),
            "max_decimal_places": _("最多保留一位小数，例如 1.5"),
        },
    )


class SessionForm(_PeriodForm):
    held_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("学习主题"), max_length=200)
    amount = _amount_field(_("每人计入（课时或学分）"))
    evidence = forms.CharField(
        label=_("学习记录（证明材料）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如签到表、笔记、照片已存档的说明"),
    )
    evidence_file = forms.CharField(label=_("材料文件名"), required=False, max_length=200)


class SelfStudyForm(_PeriodForm):
    studied_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("学习内容"), max_length=200)
    amount = _amount_field(_("数量（课时或学分）"))
    evidence = forms.CharField(
        label=_("学习记录（证明材料）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PeriodForm(forms.ModelForm):
    class Meta:
        model = StudyPeriod
        fields = ["name", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class RequirementForm(forms.ModelForm):
    class Meta:
        model = StudyRequirement
        fields = ["mode", "sector", "org_type", "required_amount", "source_note"]


class ConfirmForm(forms.Form):
    """The confirm button of a pending self-study row: no fields; with htmx a refusal is said
    in the row itself rather than in the page's messages."""
