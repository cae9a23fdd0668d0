"""The needy person's current pairing (S26), for the registry's page (which sits below
pairings and so does not import it): ``{% load pairings %}{% current_pairing person as p %}``."""

from __future__ import annotations

from typing import Any

from django import template

from .. import selectors, services

register = template.Library()


@register.simple_tag(takes_context=True)
def current_pairing(context: template.Context, person: Any) -> dict[str, Any] | None:
    """The person's open pairing the reader sees, with what the reader may do with it."""
    user = context["request"].user
    pairing = selectors.current_pairing(user, person)
    if pairing is None:
        return None
    return {"pairing": pairing, "rights": services.pairing_rights(user, pairing)}
