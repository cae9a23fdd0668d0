"""Forms of responsibility chains: a task at a unit, a step's tasks for a subtree."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.progress.forms import DATE
from jiceng.campaigns.progress.models import Step


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=200)
    due_on = forms.DateField(label=_("完成期限"), widget=DATE)


class StepTasksForm(forms.Form):
    step = forms.ModelChoiceField(label=_("环节"), queryset=Step.objects.none())

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = campaign.steps.order_by("order")
