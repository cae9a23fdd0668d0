"""Model fields: text encrypted at rest, and personal names kept as written."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.html import escape

from .crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text encrypted (AES-256-GCM, see ``crypto``) in the database, plain in Python.

    Not searchable: pair it with a blind-index column for exact lookup.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class PersonName(str):
    """A personal name as written. In a template it renders wrapped in two private-use marks
    (``NAME_OPEN`` … ``NAME_CLOSE``) that tell the zh-Hant page conversion to leave it alone;
    the middleware removes the marks from every page, in every language."""

    __slots__ = ()

    def __html__(self) -> str:
        return mark_name(escape(str.__str__(self)))


NAME_OPEN, NAME_CLOSE = "\ue000", "\ue001"


def mark_name(name: str) -> str:
    """``name`` marked to be left as written by the zh-Hant page conversion, for a message
    that names someone (the page and the API remove the marks)."""
    return f"{NAME_OPEN}{name}{NAME_CLOSE}"


class PersonNameInput(forms.TextInput):
    """A text input whose value is a personal name: rendered as written, never converted."""

    template_name = "core/widgets/person_name.html"

    def format_value(self, value: Any) -> str | None:
        value = super().format_value(value)
        return None if value is None else PersonName(value)


class PersonNameField(models.CharField):
    """A person's name, stored and shown exactly as written: loaded as ``PersonName`` so no
    page shows it converted (the zh-Hant display converts everything else), edited through
    ``PersonNameInput``."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else PersonName(value)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value if value is None or isinstance(value, PersonName) else PersonName(value)

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("widget", PersonNameInput)
        return super().formfield(**kwargs)
