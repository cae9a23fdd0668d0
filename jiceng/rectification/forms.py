"""Forms of rectification items (S20, S22)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.models import Campaign
from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from . import selectors
from .rules import CHECK_EVERY_MAX, CHECK_EVERY_MIN, LINKABLE_KINDS, ItemState, SourceKind, Verdict

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


class ItemForm(forms.Form):
    title = forms.CharField(label=_("问题"), max_length=200)
    description = forms.CharField(label=_("群众反映的情况"), required=False, widget=TEXT)
    since = forms.DateField(
        label=_("问题存在自"),
        required=False,
        widget=DATE,
        help_text=_("问题由来已久的，填写大致起始日期"),
    )
    raised_on = forms.DateField(label=_("立项日期"), widget=DATE, required=False)
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)
    measures = forms.CharField(label=_("整改措施"), required=False, widget=TEXT)


class ItemEditForm(ItemForm):
    raised_on = None  # type: ignore[assignment]


class OwnerForm(forms.Form):
    """The organisation responsible (the picker, within the user's change scope)."""

    owner = OrgCodeField(label=_("责任单位（党组织）"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *ItemState.choices], required=False
    )
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    long_running = forms.BooleanField(label=_("只看长期问题"), required=False)


class ActForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class CompleteForm(forms.Form):
    result = forms.CharField(label=_("整改结果"), widget=TEXT)
    notice_text = forms.CharField(
        label=_("公示内容"), widget=TEXT, help_text=_("向群众公示的整改结果")
    )
    noticed_on = forms.DateField(label=_("公示日期"), widget=DATE)


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("群众评议"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("评议说明"),
        max_length=500,
        required=False,
        help_text=_("不满意的，写明原因；事项将重新整改"),
    )
    on = forms.DateField(label=_("评议日期"), widget=DATE, required=False)


class SourceForm(forms.Form):
    """A source of the item: a petition, a visit's need or a survey comment by its number
    (found within the user's scope), a meeting with its date and who took part, or another
    source in words."""

    kind = forms.ChoiceField(
        label=_("来源"), choices=[(k, SourceKind(k).label) for k in LINKABLE_KINDS]
    )
    petition = forms.IntegerField(label=_("信访件编号（系统号）"), required=False, min_value=1)
    need = forms.IntegerField(label=_("走访需求编号"), required=False, min_value=1)
    comment = forms.IntegerField(label=_("测评意见编号"), required=False, min_value=1)
    held_on = forms.DateField(label=_("会议日期"), widget=DATE, required=False)
    participants = forms.CharField(label=_("参加人员"), max_length=300, required=False)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == SourceKind.PETITION:
            petition = selectors.petition_pick(self.user, data.get("petition"))
            if petition is None:
                self.add_error("petition", _("找不到该信访件，或不在您的管辖范围内"))
            data["petition"] = petition
        else:
            data["petition"] = None
        if kind == SourceKind.VISIT_NEED:
            need = selectors.need_pick(self.user, data.get("need"))
            if need is None:
                self.add_error("need", _("找不到该需求，或不在您的管辖范围内"))
            data["need"] = need
        else:
            data["need"] = None
        if kind == SourceKind.SURVEY_COMMENT:
            found = selectors.comments_pick(self.user, [data.get("comment")])
            if found is None:
                self.add_error("comment", _("找不到该测评意见，或不在您的管辖范围内"))
            data["comment"] = found[0] if found else None
        else:
            data["comment"] = None
        return data


class CampaignForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("整改所在批次"), queryset=Campaign.objects.none())

    def __init__(self, *args: Any, campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns


class ArrangementForm(forms.Form):
    keeper_org = OrgCodeField(label=_("长效管理单位"))
    keeper = forms.CharField(
        label=_("负责人或岗位"), max_length=100, help_text=_("如：居委会主任、城管队员某某")
    )
    duties = forms.CharField(label=_("长效管理措施"), widget=TEXT)
    check_every_days = forms.IntegerField(
        label=_("检查周期（天）"), min_value=CHECK_EVERY_MIN, max_value=CHECK_EVERY_MAX
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keeper_org"].queryset = Organization.objects.visible_to(user)


class CheckForm(forms.Form):
    checked_on = forms.DateField(label=_("检查日期"), widget=DATE)
    passed = forms.TypedChoiceField(
        label=_("检查结果"),
        choices=[("1", _("通过：问题没有反弹")), ("0", _("未通过：问题反弹，重新整改"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("检查情况"), max_length=500, required=False)
