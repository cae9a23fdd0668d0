"""Pages of visits (S19): a member's phone page to record a visit and see their own, the
branch's list with confirm and return, a visit with its needs and their follow-ups, the needs
worklist and the counts by unit and month."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.scoping import Action, can, require_somewhere, scope_of
from jiceng.core.views import redirect_back, run_posted_form, run_service
from jiceng.members.selectors import own_member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import (
    FollowUpForm,
    PeriodForm,
    ResubmitForm,
    ReturnForm,
    UnitForm,
    VisitFilterForm,
    VisitForm,
)
from .models import Visit

PAGE_SIZE = 50


def _under(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("under"))


def _back(visit: Visit) -> HttpResponse:
    return redirect(reverse("outreach:visit-detail", args=[visit.pk]))


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    """The visits of the user's subtree (or to needy people of their streets), filtered, each
    with the confirm and return buttons the user may use."""
    if not scope_of(request.user, Action.VIEW).paths:
        return redirect(reverse("outreach:my-visits"))  # a member (self-service)
    under = _under(request)
    form = VisitFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    visits = selectors.visit_list(request.user, under=under, **filters)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = services.visits_with_visitor(request.user, list(page))
    rows = [(v, services.visit_rights(request.user, v, is_visitor=v.pk in mine)) for v in page]
    return render(
        request,
        "outreach/visits/list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "rows": rows,
            "may_record": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """The branch records a visit of its members (a member records theirs on 我的走访)."""
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能为支部记录走访"))
    unit_form = UnitForm(request.GET or None, user=request.user)
    org = unit_form.cleaned_data["org"] if unit_form.is_valid() else None
    if org is None:
        org = selectors.default_recording_org(request.user)
    form = VisitForm(
        request.POST or None,
        needy=selectors.recordable_needy(request.user, org, self_service=False),
        visitors=selectors.unit_members(request.user, org),
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.visit_record,
            form=form,
            success=_("已记录走访，待支部确认"),
            org=org,
            **form.service_kwargs(),
        )
        if done.value is not None:
            return _back(done.value)
    return render(
        request,
        "outreach/visits/form.html",
        {"form": form, "unit_form": unit_form, "org": org},
    )


@login_required
def my_visits(request: HttpRequest) -> HttpResponse:
    """A member (on a phone): record a visit made for their branch and see their own."""
    member = own_member(request.user)
    if member is None:
        raise Http404
    org = member.participating_org or member.home_org
    form = VisitForm(
        request.POST or None,
        needy=selectors.recordable_needy(request.user, org, self_service=True),
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.visit_record,
            form=form,
            success=_("已记录走访，待支部确认"),
            org=org,
            **form.service_kwargs(),
        )
        if done:
            return redirect(reverse("outreach:my-visits"))
    visits = selectors.own_visits(request.user)[:30]
    return render(
        request,
        "outreach/visits/mine.html",
        {"member": member, "org": org, "form": form, "visits": visits},
    )


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A visit: who, whom, when, what was found, the needs raised and their follow-ups, and
    what the user may do (confirm, return, correct and resubmit, follow a need up)."""
    visit = selectors.visit_get(request.user, pk)
    needs = list(visit.needs.prefetch_related("follow_ups__by").order_by("id"))
    return render(
        request,
        "outreach/visits/detail.html",
        {
            "visit": visit,
            "visitors": selectors.visitors_of(visit),
            "needy_link": selectors.needy_visible(request.user, visit),
            "needs": [(n, services.need_may_follow_up(request.user, n)) for n in needs],
            "rights": services.visit_rights(request.user, visit),
            "return_form": ReturnForm(),
            "resubmit_form": ResubmitForm(
                initial={
                    "visited_on": visit.visited_on,
                    "kind": visit.kind,
                    "findings": visit.findings,
                }
            ),
            "follow_up_form": FollowUpForm(),
        },
    )


def _back_to(request: HttpRequest, visit: Visit) -> HttpResponse:
    """Back to the list the button was on (a path of this site), or to the visit."""
    return redirect_back(request, reverse("outreach:visit-detail", args=[visit.pk]))


@login_required
@require_POST
def visit_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(request.user, pk)
    run_service(request, services.visit_confirm, success=_("已确认"), visit=visit)
    return _back_to(request, visit)


@login_required
@require_POST
def visit_return(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(request.user, pk)
    run_service(
        request,
        services.visit_return,
        success=_("已退回记录人"),
        visit=visit,
        reason=request.POST.get("reason", ""),
    )
    return _back_to(request, visit)


@login_required
@require_POST
def visit_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(request.user, pk)
    run_posted_form(
        request,
        ResubmitForm(request.POST),
        services.visit_resubmit,
        success=_("已重新提交，待支部确认"),
        visit=visit,
    )
    return _back(visit)


@login_required
def needs(request: HttpRequest) -> HttpResponse:
    """Needs raised at visits and still open, oldest first, with the follow-up form where the
    user may follow them up."""
    under = _under(request)
    rows = selectors.needs_worklist(request.user, under=under)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/visits/needs.html",
        {
            "under": under,
            "page_obj": page,
            "rows": [(n, services.need_may_follow_up(request.user, n)) for n in page],
            "form": FollowUpForm(),
        },
    )


@login_required
@require_POST
def need_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    need = selectors.need_get(request.user, pk)
    run_posted_form(
        request,
        FollowUpForm(request.POST),
        services.need_follow_up,
        success=_("已记录跟进"),
        need=need,
    )
    return _back_to(request, need.visit)


@login_required
def visit_counts(request: HttpRequest) -> HttpResponse:
    """Visits, needy households visited and members taking part, by unit one level down and by
    month, for the period; by category only within the reader's outreach scope."""
    under = _under(request)
    form = PeriodForm(request.GET or None)
    period = form.cleaned_data if form.is_valid() else {}
    figures = selectors.visit_figures(request.user, under, **period)
    return render(
        request,
        "outreach/visits/counts.html",
        {
            "under": under,
            "form": form,
            "by_unit": figures.by_unit,
            "by_month": figures.by_month,
            "total": figures.total,
            "by_category": figures.by_category,
            "chart": [{"name": r.name, "value": r.visits} for r in figures.by_unit],
        },
    )
