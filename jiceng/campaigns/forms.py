"""Campaign forms; the services validate again (the API and commands call them directly)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import Campaign, GuidanceTemplate, Step, ThemePractice
from .rules import ENTERED_COVERAGE, Coverage, FourOnes, PlanItemKind

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


class LessonForm(forms.Form):
    title = forms.CharField(label=_("经验"), max_length=120)
    text = forms.CharField(label=_("做法与体会"), widget=forms.Textarea(attrs={"rows": 3}))


class PlanItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类别"), choices=PlanItemKind.choices, initial=PlanItemKind.CARRIER
    )
    text = forms.CharField(label=_("内容"), max_length=300)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=200)
    due_on = forms.DateField(label=_("完成期限"), widget=DATE)


class StepTasksForm(forms.Form):
    step = forms.ModelChoiceField(label=_("环节"), queryset=Step.objects.none())

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = campaign.steps.order_by("order")


class CoverageForm(forms.Form):
    indicator = forms.ChoiceField(
        label=_("指标"), choices=[(c, Coverage(c).label) for c in ENTERED_COVERAGE]
    )
    numerator = forms.IntegerField(label=_("达到数"), min_value=0)
    denominator = forms.IntegerField(label=_("总数"), min_value=1)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class FourOnesForm(forms.Form):
    kind = forms.ChoiceField(label=_("项目"), choices=FourOnes.choices)
    description = forms.CharField(label=_("内容"), max_length=300)
    evidence = forms.CharField(label=_("佐证"), max_length=300, required=False)
    done_on = forms.DateField(label=_("完成日期"), widget=DATE)


class TemplateForm(forms.ModelForm):
    class Meta:
        model = GuidanceTemplate
        fields = ["name", "sector", "org_type", "focus", "steps", "indicators", "source"]
        widgets = {
            "focus": forms.Textarea(attrs={"rows": 3}),
            "steps": forms.Textarea(attrs={"rows": 3}),
            "indicators": forms.Textarea(attrs={"rows": 2}),
        }


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

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
