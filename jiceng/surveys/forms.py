"""Appraisal forms; the services validate again (the API calls them directly)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .rules import Grade

DATE = forms.DateInput(attrs={"type": "date"})


class SelfAnalysisForm(forms.Form):
    text = forms.CharField(
        label=_("党性分析材料"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("对照党章和党员标准，查找自身差距，分析原因，提出整改方向"),
        max_length=20_000,
    )
    on = forms.DateField(
        label=_("提交日期"), required=False, widget=DATE, help_text=_("留空为统计日期")
    )


class PeerRatingForm(forms.Form):
    grade = forms.ChoiceField(label=_("评议等次"), choices=Grade.choices)
    comment = forms.CharField(
        label=_("评议意见"),
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecideForm(forms.Form):
    grade = forms.ChoiceField(label=_("评定等次"), choices=Grade.choices)
    note = forms.CharField(
        label=_("评定意见"),
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("评为“不合格”须写明主要问题和整改要求"),
    )
    on = forms.DateField(
        label=_("评定日期"), required=False, widget=DATE, help_text=_("留空为统计日期")
    )
