"""The plan form; the services validate again (the API and commands call them directly)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action, can_anywhere
from jiceng.orgs.forms import OrgCodeField
from jiceng.orgs.models import Organization
from jiceng.outreach.registry.selectors import categories as needy_categories

from .models import Plan
from .rules import PAIR_AFFINITY_KM, PAIR_PER_BRANCH, Affinity


class PlanForm(forms.ModelForm):
    root_code = OrgCodeField(
        label=_("规划范围（党组织代码）"),
        help_text=_("该党组织及下级的党员参与规划；区域党支部设在该党组织之下"),
    )
    target_code = OrgCodeField(
        label=_("转入支部的范围（党组织代码）"),
        required=False,
        help_text=_("“就近转入现有支部”和“结对帮扶方案”的支部范围；留空则为规划范围"),
    )
    # Pairing plans (S26). Categories are sensitive: offered only to officers with outreach
    # rights (the service checks them over the plan's root).
    categories = forms.MultipleChoiceField(
        label=_("只结对这些类别的帮扶对象"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("仅用于“结对帮扶方案”；不选则为全部在册帮扶对象"),
    )
    affinity = forms.MultipleChoiceField(
        label=_("类别优先"),
        required=False,
        choices=Affinity.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("仅用于“结对帮扶方案”：这些类别的帮扶对象优先与相应领域的支部结对"),
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
            "per_branch",
            "affinity_km",
        ]
        # In the officers' words: no "cost" or "random seed" on the form. The seed stays (a
        # plan is reproducible) but is not asked for.
        labels = {"move_cost_km": _("近不了这么多就不调整（公里）")}
        help_texts = {
            "move_cost_km": _(
                "已在合适支部的党员，只有新支部比现在近出这么多公里才调整；0 为只要更近就调整"
            ),
            "per_branch": _("仅用于“结对帮扶方案”：每个支部最多结对的帮扶对象人数"),
            "affinity_km": _("仅用于“结对帮扶方案”：类别优先的结对视同近这么多公里"),
            "max_distance_km": _("帮扶对象（党员）与支部的距离不超过此值；留空则不限"),
        }
        widgets = {"seed": forms.HiddenInput}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Organization.objects.visible_to(user, Action.CHANGE).active()
        self.fields["root_code"].queryset = units
        self.fields["target_code"].queryset = units
        self.fields["name"].required = False
        # Only a pairing plan reads these; left empty they keep their defaults.
        self.fields["per_branch"].required = False
        self.fields["affinity_km"].required = False
        if can_anywhere(user, Action.OUTREACH):
            self.fields["categories"].choices = [
                (c.code, c.name) for c in needy_categories(active_only=True)
            ]
        else:
            del self.fields["categories"]
            del self.fields["affinity"]
            del self.fields["affinity_km"]
        self.order_fields(["root_code", "kind", "name", "selection", "target_code"])

    def clean_per_branch(self) -> int:
        value = self.cleaned_data.get("per_branch")
        return PAIR_PER_BRANCH if value is None else value

    def clean_affinity_km(self) -> float:
        value = self.cleaned_data.get("affinity_km")
        return PAIR_AFFINITY_KM if value is None else value


class MoveForm(forms.Form):
    """A plan's row moved to another branch: the member's id (a pairing plan's: the needy
    person's) and the branch's index."""

    member = forms.IntegerField(required=False)
    needy = forms.IntegerField(required=False)
    branch = forms.IntegerField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("member") is None and data.get("needy") is None:
            raise forms.ValidationError(_("请选择要调整的人"))
        return data
