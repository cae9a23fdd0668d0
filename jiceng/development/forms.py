"""Forms of membership development: registering an application, taking a step (date, reason
when late, the vote counts, the training's length, the extension's months, the introducers or
contacts, the form's number), the list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import PersonNameInput
from jiceng.core.scoping import Action
from jiceng.members.models import Member, MemberCategory
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .rules import DevelopmentStage

DATE = forms.DateInput(attrs={"type": "date"})


class RegisterForm(forms.Form):
    org = OrgCodeField(label=_("党支部"))
    name = forms.CharField(label=_("姓名"), max_length=50, widget=PersonNameInput)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=30)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    work_unit = forms.CharField(label=_("工作单位"), max_length=120, required=False)
    applied_on = forms.DateField(label=_("递交申请书日期"), widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class MemberChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return obj.name


class StepForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=DATE)
    reason = forms.CharField(label=_("逾期原因"), max_length=300, required=False)
    value = forms.IntegerField(label=_("延长月数"), required=False, min_value=0, max_value=24)
    due = forms.IntegerField(label=_("应到会有表决权的正式党员"), required=False, min_value=0)
    present = forms.IntegerField(label=_("实到"), required=False, min_value=0)
    votes_for = forms.IntegerField(label=_("赞成"), required=False, min_value=0)
    against = forms.IntegerField(label=_("反对"), required=False, min_value=0)
    abstain = forms.IntegerField(label=_("弃权"), required=False, min_value=0)
    days = forms.IntegerField(label=_("培训天数"), required=False, min_value=0, max_value=365)
    hours = forms.IntegerField(label=_("培训学时"), required=False, min_value=0, max_value=2000)
    people = MemberChoice(label=_("正式党员"), queryset=Member.objects.none(), required=False)
    application_form_no = forms.CharField(label=_("入党志愿书编号"), max_length=30, required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args: Any, branch: Organization | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if branch is not None:
            self.fields["people"].queryset = (
                Member.objects.on_roll()
                .filter(home_org=branch, category=MemberCategory.FULL)
                .order_by("id")
            )

    def service_kwargs(self) -> dict[str, Any]:
        c = self.cleaned_data
        details = {
            "due": c.get("due"),
            "present": c.get("present"),
            "for": c.get("votes_for"),
            "against": c.get("against"),
            "abstain": c.get("abstain"),
            "days": c.get("days"),
            "hours": c.get("hours"),
        }
        return {
            "on": c["on"],
            "reason": c.get("reason") or "",
            "value": c.get("value"),
            "details": {k: v for k, v in details.items() if v is not None},
            "people": list(c.get("people") or []),
            "application_form_no": c.get("application_form_no") or "",
            "note": c.get("note") or "",
        }


class FilterForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("阶段"), choices=[("", _("全部阶段")), *DevelopmentStage.choices], required=False
    )
    q = forms.CharField(label=_("姓名"), max_length=50, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("终止原因"), max_length=300)
