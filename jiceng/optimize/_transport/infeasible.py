"""Where the seats run out: the checks that raise ``InfeasibleError`` with how many are
missing and where.

``check_seats`` is the counting argument before any solve (fewer seats than members, in all
or in a group); ``check_reachable`` finds members with no allowed branch at all;
``raise_infeasible`` reports, after the solver has widened every candidate set it could, the
full branches reachable from the members left over (a min cut), split into regions.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._geo import to_points
from ..exceptions import InfeasibleError, Shortage
from .candidates import Candidates
from .problem import FloatArray, IntArray, Problem


def check_seats(problem: Problem, what: str) -> None:
    """The counting argument first: fewer seats than members (in all, or in a group)."""
    if problem.unassigned_cost is not None:
        return
    n = problem.n
    if problem.member_group is None or problem.branch_group is None:
        seats = int(problem.capacity.sum())
        if seats < n:
            raise InfeasibleError(
                missing=n - seats,
                shortages=(Shortage("", n, seats, n - seats, _centre(problem.member_xyz)),),
                what=what,
            )
        return
    groups = np.unique(problem.member_group)
    shortages = []
    for g in groups:
        who = problem.member_group == g
        cap = int(problem.capacity[problem.branch_group == g].sum())
        if cap < int(who.sum()):
            shortages.append(
                Shortage(
                    str(int(g)),
                    int(who.sum()),
                    cap,
                    int(who.sum()) - cap,
                    _centre(problem.member_xyz[who]),
                    tuple(int(b) for b in np.flatnonzero(problem.branch_group == g)),
                )
            )
    if shortages:
        raise InfeasibleError(
            missing=sum(s.missing for s in shortages), shortages=tuple(shortages), what=what
        )


def check_reachable(problem: Problem, c: Candidates, what: str) -> None:
    """Every member must have an allowed branch unless it may stay unassigned."""
    if problem.unassigned_cost is None:
        none = np.flatnonzero(np.diff(c.starts()) == 0)
        if len(none):
            raise InfeasibleError(missing=len(none), unreachable=none, what=what)


def raise_infeasible(problem: Problem, c: Candidates, branch_of: IntArray, what: str) -> None:
    """Where the seats are missing: the full branches reachable from the members left over
    (a min cut), split into connected regions."""
    m = problem.m
    left = np.flatnonzero(branch_of < 0)
    # Branches any left-over member could use, then everything reachable by moving members.
    reach = c.branches_of(left)
    assigned = branch_of[c.arc_member]
    ok = assigned >= 0
    a, b = assigned[ok], c.arc_branch[ok]
    while True:
        grow = reach.copy()
        grow[b[reach[a]]] = True
        if (grow == reach).all():
            break
        reach = grow
    edges = np.isin(c.arc_member, left)
    tails = np.concatenate((a, c.arc_branch[edges]))
    heads = np.concatenate((b, c.arc_branch[edges]))
    sel = reach[tails] & reach[heads]
    graph = coo_matrix((np.ones(int(sel.sum())), (tails[sel], heads[sel])), shape=(m, m)).tocsr()
    _n, label = connected_components(graph, directed=False)
    left_region = np.full(len(left), -1, np.int64)
    starts = c.starts()
    for i, member in enumerate(left):
        arcs = c.arc_branch[starts[member] : starts[member + 1]]
        if len(arcs):
            left_region[i] = label[arcs[0]]
    shortages = []
    for region in np.unique(left_region[left_region >= 0]):
        branches = np.flatnonzero(reach & (label == region))
        who_left = left[left_region == region]
        members_in = int(np.isin(branch_of, branches).sum()) + len(who_left)
        seats = int(problem.capacity[branches].sum())
        xyz = problem.member_xyz[np.r_[who_left, np.flatnonzero(np.isin(branch_of, branches))]]
        label_text = ""
        if problem.branch_group is not None and problem.member_group is not None:
            label_text = str(int(np.bincount(problem.member_group[who_left]).argmax()))
        shortages.append(
            Shortage(
                label_text,
                members_in,
                seats,
                len(who_left),
                _centre(xyz),
                tuple(int(x) for x in branches),
            )
        )
    shortages.sort(key=lambda s: -s.missing)
    unreachable = left[left_region < 0]
    raise InfeasibleError(
        missing=len(left), shortages=tuple(shortages), unreachable=unreachable, what=what
    )


def _centre(xyz: FloatArray) -> tuple[float, float]:
    """(latitude, longitude) of the mean of unit vectors: where a shortage lies."""
    centre = to_points(xyz.mean(axis=0, keepdims=True))[0]
    return float(centre[0]), float(centre[1])
