from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core.scoping import Action, can
from jiceng.core.views import form_errors_from
from jiceng.orgs import selectors as org_selectors

from . import reports, selectors, services, tasks
from .forms import StartForm, UploadForm


def _orgs(request: HttpRequest):
    return org_selectors.organization_list(request.user, Action.CHANGE).active()


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("org"):
        org = org_selectors.organization_get(request.user, request.GET["org"], Action.CHANGE)
        initial["organization"] = org.code
    form = UploadForm(
        request.POST or None, request.FILES or None, org_queryset=_orgs(request), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                kind=form.cleaned_data["kind"],
                original_name=upload.name,
                chunks=upload.chunks(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error("organization", str(exc))
        else:
            tasks.validate_import.enqueue(str(job.pk))
            return redirect(reverse("imports:detail", args=[job.pk]))
    jobs = Paginator(
        selectors.job_list(request.user).select_related("organization", "created_by"), 20
    )
    return render(
        request,
        "imports/list.html",
        {"form": form, "page_obj": jobs.get_page(request.GET.get("page"))},
    )


@login_required
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = selectors.job_get(request.user, pk)
    errors = job.errors.all()[:200]
    context = {
        "job": job,
        "errors": errors,
        "start_form": StartForm(),
        "can_change": can(request.user, Action.CHANGE, job.org_path),
    }
    template = "imports/_progress.html" if request.htmx else "imports/detail.html"
    return render(request, template, context)


@login_required
def job_start(request: HttpRequest, pk: str) -> HttpResponse:
    job = selectors.job_get(request.user, pk, Action.CHANGE)
    if request.method != "POST":
        return redirect(reverse("imports:detail", args=[job.pk]))
    form = StartForm(request.POST)
    form.is_valid()
    try:
        services.import_job_start(
            actor=request.user, job=job, skip_invalid=form.cleaned_data.get("skip_invalid", False)
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        tasks.run_import.enqueue(str(job.pk))
        messages.success(request, _("已开始导入"))
    return redirect(reverse("imports:detail", args=[job.pk]))


@login_required
def error_report(request: HttpRequest, pk: str) -> StreamingHttpResponse:
    job = selectors.job_get(request.user, pk)
    response = StreamingHttpResponse(
        reports.error_report(job),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = reports.attachment(f"问题清单-{job.original_name}.xlsx")
    return response
