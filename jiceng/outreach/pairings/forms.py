"""Forms of double pairing (S26)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from ..visits.forms import NEEDY_SELECT_MAX, NeedyField
from .rules import PairingState, PartnerKind


class PairingForm(forms.Form):
    """A needy person (unpaired, of a street the user may change) and a branch (the picker)."""

    needy = NeedyField(label=_("帮扶对象"), queryset=NeedyPerson.objects.none())
    branch = OrgCodeField(label=_("结对支部"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, needy: QuerySet[NeedyPerson], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["needy"]
        field.queryset = needy
        if needy[: NEEDY_SELECT_MAX + 1].count() > NEEDY_SELECT_MAX:
            field.widget = forms.NumberInput()
            field.help_text = _("填写帮扶对象名册中的编号")
        self.fields["branch"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class UnitPairingForm(forms.Form):
    org = OrgCodeField(label=_("结对单位党组织"))
    partner = OrgCodeField(
        label=_("结对对象（居民区党组织或两新组织）"),
        help_text=_("输入名称、拼音首字母或代码查找居民区党组织或两新组织"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)
        # a partner may lie outside the user's scope (a residential area of another street):
        # any active organisation; the service checks its kind
        self.fields["partner"].queryset = Organization.objects.filter(abolished_on__isnull=True)


class EndForm(forms.Form):
    reason = forms.CharField(label=_("结束原因"), max_length=200)


class PairingFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *PairingState.choices]
    )
    street = forms.ModelChoiceField(
        label=_("街道（乡镇）"), required=False, queryset=Organization.objects.none()
    )
    branch = OrgCodeField(label=_("结对支部"), required=False, help_text="")

    def __init__(self, *args: Any, user: Any, streets: QuerySet[Organization], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets
        self.fields["branch"].queryset = Organization.objects.visible_to(user)


class UnitFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *PairingState.choices]
    )
    partner_kind = forms.ChoiceField(
        label=_("结对对象类型"), required=False, choices=[("", _("全部")), *PartnerKind.choices]
    )


class CoverageForm(forms.Form):
    depth = forms.TypedChoiceField(
        label=_("统计到"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("下一级")), (2, _("区县")), (3, _("街道（乡镇）"))],
    )
