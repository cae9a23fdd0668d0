"""Forms of petitions (S21): intake, routing and transfer, the step buttons, the list's
filters and the statistics' period."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import PersonNameInput
from jiceng.core.scoping import Action
from jiceng.geo.models import Street
from jiceng.orgs.forms import OrgCodeField, OrgPickerInput
from jiceng.orgs.models import Organization

from .models import Petition
from .rules import Body, Category, Channel, Satisfaction, State

DATE = forms.DateInput(attrs={"type": "date"})


class StreetField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Street) -> str:
        return obj.name


def streets_for(user: Any) -> Any:
    """Streets of the districts where the user may act."""
    districts = (
        Organization.objects.visible_to(user, Action.CHANGE)
        .exclude(district__isnull=True)
        .values("district")
    )
    return Street.objects.filter(district__in=districts).order_by("district", "name")


class IntakeForm(forms.Form):
    intake_org = OrgCodeField(label=_("登记单位"))
    channel = forms.ChoiceField(label=_("信访形式"), choices=Channel.choices)
    received_on = forms.DateField(label=_("收到日期"), widget=DATE)
    body = forms.ChoiceField(
        label=_("登记单位类别"),
        choices=Body.choices,
        initial=Body.OFFICE,
        help_text=_("信访工作机构登记后转送交办；有权处理的单位直接受理办理"),
    )
    petitioner_name = forms.CharField(label=_("信访人姓名"), max_length=50, widget=PersonNameInput)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=30, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    people = forms.IntegerField(label=_("人数"), min_value=1, max_value=9999, initial=1)
    subject = forms.CharField(label=_("事由"), max_length=200)
    content = forms.CharField(
        label=_("主要内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    street = StreetField(
        label=_("问题发生地街道（乡镇）"), queryset=Street.objects.none(), required=False
    )
    same_facts_as = forms.CharField(
        label=_("同一事实的前案编号"),
        max_length=20,
        required=False,
        help_text=_("信访人曾就同一事实信访的，填写前案编号"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["intake_org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
        self.fields["street"].queryset = streets_for(user)

    def clean_same_facts_as(self) -> Petition | None:
        number = (self.cleaned_data.get("same_facts_as") or "").strip()
        if not number:
            return None
        found = Petition.objects.visible_to(self.user).filter(number=number).first()
        if found is None:
            raise forms.ValidationError(_("找不到编号为 %(n)s 的信访事项") % {"n": number})
        return found


class RouteForm(forms.Form):
    org = OrgCodeField(label=_("责任单位"), widget=OrgPickerInput(scope="view"))
    on = forms.DateField(label=_("转送交办日期"), widget=DATE, required=False)
    reason = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user)


class TransferForm(forms.Form):
    to_org = OrgCodeField(label=_("转交给"), widget=OrgPickerInput(scope="view"))
    reason = forms.CharField(label=_("转交理由"), max_length=300)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = Organization.objects.visible_to(user)


class StepForm(forms.Form):
    """The values a step button may carry; the service says which one it needs."""

    on = forms.DateField(label=_("日期"), widget=DATE, required=False)
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)
    days = forms.IntegerField(label=_("延长天数"), min_value=1, max_value=30, required=False)
    reply = forms.CharField(
        label=_("处理意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    satisfaction = forms.ChoiceField(
        label=_("信访人评价"), choices=[("", "—"), *Satisfaction.choices], required=False
    )


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("open", _("办理中")), *State.choices],
    )
    category = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部")), *Category.choices]
    )
    channel = forms.ChoiceField(
        label=_("信访形式"), required=False, choices=[("", _("全部")), *Channel.choices]
    )
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    date_from = forms.DateField(label=_("收到日期自"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("至"), required=False, widget=DATE)
    q = forms.CharField(label=_("编号或事由"), max_length=100, required=False)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("收到日期自"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("至"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期"))
        return data
