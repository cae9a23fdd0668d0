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
