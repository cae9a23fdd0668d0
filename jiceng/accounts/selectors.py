"""Reads of accounts: a manager sees the accounts holding a role inside their subtree."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from jiceng.core.scoping import Action, get_visible_or_404

from .models import RoleAssignment, User


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
