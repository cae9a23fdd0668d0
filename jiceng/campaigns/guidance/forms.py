"""Forms of guidance: a template, an item of the unit's plan, a pilot's lesson."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import GuidanceTemplate
from .rules import PlanItemKind


class LessonForm(forms.Form):
    title = forms.CharField(label=_("经验"), max_length=120)
    text = forms.CharField(label=_("做法与体会"), widget=forms.Textarea(attrs={"rows": 3}))


class PlanItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类别"), choices=PlanItemKind.choices, initial=PlanItemKind.CARRIER
    )
    text = forms.CharField(label=_("内容"), max_length=300)


class TemplateForm(forms.ModelForm):
    class Meta:
        model = GuidanceTemplate
        fields = ["name", "sector", "org_type", "focus", "steps", "indicators", "source"]
        widgets = {
            "focus": forms.Textarea(attrs={"rows": 3}),
            "steps": forms.Textarea(attrs={"rows": 3}),
            "indicators": forms.Textarea(attrs={"rows": 2}),
        }
