"""What management commands share: the officer a command acts as, and a unit in their scope
(commands go through the same scoping as pages: DESIGN rule 1)."""

from __future__ import annotations

from django.core.management.base import CommandError

from jiceng.core.scoping import Action, can
from jiceng.orgs.models import Organization

from .models import User


def officer(username: str) -> User:
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as exc:
        raise CommandError("找不到该用户") from exc


def unit(user: User, code: str, action: str = Action.CHANGE) -> Organization:
    org = Organization.objects.filter(code=code).first()
    if org is None or not can(user, action, org.path):
        raise CommandError(f"找不到组织 {code}，或不在该用户的管辖范围内")
    return org
