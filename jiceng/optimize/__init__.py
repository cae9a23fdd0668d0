"""Optimisation for grassroots planning: Python on NumPy, SciPy, numba and OR-Tools.

Never imports Django (an import-linter contract enforces it): the planning app hands arrays
in and stores what comes back. Every public function is deterministic for its inputs (and
its explicit ``seed`` where randomness is used), typed, and raises ``InfeasibleError`` with
how much capacity is missing and where.

* ``assign`` — capacitated nearest-branch assignment, exact (S10, S17);
* ``form_branches`` — regional branch formation with legal sizes (S17);
* ``pair`` — pairing needy people with branches, and organisations with units (S26);
* ``schedule_visits`` — a year's service tasks for households, balanced over members (S27).
"""

from .assignment import Assignment, assign, greedy_assign
from .exceptions import InfeasibleError, InputError, OptimizeError, Shortage
from .formation import DEFAULT_TARGET_SIZE, Formation, FormedBranch, branch_count, form_branches
from .pairing import BRANCHES_FULL, OUT_OF_REACH, Pairing, pair
from .scheduling import Commitment, Schedule, ServiceTask, schedule_visits

__all__ = [
    "BRANCHES_FULL",
    "DEFAULT_TARGET_SIZE",
    "OUT_OF_REACH",
    "Assignment",
    "Commitment",
    "Formation",
    "FormedBranch",
    "InfeasibleError",
    "InputError",
    "OptimizeError",
    "Pairing",
    "Schedule",
    "ServiceTask",
    "Shortage",
    "assign",
    "branch_count",
    "form_branches",
    "greedy_assign",
    "pair",
    "schedule_visits",
]
