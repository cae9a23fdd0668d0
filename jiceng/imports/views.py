from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from jiceng.core.exports import EXPORT_TYPES, attachment, download, export_format, reveal_asked
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service
from jiceng.members import views as member_views
from jiceng.orgs import selectors as org_selectors

from . import engine, exports, recovery, reports, selectors, services, tasks
from .forms import StartForm, UploadForm
from .models import ExportJob, ImportJob
from .readers import MAX_UPLOAD_BYTES


def _orgs(request: HttpRequest):
    return org_selectors.organization_list(request.user, Action.CHANGE).active()


# Multipart boundaries and the form's other fields, on top of the file itself.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024


@csrf_exempt  # the token is checked below, once the size is known to be acceptable
@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """Refuses an oversize upload from its Content-Length, before any of the body is read
    (the CSRF check reads the whole body to find its token), then the page itself."""
    if request.method == "POST" and _declared_length(request) > (
        MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD_BYTES
    ):
        messages.error(
            request, _("文件超过 %(mb)d MB，请分批导入") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
        response = _job_list_page(request, UploadForm(org_queryset=_orgs(request)))
        response.status_code = 413
        return response
    return _job_list_checked(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_protect
def _job_list_checked(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("org"):
        org = org_selectors.organization_get(request.user, request.GET["org"], Action.CHANGE)
        initial["organization"] = org.code
    if request.GET.get("kind") in ImportJob.Kind.values:  # e.g. from the needy registry's page
        initial["kind"] = request.GET["kind"]
    form = UploadForm(
        request.POST or None, request.FILES or None, org_queryset=_orgs(request), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        created = run_service(
            request,
            services.import_job_create,
            form=form,
            organization=form.cleaned_data["organization"],
            kind=form.cleaned_data["kind"],
            original_name=upload.name,
            chunks=upload.chunks(),
            sheet=form.cleaned_data["sheet"],
        )
        if job := created.value:
            tasks.validate_import.enqueue(str(job.pk))
            return redirect(reverse("imports:detail", args=[job.pk]))
    return _job_list_page(request, form)


def _job_list_page(request: HttpRequest, form: UploadForm) -> HttpResponse:
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
    if job.is_running:  # its worker may have died: retry or fail it with a message
        recovery.recover_stale_imports(job)
    levels = job.errors.model.Level
    context = {
        "job": job,
        "errors": job.errors.filter(level=levels.PROBLEM)[:200],
        "renames": job.errors.filter(level=levels.RENAME)[:200],
        "notices": job.errors.filter(level=levels.NOTICE)[:200],
        "start_form": StartForm(),
        "can_change": can(request.user, Action.CHANGE, job.org_path),
        "max_stored_problems": engine.MAX_STORED_PROBLEM_ROWS,
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
    if run_service(
        request,
        services.import_job_start,
        success=_("已开始导入"),
        job=job,
        skip_invalid=form.cleaned_data.get("skip_invalid", False),
        accept_renames=form.cleaned_data.get("accept_renames", False),
    ):
        tasks.run_import.enqueue(str(job.pk))
    return redirect(reverse("imports:detail", args=[job.pk]))


@login_required
def error_report(request: HttpRequest, pk: str) -> StreamingHttpResponse:
    job = selectors.job_get(request.user, pk)
    response = StreamingHttpResponse(
        reports.error_report(job),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = attachment(f"问题清单-{job.original_name}.xlsx")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def export_members(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The member list as the user sees it (same filters as the list page, in the query
    string). A GET is always masked; revealing is a POST (``reveal=1``) and shows in clear
    only the members the user may reveal (``Member.may_reveal``), the others stay masked."""
    fmt = export_format(fmt)
    reveal = reveal_asked(
        request, _("导出完整敏感信息须在党员名册页点击“导出完整信息”按钮提交，不能通过链接导出")
    )
    if not isinstance(reveal, bool):
        return reveal
    _form, filters = member_views.filters_from_request(request)
    if exports.member_export_size(request.user, filters) >= settings.EXPORT_JOB_THRESHOLD:
        job = exports.export_start(
            actor=request.user,
            kind=ExportJob.Kind.MEMBERS,
            fmt=fmt,
            query=request.GET.dict(),
            filters=filters,
            reveal=reveal,
        )
        return _queued(request, job)
    rows = exports.members_export(
        actor=request.user, filters=filters, reveal=reveal, query=request.GET.dict()
    )
    return download(fmt, exports.MEMBER_HEADER, rows, "党员名册")


@login_required
def export_organizations(request: HttpRequest, fmt: str) -> HttpResponseBase:
    fmt = export_format(fmt)
    root = None
    if request.GET.get("org"):
        root = org_selectors.organization_get(request.user, request.GET["org"])
    if exports.organization_export_size(request.user, root) >= settings.EXPORT_JOB_THRESHOLD:
        job = exports.export_start(
            actor=request.user,
            kind=ExportJob.Kind.ORGANIZATIONS,
            fmt=fmt,
            query=request.GET.dict(),
            root=root,
        )
        return _queued(request, job)
    rows = exports.organizations_export(actor=request.user, root=root, query=request.GET.dict())
    return download(fmt, exports.ORG_HEADER, rows, "党组织")


def _queued(request: HttpRequest, job: ExportJob) -> HttpResponse:
    """A large export runs in the background: its page shows the progress, then the link."""
    tasks.run_export.enqueue(str(job.pk))
    messages.info(
        request,
        _("共 %(n)s 行，数据较多，已转为后台导出；完成后可在本页或“我的导出”中下载")
        % {"n": f"{job.rows_total:,}"},
    )
    return redirect(reverse("imports:export-detail", args=[job.pk]))


@login_required
def export_job_list(request: HttpRequest) -> HttpResponse:
    """我的导出: the user's recent export jobs."""
    jobs = Paginator(selectors.export_job_list(request.user), 20)
    return render(
        request, "imports/export_list.html", {"page_obj": jobs.get_page(request.GET.get("page"))}
    )


@login_required
def export_job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = selectors.export_job_get(request.user, pk)
    template = "imports/_export_progress.html" if request.htmx else "imports/export_detail.html"
    return render(request, template, {"job": job})


@login_required
def export_job_download(request: HttpRequest, pk: str) -> HttpResponseBase:
    job = selectors.export_job_get(request.user, pk)
    got = run_service(request, exports.export_download, job=job)
    if got.value is None:
        return redirect(reverse("imports:export-detail", args=[job.pk]))
    return FileResponse(
        got.value.open("rb"),
        as_attachment=True,
        filename=job.filename,
        content_type=EXPORT_TYPES[job.format],
    )
