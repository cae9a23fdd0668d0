"""The API's JSON renderer (its own module: DRF reads it from the settings while
``rest_framework.views`` loads, before ``core.api`` could be imported)."""

from __future__ import annotations

from typing import Any

from rest_framework import renderers

from .fields import NAME_CLOSE, NAME_OPEN

_OPEN, _CLOSE = NAME_OPEN.encode(), NAME_CLOSE.encode()


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, without the marks that keep a personal name out of the zh-Hant page
    conversion (``core.fields.mark_name``) when a service's message names someone."""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        body = super().render(data, accepted_media_type, renderer_context)
        return body.replace(_OPEN, b"").replace(_CLOSE, b"") if _OPEN in body else body
