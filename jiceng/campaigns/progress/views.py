"""Pages of a campaign's progress: the list of batches, a new batch (from the last one), its
edit, the lagging units and the sign-off worklist (and their export), launching a subtree's
units, and a unit's step actions; the steps tab of the unit page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.exports import csv_response
from jiceng.core.scoping import Action, require_somewhere, scope_of
from jiceng.core.views import run_service
from jiceng.orgs.models import Organization, Sector

from . import selectors, services
from .forms import CampaignEditForm, CampaignForm, LaunchForm, StepActionForm
from .models import Campaign, CampaignUnit
from .rules import StepAction

PAGE_SIZE = 50


def under_for(request: HttpRequest, campaign: Campaign) -> Organization:
    """The subtree a page of the campaign looks at (``?under=``)."""
    return selectors.campaign_subtree(request.user, campaign, request.GET.get("under"))


def unit_tab(unit: CampaignUnit, tab: str) -> HttpResponse:
    """Back to a tab of the unit page after a write."""
    return redirect(f"{reverse('campaigns:unit', args=[unit.pk])}?tab={tab}")


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user, Action.VIEW).paths:
        return redirect(reverse("campaigns:mine"))  # a member (self-service)
    rows = selectors.campaign_overview(request.user, request.GET.get("under"))
    return render(request, "campaigns/list.html", {"rows": rows})


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色只能查看，不能部署活动"))
    previous = None
    initial: dict[str, Any] = {}
    source = request.POST.get("previous") or request.GET.get("from")
    if source:
        previous = selectors.campaign_get(request.user, source)
        initial = {"root": previous.root.code, "description": previous.description}
    form = CampaignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            request, services.campaign_create, form=form, previous=previous, **form.cleaned_data
        )
        if created.value is not None:
            messages.success(request, _("已部署“%(name)s”") % {"name": created.value.name})
            return redirect(reverse("campaigns:detail", args=[created.value.pk]))
    return render(request, "campaigns/form.html", {"form": form, "previous": previous})


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk, Action.CHANGE)
    form = CampaignEditForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form.changed_data}
        campaign.refresh_from_db()
        if run_service(request, services.campaign_update, form=form, campaign=campaign, **fields):
            return redirect(reverse("campaigns:detail", args=[campaign.pk]))
    return render(request, "campaigns/edit.html", {"form": form, "campaign": campaign})


@login_required
def campaign_lagging(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    sector = request.GET.get("sector", "")
    sector = sector if sector in Sector.values else ""
    waiting = request.GET.get("waiting") == "1"
    units = selectors.worklist(request.user, campaign, under, sector=sector, waiting=waiting)
    if request.GET.get("format") == "csv":
        rows = services.lagging_export(
            actor=request.user, campaign=campaign, under=under, units=units
        )
        response, writer = csv_response(f"lagging-{campaign.pk}.csv")
        writer.writerows(rows)
        return response
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_days_late(page.object_list, campaign)
    return render(
        request,
        "campaigns/lagging.html",
        {
            "campaign": campaign,
            "under": under,
            "page_obj": page,
            "on": campaign.reference_date(),
            "sector": sector,
            "sectors": Sector.choices,
            "waiting": waiting,
            "crumbs": selectors.crumbs(request.user, campaign, under),
        },
    )


@login_required
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = LaunchForm(request.POST or None, user=request.user, initial={"under": under.code})
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["under"]
        launched = run_service(
            request,
            services.units_launch,
            form=form,
            campaign=campaign,
            under=target,
            on=form.cleaned_data["on"],
        )
        if launched:
            messages.success(request, _("已启动 %(n)s 个单位") % {"n": launched.value})
            url = reverse("campaigns:detail", args=[campaign.pk])
            return redirect(f"{url}?under={target.pk}")
    waiting = selectors.units_waiting_launch(request.user, campaign, under)
    return render(
        request,
        "campaigns/launch.html",
        {"campaign": campaign, "under": under, "form": form, "waiting": waiting},
    )


def steps_tab(
    request: HttpRequest, unit: CampaignUnit, rights: services.UnitRights
) -> dict[str, Any]:
    """The unit page's steps: where the unit is, its history, and the actions the user may
    take now."""
    return {
        "steps": selectors.unit_steps(unit),
        "records": selectors.unit_records(unit),
        "actions": [(a, StepAction(a).label) for a in rights.actions],
        "form": StepActionForm(),
    }


@login_required
@require_POST
def unit_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    unit = selectors.unit_get(request.user, pk)
    back = redirect(reverse("campaigns:unit", args=[unit.pk]))
    if action not in StepAction.values:
        raise Http404
    form = StepActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("日期格式不正确"))
        return back
    run_service(
        request,
        services.unit_act,
        unit=unit,
        action=action,
        text=form.cleaned_data["text"],
        on=form.cleaned_data["on"],
        success=_("已%(action)s") % {"action": StepAction(action).label},
    )
    return back
