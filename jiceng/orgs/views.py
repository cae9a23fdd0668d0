from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from jiceng.core.scoping import Action, can
from jiceng.core.views import form_errors_from

from . import selectors, services
from .forms import AbolishForm, OrganizationEditForm, OrganizationFoundForm, OrganizationPickForm
from .models import Organization


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roots = [
        (root, list(selectors.tree_children(request.user, root)))
        for root in selectors.tree_roots(request.user)
    ]
    return render(request, "orgs/tree.html", {"roots": roots})


@login_required
def tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    parent = selectors.organization_get(request.user, pk)
    children = selectors.tree_children(request.user, parent)
    return render(request, "orgs/_tree_children.html", {"children": children, "parent": parent})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = selectors.organization_search(request.user, query).select_related("district")[:50]
    template = "orgs/_search_results.html" if request.htmx else "orgs/search.html"
    return render(request, template, {"results": results, "q": query})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.organization_get(request.user, pk)
    counts = selectors.subtree_member_counts(org)
    context = {
        "org": org,
        "ancestors": [
            a
            for a in Organization.objects.get_ancestors(org)
            if can(request.user, Action.VIEW, a.path)
        ],
        "counts": counts,
        "unit_counts": selectors.subtree_unit_counts(org),
        # A general branch or a primary committee holds its members through its branches, so
        # the size rules count the whole subtree, not only members registered directly.
        "warnings": org.size_warnings(full_members=counts["full"], all_members=counts["total"]),
        "children": selectors.tree_children(request.user, org)[:200],
        "can_change": can(request.user, Action.CHANGE, org.path),
    }
    return render(request, "orgs/detail.html", context)


@login_required
def found(request: HttpRequest, pk: int) -> HttpResponse:
    parent = selectors.organization_get(request.user, pk, Action.CHANGE)
    allowed = services.organization_types_below(parent)
    if not allowed:
        raise Http404
    form = OrganizationFoundForm(request.POST or None, parent=parent, allowed_types=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_found(
                actor=request.user, parent=parent, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("已设立 %(n)s") % {"n": org.name})
            return _redirect(request, org_url(org))
    return render(
        request, "orgs/form.html", {"form": form, "org": parent, "title": _("设立下级组织")}
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    form = OrganizationEditForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            services.organization_update(actor=request.user, org=org, **changes)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("已保存"))
            return _redirect(request, org_url(org))
    return render(request, "orgs/form.html", {"form": form, "org": org, "title": _("修改组织信息")})


@login_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    return _pick_and_apply(request, pk, "move")


@login_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    return _pick_and_apply(request, pk, "merge")


def _pick_and_apply(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    targets = (
        selectors.organization_list(request.user, Action.CHANGE)
        .active()
        .exclude(path__startswith=org.path)
        .order_by("path")
    )
    if op == "merge":
        targets = targets.filter(org_type__in=("branch", "joint_branch", "general_branch"))
    else:
        targets = targets.exclude(org_type__in=("branch", "joint_branch", "group"))
    form = OrganizationPickForm(request.POST or None, queryset=targets[:2000])
    if request.method == "POST":
        form.fields["target"].queryset = targets
        if form.is_valid():
            target = form.cleaned_data["target"]
            try:
                if op == "move":
                    services.organization_move(actor=request.user, org=org, new_parent=target)
                    messages.success(request, _("已迁至 %(t)s") % {"t": target.name})
                    return _redirect(request, org_url(org))
                services.organization_merge(actor=request.user, source=org, target=target)
                messages.success(request, _("已并入 %(t)s") % {"t": target.name})
                return _redirect(request, org_url(target))
            except ValidationError as exc:
                form_errors_from(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
    title = _("迁移组织（含全部下级）") if op == "move" else _("合并到其他组织")
    return render(request, "orgs/form.html", {"form": form, "org": org, "title": title})


@login_required
def abolish(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    form = AbolishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_abolish(
                actor=request.user, org=org, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("已撤销 %(n)s") % {"n": org.name})
            return _redirect(request, org_url(org))
    return render(
        request,
        "orgs/form.html",
        {"form": form, "org": org, "title": _("撤销组织"), "danger": True},
    )


def org_url(org: Organization) -> str:
    from django.urls import reverse

    return reverse("orgs:detail", args=[org.pk])
