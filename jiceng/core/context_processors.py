"""What the signed-in user may do anywhere, for menus and buttons (``may`` in templates).

Read from the same scopes the services enforce (``scoping.scope_of``, from the role matrix
in ``accounts.roles``): a page shows a write only where ``require`` would let it through, so
a role is never offered what it would be refused. Object pages ask ``scoping.can`` for the
object's own path in their view.
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest

from .scoping import Action, can_anywhere


class Permitted:
    """``may.change``, ``may.reveal``, ``may.manage_accounts``, ``may.audit``, ``may.outreach``:
    the user may do that somewhere in the tree; ``may.tree``: the user sees organisations (not
    only their own member record)."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def _anywhere(self, action: str) -> bool:
        return can_anywhere(self.user, action)

    @functools.cached_property
    def tree(self) -> bool:
        return self._anywhere(Action.VIEW)

    @functools.cached_property
    def change(self) -> bool:
        return self._anywhere(Action.CHANGE)

    @functools.cached_property
    def reveal(self) -> bool:
        return self._anywhere(Action.REVEAL)

    @functools.cached_property
    def manage_accounts(self) -> bool:
        return self._anywhere(Action.MANAGE_ACCOUNTS)

    @functools.cached_property
    def audit(self) -> bool:
        return self._anywhere(Action.AUDIT)

    @functools.cached_property
    def outreach(self) -> bool:
        return self._anywhere(Action.OUTREACH)


def permitted(request: HttpRequest) -> dict[str, Any]:
    return {"may": Permitted(getattr(request, "user", None))}
