"""What apps above the tree show on an organisation's page and in the tree (issue 23).

``orgs`` sits below the apps that place things at an organisation (the party-mass workers
serving it, S3), so it may not import them. Those apps register here in their
``AppConfig.ready()``::

    from jiceng.orgs import panels
    panels.register_panel(worker_panel)      # fn(user, org) -> (template_name, context) | None
    panels.register_badges(worker_badges)    # fn(org_ids) -> {org_id: [label, ...]}

A panel reads through the scoping mechanism itself (it is given the user); badges are short
labels of the organisations the user already sees in the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Panel = Callable[[Any, Any], "tuple[str, dict[str, Any]] | None"]
Badges = Callable[[list[int]], dict[int, list[str]]]

_panels: list[Panel] = []
_badges: list[Badges] = []


def register_panel(panel: Panel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def register_badges(badges: Badges) -> None:
    if badges not in _badges:
        _badges.append(badges)


def panels_for(user: Any, org: Any) -> list[tuple[str, dict[str, Any]]]:
    """The registered panels that have something to show for ``org``."""
    out = []
    for panel in _panels:
        shown = panel(user, org)
        if shown is not None:
            out.append(shown)
    return out


def badges_for(orgs: Iterable[Any]) -> dict[int, list[str]]:
    """Every registered app's badges of these organisations, by id."""
    ids = [o.pk for o in orgs]
    merged: dict[int, list[str]] = {}
    if not ids:
        return merged
    for badges in _badges:
        for pk, labels in badges(ids).items():
            merged.setdefault(pk, []).extend(labels)
    return merged


def attach_badges(orgs: Iterable[Any]) -> list[Any]:
    """``orgs`` as a list, each with ``extra_badges`` (its labels) for the tree's template."""
    rows = list(orgs)
    found = badges_for(rows)
    for o in rows:
        o.extra_badges = found.get(o.pk, [])
    return rows
