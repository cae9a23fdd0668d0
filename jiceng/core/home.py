"""The figures of the home page, gathered from the apps that own them.

``core`` knows no other app, so each app registers what it shows on the home page in its
``AppConfig.ready()`` (as with the bell's notices)::

    from jiceng.core.home import register_figures
    register_figures(home_figures)

A provider takes the user and returns a dict of template variables, read through the scoping
mechanism, so the page never counts rows the user may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Figures = Callable[[Any], dict[str, Any]]

_providers: list[Figures] = []


def register_figures(provider: Figures) -> None:
    """Register *provider* once (repeated registration, e.g. from a reloaded app, is ignored)."""
    if provider not in _providers:
        _providers.append(provider)


def home_figures(user: Any) -> dict[str, Any]:
    """Every registered provider's figures, merged in the order the apps were loaded."""
    figures: dict[str, Any] = {}
    for provider in _providers:
        figures.update(provider(user))
    return figures
