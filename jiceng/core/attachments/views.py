"""Serving, adding and removing attachments. A file is sent only after its record has been
found through the record's own scoping (``selectors.attachment_get``)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.views import run_service

from . import selectors, services
from .forms import AttachmentsForm


def _send(name: str, stored: str, mime: str, *, inline: bool) -> FileResponse:
    path = services.path_of(stored)
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=mime)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    # Whatever the file holds, the browser runs nothing from it.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=600"
    return response


@login_required
def download(request: HttpRequest, pk: str) -> FileResponse:
    attachment, _record = selectors.attachment_get(request.user, pk)
    return _send(
        attachment.original_name, attachment.stored_name, attachment.mime,
        inline=attachment.is_photo,
    )  # fmt: skip


@login_required
def thumb(request: HttpRequest, pk: str) -> FileResponse:
    attachment, _record = selectors.attachment_get(request.user, pk)
    if not attachment.thumb_name:
        raise Http404
    return _send(attachment.original_name, attachment.thumb_name, "image/jpeg", inline=True)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


@login_required
@require_POST
def upload(request: HttpRequest, key: str, owner_id: int) -> HttpResponse:
    record = selectors.record_get(request.user, key, owner_id)
    form = AttachmentsForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("uploads", []):
            messages.error(request, str(error))
        return _back(request)
    done = run_service(
        request, services.attachments_add, record=record, files=form.cleaned_data["uploads"]
    )
    if done:
        messages.success(request, _("已上传 %(n)s 个附件") % {"n": len(done.value or [])})
    return _back(request)


@login_required
@require_POST
def remove(request: HttpRequest, pk: str) -> HttpResponse:
    attachment, record = selectors.attachment_get(request.user, pk)
    run_service(
        request,
        services.attachment_remove,
        success=_("附件已删除"),
        attachment=attachment,
        record=record,
    )
    return _back(request)
