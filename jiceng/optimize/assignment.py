"""Capacitated nearest-branch assignment (S10, S17): every member to a branch with room, the
total home-to-branch distance least.

``assign`` is exact: a min-cost flow over each member's nearest branches, with a duality
certificate that the answer is optimal for the full problem (every branch considered), or a
proven bound when a relative ``gap`` is accepted (see ``_transport``). ``greedy_assign`` is the
baseline officers do by hand: members one by one, each to the nearest branch with room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from . import _transport
from ._geo import as_points, great_circle, metres_to_chord, unit_vectors
from .exceptions import InfeasibleError, InputError, Shortage

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Assignment:
    """The result of ``assign`` (and ``greedy_assign``).

    Attributes
    ----------
    branch : ndarray of int, shape (n,)
        The branch (index into the branches given) of each member.
    distance : ndarray of float, shape (n,)
        Great-circle distance in metres from each member's home to their branch.
    load : ndarray of int, shape (m,)
        Members per branch.
    cost : int
        The objective: distances in whole metres plus moving costs.
    lower_bound : int
        A proven lower bound on the objective of any assignment (``cost`` when optimal).
    optimal : bool
        Whether ``cost`` is proven optimal for the full problem.
    moved : ndarray of bool or None
        Members whose branch differs from ``current`` (None when no current branch given).
    """

    branch: IntArray
    distance: FloatArray
    load: IntArray
    cost: int
    lower_bound: int
    optimal: bool
    moved: BoolArray | None = None
    seconds: float = 0.0
    rounds: int = 0
    arcs: int = 0

    @property
    def gap(self) -> float:
        """Relative distance between ``cost`` and ``lower_bound`` (0 when optimal)."""
        if self.cost <= 0 or self.lower_bound <= -_transport.INF:
            return 0.0 if self.cost <= 0 else float("inf")
        return max(0.0, (self.cost - self.lower_bound) / self.cost)

    @property
    def mean_distance(self) -> float:
        return float(self.distance.mean()) if len(self.distance) else 0.0


def _labels(
    member: npt.ArrayLike | None, branch: npt.ArrayLike | None, n: int, m: int
) -> tuple[IntArray | None, IntArray | None, list[str]]:
    """Factorise district labels of members and branches onto shared integer codes."""
    if member is None and branch is None:
        return None, None, []
    if member is None or branch is None:
        raise InputError("member_district and branch_district go together")
    mem = np.asarray(member).astype(str)
    br = np.asarray(branch).astype(str)
    if mem.shape != (n,) or br.shape != (m,):
        raise InputError("district labels: one per member and one per branch")
    names, codes = np.unique(np.concatenate((mem, br)), return_inverse=True)
    codes = codes.astype(np.int64)
    return codes[:n], codes[n:], [str(x) for x in names]


def _capacity(capacity: npt.ArrayLike, m: int) -> IntArray:
    cap = np.asarray(capacity)
    if cap.ndim == 0:
        cap = np.full(m, int(cap))
    if cap.shape != (m,):
        raise InputError(f"capacity: expected {m} values, got shape {cap.shape}")
    if not np.all(np.isfinite(cap.astype(np.float64))) or (cap < 0).any():
        raise InputError("capacity: whole numbers >= 0 expected")
    return cap.astype(np.int64)


def _relabel(error: InfeasibleError, names: list[str]) -> InfeasibleError:
    """Shortage labels back to the caller's district names."""
    if not names:
        return error
    shortages = tuple(
        Shortage(
            names[int(s.label)] if s.label.isdigit() else s.label,
            s.members,
            s.capacity,
            s.missing,
            s.centre,
            s.branches,
        )
        for s in error.shortages
    )
    return InfeasibleError(
        missing=error.missing, shortages=shortages, unreachable=error.unreachable, what=error.what
    )


