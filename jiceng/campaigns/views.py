"""The pages that gather every workflow of a campaign: the progress dashboard of a subtree
(with the members' four ones and study loaded after it), a unit's page with a tab per
workflow and its writes, and a member's own page (self-service). Each workflow's own pages
are in its package's ``views``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service
from jiceng.members import selectors as member_selectors

from .chains import selectors as chains_selectors
from .chains import views as chains_views
from .coverage import views as coverage_views
from .guidance import views as guidance_views
from .practices import selectors as practices_selectors
from .practices import services as practices_services
from .practices import views as practices_views
from .practices.forms import FourOnesForm
from .practices.rules import FourOnes
from .progress import selectors, services
from .progress import views as progress_views
from .progress.models import CampaignUnit
from .progress.views import under_for, unit_tab

TabContext = Callable[[HttpRequest, CampaignUnit, services.UnitRights], dict[str, Any]]
UnitWrite = Callable[[HttpRequest, CampaignUnit], None]

# The unit page's tabs: ``?tab=`` → (label, the context its workflow adds).
UNIT_TABS: dict[str, tuple[Promise, TabContext]] = {
    "steps": (gettext_lazy("环节"), progress_views.steps_tab),
    "plan": (gettext_lazy("单位方案"), guidance_views.plan_tab),
    "tasks": (gettext_lazy("责任分解"), chains_views.tasks_tab),
    "coverage": (gettext_lazy("四让"), coverage_views.coverage_tab),
    "fourones": (gettext_lazy("四个一"), practices_views.four_ones_tab),
    "pilot": (gettext_lazy("试点"), guidance_views.pilot_tab),
}

# The unit page's writes other than its steps: ``what`` → (the write, the tab to go back to).
UNIT_WRITES: dict[str, tuple[UnitWrite, str]] = {
    "pilot": (guidance_views.pilot_set, "pilot"),  # S5
    "lesson": (guidance_views.lesson_add, "pilot"),
    "plan": (guidance_views.plan_make, "plan"),  # S7, S14, S15
    "plan-add": (guidance_views.plan_add, "plan"),
    "task": (chains_views.task_add, "tasks"),  # S6
    "coverage": (coverage_views.coverage_save, "coverage"),  # S8
}


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    if request.htmx and request.GET.get("part") == "members":
        summary = practices_selectors.member_summary(request.user, campaign, under)
        return render(
            request,
            "campaigns/_member_summary.html",
            {"campaign": campaign, "under": under, **summary},
        )
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "under": under,
            **selectors.dashboard(request.user, campaign, under),
            "may_change": can(request.user, Action.CHANGE, campaign.root_path),
            "may_launch": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_get(request.user, pk)
    rights = services.unit_rights(request.user, unit)
    tab = request.GET.get("tab", "steps")
    tab = tab if tab in UNIT_TABS else "steps"
    context: dict[str, Any] = {
        "unit": unit,
        "campaign": unit.campaign,
        "on": unit.campaign.reference_date(),
        "tab": tab,
        "may_change": rights.for_unit,
        "may_sign": rights.for_parent,
        "tab_labels": [(code, label) for code, (label, _context) in UNIT_TABS.items()],
    }
    context |= UNIT_TABS[tab][1](request, unit, rights)
    return render(request, "campaigns/unit.html", context)


@login_required
@require_POST
def unit_do(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """The unit page's other writes: pilot flag and lessons (S5), the unit's plan (S7, S14,
    S15), tasks (S6), entered coverage figures (S8)."""
    unit = selectors.unit_get(request.user, pk)
    if what not in UNIT_WRITES:
        raise Http404
    write, tab = UNIT_WRITES[what]
    write(request, unit)
    return unit_tab(unit, tab)


@login_required
def my_campaign(request: HttpRequest) -> HttpResponse:
    """Member self-service: the member's unit and its current step, their "four ones" with
    forms to record evidence (the branch confirms), their open tasks and study record."""
    member = member_selectors.own_member(request.user)
    if member is None:
        raise Http404
    campaign = practices_selectors.member_campaign(member)
    if campaign is None:
        return render(request, "campaigns/mine.html", {"member": member, "campaign": None})
    form = FourOnesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        recorded = run_service(
            request,
            practices_services.four_ones_record,
            form=form,
            success=_("已填报，待支部确认"),
            campaign=campaign,
            member=member,
            **form.cleaned_data,
        )
        if recorded:
            return redirect(reverse("campaigns:mine"))
    unit = practices_selectors.member_unit(campaign, member)
    items = practices_selectors.own_items(request.user, campaign, member)
    return render(
        request,
        "campaigns/mine.html",
        {
            "member": member,
            "campaign": campaign,
            "unit": unit,
            "items": [(k, label, items.get(k)) for k, label in FourOnes.choices],
            "form": form,
            "study_url": reverse("study:mine"),
            "tasks": list(chains_selectors.open_tasks(unit)[:10]) if unit else [],
        },
    )
