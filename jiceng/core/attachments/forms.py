from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import rules


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Any number of files from one input (Django's documented pattern); each file is checked
    by the service, which keeps all or none."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", rules.ALLOWED_TEXT)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": rules.ACCEPT, "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(FilesField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class AttachmentsForm(forms.Form):
    uploads = FilesField(label=_("照片或文件"))
