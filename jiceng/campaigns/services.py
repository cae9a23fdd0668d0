"""Services of campaigns that other apps call, re-exported from the workflow packages that
define them (``progress``, ``guidance``, ``chains``, ``practices``); new callers import from
the package."""

from __future__ import annotations

from .chains.services import task_create, tasks_from_step
from .guidance.services import template_create
from .practices.services import activity_record, four_ones_record, practice_create
from .progress.services import campaign_create, unit_launch, unit_sign_off, unit_submit

__all__ = [
    "activity_record",
    "campaign_create",
    "four_ones_record",
    "practice_create",
    "task_create",
    "tasks_from_step",
    "template_create",
    "unit_launch",
    "unit_sign_off",
    "unit_submit",
]
