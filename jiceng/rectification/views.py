"""Pages of rectification items (S20, S22): the unit's "project the public is satisfied with"
(the items under a root with the figures per child unit and a chart), the create form (from
scratch, from a petition or from a visit's need), an item with its sources, measures, history,
evidence, standing arrangement and checks, the form of each step, and the checks due."""

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

from jiceng.core import clock
from jiceng.core.scoping import Action, can, require_somewhere
from jiceng.core.views import run_posted_form, run_service
from jiceng.orgs import selectors as org_selectors

from . import selectors, services
from .forms import (
    ActForm,
    ArrangementForm,
    CampaignForm,
    CheckForm,
    CompleteForm,
    FilterForm,
    ItemEditForm,
    ItemForm,
    OwnerForm,
    SourceForm,
    VerdictForm,
)
from .models import RectificationItem
from .rules import EVENT_LABELS

PAGE_SIZE = 50


def _back(item: RectificationItem) -> HttpResponse:
    return redirect(reverse("rectification:item-detail", args=[item.pk]))


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    """The unit's items (its "project the public is satisfied with"), filtered, with the
    figures of each unit one level down and a chart of them."""
    under = org_selectors.subtree_root(request.user, request.GET.get("under"))
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.item_list(request.user, under=under, **filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    figures = selectors.figures_by_unit(request.user, under)
    chart = {
        "categories": [r.name for r in figures],
        "series": [
            {"name": _("已销号"), "data": [r.closed for r in figures]},
            {"name": _("整改中"), "data": [r.open - r.overdue for r in figures]},
        ],
        "overdue": [r.overdue for r in figures],
    }
    return render(
        request,
        "rectification/list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "figures": figures,
            "total": selectors.figures_total(figures, under),
            "chart": chart if figures else None,
            "may_create": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
def item_create(request: HttpRequest) -> HttpResponse:
    """A new item, from scratch or raised from a petition (``?petition=``), a visit's need
    (``?need=``) or survey comments (``?comments=1,2,3``: many comments, one item): the problem
    and the unit pre-filled, the records linked as its first sources."""
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能立项整改事项"))
    origin: dict[str, Any] = {}
    initial: dict[str, Any] = {}
    owner = selectors.default_owner(request.user)
    petition = selectors.petition_pick(request.user, request.GET.get("petition", ""))
    need = selectors.need_pick(request.user, request.GET.get("need", ""))
    # ?comments=1,2,3 or, from the comments page's ticked boxes, ?comments=1&comments=2
    raw = [i for v in request.GET.getlist("comments") for i in v.split(",") if i.strip()]
    comments = selectors.comments_pick(request.user, raw) if raw else None
    if petition is not None:
        origin = {"petition": petition}
        owner = services.petition_owner(petition)
        initial = {"title": petition.subject, "description": petition.content}
    elif need is not None:
        origin = {"need": need}
        owner = need.visit.org
        initial = {"title": need.text}
    elif comments:
        origin = {"comments": comments}
        owner = comments[0].unit.org
        initial = {
            "title": comments[0].text[:200],
            "description": "\n".join(c.text for c in comments),
        }
    owner_form = OwnerForm(
        request.POST or None, user=request.user, initial={"owner": owner.code if owner else ""}
    )
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and owner_form.is_valid() and form.is_valid():
        done = run_service(
            request,
            services.item_create,
            form=form,
            success=_("已立项"),
            owner=owner_form.cleaned_data["owner"],
            **form.cleaned_data,
            **origin,
        )
        if done.value is not None:
            return _back(done.value)
    return render(
        request,
        "rectification/form.html",
        {"form": form, "owner_form": owner_form, "item": None, **origin},
    )


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(request.user, pk, Action.CHANGE)
    initial = {f: getattr(item, f) for f in services.EDITABLE}
    form = ItemEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.item_edit,
            form=form,
            success=_("已保存"),
            item=item,
            **form.cleaned_data,
        )
        if done:
            return _back(item)
    return render(
        request, "rectification/form.html", {"form": form, "owner_form": None, "item": item}
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item: the problem, its sources, measures, history, evidence, the public notice and
    verdict, its standing arrangement with the checks, and the buttons the user may use."""
    item = selectors.item_get(request.user, pk)
    rights = services.item_rights(request.user, item)
    arrangement = selectors.arrangement_of(item)
    campaigns = selectors.campaigns_for(request.user, item) if rights.change else None
    return render(
        request,
        "rectification/detail.html",
        {
            "item": item,
            "rights": rights,
            "sources": selectors.sources_of(item),
            "events": selectors.events_of(item),
            "event_labels": EVENT_LABELS,
            "batches": list(item.campaigns.order_by("starts_on")),
            "campaign_form": CampaignForm(campaigns=campaigns) if campaigns else None,
            "arrangement": arrangement,
            "checks": selectors.checks_of(arrangement),
        },
    )


@login_required
@require_POST
def item_start(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(request.user, pk)
    run_posted_form(
        request, ActForm(request.POST), services.item_start, success=_("已开始整改"), item=item
    )
    return _back(item)


def _step_page(
    request: HttpRequest,
    shown: RectificationItem,
    form: Any,
    service: Any,
    /,
    *,
    allowed: bool,
    title: str,
    success: str,
    **kwargs: Any,
) -> HttpResponse:
    """The form of one step, offered only where ``services.item_rights`` allows it (else back
    to the item with why); the service still decides."""
    if not allowed:
        messages.error(
            request,
            _("该整改事项%(state)s，或您不是责任单位及其上级，不能办理此项")
            % {"state": shown.get_state_display()},
        )
        return _back(shown)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request, service, form=form, success=success, **kwargs, **form.cleaned_data
        )
        if done:
            return _back(shown)
    return render(request, "rectification/step.html", {"item": shown, "form": form, "title": title})


@login_required
def item_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """The problem is rectified: the result and its public notice."""
    item = selectors.item_get(request.user, pk)
    return _step_page(
        request,
        item,
        CompleteForm(request.POST or None),
        services.item_complete,
        allowed="complete" in services.item_rights(request.user, item).actions,
        title=_("整改完成，公示整改结果"),
        success=_("已公示整改结果，待群众评议"),
        item=item,
    )


@login_required
def item_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    """The public's verdict: satisfied or basically satisfied closes the item; not satisfied
    sends it back to rectification."""
    item = selectors.item_get(request.user, pk)
    return _step_page(
        request,
        item,
        VerdictForm(request.POST or None),
        services.item_verdict,
        allowed="verdict" in services.item_rights(request.user, item).actions,
        title=_("群众评议"),
        success=_("已记录群众评议"),
        item=item,
    )


@login_required
def source_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Link one more source: a petition, a visit's need, a consultation meeting, another."""
    item = selectors.item_get(request.user, pk)
    return _step_page(
        request,
        item,
        SourceForm(request.POST or None, user=request.user),
        services.source_link,
        allowed=services.item_rights(request.user, item).change,
        title=_("关联来源"),
        success=_("已关联来源"),
        item=item,
    )


@login_required
@require_POST
def campaign_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(request.user, pk)
    form = CampaignForm(request.POST, campaigns=selectors.campaigns_for(request.user, item))
    run_posted_form(request, form, services.campaign_add, success=_("已记录整改批次"), item=item)
    return _back(item)


@login_required
def arrangement_set(request: HttpRequest, pk: int) -> HttpResponse:
    """The standing arrangement of a closed item: who keeps it solved, doing what, checked
    how often."""
    item = selectors.item_get(request.user, pk)
    current = selectors.arrangement_of(item)
    initial: dict[str, Any] = {"keeper_org": item.owner.code}
    if current is not None:
        initial = {
            "keeper_org": current.keeper_org.code,
            "keeper": current.keeper,
            "duties": current.duties,
            "check_every_days": current.check_every_days,
            "starts_on": current.starts_on,
        }
    return _step_page(
        request,
        item,
        ArrangementForm(request.POST or None, user=request.user, initial=initial),
        services.arrangement_set,
        allowed=services.item_rights(request.user, item).arrange,
        title=_("长效管理机制"),
        success=_("已建立长效管理机制"),
        item=item,
    )


@login_required
def check_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A check of the standing arrangement; a failed one reopens the item."""
    item = selectors.item_get(request.user, pk)
    arrangement = selectors.arrangement_of(item)
    if arrangement is None:
        return _back(item)
    return _step_page(
        request,
        item,
        CheckForm(request.POST or None),
        services.check_record,
        allowed=services.item_rights(request.user, item).check,
        title=_("长效管理检查"),
        success=_("已记录检查"),
        arrangement=arrangement,
    )


@login_required
def checks(request: HttpRequest) -> HttpResponse:
    """The standing arrangements whose check is overdue or due soon, under a root."""
    under = org_selectors.subtree_root(request.user, request.GET.get("under"))
    overdue_only = request.GET.get("overdue") == "1"
    rows = selectors.checks_due(request.user, under=under, overdue_only=overdue_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "rectification/checks.html",
        {
            "under": under,
            "page_obj": page,
            "overdue_only": overdue_only,
            "today": clock.today(),
        },
    )
