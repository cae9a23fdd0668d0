"""Typed exceptions of the optimisers (networkx style: ``NetworkXUnfeasible``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


class OptimizeError(Exception):
    """Base class of every error raised by ``jiceng.optimize``."""


class InputError(OptimizeError, ValueError):
    """The input is malformed: wrong shape, missing coordinates, negative capacities, …"""


@dataclass(frozen=True)
class Shortage:
    """One region where the members outnumber the seats they may use.

    ``members`` is the number of members whose every allowed branch lies in the region's
    ``branches`` (indices into the branches given), ``capacity`` the seats of those
    branches, ``missing = members - capacity`` how many more seats the region needs.
    ``label`` names the region: the district when the assignment stays within districts,
    otherwise empty; ``centre`` is the (latitude, longitude) of its members.
    """

    label: str
    members: int
    capacity: int
    missing: int
    centre: tuple[float, float]
    branches: tuple[int, ...] = ()


@dataclass
class InfeasibleError(OptimizeError):
    """No assignment satisfies the constraints.

    ``missing`` is the total number of seats lacking (the maximum deficiency: the least
    capacity that, added in the right places, makes the problem feasible), ``shortages`` says
    where, and ``unreachable`` lists members (indices) that have no allowed branch at all,
    e.g. none within the maximum distance or none in their district.
    """

    missing: int
    shortages: tuple[Shortage, ...] = ()
    unreachable: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    what: str = "assignment"

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [f"{self.what} is infeasible: {self.missing} seat(s) missing"]
        for s in self.shortages[:5]:
            where = s.label or f"near ({s.centre[0]:.4f}, {s.centre[1]:.4f})"
            parts.append(f"{where}: {s.members} members, {s.capacity} seats, {s.missing} missing")
        if len(self.unreachable):
            parts.append(f"{len(self.unreachable)} member(s) have no allowed branch")
        return "; ".join(parts)
