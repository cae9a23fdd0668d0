"""Every model of campaigns, from the workflow packages that define them: the app's public
surface for models (Django registers them from here; other apps import them from here).

* ``progress``: the campaign, its indicators, steps and participating subtrees, each unit's
  progress and its history (S1, S2, S4, S30).
* ``guidance``: pilot lessons (S5), classified guidance and each unit's plan (S7, S14, S15).
* ``chains``: responsibility tasks and their four-level chains (S6).
* ``coverage``: entered "four lets" figures (S8).
* ``practices``: theme practices and their activities (S24, S25), "four ones" items (S18).
"""

from __future__ import annotations

from .chains.models import ChainLink, ResponsibilityTask
from .coverage.models import CoverageEntry, CoverageTally
from .guidance.models import GuidanceTemplate, GuidanceTemplateQuerySet, PilotLesson, UnitPlanItem
from .practices.models import (
    FourOnesComplete,
    FourOnesItem,
    FourOnesTally,
    PracticeActivity,
    ThemePractice,
)
from .progress.models import (
    Campaign,
    CampaignUnit,
    CampaignUnitQuerySet,
    Indicator,
    Participation,
    Step,
    StepRecord,
)

__all__ = [
    "Campaign",
    "CampaignUnit",
    "CampaignUnitQuerySet",
    "ChainLink",
    "CoverageEntry",
    "CoverageTally",
    "FourOnesComplete",
    "FourOnesItem",
    "FourOnesTally",
    "GuidanceTemplate",
    "GuidanceTemplateQuerySet",
    "Indicator",
    "Participation",
    "PilotLesson",
    "PracticeActivity",
    "ResponsibilityTask",
    "Step",
    "StepRecord",
    "ThemePractice",
    "UnitPlanItem",
]
