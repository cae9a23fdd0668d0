"""The roll of members as the organisation tree sees it: counts, never member rows.

An organisation's page shows how many members it holds, and its health depends on how many
full members a branch has (S11, S12); but ``members`` sits above ``orgs`` and the tree may not
import it. So ``orgs`` declares here the counts it needs, and ``members`` provides them in its
``AppConfig.ready()``::

    from jiceng.orgs import roll
    roll.register(MemberRoll())

Every count is answered by the members app's own queries over its indexes; ``orgs`` knows only
this protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, Expression

from .models import Organization


class Roll(Protocol):
    def subtree_counts(self, org: Organization) -> dict[str, Any]:
        """Members on the roll in ``org``'s subtree: ``total``, ``full``, ``probationary``,
        ``placed``, ``unplaced``, ``direct``, ``direct_full`` and ``by_status`` rows
        ``(code, label, n)``."""

    def direct_count(self, **filters: Any) -> Expression:
        """The number of members registered directly in the outer organisation
        (``OuterRef("pk")``), as an integer expression for ``annotate``."""

    def direct_more_than(self, n: int, **filters: Any) -> Exists:
        """Whether the outer organisation holds more than ``n`` such members directly."""

    def full_count(self, org: Organization) -> int:
        """Full members registered directly in ``org``."""


_roll: Roll | None = None


def register(provider: Roll) -> None:
    global _roll
    _roll = provider


def members() -> Roll:
    if _roll is None:
        raise ImproperlyConfigured(
            "No member roll registered: add jiceng.members to INSTALLED_APPS."
        )
    return _roll
