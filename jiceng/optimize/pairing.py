"""Double pairing (双结对, S26): needy people with branches, and organisations with units.

"Each grassroots branch pairs with a needy person; each unit's party organisation pairs with a
residential area or a two-new organisation; about 87,000 needy people and 15,000 units were
paired." ``pair`` proposes the pairing that pairs as many people as the seats allow and, among
those, keeps the total distance least, with an optional affinity between categories (a
hospital's branch with chronically ill people). People left unpaired come back with the
reason, so an officer knows whether to add seats or widen the reach.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _transport
from ._geo import as_points, great_circle, metres_to_chord, unit_vectors
from .assignment import _capacity, _labels
from .exceptions import InputError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Leaving a person unpaired costs more than any plausible chain of re-pairings (10,000 km), so
# the optimum pairs as many people as the seats within reach allow, then minimises distance.
UNPAIRED_COST = 10_000_000

OUT_OF_REACH = "out_of_reach"  # no branch allowed: none within the distance, none in district
BRANCHES_FULL = "branches_full"  # branches within reach are all taken by nearer people


@dataclass(frozen=True)
class Pairing:
    """The result of ``pair``.

    Attributes
    ----------
    branch : ndarray of int, shape (n,)
        The branch of each person, -1 when unpaired.
    distance : ndarray of float, shape (n,)
        Metres from the person to their branch (NaN when unpaired).
    load : ndarray of int, shape (m,)
        People per branch.
    reason : tuple of str
        For each person, "" when paired, else ``OUT_OF_REACH`` or ``BRANCHES_FULL``.
    optimal : bool
        Whether the pairing is proven optimal (most people paired, then least distance).
    """

    branch: IntArray
    distance: FloatArray
    load: IntArray
    reason: tuple[str, ...]
    cost: int
    lower_bound: int
    optimal: bool
    seconds: float = 0.0
    rounds: int = 0

    @property
    def paired(self) -> int:
        return int((self.branch >= 0).sum())

    @property
    def unpaired(self) -> list[tuple[int, str]]:
        """(person index, reason) of everyone left unpaired."""
        return [(i, r) for i, r in enumerate(self.reason) if r]


def pair(
    people: npt.ArrayLike,
    branches: npt.ArrayLike,
    per_branch: npt.ArrayLike = 1,
    *,
    people_category: npt.ArrayLike | None = None,
    branch_category: npt.ArrayLike | None = None,
    affinity: Mapping[tuple[str, str], float] | None = None,
    max_distance: float | None = None,
    people_district: npt.ArrayLike | None = None,
    branch_district: npt.ArrayLike | None = None,
    k: int = 8,
    progress: Callable[[str, float], None] | None = None,
) -> Pairing:
    """Pair people with branches: as many pairs as possible, then the least total distance.

    Parameters
    ----------
    people, branches : array_like, shape (n, 2) and (m, 2)
        (latitude, longitude) in degrees.
    per_branch : int or array_like of int
        How many people each branch pairs with.
    people_category, branch_category : array_like of str, optional
        Categories for ``affinity``.
    affinity : mapping, optional
        ``{(person category, branch category): metres}``: a pair of these categories counts
        as that many metres shorter (e.g. ``{("chronic_illness", "hospital"): 3000}``).
    max_distance : float, optional
        No pair farther apart than this many metres.
    people_district, branch_district : array_like, optional
        When given, people pair only within their district.

    Examples
    --------
    Two people, one branch with one seat, and one person too far away:

    >>> result = pair([(31.23, 121.47), (31.24, 121.48), (31.90, 121.90)],
    ...               [(31.23, 121.47)], 1, max_distance=5_000)
    >>> result.branch.tolist(), result.reason
    ([0, -1, -1], ('', 'branches_full', 'out_of_reach'))

    A hospital branch gets the chronically ill person even though the other is nearer:

    >>> result = pair([(31.230, 121.470), (31.240, 121.480)], [(31.231, 121.471)], 1,
    ...               people_category=["elderly", "chronic_illness"],
    ...               branch_category=["hospital"],
    ...               affinity={("chronic_illness", "hospital"): 3_000})
    >>> result.branch.tolist()
    [-1, 0]
    """
    pts = as_points(people, "people")
    brs = as_points(branches, "branches")
    n, m = len(pts), len(brs)
    cap = _capacity(per_branch, m)
    mg, bg, _names = _labels(people_district, branch_district, n, m)
    member_class = branch_class = bonus = None
    if affinity:
        if people_category is None or branch_category is None:
            raise InputError("affinity needs people_category and branch_category")
        pc = np.asarray(people_category).astype(str)
        bc = np.asarray(branch_category).astype(str)
        if pc.shape != (n,) or bc.shape != (m,):
            raise InputError("categories: one per person and one per branch")
        p_names, member_class = np.unique(pc, return_inverse=True)
        b_names, branch_class = np.unique(bc, return_inverse=True)
        bonus = np.zeros((len(p_names), len(b_names)), dtype=np.int64)
        p_index = {str(v): i for i, v in enumerate(p_names)}
        b_index = {str(v): i for i, v in enumerate(b_names)}
        for (pcat, bcat), metres in affinity.items():
            if metres < 0:
                raise InputError("affinity: metres must be >= 0")
            if pcat in p_index and bcat in b_index:
                bonus[p_index[pcat], b_index[bcat]] = round(metres)
        member_class = member_class.astype(np.int64)
        branch_class = branch_class.astype(np.int64)
    if max_distance is not None and max_distance <= 0:
        raise InputError("max_distance must be > 0")
    if m == 0:
        none = np.full(n, -1, dtype=np.int64)
        return Pairing(
            none,
            np.full(n, np.nan),
            np.zeros(0, np.int64),
            (OUT_OF_REACH,) * n,
            UNPAIRED_COST * n,
            UNPAIRED_COST * n,
            True,
        )
    problem = _transport.Problem(
        member_xyz=unit_vectors(pts),
        branch_xyz=unit_vectors(brs),
        capacity=cap,
        member_group=mg,
        branch_group=bg,
        member_class=member_class,
        branch_class=branch_class,
        bonus=bonus,
        max_chord=metres_to_chord(max_distance) if max_distance is not None else None,
        unassigned_cost=UNPAIRED_COST,
    )
    sol = _transport.solve(problem, k=k, progress=progress, what="pairing")
    has_arc = np.zeros(n, dtype=bool)
    if n:
        has_arc[np.unique(_transport.Candidates(problem, 1).arc_member)] = True
    paired = sol.branch >= 0
    distance = np.full(n, np.nan)
    if paired.any():
        distance[paired] = great_circle(pts[paired], brs[sol.branch[paired]])
    reason = tuple(
        "" if p else (BRANCHES_FULL if reach else OUT_OF_REACH)
        for p, reach in zip(paired.tolist(), has_arc.tolist(), strict=True)
    )
    return Pairing(
        branch=sol.branch,
        distance=distance,
        load=np.bincount(sol.branch[paired], minlength=m).astype(np.int64),
        reason=reason,
        cost=sol.total,
        lower_bound=sol.lower_bound,
        optimal=sol.optimal,
        seconds=sol.seconds,
        rounds=sol.rounds,
    )
