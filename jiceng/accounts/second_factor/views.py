from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from jiceng.core.clients import qr_data_uri
from jiceng.core.views import run_service

from .. import selectors as account_selectors
from . import rules, selectors, services
from .forms import CodeForm, VerifyForm

# New recovery codes wait in the session until the user says they are saved (shown once).
SESSION_CODES = "second_factor_recovery_codes"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("core:home")


def _with_next(name: str, request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    url = reverse(name)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        url += "?" + urlencode({"next": target})
    return url


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Step one for a new user: scan the QR code (or type the key), confirm with a code."""
    if selectors.totp_device(request.user) is not None:
        return redirect(_with_next("accounts:otp-verify", request))
    device = services.totp_enrol_start(actor=request.user)  # type: ignore[arg-type]
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = run_service(
            request, services.totp_enrol_confirm, form=form, code=form.cleaned_data["code"]
        )
        if confirmed.value is not None:
            device, codes = confirmed.value
            request.session.cycle_key()
            django_otp.login(request, device)
            request.session[SESSION_CODES] = codes
            messages.success(request, _("已启用两步验证。请保存下面的恢复码。"))
            return redirect(_with_next("accounts:otp-recovery", request))
    return render(
        request,
        "accounts/second_factor/enrol.html",
        {
            "form": form,
            "qr": qr_data_uri(device.config_url, scale=5),
            "manual_key": rules.manual_key(b32encode(device.bin_key).decode()),
            "next": request.GET.get("next", ""),
        },
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Step two of every login for a role that needs it: a code, or a recovery code."""
    device = selectors.totp_device(request.user)
    if device is None:
        return redirect(_with_next("accounts:otp-enrol", request))
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(_next(request))
    form = VerifyForm(request.POST or None, days=settings.OTP_REMEMBER_DAYS)
    if request.method == "POST" and form.is_valid():
        verified = run_service(
            request, services.second_factor_verify, form=form, code=form.cleaned_data["code"]
        )
        if (matched := verified.value) is not None:
            request.session.cycle_key()
            django_otp.login(request, matched)
            response = redirect(_next(request))
            if form.cleaned_data["remember"]:
                response.set_cookie(
                    rules.REMEMBER_COOKIE,
                    rules.remember_value(request.user, device),
                    max_age=rules.remember_max_age(),
                    httponly=True,
                    secure=settings.SESSION_COOKIE_SECURE,
                    samesite="Lax",
                )
            if isinstance(matched, StaticDevice):
                left = selectors.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _("您用了一个恢复码，还剩 %(n)s 个。用完之前请在“安全设置”中重新生成。")
                    % {"n": left},
                )
            return response
    return render(
        request,
        "accounts/second_factor/verify.html",
        {"form": form, "next": request.GET.get("next", "")},
    )


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; regenerating replaces them."""
    if request.method == "POST":
        if request.POST.get("action") == "regenerate":
            regenerated = run_service(request, services.recovery_codes_regenerate)
            if regenerated.value is not None:
                request.session[SESSION_CODES] = regenerated.value
                messages.success(request, _("已生成新的恢复码，原来的恢复码已作废。"))
            return redirect("accounts:otp-recovery")
        request.session.pop(SESSION_CODES, None)
        return redirect(_next(request) if request.POST.get("next") else "accounts:security")
    codes = request.session.get(SESSION_CODES) or []
    return render(
        request,
        "accounts/second_factor/recovery.html",
        {
            "codes": [rules.group_code(c) for c in codes],
            "left": selectors.recovery_codes_left(request.user),
            "enrolled": selectors.totp_device(request.user) is not None,
            "next": request.GET.get("next", ""),
        },
    )


@login_required
def recovery_codes_download(request: HttpRequest) -> HttpResponse:
    codes = request.session.get(SESSION_CODES)
    if not codes:
        raise Http404
    lines = [
        _("基层 jiceng 两步验证恢复码"),
        _("账号：%(u)s") % {"u": request.user.get_username()},
        _("每个恢复码只能使用一次。请妥善保管。"),
        "",
        *(rules.group_code(c) for c in codes),
        "",
    ]
    response = HttpResponse("\r\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="jiceng-recovery-codes.txt"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The user's own second factor and API token."""
    device = selectors.totp_device(request.user)
    return render(
        request,
        "accounts/second_factor/security.html",
        {
            "device": device,
            "required": rules.required_for(request.user),
            "left": selectors.recovery_codes_left(request.user),
            "token": selectors.api_token(request.user),
            "new_key": None,
        },
    )


@login_required
@require_POST
def api_token(request: HttpRequest) -> HttpResponse:
    """Issue (replacing the old one) or revoke one's API token; the key is shown once."""
    if request.POST.get("action") == "revoke":
        if services.api_token_revoke(actor=request.user):  # type: ignore[arg-type]
            messages.success(request, _("已吊销 API 令牌"))
        return redirect("accounts:security")
    token = run_service(request, services.api_token_issue).value
    if token is None:
        return redirect("accounts:security")
    response = render(
        request,
        "accounts/second_factor/security.html",
        {
            "device": selectors.totp_device(request.user),
            "required": rules.required_for(request.user),
            "left": selectors.recovery_codes_left(request.user),
            "token": token,
            "new_key": token.key,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def reset(request: HttpRequest, pk: int) -> HttpResponse:
    """An account manager resets someone's second factor (lost phone): they enrol again."""
    account = account_selectors.user_get(request.user, pk)
    run_service(
        request,
        services.second_factor_reset,
        success=_("已重置 %(u)s 的两步验证，该账号下次登录时须重新启用。") % {"u": account},
        user=account,
    )
    return redirect(reverse("accounts:detail", args=[account.pk]))
