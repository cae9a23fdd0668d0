"""Reads of a user's second-factor devices."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token


def totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def pending_totp_device(user: Any) -> TOTPDevice | None:
    """The authenticator being enrolled (shown as a QR code until a code confirms it)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def api_token(user: Any) -> Token | None:
    return Token.objects.filter(user=user).first()


def has_recovery_device(user: Any) -> bool:
    return StaticDevice.objects.filter(user=user, confirmed=True).exists()
