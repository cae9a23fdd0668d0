from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, can, can_anywhere, scope_of
from jiceng.core.views import error_message, run_service
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs import services as org_services

from . import selectors, services
from .forms import MemberFilterForm, MemberForm
from .lost_contact import selectors as lost_contact_selectors
from .lost_contact.forms import ContactForm
from .placement import selectors as placement_selectors
from .transfers import selectors as transfer_selectors

PAGE_SIZE = 50


def filters_from_request(request: HttpRequest) -> tuple[MemberFilterForm, selectors.MemberFilters]:
    """The list filters from the query string; an organisation outside scope is a 404."""
    org = None
    if request.GET.get("org"):
        org = org_selectors.organization_get(request.user, request.GET["org"])
    form = MemberFilterForm(
        request.GET or None, org_choices=org_selectors.org_choices(request.user, current=org)
    )
    # A stale or mistyped value drops that filter only, not the search and the other filters.
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = selectors.MemberFilters(
        org=org,
        q=data.get("q", ""),
        category=data.get("category", ""),
        status=data.get("status", ""),
        placed=data.get("placed", ""),
    )
    return form, filters


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    form, filters = filters_from_request(request)
    qs = (
        selectors.member_list(request.user, filters)
        .select_related("home_org", "participating_org")
        .only(
            "name",
            "sex",
            "birth_date",
            "id_number_masked",
            "category",
            "employment_status",
            "home_org__name",
            "participating_org__name",
            "home_path",
            "participating_path",
        )
        .order_by("home_path", "id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page_obj": page,
        "can_reveal_export": not scope_of(request.user, Action.REVEAL).is_empty,
        "may_change_here": (
            can(request.user, Action.CHANGE, filters.org.path)
            if filters.org
            else can_anywhere(request.user, Action.CHANGE)
        ),
    }
    template = "members/_list_table.html" if request.htmx else "members/list.html"
    return render(request, template, context)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk)
    transfers = list(transfer_selectors.member_transfers(member))
    can_change = can(request.user, Action.CHANGE, member.home_path)
    context = {
        "member": member,
        "can_change": can_change,
        "can_reveal": member.may_reveal(request.user),
        "is_own": selectors.is_own(request.user, member),
        "transfers": transfers,
        "placements": list(placement_selectors.placement_history(member)[:20]),
        "lost_cases": list(lost_contact_selectors.member_cases(member)),
        "merges": list(member.merges.order_by("-merged_at")),
        "contacts": list(member.contacts.order_by("-on", "-id")[:10]),
        "contact_form": ContactForm(),
        "can_request_transfer": can_change
        and member.transferred_out_on is None
        and not any(t.is_open for t in transfers),
    }
    return render(request, "members/detail.html", context)


@login_required
def reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    member = selectors.member_get(request.user, pk)
    try:
        value = services.member_reveal(actor=request.user, member=member, field=field)
    except (PermissionDenied, ValidationError) as exc:
        # the refusal replaces the masked value in place (htmx), not a message on the page
        message = error_message(exc)
        return HttpResponse(format_html('<span class="text-danger">{}</span>', message), status=403)
    return render(request, "members/_revealed.html", {"value": value, "field": field})


@login_required
def my_reads(request: HttpRequest) -> HttpResponse:
    """Self-service: who read my ID number or phone, and when (the reveals of the user's own
    member record, newest first). An account without a member record gets 404; reading this
    page is not a reveal and is not audited as one."""
    member = selectors.own_member(request.user)
    if member is None:
        raise Http404
    page = Paginator(selectors.own_reads(member), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"member": member, "page_obj": page, "rows": selectors.read_rows(page)}
    return render(request, "members/my_reads.html", context)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    orgs = org_selectors.organization_list(request.user, Action.CHANGE).active().order_by("path")
    initial = {}
    if request.GET.get("home_org"):
        home = org_selectors.organization_get(request.user, request.GET["home_org"], Action.CHANGE)
        initial = {"home_org": home.code, "participating_org": home.code}
    form = MemberForm(request.POST or None, org_queryset=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        created = run_service(request, services.member_create, form=form, **form.service_kwargs())
        if created.value is not None:
            member, warnings = created.value
            messages.success(request, _("已登记党员 %(n)s") % {"n": mark_name(member.name)})
            for w in warnings:
                messages.warning(request, w)
            return redirect(reverse("members:detail", args=[member.pk]))
    return render(request, "members/form.html", {"form": form, "title": _("登记党员")})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk, Action.CHANGE)
    # Visible (and changeable) because the member takes part in the user's subtree is not
    # enough: only the home organisation's officers change the record.
    services.require_change(request.user, member)
    orgs = org_selectors.organization_list(request.user, Action.CHANGE).active().order_by("path")
    form = MemberForm(request.POST or None, instance=member, org_queryset=orgs)
    if request.method == "POST" and form.is_valid():
        updated = run_service(
            request, services.member_update, form=form, member=member, **form.service_kwargs()
        )
        if updated.value is not None:
            _m, warnings = updated.value
            messages.success(request, _("已保存"))
            for w in warnings:
                messages.warning(request, w)
            return redirect(reverse("members:detail", args=[member.pk]))
    return render(
        request, "members/form.html", {"form": form, "title": _("修改党员信息"), "member": member}
    )


@login_required
def appoint_secretary(request: HttpRequest, org_pk: int) -> HttpResponse:
    """Pick the secretary of an organisation among the full members of its subtree (S11)."""
    org = org_selectors.organization_get(request.user, org_pk, Action.CHANGE)
    if request.method == "POST":
        member = None
        if request.POST.get("member"):
            member = selectors.member_get(request.user, request.POST["member"])
        appointed = run_service(
            request,
            org_services.organization_appoint_secretary,
            success=_("已任命书记") if member else _("已将书记设为空缺"),
            org=org,
            member=member,
        )
        if appointed:
            return redirect(reverse("orgs:detail", args=[org.pk]))
    query = request.GET.get("q", "")
    candidates = (
        selectors.member_list(
            request.user, selectors.MemberFilters(org=org, q=query, category="full")
        )
        .select_related("home_org")
        .order_by("home_path", "id")[:30]
    )
    template = "members/_secretary_candidates.html" if request.htmx else "members/secretary.html"
    return render(request, template, {"org": org, "candidates": candidates, "q": query})
