"""Forms of satisfaction surveys (S23): the officer's forms, and the public answer form built
from the survey's questions (with the open link's honeypot and captcha)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import Question, SatisfactionSurvey, SurveyUnit
from .rules import (
    DEFAULT_SATISFIED_LEVELS,
    DEFAULT_SCALE,
    DEFAULT_THRESHOLD_PERCENT,
    TEXT_ANSWER_MAX,
    TOKENS_PER_UNIT_MAX,
    QuestionKind,
    SurveyState,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The honeypot's name: a field a person never sees or fills (hidden by CSS, out of the tab
# order, no autofill), which form-filling robots fill.
HONEYPOT = "website"


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("测评名称"), max_length=120)
    intro = forms.CharField(
        label=_("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("显示在问卷开头，告诉群众测评的目的"),
    )
    opens_on = forms.DateField(label=_("开始日期"), widget=DATE)
    closes_on = forms.DateField(label=_("截止日期"), widget=DATE)
    scale = forms.CharField(
        label=_("评价等级"),
        max_length=200,
        initial="，".join(DEFAULT_SCALE),
        help_text=_("从最满意到最不满意，用逗号分隔"),
    )
    satisfied_levels = forms.IntegerField(
        label=_("计为满意的等级数"),
        min_value=1,
        max_value=6,
        initial=DEFAULT_SATISFIED_LEVELS,
        help_text=_("前几个等级计为满意（默认：满意和基本满意）"),
    )
    threshold_percent = forms.IntegerField(
        label=_("补课线（满意率%）"),
        min_value=1,
        max_value=100,
        initial=DEFAULT_THRESHOLD_PERCENT,
        help_text=_("满意率低于此值的单位须补课"),
    )
    open_link = forms.BooleanField(
        label=_("开放公开链接"),
        required=False,
        help_text=_("任何人可通过公开链接作答（有频率限制和验证码）"),
    )

    def clean_scale(self) -> list[str]:
        raw = self.cleaned_data["scale"].replace("，", ",").replace("、", ",")
        return [s.strip() for s in raw.split(",") if s.strip()]


class OwnerForm(forms.Form):
    owner = OrgCodeField(label=_("组织单位（党组织）"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *SurveyState.choices], required=False
    )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), max_length=200)
    choices = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("单项选择题填写，每行一个"),
    )
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)


class UnitsForm(forms.Form):
    WHICH = [("self", _("该单位")), ("children", _("其直属下级单位"))]

    org = OrgCodeField(label=_("单位"))
    which = forms.ChoiceField(label=_("添加"), choices=WHICH, initial="self")

    def __init__(self, *args: Any, user: Any, survey: SatisfactionSurvey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user).filter(
            path__startswith=survey.path
        )

    def orgs(self) -> list[Organization]:
        org = self.cleaned_data["org"]
        if self.cleaned_data["which"] == "self":
            return [org]
        return list(
            Organization.objects.filter(
                path__startswith=org.path, depth=org.depth + 1, abolished_on__isnull=True
            ).order_by("path")
        )


class TokensForm(forms.Form):
    per_unit = forms.IntegerField(
        label=_("每个单位生成数量"), min_value=1, max_value=TOKENS_PER_UNIT_MAX, initial=30
    )


class AnswerForm(forms.Form):
    """The public's answers: one field per question, named ``q<id>``; the open link adds the
    unit, the honeypot and the captcha."""

    def __init__(
        self,
        *args: Any,
        survey: SatisfactionSurvey,
        questions: list[Question],
        units: list[SurveyUnit] | None = None,
        captcha: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        if units is not None:
            self.fields["unit"] = forms.TypedChoiceField(
                label=_("您评价的单位"),
                choices=[("", "—"), *[(u.pk, u.org.name) for u in units]],
                coerce=int,
            )
        for q in questions:
            name = f"q{q.pk}"
            if q.kind == QuestionKind.TEXT:
                self.fields[name] = forms.CharField(
                    label=q.text,
                    required=q.required,
                    max_length=TEXT_ANSWER_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            else:
                labels = survey.scale if q.kind == QuestionKind.RATING else q.choices
                self.fields[name] = forms.TypedChoiceField(
                    label=q.text,
                    required=q.required,
                    choices=list(enumerate(labels)),
                    coerce=int,
                    empty_value=None,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    error_messages={"required": _("请回答此题")},
                )
        if captcha:
            self.fields[HONEYPOT] = forms.CharField(
                label=_("请勿填写此项"),
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
            )
            self.fields["challenge"] = forms.CharField(widget=forms.HiddenInput)
            self.fields["captcha"] = forms.CharField(
                label=_("验证码：请填写图中算式的结果"),
                max_length=4,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )

    def answers(self) -> dict[int, Any]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q{q.pk}"] for q in self.questions]
