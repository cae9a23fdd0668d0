"""Phone numbers: parsed and normalised with Google's libphonenumber (``phonenumbers``)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

from jiceng.core.text import clean


def normalize_phone(raw: str) -> str:
    """Return the number in E.164 form, or raise ``ValidationError`` with a Chinese message.

    Mainland numbers may be given without the country code: ``13812345678``, ``021-64331234``,
    ``(021)6433 1234``.
    """
    text = clean(raw)
    if not text:
        return ""
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
    """Mobile 138****5678; landline 021-****1234."""
    if not e164:
        return ""
    national = display_phone(e164).replace(" ", "")
    digits = national.replace("-", "")
    if digits.startswith("1") and len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if "-" in national:
        area, local = national.split("-", 1)
        return f"{area}-****{local[-4:]}"
    return "*" * (len(digits) - 4) + digits[-4:]
