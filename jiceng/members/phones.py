"""Phone numbers: parsed and normalised with Google's libphonenumber (``phonenumbers``)."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError

from jiceng.core.text import clean

_MOBILE = re.compile(r"^1(3\d|5[0-35-9]|8\d)\d{8}$")  # 13x, 15x, 18x: all valid
_SHANGHAI_LANDLINE = re.compile(r"^\(?021\)?[- ]?([2-9]\d{7})$")


def normalize_phone(raw: str) -> str:
    """Return the number in E.164 form, or raise ``ValidationError`` with a Chinese message.

    Mainland numbers may be given without the country code: ``13812345678``, ``021-64331234``,
    ``(021)6433 1234``.
    """
    text = clean(raw)
    if not text:
        return ""
    # The two shapes that make up nearly every row of a Shanghai roll, without a parse.
    if _MOBILE.match(text):
        return "+86" + text
    m = _SHANGHAI_LANDLINE.match(text)
    if m:
        return "+8621" + m[1]
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("电话号码格式无法识别：%(v)s", params={"v": text}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "电话号码无效：%(v)s（手机号应为11位，固定电话应带区号，如 021-64331234）",
            params={"v": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "CN")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(e164: str) -> str:
    """Mobile 138****5678; Shanghai landline 021-****1234; others via libphonenumber.

    >>> mask_phone("+8613812345678"), mask_phone("+862164331234")
    ('138****5678', '021-****1234')
    """
    if not e164:
        return ""
    if e164.startswith("+861") and len(e164) == 14:  # mainland mobile, the common case
        return f"{e164[3:6]}****{e164[-4:]}"
    if e164.startswith("+8621") and len(e164) == 13:  # Shanghai landline
        return f"021-****{e164[-4:]}"
    groups = display_phone(e164).replace("-", " ").split()
    digits = "".join(groups)
    if len(groups) > 1 and groups[0].startswith("0"):
        return f"{groups[0]}-****{digits[-4:]}"
    return "*" * (len(digits) - 4) + digits[-4:]
