from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.geo.models import Street

from .models import COMPUTED_CRITERIA, Organization, OrgType, Sector, WeakCriterion
from .services import SET_PILOT


class OrgPickerInput(forms.TextInput):
    """An organisation field: the code box (typed, pasted, or filled by the picker) and a
    search-as-you-type box below it that finds units by name (Simplified or Traditional),
    pinyin initials or code and shows each with its path (``orgs:pick``). ``scope``: the units
    offered, ``change`` (where the user may act), ``view``, or ``receiving`` (every receiving
    unit of the city, for a transfer)."""

    template_name = "orgs/widgets/org_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None, scope: str = "change") -> None:
        super().__init__(attrs)
        self.scope = scope

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["scope"] = self.scope
        return context


class OrgCodeField(forms.ModelChoiceField):
    """An organisation by its code, found with the picker: a city has 80,000 of them, too many
    for a list. The queryset (set by the view) is the user's scope, so a code outside it is not
    found."""

    widget = OrgPickerInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Organization.objects.none())
        kwargs.setdefault("help_text", _("输入名称、拼音首字母或代码查找，或直接填写组织代码"))
        super().__init__(
            to_field_name="code",
            error_messages={
                "invalid_choice": _("找不到代码为 %(value)s 的党组织，或该组织不在您的管辖范围内")
            },
            **kwargs,
        )

    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.name}（{obj.code}）"


class OrganizationFoundForm(forms.Form):
    code = forms.CharField(label=_("组织代码"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=120)
    org_type = forms.ChoiceField(label=_("组织类别"), choices=OrgType.choices)
    sector = forms.ChoiceField(label=_("所属领域"), choices=Sector.choices, initial=Sector.OTHER)
    host_unit = forms.CharField(label=_("所在单位"), max_length=120, required=False)
    founded_on = forms.DateField(
        label=_("成立日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    approved_on = forms.DateField(
        label=_("批准日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    approval_no = forms.CharField(
        label=_("批准文号"),
        max_length=60,
        required=False,
        help_text=_("上级党组织批复成立的文件编号"),
    )
    street = forms.ModelChoiceField(
        label=_("所在街道/乡镇"), queryset=Street.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, parent: Organization, allowed_types: tuple[str, ...], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_type"].choices = [(t, OrgType(t).label) for t in allowed_types]
        if parent.district_id:
            self.fields["street"].queryset = Street.objects.filter(district_id=parent.district_id)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if Organization.objects.filter(code=code).exists():
            raise forms.ValidationError(_("组织代码 %(c)s 已被使用") % {"c": code})
        return code


class OrganizationEditForm(forms.ModelForm):
    """Descriptive fields; "pilot" only for who may set it (``organization_permitted_actions``)."""

    class Meta:
        model = Organization
        fields = [
            "name",
            "sector",
            "kind",
            "host_unit",
            "street",
            "approved_on",
            "approval_no",
            "lng",
            "lat",
            "is_pilot",
        ]

    def __init__(self, *args: Any, permitted: frozenset[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if permitted is not None and SET_PILOT not in permitted:
            del self.fields["is_pilot"]
        self.fields["approved_on"].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["street"].queryset = (
            Street.objects.filter(district_id=self.instance.district_id)
            if self.instance.district_id
            else Street.objects.none()
        )


class OrganizationPickForm(forms.Form):
    """Choose another organisation (move target, merge target) among those the user may
    change; the queryset is always scoped by the view."""

    target = forms.ModelChoiceField(label=_("目标组织"), queryset=Organization.objects.none())

    def __init__(self, *args: Any, queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = queryset


class AbolishForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)


# ----- Organisation health (S12) -----------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ENTERED = [c for c in WeakCriterion if c.value not in COMPUTED_CRITERIA]


class _EnteredCriteriaForm(forms.Form):
    """A tick and a supporting note for each criterion the officer enters (the data for them
    arrives with later issues: petitions, surveys, organisational life)."""

    tick_label = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for c in ENTERED:
            self.fields[f"tick_{c.value}"] = forms.BooleanField(label=c.label, required=False)
            self.fields[f"note_{c.value}"] = forms.CharField(
                label=_("依据说明"), max_length=300, required=False
            )

    def criterion_fields(self) -> list[tuple[Any, Any, Any]]:
        return [(c, self[f"tick_{c.value}"], self[f"note_{c.value}"]) for c in ENTERED]

    def entered(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            c.value: data.get(f"note_{c.value}", "") for c in ENTERED if data.get(f"tick_{c.value}")
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for c in ENTERED:
            if data.get(f"tick_{c.value}") and not (data.get(f"note_{c.value}") or "").strip():
                self.add_error(f"note_{c.value}", _("勾选此情形须填写依据说明"))
        return data


class DesignateForm(_EnteredCriteriaForm):
    on = forms.DateField(label=_("认定日期"), required=False, widget=DATE)
    note = forms.CharField(label=_("认定说明"), required=False, widget=forms.Textarea({"rows": 3}))


class RectificationPlanForm(forms.Form):
    measures = forms.CharField(
        label=_("整顿措施"),
        widget=forms.Textarea({"rows": 5}),
        help_text=_("每行一条措施"),
    )
    owner = forms.CharField(label=_("责任人"), max_length=60)
    deadline = forms.DateField(label=_("整顿期限"), widget=DATE)


class RectificationNoteForm(forms.Form):
    on = forms.DateField(label=_("日期"), required=False, widget=DATE)
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea({"rows": 3}))


class RectificationCloseForm(_EnteredCriteriaForm):
    on = forms.DateField(label=_("销号日期"), required=False, widget=DATE)
    result = forms.CharField(label=_("整顿成效"), widget=forms.Textarea({"rows": 4}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300)
