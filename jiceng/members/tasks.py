"""Background tasks of the roll: ids in, one selector call (runs in ``manage.py db_worker``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from . import selectors


@task()
def refresh_home_counts(user_id: int) -> None:
    """Count the home page's member figures of this user's scope afresh (``selectors.
    member_counts_cached`` serves the previous ones meanwhile)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        selectors.member_counts_refresh(user)
