"""Pages of coverage: the "four lets" of a subtree and the units missing each (S8); the unit
page's coverage tab and its entered figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.campaigns.progress.models import CampaignUnit
from jiceng.campaigns.progress.services import UnitRights
from jiceng.campaigns.progress.views import PAGE_SIZE, under_for
from jiceng.core.views import run_service

from . import selectors, services
from .forms import CoverageForm
from .rules import ENTERED_COVERAGE, Coverage


@login_required
def campaign_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """The "four lets" (S8) of a subtree, and the units missing each."""
    campaign = progress_selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    indicator = request.GET.get("missing", Coverage.SECRETARY)
    indicator = indicator if indicator in Coverage.values else Coverage.SECRETARY
    missing = Paginator(
        selectors.coverage_missing(request.user, campaign, under, indicator), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/coverage.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": progress_selectors.crumbs(request.user, campaign, under),
            "coverage": selectors.coverage(request.user, campaign, under),
            "indicator": indicator,
            "indicators": [c for c in Coverage.choices if c[0] != Coverage.MEMBERS],
            "page_obj": missing,
        },
    )


def coverage_tab(request: HttpRequest, unit: CampaignUnit, rights: UnitRights) -> dict[str, Any]:
    """The unit page's "four lets": computed for its subtree, entered by the unit."""
    return {
        "coverage": selectors.coverage(request.user, unit.campaign, unit.org),
        "entries": selectors.unit_entries(unit),
        "coverage_form": CoverageForm(),
        "coverage_labels": [(c, Coverage(c).label) for c in ENTERED_COVERAGE],
    }


def coverage_save(request: HttpRequest, unit: CampaignUnit) -> None:
    form = CoverageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写达到数和总数（总数至少为 1）"))
        return
    run_service(request, services.coverage_enter, unit=unit, **form.cleaned_data)
