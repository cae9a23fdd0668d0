"""The plan form; the services validate again (the API and commands call them directly)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization

from .models import Plan


class PlanForm(forms.ModelForm):
    root_code = OrgCodeField(
        label=_("规划范围（党组织代码）"),
        help_text=_("该党组织及下级的党员参与规划；区域党支部设在该党组织之下"),
    )
    target_code = OrgCodeField(
        label=_("转入支部的范围（党组织代码）"),
        required=False,
        help_text=_("仅用于“就近转入现有支部”；留空则为规划范围"),
    )

    class Meta:
        model = Plan
        fields = [
            "name",
            "kind",
            "selection",
            "size_min",
            "size_max",
            "target_size",
            "n_branches",
            "use_sites",
            "same_district",
            "max_distance_km",
            "move_cost_km",
            "seed",
        ]
        # In the officers' words: no "cost" or "random seed" on the form. The seed stays (a
        # plan is reproducible) but is not asked for.
        labels = {"move_cost_km": _("近不了这么多就不调整（公里）")}
        help_texts = {
            "move_cost_km": _(
                "已在合适支部的党员，只有新支部比现在近出这么多公里才调整；0 为只要更近就调整"
            )
        }
        widgets = {"seed": forms.HiddenInput}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Organization.objects.visible_to(user, Action.CHANGE).active()
        self.fields["root_code"].queryset = units
        self.fields["target_code"].queryset = units
        self.fields["name"].required = False
        self.order_fields(["root_code", "kind", "name", "selection", "target_code"])


class MoveForm(forms.Form):
    """A plan's row moved to another branch: the member's id and the branch's index."""

    member = forms.IntegerField()
    branch = forms.IntegerField()
