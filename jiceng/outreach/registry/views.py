"""Pages of the needy-people registry (S26)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core.exports import download, export_format, reveal_asked
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, can, can_anywhere, require_somewhere
from jiceng.core.views import error_message, run_posted_form, run_service
from jiceng.orgs import selectors as org_selectors

from . import exports, selectors, services
from .forms import CategoryForm, MergeForm, NeedyFilterForm, NeedyForm, NeedyStatusForm
from .models import NeedyCategory, NeedyPerson
from .rules import MASK

PAGE_SIZE = 50


def _street_orgs(request: HttpRequest):
    return (
        org_selectors.organization_list(request.user, Action.CHANGE)
        .active()
        .filter(org_type__in=services.STREET_TYPES)
        .order_by("path")
    )


def _filtered(request: HttpRequest) -> tuple[NeedyFilterForm, QuerySet[NeedyPerson]]:
    """The list's filter form and rows (the page and its export alike)."""
    sensitive = can_anywhere(request.user, Action.OUTREACH)
    form = NeedyFilterForm(request.GET or None, sensitive=sensitive)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    people = selectors.needy_list(
        request.user,
        q=data.get("q", ""),
        status=data.get("status", "active") if request.GET else "active",
        category=data.get("category"),
    )
    return form, people


@login_required
def needy_list(request: HttpRequest) -> HttpResponse:
    form, people = _filtered(request)
    page = Paginator(people.order_by("path", "name_pinyin", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "outreach/needy_list.html",
        {
            "form": form,
            "page_obj": page,
            "mask": MASK,
            "streets": selectors.street_counts(request.user),
            "category_counts": selectors.category_counts(request.user),
            "may_create": can_anywhere(request.user, Action.CHANGE),
            "may_reveal_export": can_anywhere(request.user, Action.REVEAL),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def needy_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The list as the user sees it (the same filters, in the query string), as a file the
    import reads back (S26). A GET is masked; revealing ID numbers and phones is a POST
    (``reveal=1``); categories and health only with outreach rights over every row."""
    fmt = export_format(fmt)
    reveal = reveal_asked(
        request, _("导出完整敏感信息须在帮扶对象页点击“导出完整信息”按钮提交，不能通过链接导出")
    )
    if not isinstance(reveal, bool):
        return reveal
    _form, people = _filtered(request)
    try:
        header, rows = exports.needy_export(
            actor=request.user, people=people, reveal=reveal, query=request.GET.dict()
        )
    except PermissionDenied as exc:
        messages.error(request, error_message(exc))
        return redirect(reverse("outreach:needy-list"))
    return download(fmt, header, rows, _("帮扶对象名册"))


@login_required
def needy_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能登记帮扶对象"))
    streets = _street_orgs(request)
    only = list(streets[:2])
    form = NeedyForm(
        request.POST or None,
        org_queryset=streets,
        sensitive=can_anywhere(request.user, Action.OUTREACH),
        # a street officer registers in their own street: filled in for them
        initial={"street_org": only[0].code} if len(only) == 1 else None,
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(request, services.needy_register, form=form, **form.service_kwargs())
        if done.value is not None:
            person, warnings = done.value
            messages.success(request, _("已登记帮扶对象 %(n)s") % {"n": mark_name(person.name)})
            for warning in warnings:
                messages.warning(request, warning)
            return redirect(reverse("outreach:needy-detail", args=[person.pk]))
    return render(request, "outreach/needy_form.html", {"form": form, "title": _("登记帮扶对象")})


@login_required
def needy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.needy_get(request.user, pk)
    return render(
        request,
        "outreach/needy_detail.html",
        {
            "person": person,
            "mask": MASK,
            "may_change": can(request.user, Action.CHANGE, person.path),
            "may_reveal": can(request.user, Action.REVEAL, person.path),
            "may_see_sensitive": services.may_see_sensitive(request.user, person),
            "history": person.history.select_related("recorded_by"),
            "visits": person.visits.select_related("org").order_by("-visited_on")[:20],
            "merges": person.merges.select_related("dropped", "merged_by"),
            "status_form": NeedyStatusForm(),
        },
    )


@login_required
def needy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.needy_get(request.user, pk, Action.CHANGE)
    form = NeedyForm(
        request.POST or None,
        instance=person,
        org_queryset=_street_orgs(request),
        sensitive=services.may_see_sensitive(request.user, person),
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request, services.needy_update, form=form, person=person, **form.service_kwargs()
        )
        if done.value is not None:
            messages.success(request, _("已保存"))
            return redirect(reverse("outreach:needy-detail", args=[person.pk]))
    return render(
        request,
        "outreach/needy_form.html",
        {"form": form, "title": _("修改帮扶对象登记"), "person": person},
    )


@login_required
@require_POST
def needy_status(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.needy_get(request.user, pk)
    run_posted_form(
        request,
        NeedyStatusForm(request.POST),
        services.needy_status_set,
        success=_("状态已变更"),
        person=person,
    )
    return redirect(reverse("outreach:needy-detail", args=[person.pk]))


@login_required
@require_POST
def needy_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    person = selectors.needy_get(request.user, pk)
    try:
        value = services.needy_reveal(actor=request.user, person=person, field=field)
    except (PermissionDenied, ValidationError) as exc:
        return HttpResponse(
            format_html('<span class="text-danger">{}</span>', error_message(exc)), status=403
        )
    return render(request, "outreach/_revealed.html", {"value": value, "field": field})


@login_required
def needy_duplicates(request: HttpRequest) -> HttpResponse:
    pairs = [
        (
            pair,
            can(request.user, Action.CHANGE, pair.first.path)
            and can(request.user, Action.CHANGE, pair.second.path),
        )
        for pair in selectors.likely_duplicates(request.user)
    ]
    return render(request, "outreach/needy_duplicates.html", {"pairs": pairs, "form": MergeForm()})


@login_required
@require_POST
def needy_merge(request: HttpRequest, pk: int) -> HttpResponse:
    kept = selectors.needy_get(request.user, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请说明合并原因"))
        return redirect(reverse("outreach:needy-duplicates"))
    dropped = selectors.needy_get(request.user, form.cleaned_data["drop"])
    done = run_service(
        request,
        services.needy_merge,
        kept=kept,
        dropped=dropped,
        reason=form.cleaned_data["reason"],
        success=_("已合并，保留 %(n)s 的记录") % {"n": mark_name(kept.name)},
    )
    if done:
        return redirect(reverse("outreach:needy-detail", args=[kept.pk]))
    return redirect(reverse("outreach:needy-duplicates"))


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    """The categories table; the city adds to it and switches categories off."""
    form = CategoryForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            services.category_create,
            form=form,
            success=_("已增加困难类别"),
            **form.cleaned_data,
        )
    ):
        return redirect(reverse("outreach:categories"))
    return render(
        request,
        "outreach/categories.html",
        {
            "categories": selectors.categories(active_only=False),
            "form": form,
            "may_change": services.may_change_categories(request.user),
        },
    )


@login_required
@require_POST
def category_active(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(NeedyCategory, pk=pk)
    run_service(
        request,
        services.category_set_active,
        category=category,
        active=request.POST.get("active") == "1",
        success=_("已保存"),
    )
    return redirect(reverse("outreach:categories"))
