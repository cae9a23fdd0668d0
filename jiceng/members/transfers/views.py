"""Transfer pages: worklist (incoming / outgoing with pending counts and htmx actions),
detail with history and action forms, request form, the printable three-part letter, and the
bulk transfer page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, can, require_somewhere
from jiceng.core.views import run_service
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Member
from jiceng.members.services import id_number_index

from . import selectors, services
from .forms import (
    BulkTransferForm,
    IssueForm,
    NoteForm,
    ReasonForm,
    ReceiptForm,
    TransferRequestForm,
    parse_member_lines,
    this_month,
)
from .models import Transfer
from .rules import TransferAction, TransferKind, TransferState

PAGE_SIZE = 50
BULK_PICK_LIMIT = 200

# The form each action shows (actions without one show an optional note); what an action
# takes of it is the service's ``rules.ACTION_PARAMS``.
ACTION_FORMS: dict[str, type] = {
    TransferAction.ISSUE: IssueForm,
    TransferAction.REJECT: ReasonForm,
    TransferAction.WITHDRAW: ReasonForm,
    TransferAction.RECORD_RECEIPT: ReceiptForm,
}


def _action_forms(t: Transfer, actions: list[str]) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    for a in actions:
        cls = ACTION_FORMS.get(a, NoteForm)
        initial = {"dues_paid_to": this_month(), "valid_days": services.default_valid_days(t.kind)}
        forms[a] = cls(initial=initial, prefix=a)
    return forms


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.TransferFilters(
        direction=request.GET.get("direction", ""),
        state=request.GET.get("state", "open"),
        q=request.GET.get("q", "").strip(),
    )
    qs = (
        selectors.transfer_list(request.user, filters)
        .select_related("member", "from_org", "to_org")
        .order_by("-updated_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(t, services.available_actions(request.user, t)) for t in page]
    context = {
        "page_obj": page,
        "rows": rows,
        "filters": filters,
        "pending": selectors.pending_counts(request.user),
        "states": TransferState.choices,
    }
    template = "members/transfers/_table.html" if request.htmx else "members/transfers/list.html"
    return render(request, template, context)


@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    t = selectors.transfer_get(request.user, pk)
    actions = services.available_actions(request.user, t)
    context = {
        "t": t,
        "events": selectors.transfer_events(t),
        "actions": actions,
        "action_forms": _action_forms(t, actions),
        "can_see_member": can(request.user, Action.VIEW, t.member.home_path)
        or can(request.user, Action.VIEW, t.member.participating_path or "-"),
        "can_see_from": can(request.user, Action.VIEW, t.from_org.path),
        "can_see_to": t.to_org is not None and can(request.user, Action.VIEW, t.to_org.path),
    }
    return render(request, "members/transfers/detail.html", context)


@login_required
def transfer_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on a transfer (POST, usually by htmx). Forbidden transitions come back as a
    Chinese message, never a server error."""
    if request.method != "POST":
        return HttpResponse(status=405)
    t = selectors.transfer_get(request.user, pk)
    detail_url = reverse("members:transfer-detail", args=[t.pk])
    next_url = request.POST.get("next") or detail_url
    if not next_url.startswith("/"):
        next_url = detail_url
    form = ACTION_FORMS.get(action, NoteForm)(request.POST, prefix=action)
    if form.is_valid():
        label = TransferAction(action).label if action in TransferAction.values else action
        run_service(
            request,
            services.transfer_act,
            form=form,
            success=_("已%(action)s") % {"action": label},
            transfer=t,
            action=action,
            **form.cleaned_data,
        )
    if form.errors:
        error = "；".join(str(m) for errs in form.errors.values() for m in errs)
        if request.htmx:
            return render(request, "members/transfers/_error.html", {"error": error, "t": t})
        messages.error(request, error)
        return redirect(next_url)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = next_url
        return response
    return redirect(next_url)


