"""What a unit's plan is made of: the lines of classified guidance (S14, S15) and the unit's
own education carriers (S7)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanItemKind(models.TextChoices):
    FOCUS = "focus", _("工作重点")
    STEP = "step", _("规定动作")
    INDICATOR = "indicator", _("指标")
    CARRIER = "carrier", _("自选载体")  # S7: the unit's own education formats
