"""Placement pages (S10): the unplaced-members worklist of a subtree with one-click
suggestions, placing one member, and accepting the suggestions for a page or a subtree."""

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

from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service
from jiceng.members import selectors as member_selectors
from jiceng.members import services as member_services
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import PlaceForm

PAGE_SIZE = 50
# Members placed by one "accept all in this subtree" click; the rest stay for the next click
# (or ``manage.py place_members``), so a request never runs for minutes.
SUBTREE_ACCEPT_LIMIT = 5000


def _root(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("org"))


def _worklist_url(root: Organization, page: Any = None) -> str:
    url = f"{reverse('members:unplaced')}?org={root.pk}"
    return f"{url}&page={page}" if page else url


@login_required
def unplaced(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    qs = selectors.page_members(selectors.unplaced(request.user, root))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    may_place = can(request.user, Action.CHANGE, root.path)
    rows = list(page.object_list)
    suggestions = selectors.suggestions_for(rows, user=request.user) if may_place else {}
    context = {
        "root": root,
        "page_obj": page,
        "rows": [(m, suggestions.get(m.pk)) for m in rows],
        "by_child": selectors.unplaced_by_child(request.user, root),
        "may_place": may_place,
        "accept_limit": SUBTREE_ACCEPT_LIMIT,
    }
    return render(request, "members/unplaced.html", context)


@login_required
@require_POST
def place(request: HttpRequest, pk: int) -> HttpResponse:
    """Place one member: at the suggested unit (one click) or at a unit chosen by code."""
    member = member_selectors.member_get(request.user, pk, Action.CHANGE)
    form = PlaceForm(request.POST, user=request.user)
    if form.is_valid():
        placed = run_service(
            request, member_services.member_place, form=form, member=member, **form.service_kwargs()
        ).value
        member = placed or member
    error = "；".join(str(m) for errs in form.errors.values() for m in errs)
    if request.htmx:
        return render(request, "members/_unplaced_done.html", {"member": member, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s 已落实到 %(unit)s")
            % {"name": mark_name(member.name), "unit": member.participating_org},
        )
    return redirect(request.POST.get("next") or reverse("members:unplaced"))


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the suggestions for the members of the page shown, or for the whole subtree."""
    root = org_selectors.organization_get(request.user, pk, Action.CHANGE)
    if request.POST.get("scope") == "subtree":
        done = run_service(
            request, services.subtree_place_suggested, root=root, limit=SUBTREE_ACCEPT_LIMIT
        )
    else:
        ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
        done = run_service(request, services.members_place_suggested, member_ids=ids)
    result = done.value
    if result is None:
        return redirect(_worklist_url(root))
    messages.success(request, _("已为 %(n)s 名党员落实参加活动单位") % {"n": result.placed})
    if result.unplaceable:
        reasons = sorted({problem for _pk, problem in result.unplaceable})
        messages.warning(
            request,
            _("%(n)s 名党员无法推荐单位：%(why)s")
            % {"n": len(result.unplaceable), "why": "；".join(reasons)},
        )
    return redirect(_worklist_url(root))
