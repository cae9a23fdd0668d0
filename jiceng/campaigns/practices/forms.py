"""Forms of theme practices and "four ones"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.progress.forms import DATE
from jiceng.core.attachments.forms import FilesField
from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import ThemePractice
from .rules import FourOnes


class FourOnesForm(forms.Form):
    kind = forms.ChoiceField(label=_("项目"), choices=FourOnes.choices)
    description = forms.CharField(label=_("内容"), max_length=300)
    evidence = forms.CharField(label=_("佐证"), max_length=300, required=False)
    done_on = forms.DateField(label=_("完成日期"), widget=DATE)
    uploads = FilesField(label=_("照片或文件"))


class PracticeForm(forms.ModelForm):
    class Meta:
        model = ThemePractice
        fields = ["name", "targets", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ActivityForm(forms.Form):
    org = OrgCodeField(label=_("开展单位（党组织代码）"))
    title = forms.CharField(label=_("活动"), max_length=200)
    on = forms.DateField(label=_("日期"), widget=DATE)
    place = forms.CharField(label=_("地点或对象"), max_length=120, required=False)
    participants = forms.IntegerField(label=_("参加党员（人次）"), min_value=0, initial=0)
    uploads = FilesField(label=_("照片或文件"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
