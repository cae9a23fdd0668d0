from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from . import selectors
from .home import home_figures

T = TypeVar("T")
# Refused writes (a role that may not): kept in the log for the operator, and read by the test
# that walks every page as every role (a page must not offer what its user is refused).
refusals = logging.getLogger("jiceng.refusals")


def form_errors_from(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form, by field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def error_message(exc: Exception) -> str:
    """A refused operation's message(s) for the page (ValidationError or PermissionDenied)."""
    return "；".join(getattr(exc, "messages", None) or [str(exc)])


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What ``run_service`` returns: ``ok`` and the service's result, or not ``ok`` (the
    refusal is already said on the page)."""

    ok: bool
    value: T | None = None

    def __bool__(self) -> bool:
        return self.ok


def run_service(
    request: HttpRequest,
    service: Callable[..., T],
    /,
    *,
    form: forms.BaseForm | None = None,
    success: str | None = None,
    **kwargs: Any,
) -> Outcome[T]:
    """The one way a page calls a service: ``service(actor=request.user, **kwargs)``.

    A ``ValidationError`` or ``PermissionDenied`` (the service's own words: what is wrong,
    or that this role may not) goes onto ``form`` by field when a form is given, else into
    the page's messages; nothing else is caught. ``success`` is said when the call succeeds.
    """
    try:
        value = service(actor=request.user, **kwargs)
    except ValidationError as exc:
        if form is not None:
            form_errors_from(form, exc)
        else:
            messages.error(request, error_message(exc))
        return Outcome(False)
    except PermissionDenied as exc:
        refusals.info("%s refused %s: %s", request.user, request.path, error_message(exc))
        if form is not None:
            form.add_error(None, error_message(exc))
        else:
            messages.error(request, error_message(exc))
        return Outcome(False)
    if success:
        messages.success(request, success)
    return Outcome(True, value)


def run_posted_form(
    request: HttpRequest,
    form: forms.BaseForm,
    service: Callable[..., T],
    /,
    *,
    success: str | None = None,
    **kwargs: Any,
) -> Outcome[T]:
    """A POSTed form of an action button (no page of its own to show it again): when valid,
    ``run_service`` with the form's values; when not, its errors said as the page's message."""
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return Outcome(False)
    return run_service(request, service, success=success, **kwargs, **form.cleaned_data)


def redirect_back(request: HttpRequest, default: str) -> HttpResponse:
    """After an action button: back to the page it was on (the form's ``next``, a path of this
    site only), else to ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", home_figures(request.user))


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    object = forms.CharField(label=_("对象（名称或编号）"), required=False)
    verb = forms.ChoiceField(label=_("操作"), required=False)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        from .models import AuditEvent

        super().__init__(*args, **kwargs)
        self.fields["verb"].choices = [("", _("全部")), *AuditEvent.Verb.choices]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = selectors.audit_events(request.user)
    if form.is_valid():
        events = selectors.filter_audit_events(events, **form.cleaned_data)
    page = Paginator(events.select_related("actor"), 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"form": form, "page_obj": page})


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "time": dt.datetime.now(dt.UTC).isoformat()})


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """The bell's dropdown (loaded by htmx after the page, so no page waits for the counts)."""
    from .notices import notices_for

    rows = notices_for(request.user)
    return render(
        request,
        "core/notices.html",
        {
            "notices": rows,
            "total": sum(n.count for n in rows),
            "overdue": sum(n.count for n in rows if n.overdue),
        },
    )
