"""The registry of attachable records: ``register(model, key, may_attach, path_of)``.

``may_attach(actor, record)`` is the rule the record's own services use to change it, so the
page offers the upload only where the service would take it; ``path_of(record)`` files the
audit rows where the record lives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import Http404

from jiceng.core.scoping import Actor


@dataclass(frozen=True)
class Owner:
    key: str
    model: type[models.Model]
    may_attach: Callable[[Actor, Any], bool]
    path_of: Callable[[Any], str]


_OWNERS: dict[str, Owner] = {}


def register(
    model: type[models.Model],
    key: str,
    *,
    may_attach: Callable[[Actor, Any], bool],
    path_of: Callable[[Any], str],
) -> None:
    _OWNERS[key] = Owner(key, model, may_attach, path_of)


def owner(key: str) -> Owner:
    """The registration under ``key`` (a URL part: unknown keys are a 404)."""
    try:
        return _OWNERS[key]
    except KeyError:
        raise Http404 from None


def owner_of(record: models.Model) -> Owner:
    for entry in _OWNERS.values():
        if isinstance(record, entry.model):
            return entry
    raise LookupError(f"{type(record).__name__} is not registered as an attachment owner")


def keys() -> list[str]:
    return sorted(_OWNERS)
