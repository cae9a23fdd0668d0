"""The members' "four ones" of the campaign (S18) and the states of a recorded item."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FourOnes(models.TextChoices):
    """The per-member checklist of the campaign (S18)."""

    PRACTICAL = "practical", _("办一件实事")
    PROPOSAL = "proposal", _("提一条建议")
    WELFARE = "welfare", _("参加一次公益活动")
    PAIRING = "pairing", _("结对帮扶一名困难职工")


class FourOnesState(models.TextChoices):
    RECORDED = "recorded", _("已填报，待支部确认")
    CONFIRMED = "confirmed", _("支部已确认")
    RETURNED = "returned", _("支部退回")
