"""Rules of visits (S19: 33 branches made 5,698 visits focused on 1,500 needy families) and of
the needs they raise, with the state machines the services, the buttons and the tests read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitKind(models.TextChoices):
    HOME = "home", _("入户走访")
    CONDOLENCE = "condolence", _("走访慰问")
    TALK = "talk", _("谈心谈话")
    HELP = "help", _("帮困送温暖")
    UNIT = "unit", _("走访单位")


class TargetKind(models.TextChoices):
    NEEDY = "needy", _("帮扶对象")
    WORKER = "worker", _("职工群众")
    UNIT = "unit", _("单位")


class VisitState(models.TextChoices):
    RECORDED = "recorded", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    RETURNED = "returned", _("已退回")


class NeedState(models.TextChoices):
    OPEN = "open", _("待跟进")
    IN_PROGRESS = "in_progress", _("跟进中")
    RESOLVED = "resolved", _("已解决")
    UNRESOLVABLE = "unresolvable", _("无法解决（已说明）")


class NeedKind(models.TextChoices):
    LIVING = "living", _("生活困难")
    EMPLOYMENT = "employment", _("就业")
    MEDICAL = "medical", _("医疗")
    HOUSING = "housing", _("住房")
    NEIGHBOURHOOD = "neighbourhood", _("邻里和社区环境")
    OTHER = "other", _("其他")


# Which state a confirmation or a return may start from (a confirmed visit is final; a returned
# one is corrected by its recorder and so recorded again).
VISIT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "confirm": (VisitState.RECORDED,),
    "return": (VisitState.RECORDED,),
    "resubmit": (VisitState.RETURNED,),
}

# A need raised at a visit is followed up until resolved, or closed with the reason it cannot
# be (the public is told why; issue 21's rectification picks these up).
NEED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    NeedState.IN_PROGRESS: (NeedState.OPEN, NeedState.IN_PROGRESS),
    NeedState.RESOLVED: (NeedState.OPEN, NeedState.IN_PROGRESS),
    NeedState.UNRESOLVABLE: (NeedState.OPEN, NeedState.IN_PROGRESS),
}


# ----- counting distinct households and members without a DISTINCT ------------------------------
#
# The counts group visits by the unit one level below the subtree read (the first k steps of the
# unit's path, k = the subtree's depth + 1) and by month, and count distinct needy households and
# distinct members. Each counted visit (not returned) and each visitor row carries, for every
# k up to ``FIRST_LEVELS``, bit k set when it is the first counted row of its household (its
# member) among those whose unit paths agree in their first k steps (``*_month``: and in the
# same month). The distinct households of a group of paths agreeing in k steps are then the
# rows with bit k set: a plain count that adds up over months. A path shorter than k steps
# agrees with itself only, as the grouping's substring does. Kept by the visits' services;
# a subtree deeper than the bits (or a period asked for) is counted with DISTINCT.
FIRST_LEVELS = 12
# Those counts are also stored, by group of paths agreeing in k steps and month, for these k
# (``VisitTally``): the units one level below the city (k = 2) and below a district (k = 3),
# so that the largest subtrees read a few hundred rows. Deeper subtrees are small enough to
# count their marked rows.
TALLIED_LEVELS = (2, 3)


def first_bit(level: int) -> int:
    """The bit marking the first row of a group of paths agreeing in ``level`` steps.

    >>> first_bit(2)
    4
    """
    return 1 << level
