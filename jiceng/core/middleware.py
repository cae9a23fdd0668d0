"""Shows pages in Traditional characters for zh-Hant users, converted phrase by phrase.

Interface strings come from the zh-Hant catalogue (itself made by OpenCC from the source
strings); this middleware converts what the catalogue cannot hold: organisation names, step
titles and other data shown on the page, with the same conversion (``text.to_traditional``).
Personal names are never converted: they reach the page wrapped in the marks of
``fields.PersonName``, which this middleware keeps out of the conversion and then removes, in
every language.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .fields import NAME_CLOSE, NAME_OPEN
from .text import to_traditional

_NAME = re.compile(f"{NAME_OPEN}(.*?){NAME_CLOSE}", re.S)
_MARK = NAME_OPEN.encode()


def to_traditional_page(text: str) -> str:
    """``text`` in Traditional characters except the personal names marked in it, with the
    marks removed."""
    parts = _NAME.split(text)  # outside, name, outside, name, …
    return "".join(p if i % 2 else to_traditional(p) for i, p in enumerate(parts))


def unmark(text: str) -> str:
    return text.replace(NAME_OPEN, "").replace(NAME_CLOSE, "")


class TraditionalChineseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        hant = translation.get_language() == "zh-hant"
        if hant or _MARK in response.content:
            charset = response.charset or "utf-8"
            text = response.content.decode(charset)
            text = to_traditional_page(text) if hant else unmark(text)
            response.content = text.encode(charset)
        return response
