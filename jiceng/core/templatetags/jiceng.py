"""Template helpers available in every template (registered as a builtin)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from jiceng.core.fields import PersonName

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for paging and sorting)."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(list(params.lists()), doseq=True)


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def bs(field: Any) -> str:
    """Render a form field with Bootstrap's classes (and the invalid state when it has errors)."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type == "checkbox":
        css = "form-check-input"
    elif input_type == "select" or widget.__class__.__name__.endswith("Select"):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def page_json(value: Any, element_id: str) -> str:
    """Like Django's ``json_script``, but with Chinese written as characters rather than
    ``\\u`` escapes, so chart labels and data a script reads are converted for zh-Hant readers
    like the rest of the page. Chart data holds organisation names, never personal ones."""
    data = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(data),  # noqa: S308 (<, >, & escaped, as json_script does)
    )


@register.filter
def as_written(value: Any) -> str:
    """``value`` shown exactly as written, outside the zh-Hant page conversion: a language's
    own name in the language menu (简体中文 stays 简体中文)."""
    return PersonName(value).__html__()


@register.simple_tag
def language_menu() -> list[tuple[str, str]]:
    """The languages offered, each named in itself (Django's ``get_available_languages``
    translates the names: English becomes 英语 on a Chinese page)."""
    return list(settings.LANGUAGES)


@register.simple_tag
def colon() -> str:
    """The colon after a label: full-width in Chinese, ``": "`` in English."""
    return ": " if (get_language() or "").startswith("en") else "："