@login_required
def transfer_request(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = member_selectors.member_get(request.user, member_pk, Action.CHANGE)
    services.require_sending_side(request.user, member)
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.transfer_request,
            form=form,
            success=_("已提交组织关系转接申请"),
            member=member,
            **form.service_kwargs(),
        )
        if done.value is not None:
            return redirect(reverse("members:transfer-detail", args=[done.value.pk]))
    return render(request, "members/transfers/request.html", {"form": form, "member": member})


@login_required
def transfer_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The introduction letter as the traditional three-part form (存根 / 介绍信 / 回执)."""
    t = selectors.transfer_get(request.user, pk)
    if not t.letter_no:
        raise Http404(_("尚未开具介绍信"))
    return render(request, "members/transfers/letter.html", {"t": t})


def _resolve_members(
    user: Any, lines: list[tuple[str, str]], picked: list[str]
) -> tuple[list[tuple[Member, str]], list[str]]:
    """Members by id or ID number (in the user's change scope), with their target code."""
    keys = [(k, code) for k, code in lines] + [(k, "") for k in picked]
    ids = {k for k, _c in keys if k.isdigit() and len(k) < 15}
    idx = {id_number_index(k.upper()): k for k, _c in keys if len(k) in (15, 18)}
    qs = Member.objects.visible_to(user, Action.CHANGE).select_related("home_org")
    found: dict[str, Member] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 2000):
        for m in qs.filter(pk__in=[int(x) for x in id_list[i : i + 2000]]):
            found[str(m.pk)] = m
    idx_list = sorted(idx)
    for i in range(0, len(idx_list), 2000):
        for m in qs.filter(id_number_index__in=idx_list[i : i + 2000]):
            found[idx[m.id_number_index]] = m
    out, missing = [], []
    for k, code in keys:
        if k in found:
            out.append((found[k], code))
        else:
            missing.append(k)
    return out, missing


@login_required
def transfer_bulk(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色只能查看，不能办理组织关系转接"))
    """Pick members (checkboxes from a filtered list, or a pasted list) and their targets;
    the whole list is transferred as one all-or-nothing operation."""
    from jiceng.members.views import filters_from_request

    filter_form, filters = filters_from_request(request)
    candidates = (
        member_selectors.member_list(request.user, filters, Action.CHANGE)
        .select_related("home_org")
        .only("name", "id_number_masked", "home_org__name", "home_path")
        .order_by("home_path", "id")[:BULK_PICK_LIMIT]
        if request.GET
        else Member.objects.none()
    )
    form = BulkTransferForm(request.POST or None, initial={"dues_paid_to": this_month()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        picked, missing = _resolve_members(
            request.user, parse_member_lines(data["members"]), request.POST.getlist("member")
        )
        codes = {code for _m, code in picked if code}
        targets = selectors.targets_by_code(codes)
        moves, problems = [], [_("未找到或无权办理：%(k)s") % {"k": k} for k in missing[:20]]
        for member, code in picked:
            target = targets.get(code) if code else data["target"]
            if target is None:
                problems.append(
                    _("%(m)s：未找到接收党组织 %(c)s")
                    % {"m": mark_name(member.name), "c": code or "—"}
                )
            else:
                moves.append((member, target))
        if not picked and not missing:
            problems.append(_("请勾选或粘贴党员名单"))
        if problems:
            for p in problems[:20]:
                form.add_error(None, p)
        else:
            done = run_service(
                request,
                services.transfer_bulk,
                form=form,
                moves=moves,
                reason=data["reason"],
                complete=data["complete"],
                dues_paid_to=data["dues_paid_to"],
            )
            if (result := done.value) is not None:
                if result.completed:
                    msg = _("已完成 %(n)s 名党员的组织关系转接") % {"n": result.count}
                else:
                    msg = _("已为 %(n)s 名党员开具介绍信，待接收方确认") % {"n": result.count}
                messages.success(request, msg)
                return redirect(reverse("members:transfer-list") + "?state=")
    context = {
        "form": form,
        "filter_form": filter_form,
        "candidates": candidates,
        "limit": BULK_PICK_LIMIT,
        "kinds": TransferKind,
    }
    return render(request, "members/transfers/bulk.html", context)
