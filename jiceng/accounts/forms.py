from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.forms import OrgCodeField

from .roles import Role


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    organization = OrgCodeField(label=_("管辖组织（含下级）代码"))
    outreach = forms.BooleanField(
        label=_("可查看帮扶对象的类别和健康状况"),
        required=False,
        help_text=_("属个人敏感信息，只授予负责帮扶工作的人员；查看时留痕"),
    )

    def __init__(
        self, *args: Any, org_queryset: Any, roles: tuple[str, ...] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = org_queryset
        if roles is not None:
            self.fields["role"].choices = [(r, Role(r).label) for r in roles]


class UserCreateForm(RoleForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput, help_text=_("至少10位，不能全为数字")
    )
    field_order = ["username", "display_name", "password", "role", "organization", "outreach"]
