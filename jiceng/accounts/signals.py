"""Logins and failed logins go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from jiceng.core import audit


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    primary = user.primary_assignment
    audit.record(
        actor=user, verb="login", obj=user, org_path=primary.organization.path if primary else ""
    )


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    audit.record(
        actor=None,
        verb="login_failed",
        object_type="accounts.user",
        object_id="",
        object_repr=str(credentials.get("username", ""))[:150],
    )
