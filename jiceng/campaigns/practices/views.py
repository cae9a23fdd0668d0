"""Pages of theme practices (S24, S25) and "four ones" (S18): the practices of a campaign and
their activities, a branch confirming an item; the unit page's four-ones sheet."""

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
from jiceng.core.attachments.selectors import attachments_by_record
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service

from . import selectors, services
from .forms import ActivityForm, PracticeForm
from .rules import FourOnes


@login_required
def campaign_practices(request: HttpRequest, pk: int) -> HttpResponse:
    """Theme practices (S24, S25) and their activities."""
    campaign = progress_selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            request,
            services.practice_create,
            form=form,
            campaign=campaign,
            owner=under,
            **form.cleaned_data,
        )
        if created:
            return redirect(
                f"{reverse('campaigns:practices', args=[campaign.pk])}?under={under.pk}"
            )
    practices = selectors.practices_with_activities(request.user, campaign)
    return render(
        request,
        "campaigns/practices.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": progress_selectors.crumbs(request.user, campaign, under),
            "practices": practices,
            "files_by_activity": attachments_by_record(
                a for _p, activities in practices for a in activities
            ),
            "form": form,
            "activity_form": ActivityForm(user=request.user),
            "may_change": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
@require_POST
def practice_activity(request: HttpRequest, pk: int) -> HttpResponse:
    practice = selectors.practice_get(request.user, pk)
    form = ActivityForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        run_service(
            request,
            services.activity_record,
            success=_("已记录活动"),
            practice=practice,
            **form.cleaned_data,
        )
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(reverse("campaigns:practices", args=[practice.campaign_id]))


@login_required
@require_POST
def four_ones_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.four_ones_get(request.user, pk)
    run_service(
        request,
        services.four_ones_confirm,
        item=item,
        confirm=request.POST.get("confirm", "1") == "1",
        reason=request.POST.get("reason", ""),
    )
    unit = selectors.member_unit(item.campaign, item.member)
    if unit is None:
        return redirect(reverse("campaigns:detail", args=[item.campaign_id]))
    return unit_tab(unit, "fourones")


def four_ones_tab(request: HttpRequest, unit: CampaignUnit, rights: UnitRights) -> dict[str, Any]:
    """The unit page's sheet of its members' four ones (S18)."""
    sheet = selectors.four_ones_sheet(request.user, unit.campaign, unit)
    return {
        "sheet": sheet,
        "kinds": FourOnes.choices,
        "files_by_item": attachments_by_record(
            item for row in sheet for _kind, item in row["items"] if item
        ),
    }
