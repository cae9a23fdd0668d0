"""Reads of accounts: a manager sees the accounts holding a role inside their subtree."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jiceng.core.scoping import Action, get_visible_or_404

from .models import RoleAssignment, User, UserQuerySet
from .roles import GRANTABLE, Role


def assignment_list(user: Any, action: str = Action.MANAGE_ACCOUNTS) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.visible_to(user, action)


def user_list(user: Any, action: str = Action.MANAGE_ACCOUNTS) -> QuerySet[User]:
    return UserQuerySet(User).visible_to(user, action)


def user_get(user: Any, pk: Any, action: str = Action.MANAGE_ACCOUNTS) -> User:
    return get_visible_or_404(UserQuerySet(User), user, action, pk=pk)


def assignment_get(user: Any, pk: Any) -> RoleAssignment:
    return get_visible_or_404(
        RoleAssignment.objects.select_related("user", "organization"),
        user,
        Action.MANAGE_ACCOUNTS,
        pk=pk,
    )


def grantable_roles(user: Any) -> tuple[str, ...]:
    """Roles the user may grant somewhere in their subtree (in the order of ``Role``); the
    service still checks the role against the chosen organisation."""
    allowed = {r for a in user.active_assignments() for r in GRANTABLE.get(a.role, ())}
    return tuple(r for r in Role.values if r in allowed)
