"""Pages of responsibility chains (S6): overdue and escalated tasks of a subtree, a step's
tasks for every unit, a task done; the unit page's tasks tab and its write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.campaigns.progress.models import CampaignUnit
from jiceng.campaigns.progress.services import UnitRights
from jiceng.campaigns.progress.views import PAGE_SIZE, under_for, unit_tab
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service

from . import selectors, services
from .forms import StepTasksForm, TaskForm


@login_required
def campaign_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """Overdue tasks under a subtree and the tasks escalated up to the user's unit (S6)."""
    campaign = progress_selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    on = campaign.reference_date()
    page = Paginator(selectors.overdue_tasks(request.user, campaign, under), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = selectors.with_escalation(page.object_list, on)
    escalated = selectors.escalated_to(request.user, campaign, under)[:PAGE_SIZE]
    return render(
        request,
        "campaigns/tasks.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": progress_selectors.crumbs(request.user, campaign, under),
            "page_obj": page,
            "escalated": selectors.with_escalation(escalated, on),
            "step_form": StepTasksForm(campaign=campaign),
            "may_change": can(request.user, Action.CHANGE, under.path),
            "on": on,
        },
    )


@login_required
@require_POST
def campaign_tasks_from_step(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = progress_selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = StepTasksForm(request.POST, campaign=campaign)
    if form.is_valid():
        made = run_service(
            request,
            services.tasks_from_step,
            campaign=campaign,
            step=form.cleaned_data["step"],
            under=under,
        )
        if made:
            messages.success(request, _("已分解到 %(n)s 个单位") % {"n": made.value})
    else:
        messages.error(request, _("请选择环节"))
    return redirect(f"{reverse('campaigns:tasks', args=[campaign.pk])}?under={under.pk}")


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    run_service(request, services.task_done, task=task)
    back = request.POST.get("next", "")
    if back.startswith("/campaigns/"):
        return redirect(back)
    return unit_tab(task.unit, "tasks")


def tasks_tab(request: HttpRequest, unit: CampaignUnit, rights: UnitRights) -> dict[str, Any]:
    """The unit page's tasks with their chains and who holds each now (S6)."""
    tasks = selectors.with_escalation(selectors.unit_tasks(unit), unit.campaign.reference_date())
    return {"tasks": tasks, "task_form": TaskForm()}


def task_add(request: HttpRequest, unit: CampaignUnit) -> None:
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写任务和完成期限"))
        return
    run_service(request, services.task_create, unit=unit, **form.cleaned_data)
