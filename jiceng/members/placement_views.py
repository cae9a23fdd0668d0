"""Placement pages (S10): the unplaced-members worklist of a subtree with one-click
suggestions, placing one member, and accepting the suggestions for a page or a subtree."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.scoping import Action, can
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import placement_selectors as selectors
from . import placement_services, services
from . import selectors as member_selectors
from .placement_rules import PLACEMENT_TYPES, PlacementReason

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


def _target(request: HttpRequest) -> Organization:
    """The unit chosen on the page: the suggested one (by id) or one typed by code."""
    code = request.POST.get("code", "").strip()
    units = Organization.objects.visible_to(request.user).filter(
        org_type__in=PLACEMENT_TYPES, abolished_on__isnull=True
    )
    unit = (
        units.filter(code=code).first()
        if code
        else units.filter(pk=request.POST.get("org") or 0).first()
    )
    if unit is None:
        raise ValidationError(_("未找到可参加活动的党支部（请填写您管辖范围内党支部的组织编码）"))
    return unit


@login_required
@require_POST
def place(request: HttpRequest, pk: int) -> HttpResponse:
    """Place one member: at the suggested unit (one click) or at a unit chosen by code."""
    member = member_selectors.member_get(request.user, pk, Action.CHANGE)
    error = ""
    try:
        unit = _target(request)
        reason = request.POST.get("reason", "")
        if request.POST.get("code") or reason not in PlacementReason.values:
            reason = PlacementReason.MANUAL
        distance = request.POST.get("distance_km") or None
        member = services.member_place(
            actor=request.user,
            member=member,
            participating_org=unit,
            reason=reason,
            distance_km=float(distance) if distance and reason != PlacementReason.MANUAL else None,
        )
    except (ValidationError, PermissionDenied, ValueError) as exc:
        error = "；".join(getattr(exc, "messages", [str(exc)]))
    if request.htmx:
        return render(request, "members/_unplaced_done.html", {"member": member, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s 已落实到 %(unit)s")
            % {"name": member.name, "unit": member.participating_org},
        )
    return redirect(request.POST.get("next") or reverse("members:unplaced"))


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the suggestions for the members of the page shown, or for the whole subtree."""
    root = org_selectors.organization_get(request.user, pk, Action.CHANGE)
    try:
        if request.POST.get("scope") == "subtree":
            result = placement_services.subtree_place_suggested(
                actor=request.user, root=root, limit=SUBTREE_ACCEPT_LIMIT
            )
        else:
            ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
            result = placement_services.members_place_suggested(actor=request.user, member_ids=ids)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
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
