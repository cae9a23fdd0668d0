from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.idnumber import IdNumberError, parse_id_number
from jiceng.geo.models import Street
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import EmploymentStatus, Member, MemberCategory
from .phones import normalize_phone


class MemberForm(forms.ModelForm):
    """Create/edit form; organisation choices are limited to the user's scope by the view."""

    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=40,
        help_text=_("18位，末位可为 X；15位旧号码会自动升为18位"),
    )
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    home_org = OrgCodeField(label=_("组织关系所在党组织（代码）"))
    participating_org = OrgCodeField(label=_("参加活动单位（代码）"), required=False)

    class Meta:
        model = Member
        fields = [
            "name",
            "id_number",
            "ethnicity",
            "education",
            "phone",
            "category",
            "joined_on",
            "full_member_on",
            "employment_status",
            "work_unit",
            "home_address",
            "street",
            "home_org",
            "participating_org",
            "entrusted",
        ]
        widgets = {
            "joined_on": forms.DateInput(attrs={"type": "date"}),
            "full_member_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, org_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home_org"].queryset = org_queryset
        self.fields["participating_org"].queryset = org_queryset
        if self.instance.pk and self.instance.participating_org_id:
            # A unit set by someone with a wider scope (e.g. nearby, in another district: S10,
            # S17) stays a valid choice, so editing other fields does not require moving it.
            self.fields["participating_org"].queryset = org_queryset | Organization.objects.filter(
                pk=self.instance.participating_org_id
            )
        self.fields["street"].queryset = Street.objects.select_related("district").order_by("code")
        self.warnings: list[str] = []
        if self.instance.pk:
            self.initial["home_org"] = self.instance.home_org.code
            if self.instance.participating_org_id:
                self.initial["participating_org"] = self.instance.participating_org.code
            # The encrypted value is never sent back to the browser in clear: editing keeps it
            # unless a new number is typed.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("留空则保持原号码（%(m)s）") % {
                "m": self.instance.id_number_masked
            }
            self.initial["id_number"] = ""
            self.initial["phone"] = ""
            self.fields["phone"].help_text = _("留空则保持原号码（%(m)s）") % {
                "m": self.instance.phone_masked or "—"
            }

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number", "")
        if not raw and self.instance.pk:
            return ""
        try:
            parsed = parse_id_number(raw)
        except IdNumberError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.warnings.extend(parsed.warnings)
        return parsed.value

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.instance.pk:
            if not data.get("id_number"):
                data.pop("id_number", None)
            if not data.get("phone"):
                data.pop("phone", None)
        return data


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名或拼音首字母"), required=False)
    org = forms.TypedChoiceField(
        label=_("组织（含下级）"), required=False, coerce=int, empty_value=None
    )
    category = forms.ChoiceField(
        label=_("党员类别"), required=False, choices=[("", _("全部")), *MemberCategory.choices]
    )
    status = forms.ChoiceField(
        label=_("工作状态"), required=False, choices=[("", _("全部")), *EmploymentStatus.choices]
    )
    placed = forms.ChoiceField(
        label=_("参加活动单位"),
        required=False,
        choices=[("", _("全部")), ("yes", _("已落实")), ("no", _("未落实"))],
    )

    def __init__(self, *args: Any, org_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", _("全部")), *org_choices]