def assign(
    members: npt.ArrayLike,
    branches: npt.ArrayLike,
    capacity: npt.ArrayLike,
    *,
    member_district: npt.ArrayLike | None = None,
    branch_district: npt.ArrayLike | None = None,
    current: npt.ArrayLike | None = None,
    move_cost: float = 0.0,
    max_distance: float | None = None,
    gap: float = 0.0,
    k: int = 8,
    progress: Callable[[str, float], None] | None = None,
) -> Assignment:
    """Assign every member to a branch, minimising the total home-to-branch distance.

    Parameters
    ----------
    members, branches : array_like, shape (n, 2) and (m, 2)
        (latitude, longitude) in degrees of members' homes and of the branches.
    capacity : int or array_like of int, shape (m,)
        How many members each branch can still take.
    member_district, branch_district : array_like, optional
        District labels; when given, members stay within their own district.
    current : array_like of int, shape (n,), optional
        Each member's current branch (index, -1 for none).
    move_cost : float
        Metres added to the cost of moving a member away from ``current``: members already
        well placed stay unless moving saves more than this.
    max_distance : float, optional
        No member is assigned farther than this many metres.
    gap : float
        0 asks for a proven optimum; e.g. 0.01 stops once the cost is proven within 1%.
    k : int
        Initial candidates per member; widened automatically where needed.
    progress : callable, optional
        Called as ``progress(stage, fraction)``.

    Returns
    -------
    Assignment

    Raises
    ------
    InfeasibleError
        When the seats cannot hold the members: says how many seats are missing and where.
    InputError
        On malformed input.

    Examples
    --------
    Three members, two branches of two seats: the member in the middle goes where there is
    room.

    >>> homes = [(31.230, 121.470), (31.231, 121.471), (31.232, 121.472)]
    >>> result = assign(homes, [(31.230, 121.470), (31.240, 121.480)], [2, 2])
    >>> result.branch.tolist(), result.optimal
    ([0, 0, 1], True)
    >>> assign(homes, [(31.230, 121.470)], [2])
    Traceback (most recent call last):
    ...
    jiceng.optimize.exceptions.InfeasibleError: assignment is infeasible: 1 seat(s) missing; \
near (31.2310, 121.4710): 3 members, 2 seats, 1 missing
    """
    pts = as_points(members, "members")
    brs = as_points(branches, "branches")
    n, m = len(pts), len(brs)
    cap = _capacity(capacity, m)
    mg, bg, names = _labels(member_district, branch_district, n, m)
    cur = None
    if current is not None:
        cur = np.asarray(current, dtype=np.int64)
        if cur.shape != (n,) or (cur >= m).any() or (cur < -1).any():
            raise InputError("current: one branch index (or -1) per member")
    if move_cost < 0 or (max_distance is not None and max_distance <= 0):
        raise InputError("move_cost must be >= 0 and max_distance > 0")
    if m == 0 and n:
        raise InfeasibleError(missing=n, unreachable=np.arange(n, dtype=np.int64))
    problem = _transport.Problem(
        member_xyz=unit_vectors(pts),
        branch_xyz=unit_vectors(brs),
        capacity=cap,
        member_group=mg,
        branch_group=bg,
        current=cur,
        move_cost=round(move_cost),
        max_chord=metres_to_chord(max_distance) if max_distance is not None else None,
    )
    try:
        sol = _transport.solve(problem, k=k, gap=gap, progress=progress)
    except InfeasibleError as exc:
        raise _relabel(exc, names) from None
    distance = great_circle(pts, brs[sol.branch]) if n else np.zeros(0)
    return Assignment(
        branch=sol.branch,
        distance=distance,
        load=np.bincount(sol.branch, minlength=m).astype(np.int64),
        cost=sol.total,
        lower_bound=sol.lower_bound,
        optimal=sol.optimal,
        moved=(sol.branch != cur) if cur is not None else None,
        seconds=sol.seconds,
        rounds=sol.rounds,
        arcs=sol.arcs,
    )


def greedy_assign(
    members: npt.ArrayLike,
    branches: npt.ArrayLike,
    capacity: npt.ArrayLike,
    *,
    order: npt.ArrayLike | None = None,
) -> Assignment:
    """The hand method, as a baseline: members one by one (in ``order``, default as given),
    each to the nearest branch that still has room.

    Examples
    --------
    >>> homes = [(31.230, 121.470), (31.231, 121.471), (31.232, 121.472)]
    >>> greedy_assign(homes, [(31.230, 121.470), (31.240, 121.480)], [2, 2]).branch.tolist()
    [0, 0, 1]
    """
    pts = as_points(members, "members")
    brs = as_points(branches, "branches")
    n, m = len(pts), len(brs)
    room = _capacity(capacity, m).copy()
    if int(room.sum()) < n:
        raise InfeasibleError(missing=n - int(room.sum()), what="greedy assignment")
    seq = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    tree = cKDTree(unit_vectors(brs))
    xyz = unit_vectors(pts)
    k = min(8, m)
    _d, near = tree.query(xyz, k=k, workers=-1)
    near = np.asarray(near, dtype=np.int64).reshape(n, k)
    out = np.full(n, -1, dtype=np.int64)
    room_list = room.tolist()
    near_list = near.tolist()
    for i in seq.tolist():
        for j in near_list[i]:
            if room_list[j] > 0:
                room_list[j] -= 1
                out[i] = j
                break
        else:  # all k nearest full: look further, doubling the search
            width = 2 * k
            while out[i] < 0:
                _d2, far = tree.query(xyz[i], k=min(width, m))
                for j in np.atleast_1d(far).tolist():
                    if room_list[j] > 0:
                        room_list[j] -= 1
                        out[i] = j
                        break
                width *= 2
    distance = great_circle(pts, brs[out])
    cost = int(np.rint(distance).sum())
    return Assignment(
        branch=out,
        distance=distance,
        load=np.bincount(out, minlength=m).astype(np.int64),
        cost=cost,
        lower_bound=-_transport.INF,
        optimal=False,
    )
