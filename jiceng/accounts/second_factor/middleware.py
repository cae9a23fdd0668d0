"""Sends a session that must pass the second factor and has not to verification (or to
enrolment when the user has no authenticator yet); everything else is refused meanwhile.

The page views stay unaware of the second factor: this is the one place that enforces it.
Session-authenticated API calls get a 403 that says why; token and anonymous requests pass
(DRF authenticates a token itself, and tokens are only issued to a verified session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from jiceng.core import audit

from . import rules, selectors

# Routes an unverified session may still use: the two steps themselves, leaving, and the
# language switch.
OPEN_ROUTES = frozenset(
    {
        "accounts:otp-enrol",
        "accounts:otp-verify",
        "accounts:login",
        "accounts:logout",
        "set_language",
        "core:health",
    }
)
API_MESSAGE = (
    "您的角色须通过两步验证：本次会话尚未输入手机验证码。请先在网页上完成两步验证，"
    "或使用两步验证后签发的 API 令牌。"
)


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user: Any = request.user
        if not rules.required_for(user) or user.is_verified():
            return None
        device = selectors.totp_device(user)
        if device is not None and rules.remembers(
            request.COOKIES.get(rules.REMEMBER_COOKIE), user, device
        ):
            django_otp.login(request, device)
            audit.record(
                actor=user,
                verb="otp_verify",
                obj=user,
                org_path=user.primary_assignment.organization.path,
                note="已记住的设备",
            )
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_ROUTES:
            request.second_factor_pending = True  # type: ignore[attr-defined]  # base.html
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": API_MESSAGE}, status=403)
        target = reverse("accounts:otp-verify" if device else "accounts:otp-enrol")
        if request.method == "GET" and not getattr(request, "htmx", False):
            target += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            # A fragment must not swap the verification page into the page it belongs to.
            return HttpResponse(status=403, headers={"HX-Redirect": target})
        return redirect(target)
