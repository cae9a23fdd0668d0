"""Forms of a campaign's progress; the services validate again (the API and commands call
them directly)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import Campaign

DATE = forms.DateInput(attrs={"type": "date"})


class CampaignForm(forms.ModelForm):
    root = OrgCodeField(
        label=_("组织范围（党组织代码）"),
        help_text=_("该党组织及下级的基层党组织参加本批活动"),
    )

    class Meta:
        model = Campaign
        fields = ["name", "batch", "root", "starts_on", "ends_on", "as_of", "description"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "as_of": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["root"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
        self.fields["description"].widget.attrs["rows"] = 3


class CampaignEditForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "ends_on", "as_of", "description"]
        widgets = {"ends_on": DATE, "as_of": DATE}


class StepActionForm(forms.Form):
    """Evidence (submit), a note (sign-off) or a reason (return), and the date."""

    text = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    on = forms.DateField(
        label=_("日期"), required=False, widget=DATE, help_text=_("留空为统计日期（今天）")
    )


class LaunchForm(forms.Form):
    under = OrgCodeField(label=_("启动范围（党组织代码）"))
    on = forms.DateField(label=_("启动日期"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["under"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
