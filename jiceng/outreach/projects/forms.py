"""Forms of support projects (S28)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.members.models import Member
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import ProjectGoal
from .rules import BeneficiaryKind, ProjectRole, ProjectState

DATE = forms.DateInput(attrs={"type": "date"})
# Above this many members a list is no help: the form asks for the member's number.
MEMBER_SELECT_MAX = 300


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=120)
    beneficiary_kind = forms.ChoiceField(label=_("受助对象类型"), choices=BeneficiaryKind.choices)
    beneficiary_name = forms.CharField(
        label=_("受助对象"), max_length=120, help_text=_("村、农户或企业的名称")
    )
    beneficiary_place = forms.CharField(label=_("所在地"), max_length=200, required=False)
    description = forms.CharField(
        label=_("项目内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("计划结束日期"), widget=DATE)


class OwnerForm(forms.Form):
    """Which organisation runs the project (the picker, within the user's change scope)."""

    owner = OrgCodeField(label=_("实施单位（党组织）"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *ProjectState.choices], required=False
    )
    beneficiary_kind = forms.ChoiceField(
        label=_("受助对象类型"),
        choices=[("", _("全部")), *BeneficiaryKind.choices],
        required=False,
    )


class GoalForm(forms.Form):
    measure = forms.CharField(label=_("目标内容"), max_length=120, help_text=_("衡量什么"))
    unit = forms.CharField(label=_("单位"), max_length=12, help_text=_("如万元、户、人"))
    baseline = forms.DecimalField(label=_("基数"), max_digits=14, decimal_places=2)
    target = forms.DecimalField(label=_("目标值"), max_digits=14, decimal_places=2)
    target_on = forms.DateField(label=_("目标日期"), widget=DATE, required=False)


class ActForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class MemberForm(forms.Form):
    member = forms.ModelChoiceField(label=_("党员"), queryset=Member.objects.none())
    role = forms.ChoiceField(label=_("分工"), choices=ProjectRole.choices)
    since = forms.DateField(label=_("参加日期"), widget=DATE, required=False)

    def __init__(self, *args: Any, members: QuerySet[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = members
        field.label_from_instance = lambda m: f"{m.name}（{m.home_org.name}）"
        if members[: MEMBER_SELECT_MAX + 1].count() > MEMBER_SELECT_MAX:
            field.widget = forms.NumberInput()
            field.help_text = _("填写党员编号")


class ProgressForm(forms.Form):
    noted_on = forms.DateField(label=_("日期"), widget=DATE)
    note = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, goals: list[ProjectGoal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goals = goals
        for goal in goals:
            self.fields[f"goal_{goal.pk}"] = forms.DecimalField(
                label=f"{goal.measure}（{goal.unit}）",
                max_digits=14,
                decimal_places=2,
                required=False,
                help_text=_("基数 %(b)s，目标 %(t)s") % {"b": goal.baseline, "t": goal.target},
            )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "noted_on": data["noted_on"],
            "note": data["note"],
            "measurements": [
                (g, data.get(f"goal_{g.pk}"))
                for g in self.goals
                if data.get(f"goal_{g.pk}") is not None
            ],
        }
