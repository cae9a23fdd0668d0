"""Notices for the bell in the navigation bar: what waits for the signed-in user.

Each app registers a provider in its ``AppConfig.ready()``::

    from jiceng.core.notices import register_provider
    register_provider(transfer_notices)

A provider takes the user and returns :class:`Notice` rows, each a count of items that wait
for this user's action (pending approvals, overdue cases, …) with the worklist that shows
them. "This user's action" means at the organisations the user acts for and their direct
sub-units (``near``), not everything in the subtree: a city officer's bell does not add up
every unplaced member of the city; those totals belong on the dashboards. A
provider reads only through the scoping mechanism (``visible_to``), so an officer is never
told about rows they may not see. Providers with nothing to report return an empty list.
The core app knows no other app: it only calls what was registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from . import tree
from .scoping import Action, scope_of


@dataclass(frozen=True)
class Notice:
    """One line under the bell: *label* (translated), *count* items, shown at *url*.

    ``overdue`` marks items past a deadline (shown in red and counted first).
    """

    key: str
    label: str
    count: int
    url: str
    overdue: bool = False


Provider = Callable[[Any], list[Notice]]

_providers: list[Provider] = []


def register_provider(provider: Provider) -> None:
    """Register *provider* once (repeated registration, e.g. from a reloaded app, is ignored)."""
    if provider not in _providers:
        _providers.append(provider)


def acting_paths(user: Any) -> tuple[str, ...]:
    """The organisations ``user`` acts for: those of their role assignments that may change."""
    return scope_of(user, Action.CHANGE).paths


def near(user: Any, path_field: str, depth_field: str) -> Q:
    """Rows placed at an organisation the user acts for or at one of its direct sub-units
    (``path_field`` and ``depth_field`` name that organisation's path and depth)."""
    q = Q(pk__in=[])
    for path in acting_paths(user):
        q |= Q(**{f"{path_field}__startswith": path, f"{depth_field}__lte": tree.depth(path) + 1})
    return q


def notices_for(user: Any) -> list[Notice]:
    """Every registered provider's notices with a non-zero count; overdue ones first."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = [n for provider in _providers for n in provider(user) if n.count > 0]
    return sorted(rows, key=lambda n: (not n.overdue, n.key))
