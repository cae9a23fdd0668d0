"""Pages of membership development: the worklist of a subtree (due within 30 days, overdue,
the funnel by stage and child unit), the list of cases, registering an application, a case
with its steps and the open steps each with who may take it (``services.step_rights``, the
services' own rule), the standard documents (the application register, the numbered 入党志愿书
list) as .xlsx, CSV or a print page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import clock
from jiceng.core.exports import download, export_format
from jiceng.core.scoping import Action, can, can_anywhere, require_somewhere
from jiceng.core.views import error_message, run_service
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import RECEIVING_TYPES, Organization

from . import rules, selectors, services
from .forms import FilterForm, RegisterForm, StepForm, WithdrawForm
from .models import Development
from .rules import DevelopmentStage

PAGE_SIZE = 50


def _under(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("under"))


def _back(d: Development) -> HttpResponse:
    return redirect(reverse("development:detail", args=[d.pk]))


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    under = _under(request)
    kind = request.GET.get("kind", "overdue")
    if kind not in selectors.WORKLIST_KINDS:
        kind = "overdue"
    today = clock.today()
    figures, funnel = selectors.overview(request.user, under, today=today)
    rows = selectors.worklist(request.user, under, kind, today=today)
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.__dict__["count"] = figures[kind]  # counted with the figures, not again
    page = paginator.get_page(request.GET.get("page"))
    chart = {
        "categories": [u["name"] for u in funnel],
        "series": [
            {"name": str(label), "data": [u["counts"][i] for u in funnel]}
            for i, (_code, label) in enumerate(DevelopmentStage.choices)
        ],
    }
    pipeline = rules.PIPELINE_2014
    return render(
        request,
        "development/worklist.html",
        {
            "under": under,
            "kind": kind,
            "page_obj": page,
            "rows": [(d, pipeline.step(d.next_step).label if d.next_step else "") for d in page],
            "figures": figures,
            "funnel": funnel,
            "chart": chart if funnel else None,
            "today": today,
            "note": rules.APPLIED_NOTE,
            "may_create": can_anywhere(request.user, Action.CHANGE),
        },
    )


@login_required
def development_list(request: HttpRequest) -> HttpResponse:
    under = _under(request)
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.development_list(
        request.user, under, stage=filters.get("stage", ""), q=filters.get("q", "")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "development/list.html",
        {"under": under, "form": form, "page_obj": page, "today": clock.today()},
    )


@login_required
def development_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能登记入党申请"))
    initial: dict[str, object] = {"applied_on": clock.today()}
    own = org_selectors.tree_roots(request.user).first()
    if own is not None and own.org_type in RECEIVING_TYPES:
        initial["org"] = own.code  # a branch secretary registers at their own branch
    form = RegisterForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(request, services.development_register, form=form, **form.cleaned_data)
        if done.value is not None:
            messages.success(request, _("已登记入党申请"))
            return _back(done.value)
    return render(request, "development/form.html", {"form": form, "note": rules.APPLIED_NOTE})


@login_required
def development_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d = selectors.development_get(request.user, pk)
    pipeline = services.pipeline_of(d)
    steps = list(d.steps.select_related("actor").all())
    today = clock.today()
    rights = services.step_rights(request.user, d)
    return render(
        request,
        "development/detail.html",
        {
            "d": d,
            "steps": [(s, pipeline.step(s.step).label) for s in steps],
            "rights": rights,
            "today": today,
            "step_form": StepForm(branch=d.org, initial={"on": today}),
            "people": d.people.select_related("member").all(),
            "may_reveal": can(request.user, Action.REVEAL, d.path),
            "may_withdraw": d.state == "active" and can(request.user, Action.CHANGE, d.path),
            "note": rules.APPLIED_NOTE,
            "overdue": d.overdue(today),
            "vote_steps": rules.VOTE_STEPS,
        },
    )


@login_required
@require_POST
def development_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    d = selectors.development_get(request.user, pk)
    try:
        label = services.pipeline_of(d).step(step).label
    except ValidationError as exc:
        raise Http404 from exc
    form = StepForm(request.POST, branch=d.org)
    if form.is_valid():
        run_service(
            request,
            services.development_step,
            success=_("已办理「%(s)s」") % {"s": label},
            development=d,
            step=step,
            **form.service_kwargs(),
        )
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(d)


@login_required
@require_POST
def development_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    d = selectors.development_get(request.user, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            services.development_withdraw,
            success=_("已终止"),
            development=d,
            reason=form.cleaned_data["reason"],
        )
    else:
        messages.error(request, _("请写明终止原因"))
    return _back(d)


@login_required
@require_POST
def development_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    d = selectors.development_get(request.user, pk)
    try:
        value = services.development_reveal(actor=request.user, development=d, field=field)
    except (PermissionDenied, ValidationError) as exc:
        return HttpResponse(
            format_html('<span class="text-danger">{}</span>', error_message(exc)), status=403
        )
    return render(request, "development/_revealed.html", {"value": value, "field": field})


DOCUMENTS = {
    "register": (_("入党申请人登记表"), selectors.REGISTER_HEADER, selectors.register_rows),
    "forms": (_("入党志愿书编号登记表"), selectors.FORM_HEADER, selectors.form_rows),
}


@login_required
def document(request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    """A standard document of the subtree: ``fmt`` csv, xlsx, or ``print`` (a print page)."""
    if kind not in DOCUMENTS:
        raise Http404
    under = _under(request)
    title, header, rows_of = DOCUMENTS[kind]
    rows = rows_of(request.user, under)
    if fmt == "print":
        return render(
            request,
            "development/document.html",
            {
                "under": under,
                "title": title,
                "header": header,
                "rows": rows,
                "today": clock.today(),
            },
        )
    return download(
        export_format(fmt), [str(h) for h in header], iter(rows), f"{title}-{under.name}"
    )
