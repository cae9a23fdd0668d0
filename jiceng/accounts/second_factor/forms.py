from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("手机验证器应用中显示的6位数字"),
    )


class VerifyForm(CodeForm):
    code = forms.CharField(
        label=_("验证码或恢复码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        help_text=_(
            "手机验证器应用中的6位数字；手机不在身边时，可输入一个恢复码（每个只能用一次）"
        ),
    )
    remember = forms.BooleanField(label=_("记住此设备 %(days)s 天"), required=False)

    def __init__(self, *args: object, days: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["remember"].label = _("记住此设备 %(days)s 天") % {"days": days}
