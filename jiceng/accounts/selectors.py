"""Reads of accounts: a manager sees the accounts holding a role inside their subtree."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from jiceng.core.scoping import Action, get_visible_or_404

from .models import RoleAssignment, User
from .roles import GRANTABLE, Role


def assignment_list(user: Any, action: str = Action.MANAGE_ACCOUNTS) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.visible_to(user, action)


def user_list(user: Any, action: str = Action.MANAGE_ACCOUNTS) -> QuerySet[User]:
    in_scope = assignment_list(user, action).filter(user=OuterRef("pk"))
    return User.objects.filter(Exists(in_scope))


def user_get(user: Any, pk: Any, action: str = Action.MANAGE_ACCOUNTS) -> User:
    try:
        return user_list(user, action).get(pk=pk)
    except (User.DoesNotExist, ValueError) as exc:
        from django.http import Http404

        raise Http404 from exc


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
