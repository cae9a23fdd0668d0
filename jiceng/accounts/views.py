from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core.scoping import Action
from jiceng.core.views import run_service
from jiceng.orgs import selectors as org_selectors

from . import selectors, services
from .forms import RoleForm, UserCreateForm
from .second_factor import selectors as second_factor_selectors
from .second_factor import services as second_factor_services


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def _orgs(request: HttpRequest):
    return (
        org_selectors.organization_list(request.user, Action.MANAGE_ACCOUNTS)
        .active()
        .exclude(org_type="group")
        .order_by("path")
    )


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    # Only the roles held inside the manager's own subtree: a role elsewhere is not theirs to see.
    active = (
        selectors.assignment_list(request.user)
        .filter(withdrawn_at__isnull=True)
        .select_related("organization")
    )
    users = (
        selectors.user_list(request.user)
        .prefetch_related(Prefetch("assignments", queryset=active, to_attr="active_roles"))
        .order_by("username")
    )
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(username__icontains=q) | users.filter(display_name__contains=q)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/list.html", {"page_obj": page, "q": q})


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(
        request.POST or None,
        org_queryset=_orgs(request),
        roles=selectors.grantable_roles(request.user),
    )
    if request.method == "POST" and form.is_valid():
        user = run_service(request, services.user_create, form=form, **form.cleaned_data).value
        if user is not None:
            messages.success(request, _("已创建账号 %(u)s") % {"u": user.username})
            return redirect(reverse("accounts:detail", args=[user.pk]))
    return render(request, "accounts/form.html", {"form": form, "title": _("新建账号")})


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.user_get(request.user, pk)
    form = RoleForm(
        request.POST or None,
        org_queryset=_orgs(request),
        roles=selectors.grantable_roles(request.user),
    )
    if request.method == "POST" and form.is_valid():
        granted = run_service(
            request,
            services.role_grant,
            form=form,
            success=_("已授予角色"),
            user=account,
            **form.cleaned_data,
        )
        if granted:
            return redirect(reverse("accounts:detail", args=[account.pk]))
    assignments = (
        selectors.assignment_list(request.user)
        .filter(user=account)
        .select_related("organization", "granted_by")
        .order_by("-granted_at")
    )
    return render(
        request,
        "accounts/detail.html",
        {
            "account": account,
            "assignments": assignments,
            "form": form,
            "second_factor": second_factor_selectors.totp_device(account),
            "may_reset_second_factor": not second_factor_services.reset_refusal(
                request.user, account
            ),
        },
    )


@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(request.user, pk)
    if request.method == "POST":
        run_service(request, services.role_withdraw, success=_("已收回授权"), assignment=assignment)
    return redirect(reverse("accounts:detail", args=[assignment.user_id]))


@login_required
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.user_get(request.user, pk)
    if request.method == "POST":
        run_service(request, services.user_deactivate, success=_("已停用账号"), user=account)
    return redirect(reverse("accounts:detail", args=[account.pk]))
