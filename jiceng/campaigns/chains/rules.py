"""Four-level responsibility chains (S6) and how an overdue task climbs them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Qibao town's system had four levels (S6): town committee → general branch → branch → group.
CHAIN_LEVELS = 4
# A task overdue this many days more moves one level up its chain: overdue 0-6 days it is the
# owner's, 7-13 the level above, and so on up to the top of the chain. Qibao's "process flow"
# (S6) names the levels and the flow upwards; the week is our choice, named here so a
# district can change it.
ESCALATION_DAYS = 7


class TaskState(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
