"""The data of one transportation problem and of its answer, and the numbers they share.

``Problem`` holds arrays (indices, not objects), ``Solution`` what ``driver.solve`` returns.
Every other module of the package reads these; none of them changes a ``Problem``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str, float], None]

INF = np.iinfo(np.int64).max // 4
# The cost of the "overflow" arc that keeps every sparse problem feasible: far more than any
# chain of real moves (10,000 km), so it is used only when a member's candidates are full.
OVERFLOW_COST = 10_000_000


@dataclass
class Problem:
    """Arrays of one assignment problem (indices, not objects)."""

    member_xyz: FloatArray
    branch_xyz: FloatArray
    capacity: IntArray
    member_group: IntArray | None = None  # restrict members to branches of the same group
    branch_group: IntArray | None = None
    member_class: IntArray | None = None  # affinity: bonus[member_class, branch_class]
    branch_class: IntArray | None = None
    bonus: IntArray | None = None
    current: IntArray | None = None  # the member's current branch, -1 none
    move_cost: int = 0
    max_chord: float | None = None
    unassigned_cost: int | None = None  # None: every member must be assigned

    @property
    def n(self) -> int:
        return len(self.member_xyz)

    @property
    def m(self) -> int:
        return len(self.branch_xyz)

    @property
    def free_cost(self) -> int:
        """The cost of a member left without a branch: ``unassigned_cost`` where that is
        allowed, else the overflow cost that only a member with every candidate full pays."""
        return self.unassigned_cost if self.unassigned_cost is not None else OVERFLOW_COST


@dataclass
class Solution:
    """What ``driver.solve`` returns: per member its branch and arc cost, the total, a proven
    lower bound on every assignment's cost, and the branch prices that prove it."""

    branch: IntArray  # per member, -1 unassigned
    cost: IntArray  # per member, the arc cost (unassigned_cost when unassigned)
    total: int
    lower_bound: int
    optimal: bool
    rounds: int
    arcs: int
    prices: IntArray
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        if self.total == 0:
            return 0.0
        return max(0.0, (self.total - self.lower_bound) / max(abs(self.total), 1))
