"""Rules of campaigns that other apps and the settings (``ENUM_NAME_OVERRIDES``) name,
re-exported from the workflow packages that define them; new callers import from the
package."""

from __future__ import annotations

from .chains.rules import TaskState
from .coverage.rules import Coverage
from .practices.rules import FourOnes, FourOnesState
from .progress.rules import SECOND_BATCH_LAUNCH, Batch, Phase, StepAction, StepState, UnitState

__all__ = [
    "SECOND_BATCH_LAUNCH",
    "Batch",
    "Coverage",
    "FourOnes",
    "FourOnesState",
    "Phase",
    "StepAction",
    "StepState",
    "TaskState",
    "UnitState",
]
