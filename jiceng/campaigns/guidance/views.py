"""Pages of guidance: classified guidance with the previous batch's pilot lessons (S5, S14,
S15); the unit page's plan and pilot tabs and their writes (S5, S7)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.campaigns.progress.models import CampaignUnit
from jiceng.campaigns.progress.services import UnitRights
from jiceng.campaigns.progress.views import under_for, unit_tab
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service

from . import selectors, services
from .forms import LessonForm, PlanItemForm, TemplateForm


@login_required
def campaign_guidance(request: HttpRequest, pk: int) -> HttpResponse:
    """Classified guidance (S14, S15) and the previous batch's pilot lessons (S5)."""
    campaign = progress_selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = run_service(
            request,
            services.template_create,
            form=form,
            success=_("已发布指导方案"),
            campaign=campaign,
            owner=under,
            **form.cleaned_data,
        )
        if issued:
            return redirect(f"{reverse('campaigns:guidance', args=[campaign.pk])}?under={under.pk}")
    return render(
        request,
        "campaigns/guidance.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": progress_selectors.crumbs(request.user, campaign, under),
            "templates": selectors.templates_for(request.user, campaign),
            "lessons": selectors.lessons_for(campaign),
            "pilots": selectors.pilot_units(request.user, campaign, under),
            "form": form,
            "may_issue": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
@require_POST
def plan_item_mark(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.plan_item_get(request.user, pk)
    run_service(
        request,
        services.unit_plan_mark,
        item=item,
        done=request.POST.get("done") == "1",
        note=request.POST.get("note", ""),
    )
    return unit_tab(item.unit, "plan")


def plan_tab(request: HttpRequest, unit: CampaignUnit, rights: UnitRights) -> dict[str, Any]:
    """The unit page's plan: the guidance that applies and the unit's items (S7, S14, S15)."""
    return {
        "template": selectors.template_for(unit),
        "items": selectors.unit_plan(unit),
        "item_form": PlanItemForm(),
    }


def pilot_tab(request: HttpRequest, unit: CampaignUnit, rights: UnitRights) -> dict[str, Any]:
    """The unit page's pilot tab: its lessons and the previous batch's of its sector (S5)."""
    return {
        "lessons": selectors.unit_lessons(unit),
        "previous_lessons": selectors.lessons_for(unit.campaign, unit.sector)[:20],
        "lesson_form": LessonForm(),
    }


def pilot_set(request: HttpRequest, unit: CampaignUnit) -> None:
    run_service(request, services.unit_set_pilot, unit=unit, is_pilot=request.POST.get("on") == "1")


def lesson_add(request: HttpRequest, unit: CampaignUnit) -> None:
    form = LessonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写经验和做法"))
        return
    run_service(request, services.lesson_record, unit=unit, **form.cleaned_data)


def plan_make(request: HttpRequest, unit: CampaignUnit) -> None:
    made = run_service(request, services.unit_plan_instantiate, unit=unit)
    if made:
        messages.success(request, _("已生成 %(n)s 项") % {"n": made.value})


def plan_add(request: HttpRequest, unit: CampaignUnit) -> None:
    form = PlanItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写内容"))
        return
    run_service(request, services.unit_plan_add, unit=unit, **form.cleaned_data)
