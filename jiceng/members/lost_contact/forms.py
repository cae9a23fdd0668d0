"""Forms for lost-contact cases (S13)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.forms import OrgPickerInput

from .rules import ContactChannel, SearchChannel, SearchResult

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AttemptForm(forms.Form):
    on = forms.DateField(label=_("查找日期"), widget=DATE, initial=timezone.localdate)
    channel = forms.ChoiceField(label=_("查找方式"), choices=SearchChannel.choices)
    result = forms.ChoiceField(label=_("结果"), choices=SearchResult.choices)
    leads = forms.CharField(label=_("线索"), max_length=300, required=False)


class ActForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=DATE, required=False)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
    decision_no = forms.CharField(label=_("处置决定文号"), max_length=60, required=False)
    to_org_code = forms.CharField(
        label=_("接收党组织（市内）"),
        max_length=32,
        required=False,
        widget=OrgPickerInput(scope="receiving"),
    )
    dest_org_name = forms.CharField(
        label=_("接收党组织名称（外省市）"), max_length=120, required=False
    )
    dest_region = forms.CharField(label=_("接收地区（外省市）"), max_length=60, required=False)


class ContactForm(forms.Form):
    on = forms.DateField(label=_("联系日期"), widget=DATE, initial=timezone.localdate)
    channel = forms.ChoiceField(
        label=_("联系方式"),
        choices=[(c.value, c.label) for c in ContactChannel if c is not ContactChannel.RELINKED],
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class ReportForm(forms.Form):
    since = forms.DateField(label=_("起始日期"), widget=DATE, required=False)
    until = forms.DateField(label=_("截止日期"), widget=DATE, required=False)
