"""Forms of worker recruitment (S3): the officers' and the public's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import PersonNameInput
from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization, OrgType

from .rules import NOTICE_DAYS_DEFAULT, NOTICE_DAYS_RANGE, WEIGHT_DEFAULT, EducationLevel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


class RecruitmentForm(forms.Form):
    title = forms.CharField(label=_("招聘名称"), max_length=120)
    opens_on = forms.DateField(label=_("报名开始"), widget=DATE)
    closes_on = forms.DateField(label=_("报名截止"), widget=DATE)
    written_weight = forms.DecimalField(
        label=_("笔试权重"), max_digits=3, decimal_places=2, initial=WEIGHT_DEFAULT[0]
    )
    interview_weight = forms.DecimalField(
        label=_("面试权重"),
        max_digits=3,
        decimal_places=2,
        initial=WEIGHT_DEFAULT[1],
        help_text=_("两项权重之和须为 1"),
    )
    notice_days = forms.IntegerField(
        label=_("公示工作日数"),
        min_value=NOTICE_DAYS_RANGE[0],
        max_value=NOTICE_DAYS_RANGE[1],
        initial=NOTICE_DAYS_DEFAULT,
    )


class RecruitmentCreateForm(RecruitmentForm):
    district = forms.ModelChoiceField(label=_("招聘区县"), queryset=Organization.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts = Organization.objects.visible_to(user, Action.CHANGE).filter(
            org_type=OrgType.DISTRICT_COMMITTEE
        )
        self.fields["district"].queryset = districts
        if len(districts[:2]) == 1:  # a district's own officer: their district, preselected
            self.fields["district"].empty_label = None
        self.order_fields(["district"])


class PostForm(forms.Form):
    title = forms.CharField(label=_("岗位名称"), max_length=120)
    places = forms.IntegerField(label=_("招聘人数"), min_value=1)
    requirements = forms.CharField(label=_("岗位要求"), required=False, widget=TEXT)
    min_age = forms.IntegerField(label=_("最低年龄"), min_value=16, max_value=70, initial=18)
    max_age = forms.IntegerField(label=_("最高年龄"), min_value=16, max_value=70, initial=40)
    min_education = forms.ChoiceField(
        label=_("最低学历"), choices=[("", _("不限")), *EducationLevel.choices], required=False
    )
    serves = forms.CharField(
        label=_("服务的党组织（组织代码，以空格或逗号分隔）"),
        required=False,
        widget=TEXT,
        help_text=_("两新组织优先"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_serves(self) -> list[Organization]:
        codes = [c for c in self.cleaned_data["serves"].replace(",", " ").split() if c]
        found = {
            o.code: o
            for o in Organization.objects.visible_to(self.user, Action.CHANGE).filter(
                code__in=codes
            )
        }
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(
                _("找不到代码为 %(codes)s 的党组织，或不在您的管辖范围内")
                % {"codes": "、".join(missing)}
            )
        return [found[c] for c in dict.fromkeys(codes)]


class ScreenForm(forms.Form):
    eligible = forms.TypedChoiceField(
        label=_("审查结论"),
        choices=[("1", _("符合条件")), ("0", _("不符合条件"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("不符合条件的原因"), max_length=300, required=False)


class DateForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=DATE, required=False)


class ObjectionForm(forms.Form):
    content = forms.CharField(label=_("反映内容"), widget=TEXT)
    received_on = forms.DateField(label=_("收到日期"), widget=DATE, required=False)


class ResolveForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("核查结论"),
        choices=[("0", _("反映不实，可以聘用")), ("1", _("反映属实，不予聘用"))],
        coerce=lambda v: v == "1",
    )
    resolution = forms.CharField(label=_("核查情况"), max_length=300)
    on = forms.DateField(label=_("核查日期"), widget=DATE, required=False)


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("课程"), max_length=120)
    hours = forms.IntegerField(label=_("学时"), min_value=1, max_value=200)
    finished_on = forms.DateField(label=_("结业日期"), widget=DATE)


class CertificateForm(forms.Form):
    certificate_no = forms.CharField(label=_("培训合格证书编号"), max_length=40)
    on = forms.DateField(label=_("发证日期"), widget=DATE, required=False)
    late_reason = forms.CharField(label=_("逾期原因"), max_length=300, required=False)


class DeployForm(forms.Form):
    org = OrgCodeField(label=_("派驻党组织"))
    on = forms.DateField(label=_("上岗日期"), widget=DATE, required=False)
    late_reason = forms.CharField(label=_("逾期原因"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.visible_to(user, Action.CHANGE)


class LeaveForm(forms.Form):
    reason = forms.CharField(label=_("离岗原因"), max_length=300)
    on = forms.DateField(label=_("离岗日期"), widget=DATE, required=False)


# ----- the public ---------------------------------------------------------------------------

HONEYPOT = "website"


class ApplyForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60, widget=PersonNameInput)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=20)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    education = forms.ChoiceField(label=_("学历"), choices=EducationLevel.choices)
    resume = forms.CharField(
        label=_("个人简历"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    website = forms.CharField(label=_("网址（请勿填写）"), required=False)
    challenge = forms.CharField(widget=forms.HiddenInput)
    captcha = forms.CharField(
        label=_("验证码"), max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )


class FollowForm(forms.Form):
    receipt = forms.CharField(label=_("报名回执号"), max_length=20)
    id_last4 = forms.CharField(label=_("身份证号码后四位"), min_length=4, max_length=4)
