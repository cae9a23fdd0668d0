"""Pages of petitions (S21): the list with its filters, the overdue worklist (with the cases
escalated to the user's units), intake, a case with its deadlines, history and the buttons the
user may use (asked from ``services.permitted_actions``, the services' own rule), and the
statistics of a subtree."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import clock
from jiceng.core.scoping import Action, can, can_anywhere, require_somewhere
from jiceng.core.views import error_message, run_posted_form, run_service
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import FilterForm, IntakeForm, PeriodForm, RouteForm, StepForm, TransferForm
from .models import Petition
from .rules import PetitionAction

PAGE_SIZE = 50


def _under(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("under"))


def _back(p: Petition) -> HttpResponse:
    return redirect(reverse("petitions:detail", args=[p.pk]))


@login_required
def petition_list(request: HttpRequest) -> HttpResponse:
    under = _under(request)
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.petition_list(request.user, under=under, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "petitions/list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "today": clock.today(),
            "may_create": can_anywhere(request.user, Action.CHANGE),
        },
    )


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Open cases past their deadline in the subtree, or (``escalated=1``) those of units
    below that have climbed up to the user's units."""
    escalated = request.GET.get("escalated") == "1"
    under = _under(request)
    rows = (
        selectors.escalated_list(request.user)
        if escalated
        else selectors.overdue_list(request.user, under=under)
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.today()
    return render(
        request,
        "petitions/overdue.html",
        {
            "under": under,
            "escalated": escalated,
            "page_obj": page,
            "rows": [(p, p.overdue_days(today)) for p in page],
        },
    )


@login_required
def petition_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能登记信访事项"))
    initial = {"received_on": clock.today(), "people": 1}
    default_org = org_selectors.tree_roots(request.user).first()
    if default_org is not None and can(request.user, Action.CHANGE, default_org.path):
        initial["intake_org"] = default_org.code
    form = IntakeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(request, services.petition_register, form=form, **form.cleaned_data)
        if done.value is not None:
            petition, warnings = done.value
            for warning in warnings:
                messages.warning(request, warning)
            messages.success(request, _("已登记信访事项 %(n)s") % {"n": petition.number})
            return _back(petition)
    return render(request, "petitions/form.html", {"form": form})


@login_required
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = selectors.petition_get(request.user, pk)
    permitted = services.permitted_actions(request.user, p)
    suggestion = None
    if PetitionAction.ROUTE in permitted:
        suggestion = services.suggest_org(street=p.street, category=p.category, near=p.intake_org)
    initial: dict[str, Any] = {"on": clock.today()}
    if suggestion:
        initial["org"] = suggestion.code
    route_form = RouteForm(user=request.user, initial=initial)
    may_reveal = can(request.user, Action.REVEAL, p.intake_path) or bool(
        p.org_path and can(request.user, Action.REVEAL, p.org_path)
    )
    return render(
        request,
        "petitions/detail.html",
        {
            "p": p,
            "deadlines": selectors.deadlines_of(p),
            "events": p.events.select_related("actor").all(),
            "transfers": p.transfers.select_related("from_org", "to_org").all(),
            "permitted": permitted,
            "step_actions": [
                (a, PetitionAction(a).label) for a in permitted if a in services.HANDLERS
            ],
            "suggestion": suggestion,
            "route_form": route_form,
            "transfer_form": TransferForm(user=request.user),
            "step_form": StepForm(),
            "may_reveal": may_reveal,
            "today": clock.today(),
        },
    )


@login_required
@require_POST
def petition_route(request: HttpRequest, pk: int) -> HttpResponse:
    p = selectors.petition_get(request.user, pk)
    form = RouteForm(request.POST, user=request.user)
    if form.is_valid():
        run_service(
            request,
            services.petition_route,
            success=_("已转送交办"),
            petition=p,
            org=form.cleaned_data["org"],
            on=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
        )
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(p)


@login_required
@require_POST
def petition_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    p = selectors.petition_get(request.user, pk)
    run_posted_form(
        request,
        TransferForm(request.POST, user=request.user),
        services.petition_transfer,
        success=_("已转交"),
        petition=p,
    )
    return _back(p)


@login_required
@require_POST
def petition_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    p = selectors.petition_get(request.user, pk)
    if action not in services.HANDLERS:
        raise Http404
    form = StepForm(request.POST)
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "on"}
        run_service(
            request,
            services.petition_act,
            success=_("已%(a)s") % {"a": PetitionAction(action).label},
            petition=p,
            action=action,
            on=form.cleaned_data.get("on"),
            **values,
        )
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(p)


@login_required
@require_POST
def petition_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    p = selectors.petition_get(request.user, pk)
    try:
        value = services.petition_reveal(actor=request.user, petition=p, field=field)
    except (PermissionDenied, ValidationError) as exc:
        return HttpResponse(
            format_html('<span class="text-danger">{}</span>', error_message(exc)), status=403
        )
    return render(request, "petitions/_revealed.html", {"value": value, "field": field})


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    under = _under(request)
    form = PeriodForm(request.GET or None)
    period = form.cleaned_data if form.is_valid() else {}
    spots = selectors.hot_spots(request.user, under)
    return render(
        request,
        "petitions/statistics.html",
        {
            "under": under,
            "form": form,
            "figures": selectors.statistics(request.user, under, **period),
            "by_unit": selectors.rates_by_unit(request.user, under, **period),
            "repeat": selectors.repeat_petitioners(request.user, under, limit=20),
            "repeat_count": selectors.repeat_count(request.user, under),
            "spots": spots,
            "categories": selectors.by_category(request.user, under),
            "chart": [{"name": s["street__name"], "value": s["n"]} for s in spots],
            "map_points": [
                {"name": s["street__name"], "value": [s["street__lng"], s["street__lat"], s["n"]]}
                for s in spots
            ],
        },
    )
