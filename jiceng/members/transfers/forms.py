"""Forms of the transfer pages; the services validate again (the API uses them directly)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core import clock
from jiceng.orgs.forms import OrgPickerInput
from jiceng.orgs.models import Organization

from . import selectors
from .rules import TransferKind


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (``<input type="month">``), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2005-06"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        m = re.fullmatch(r"(\d{4})[-./年](\d{1,2})月?", str(value).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise forms.ValidationError(_("请按“年-月”填写，如 2005-06"))
        return dt.date(int(m.group(1)), int(m.group(2)), 1)


def this_month() -> str:
    return clock.today().strftime("%Y-%m")


class TargetCodeField(forms.CharField):
    """A receiving unit anywhere in the city, by organisation code (see
    ``selectors.transfer_target_by_code``)."""

    def to_python(self, value: Any) -> Organization | None:
        code = super().to_python(value)
        if not code:
            return None
        org = selectors.transfer_target_by_code(code)
        if org is None:
            raise forms.ValidationError(
                _("找不到代码为 %(code)s 的可接收组织关系的党组织（党支部、联合支部或党总支）"),
                params={"code": code},
            )
        return org


class TransferRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("转接类别"),
        choices=TransferKind.choices,
        initial=TransferKind.IN_CITY,
    )
    to_org = TargetCodeField(
        label=_("接收党组织（市内）"),
        required=False,
        widget=OrgPickerInput(scope="receiving"),
        help_text=_("输入接收方党支部的名称、拼音首字母或代码查找（全市范围）"),
    )
    dest_org_name = forms.CharField(
        label=_("接收党组织名称（转出本市）"), max_length=120, required=False
    )
    dest_region = forms.CharField(label=_("接收地区（省、市、县）"), max_length=60, required=False)
    reason = forms.CharField(label=_("转接原因"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == TransferKind.IN_CITY and not data.get("to_org"):
            self.add_error("to_org", _("市内转接须填写接收党组织代码"))
        if data.get("kind") == TransferKind.OUT_OF_CITY:
            data["to_org"] = None
            for name in ("dest_org_name", "dest_region"):
                if not data.get(name):
                    self.add_error(name, _("转出本市须填写此项"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "to_org": d["to_org"],
            "dest_org_name": d.get("dest_org_name", ""),
            "dest_region": d.get("dest_region", ""),
            "reason": d.get("reason", ""),
        }


class IssueForm(forms.Form):
    dues_paid_to = MonthField(label=_("党费交至（年月）"))
    valid_days = forms.IntegerField(
        label=_("有效期（天）"), min_value=1, max_value=180, required=False
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class ReceiptForm(forms.Form):
    received_on = forms.DateField(
        label=_("回执日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("回执说明"), max_length=200, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class BulkTransferForm(forms.Form):
    members = forms.CharField(
        label=_("党员名单"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "310101195001011234 0101BR0001"}),
        help_text=_(
            "每行一人：公民身份号码或党员编号，可在其后空格加接收党组织代码（不填则用下方的统一接收党组织）"
        ),
    )
    target = TargetCodeField(
        label=_("统一接收党组织"), required=False, widget=OrgPickerInput(scope="receiving")
    )
    reason = forms.CharField(label=_("转接原因"), max_length=200, required=False)
    complete = forms.BooleanField(
        label=_("直接完成（转出、接收双方均在本人管辖范围内时）"), required=False
    )
    dues_paid_to = MonthField(label=_("党费交至（年月）"), required=False)


def parse_member_lines(text: str) -> list[tuple[str, str]]:
    """Pasted lines → (member id or ID number, target code or "").

    >>> parse_member_lines("12\\n310101195001011234  0101BR01\\n\\n")
    [('12', ''), ('310101195001011234', '0101BR01')]
    """
    out = []
    for line in text.splitlines():
        parts = re.split(r"[\s,，;；]+", line.strip())
        if parts and parts[0]:
            out.append((parts[0], parts[1] if len(parts) > 1 else ""))
    return out
