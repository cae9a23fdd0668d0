"""Forms of visits (S19) and of following up the needs they raise."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.members.models import Member
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from .rules import NeedKind, NeedState, TargetKind, VisitKind, VisitState

DATE = forms.DateInput(attrs={"type": "date"})
# Needs raised at one visit, entered on the form (more are rare; the API takes any number).
NEED_ROWS = 2
# Above this many needy people a list is no help: the form asks for the registry's number.
NEEDY_SELECT_MAX = 300


class NeedyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: NeedyPerson) -> str:
        return f"{obj.name}（{obj.address}）"


class VisitForm(forms.Form):
    """A visit, by the branch (``visitors`` among the unit's members) or by a member for
    themselves (no visitors field: it is the member)."""

    target_kind = forms.ChoiceField(label=_("走访对象"), choices=TargetKind.choices)
    needy = NeedyField(label=_("帮扶对象"), queryset=NeedyPerson.objects.none(), required=False)
    target_name = forms.CharField(
        label=_("对象姓名或单位名称"),
        max_length=100,
        required=False,
        help_text=_("走访职工群众或单位时填写"),
    )
    visited_on = forms.DateField(label=_("走访日期"), widget=DATE)
    kind = forms.ChoiceField(label=_("走访形式"), choices=VisitKind.choices)
    findings = forms.CharField(
        label=_("了解到的情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    visitors = forms.ModelMultipleChoiceField(
        label=_("参加走访的党员"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        needy: QuerySet[NeedyPerson],
        visitors: QuerySet[Member] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["needy"]
        field.queryset = needy
        if needy[: NEEDY_SELECT_MAX + 1].count() > NEEDY_SELECT_MAX:
            field.widget = forms.NumberInput()
            field.help_text = _("填写帮扶对象名册中的编号")
        if visitors is None:
            del self.fields["visitors"]
        else:
            self.fields["visitors"].queryset = visitors
        for i in range(1, NEED_ROWS + 1):
            self.fields[f"need{i}_kind"] = forms.ChoiceField(
                label=_("反映的需求类别"), choices=NeedKind.choices, required=False
            )
            self.fields[f"need{i}_text"] = forms.CharField(
                label=_("反映的需求"), max_length=300, required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("target_kind") == TargetKind.NEEDY and not data.get("needy"):
            self.add_error("needy", _("请选择走访的帮扶对象"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned data as ``visit_record``'s keyword arguments."""
        data = dict(self.cleaned_data)
        needs = []
        for i in range(1, NEED_ROWS + 1):
            kind, text = data.pop(f"need{i}_kind", ""), data.pop(f"need{i}_text", "")
            if text:
                needs.append((kind or NeedKind.OTHER, text))
        data["needs"] = needs
        data["visitors"] = list(data.get("visitors") or [])
        return data


class UnitForm(forms.Form):
    """Which unit records the branch's visits (the picker, within the user's change scope)."""

    org = OrgCodeField(label=_("走访单位（党组织）"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=200)


class ResubmitForm(forms.Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=DATE)
    kind = forms.ChoiceField(label=_("走访形式"), choices=VisitKind.choices)
    findings = forms.CharField(
        label=_("了解到的情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


FOLLOW_UP_STATES = [
    (s, NeedState(s).label)
    for s in (NeedState.IN_PROGRESS, NeedState.RESOLVED, NeedState.UNRESOLVABLE)
]


class FollowUpForm(forms.Form):
    state = forms.ChoiceField(label=_("跟进后状态"), choices=FOLLOW_UP_STATES)
    note = forms.CharField(label=_("跟进情况"), max_length=300)


class VisitFilterForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE)
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *VisitState.choices]
    )
    target_kind = forms.ChoiceField(
        label=_("走访对象"), required=False, choices=[("", _("全部")), *TargetKind.choices]
    )


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE)
