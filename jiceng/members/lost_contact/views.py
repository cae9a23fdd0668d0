"""Lost-contact pages (S13): candidates, cases under way and closed, a case with its search
attempts and actions, recording a member's contact, and the report of members found."""

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

from jiceng.core import clock
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Member
from jiceng.members.transfers import selectors as transfer_selectors
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import ActForm, AttemptForm, ContactForm, ReportForm
from .rules import (
    CaseAction,
    CaseState,
    restore_allowed_until,
    stop_allowed_from,
    transition_for,
)

PAGE_SIZE = 50
TABS = ("candidates", "open", "closed")


def _root(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("org"))


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    tab = request.GET.get("tab", "candidates")
    tab = tab if tab in TABS else "candidates"
    today = clock.today()
    districts = None
    if tab == "candidates" and member_selectors.above_district(root):
        districts = org_selectors.tree_children(request.user, root)
        qs: Any = Member.objects.none()
    elif tab == "candidates":
        qs = selectors.candidates(request.user, root, today)
    else:
        qs = selectors.cases(request.user, root, tab)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    overdue_ids = set()
    if tab == "open":
        overdue_ids = set(
            selectors.cases(request.user, root, "open")
            .filter(selectors.overdue_q(today), pk__in=[c.pk for c in page.object_list])
            .values_list("pk", flat=True)
        )
    return render(
        request,
        "members/lost/worklist.html",
        {
            "root": root,
            "tab": tab,
            "page_obj": page,
            "counts": selectors.case_counts(request.user, root, today),
            "may_change": can(request.user, Action.CHANGE, root.path),
            "overdue_ids": overdue_ids,
            "districts": districts,
            "today": today,
        },
    )


@login_required
@require_POST
def open_cases(request: HttpRequest, pk: int) -> HttpResponse:
    root = org_selectors.organization_get(request.user, pk, Action.CHANGE)
    ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
    if not ids:
        messages.error(request, _("请先勾选要立案查找的党员"))
        return redirect(f"{reverse('members:lost')}?org={root.pk}")
    members = list(
        Member.objects.visible_to(request.user, Action.CHANGE)
        .filter(pk__in=ids, home_path__startswith=root.path)
        .order_by("id")
    )
    if len(members) != len(set(ids)):
        raise Http404
    opened = run_service(request, services.cases_open, members=members).value
    if opened is not None:
        messages.success(request, _("已为 %(n)s 名党员立案查找") % {"n": len(opened)})
        if len(opened) == 1:
            return redirect("members:lost-case", opened[0].pk)
    return redirect(f"{reverse('members:lost')}?org={root.pk}")


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk)
    may_change = can(request.user, Action.CHANGE, case.member_path)
    actions = [
        (a, ActForm(auto_id=f"id_{a.value}_%s"))
        for a in CaseAction
        if may_change and transition_for(a, case.state)
    ]
    context = {
        "case": case,
        "attempts": case.attempts.order_by("on", "id"),
        "actions": actions,
        "attempt_form": AttemptForm(),
        "may_change": may_change,
        "stop_from": stop_allowed_from(case.opened_on),
        "restore_until": restore_allowed_until(case.stopped_on) if case.stopped_on else None,
    }
    return render(request, "members/lost/case.html", context)


@login_required
@require_POST
def case_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk, Action.CHANGE)
    form = AttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写查找日期、方式和结果"))
    else:
        run_service(
            request,
            services.case_attempt,
            success=_("已登记查找记录"),
            case=case,
            **form.cleaned_data,
        )
    return redirect("members:lost-case", case.pk)


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = selectors.case_get(request.user, pk, Action.CHANGE)
    if action not in CaseAction.values:
        raise Http404
    form = ActForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    to_org = None
    if action == CaseAction.TRANSFER and data.get("to_org_code"):
        to_org = transfer_selectors.transfer_target_by_code(data["to_org_code"])
        if to_org is None:
            messages.error(request, _("未找到可接收组织关系的党组织"))
            return redirect("members:lost-case", case.pk)
    run_service(
        request,
        services.case_act,
        success=_("已办理：%(action)s") % {"action": CaseAction(action).label},
        case=case,
        action=action,
        on=data.get("on"),
        note=data.get("note", ""),
        decision_no=data.get("decision_no", ""),
        to_org=to_org,
        dest_org_name=data.get("dest_org_name", ""),
        dest_region=data.get("dest_region", ""),
    )
    return redirect("members:lost-case", case.pk)


@login_required
@require_POST
def contact(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_selectors.member_get(request.user, pk, Action.CHANGE)
    form = ContactForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            services.contact_record,
            success=_("已登记联系"),
            member=member,
            **form.cleaned_data,
        )
    else:
        messages.error(request, _("请填写联系日期和方式"))
    return redirect("members:detail", member.pk)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    result = selectors.found_report(request.user, data.get("since"), data.get("until"))
    chart = [{"name": r["district"], "value": r["total"]} for r in result["rows"]]
    return render(
        request,
        "members/lost/report.html",
        {"form": form, "report": result, "chart": chart, "states": CaseState},
    )
