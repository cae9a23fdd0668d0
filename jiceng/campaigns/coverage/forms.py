"""The form of an entered coverage figure (S8)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .rules import ENTERED_COVERAGE, Coverage


class CoverageForm(forms.Form):
    indicator = forms.ChoiceField(
        label=_("指标"), choices=[(c, Coverage(c).label) for c in ENTERED_COVERAGE]
    )
    numerator = forms.IntegerField(label=_("达到数"), min_value=0)
    denominator = forms.IntegerField(label=_("总数"), min_value=1)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
