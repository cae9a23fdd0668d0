"""Pages of double pairing (S26): the pairings of branches with needy people (list, propose,
confirm, end with a reason), of organisations with residential areas and two-new
organisations, and the coverage by district or street with a chart."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core.exports import download, export_format, reveal_asked
from jiceng.core.scoping import Action, can, can_anywhere, require_somewhere
from jiceng.core.views import error_message, redirect_back, run_posted_form, run_service
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import exports, selectors, services
from .forms import (
    CoverageForm,
    EndForm,
    PairingFilterForm,
    PairingForm,
    UnitFilterForm,
    UnitPairingForm,
)
from .models import Pairing

PAGE_SIZE = 50


def _under(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("under"))


def _filtered(request: HttpRequest) -> tuple[Organization, PairingFilterForm, QuerySet[Pairing]]:
    """The list's subtree, filter form and rows (the page and its export alike)."""
    under = _under(request)
    form = PairingFilterForm(
        request.GET or None, user=request.user, streets=selectors.streets(request.user)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.pairing_list(
        request.user,
        under=under,
        state=filters.get("state") or "",
        street=filters.get("street"),
        branch=filters.get("branch"),
    )
    return under, form, rows


@login_required
def pairing_list(request: HttpRequest) -> HttpResponse:
    """Pairings of branches with needy people in the user's subtree, filtered, each with the
    confirm and end buttons the user may use."""
    under, form, rows = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/pairings/list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "rows": [(p, services.pairing_rights(request.user, p)) for p in page],
            "may_propose": can(request.user, Action.CHANGE, under.path),
            "may_import": can_anywhere(request.user, Action.CHANGE),
            "may_reveal_export": can_anywhere(request.user, Action.REVEAL),
            "query": request.GET.urlencode(),
            "end_form": EndForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pairing_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The open pairings of the list as the user sees it (the same filters, in the query
    string), as a file the pairings import reads back (S26). A GET is masked; revealing ID
    numbers is a POST (``reveal=1``)."""
    fmt = export_format(fmt)
    reveal = reveal_asked(
        request, _("导出完整敏感信息须在结对帮扶页点击“导出完整信息”按钮提交，不能通过链接导出")
    )
    if not isinstance(reveal, bool):
        return reveal
    _under_org, _form, rows = _filtered(request)
    try:
        header, body_rows = exports.pairing_export(
            actor=request.user, pairings=rows, reveal=reveal, query=request.GET.dict()
        )
    except PermissionDenied as exc:
        messages.error(request, error_message(exc))
        return redirect(reverse("outreach:pairing-list"))
    return download(fmt, header, body_rows, _("结对关系"))


@login_required
def pairing_new(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能安排结对"))
    form = PairingForm(
        request.POST or None,
        user=request.user,
        needy=selectors.pairable_needy(request.user),
        initial={"needy": request.GET.get("needy")},
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.pairing_propose,
            form=form,
            success=_("已提出结对，待确认"),
            **form.cleaned_data,
        )
        if done:
            return redirect(reverse("outreach:pairing-list"))
    return render(
        request,
        "outreach/pairings/form.html",
        {"form": form, "title": _("提出结对"), "tab": "pairings"},
    )


@login_required
@require_POST
def pairing_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = selectors.pairing_get(request.user, pk)
    run_service(request, services.pairing_confirm, success=_("已确认结对"), pairing=pairing)
    return redirect_back(request, reverse("outreach:pairing-list"))


@login_required
@require_POST
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = selectors.pairing_get(request.user, pk)
    run_posted_form(
        request,
        EndForm(request.POST),
        services.pairing_end,
        success=_("已结束结对"),
        pairing=pairing,
    )
    return redirect_back(request, reverse("outreach:pairing-list"))


@login_required
def unit_pairing_list(request: HttpRequest) -> HttpResponse:
    under = _under(request)
    form = UnitFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.unit_pairing_list(request.user, under=under, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/pairings/unit_list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "rows": [(p, services.pairing_rights(request.user, p)) for p in page],
            "may_propose": can(request.user, Action.CHANGE, under.path),
            "end_form": EndForm(),
        },
    )


@login_required
def unit_pairing_new(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能安排结对"))
    form = UnitPairingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.unit_pairing_propose,
            form=form,
            success=_("已提出结对，待确认"),
            **form.cleaned_data,
        )
        if done:
            return redirect(reverse("outreach:unit-pairing-list"))
    return render(
        request,
        "outreach/pairings/form.html",
        {"form": form, "title": _("提出单位结对"), "tab": "unit-pairings"},
    )


@login_required
@require_POST
def unit_pairing_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = selectors.unit_pairing_get(request.user, pk)
    run_service(request, services.unit_pairing_confirm, success=_("已确认结对"), pairing=pairing)
    return redirect_back(request, reverse("outreach:unit-pairing-list"))


@login_required
@require_POST
def unit_pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = selectors.unit_pairing_get(request.user, pk)
    run_posted_form(
        request,
        EndForm(request.POST),
        services.unit_pairing_end,
        success=_("已结束结对"),
        pairing=pairing,
    )
    return redirect_back(request, reverse("outreach:unit-pairing-list"))


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """Coverage of double pairing (S26) per unit one level down, or per district or street."""
    under = _under(request)
    form = CoverageForm(request.GET or None)
    depth = form.cleaned_data.get("depth") if form.is_valid() else None
    rows = selectors.coverage(request.user, under, depth=depth)
    return render(
        request,
        "outreach/pairings/coverage.html",
        {
            "under": under,
            "form": form,
            "rows": rows,
            "total": selectors.coverage_total(rows),
            "chart": selectors.coverage_chart(rows) if rows else None,
        },
    )
