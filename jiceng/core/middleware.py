"""Shows pages in Traditional characters for zh-Hant users, converted phrase by phrase.

Interface strings come from the zh-Hant catalogue (itself made by OpenCC from the source
strings); this middleware converts what the catalogue cannot hold: organisation names,
member names and other data shown on the page, with the same OpenCC ``s2t`` conversion.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .text import to_traditional


class TraditionalChineseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            translation.get_language() == "zh-hant"
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
        ):
            charset = response.charset or "utf-8"
            response.content = to_traditional(response.content.decode(charset)).encode(charset)
        return response
