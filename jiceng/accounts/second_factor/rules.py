"""Who must pass the second factor, and the "remember this device" cookie."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

REMEMBER_COOKIE = "jiceng_device"
_SALT = "jiceng.accounts.second_factor.remember"


def required_for(user: Any) -> bool:
    """Whether ``user`` holds a role that must verify a second factor (``OTP_REQUIRED_ROLES``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(set(getattr(user, "roles", set())) & set(settings.OTP_REQUIRED_ROLES))


def remember_max_age() -> int:
    return int(settings.OTP_REMEMBER_DAYS) * 24 * 3600


def _fingerprint(device: Any) -> str:
    # Bound to the authenticator's secret: a reset (device deleted) or a new enrolment (new key)
    # invalidates every remembered device at once, with nothing stored per cookie.
    return salted_hmac(_SALT, f"{device.pk}:{device.key}").hexdigest()[:32]


def remember_value(user: Any, device: Any) -> str:
    """The signed cookie value that remembers ``device`` of ``user`` on this browser."""
    return signing.dumps({"u": user.pk, "d": device.pk, "f": _fingerprint(device)}, salt=_SALT)


def remembers(value: str | None, user: Any, device: Any) -> bool:
    """Whether the cookie ``value`` remembers ``device`` of ``user``: signature, age (at most
    ``OTP_REMEMBER_DAYS``), user and the device's current key must all hold."""
    if not value or device is None:
        return False
    try:
        data = signing.loads(value, salt=_SALT, max_age=remember_max_age())
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict)
        and data.get("u") == user.pk
        and data.get("d") == device.pk
        and constant_time_compare(str(data.get("f", "")), _fingerprint(device))
    )


def normalise_code(code: str) -> str:
    """A code as typed: spaces and dashes dropped, lower case (recovery codes are base32).

    >>> normalise_code(" 123 456 ")
    '123456'
    >>> normalise_code("ABCD-EFGH")
    'abcdefgh'
    """
    return "".join(code.split()).replace("-", "").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def group_code(code: str) -> str:
    """A recovery code as shown: two groups of four.

    >>> group_code("abcdefgh")
    'abcd-efgh'
    """
    return f"{code[:4]}-{code[4:]}"


def manual_key(b32: str) -> str:
    """The secret as typed into an authenticator by hand: groups of four.

    >>> manual_key("JBSWY3DPEHPK3PXP")
    'JBSW Y3DP EHPK 3PXP'
    """
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))
