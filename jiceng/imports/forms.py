from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.forms import OrgCodeField

from .models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("导入内容"), choices=ImportJob.Kind.choices, initial=ImportJob.Kind.MEMBER
    )
    organization = OrgCodeField(label=_("导入到（组织代码，含下级）"))
    file = forms.FileField(
        label=_("文件（.xlsx 或 .csv）"),
        help_text=_("读取各张显示的名册工作表；表头可在前 20 行内；CSV 可为 UTF-8 或 GBK 编码"),
    )
    sheet = forms.CharField(
        label=_("只读取这张工作表（可选）"),
        required=False,
        max_length=100,
        help_text=_("填写工作表名称；隐藏的工作表只有在这里指定时才会读取"),
    )

    def __init__(self, *args: Any, org_queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = org_queryset


class StartForm(forms.Form):
    skip_invalid = forms.BooleanField(label=_("跳过有问题的行，只导入其余各行"), required=False)
    accept_renames = forms.BooleanField(
        label=_("已核对：按文件中的姓名更改这些记录的登记姓名"), required=False
    )
