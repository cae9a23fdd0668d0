"""Forms of unit appraisal: the ranking's filters, a new run, a new version of the weights."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import Sector

from . import rules

ORDER_CHOICES = (
    ("score", _("得分从高到低")),
    ("-score", _("得分从低到高")),
    ("district", _("按区县排名")),
    ("sector", _("按领域排名")),
    ("code", _("组织代码")),
)


class RankingForm(forms.Form):
    district = forms.ChoiceField(label=_("区县"), required=False)
    sector = forms.ChoiceField(
        label=_("领域"), required=False, choices=[("", _("全部")), *Sector.choices]
    )
    q = forms.CharField(label=_("单位名称或代码"), required=False, max_length=60)
    order = forms.ChoiceField(label=_("排序"), required=False, choices=ORDER_CHOICES)

    def __init__(self, *args: Any, districts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("全部")), *districts]


class RunForm(forms.Form):
    as_of = forms.DateField(
        label=_("统计日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空为活动的统计日期（未设时为今天）"),
    )


class WeightsForm(forms.Form):
    """One field per indicator (whole percentages summing to 100) and the effective date."""

    effective_on = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for rule in rules.RULES:
            self.fields[rule.indicator] = forms.IntegerField(
                label=rule.label,
                min_value=0,
                max_value=100,
                initial=rule.default_weight,
                help_text=f"{rule.numerator} ÷ {rule.denominator}",
            )

    def weights(self) -> dict[str, int]:
        return {k: self.cleaned_data[k] for k in rules.KEYS}
