"""``{% org_picker "code" row.pk %}``: the organisation picker (``forms.OrgPickerInput``)
where a page has a bare input rather than a form field, such as a row's "other unit"; the
box's id is the name and the key (``code-12``), further keywords are its attributes
(``aria_label`` → ``aria-label``)."""

from __future__ import annotations

from typing import Any

from django import template

from jiceng.orgs.forms import OrgPickerInput

register = template.Library()


@register.simple_tag
def org_picker(name: str, key: Any, scope: str = "change", **attrs: Any) -> str:
    attrs = {
        "id": f"{name}-{key}",
        "class": "form-control form-control-sm",
        **{k.replace("_", "-"): v for k, v in attrs.items()},
    }
    return OrgPickerInput(scope=scope).render(name, None, attrs=attrs)
