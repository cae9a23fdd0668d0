"""The exact engine behind ``assign`` and ``pair``: capacitated assignment on a sparse graph.

Problem: every member ``i`` goes to one branch ``j`` (or, where allowed, stays unassigned at
a cost), no branch takes more than its capacity, and the total cost is least. The cost of an
arc is the great-circle distance in metres, minus an affinity bonus, plus a moving cost when
the branch is not the member's current one. It is a transportation problem, solved on a sparse
candidate graph: each member's k nearest branches, plus the columns the certificate adds.

The sparse problem is solved by successive shortest paths on the branches (``_ssp``, compiled
with numba): every member sits at its branch of least ``c_ij + p_j``; excess at a branch is
pushed along the cheapest chain of moves to a branch with room, raising prices behind it; a
branch with room and a positive price pulls a member in or lowers its price to zero. What is
left are the optimum of the sparse problem and its exact dual prices, lowered to the least
such prices. It starts from any prices and seats, so every later round is a warm start.

Why the sparse answer is the optimum of the full problem: linear-programming duality. The
dual of the transportation problem has a price ``p_j >= 0`` per branch (zero where the branch
has room) and a value ``u_i`` per member with ``u_i <= c_ij + p_j`` for *every* branch. Given
any ``p >= 0``, ``u_i = min_j (c_ij + p_j)`` is feasible, so ``sum(u) - sum(cap * p)`` is a
lower bound on every assignment's cost (weak duality). The certificate computes that minimum
over all branches: a k-d tree whose nodes know their least price (``_priced_search``) finds,
per member, the branches outside its candidates that beat its seat at these prices. None
anywhere: the bound equals the cost and the assignment is optimal for the full problem. Else
they are added as columns and the sparse problem is solved again, warm. Members whose
candidates are all full (a sparse problem without room) get more candidates ("widening the
candidate set where capacity is tight until the result is provably optimal").

Tight capacity sends members far past their nearest branches, so from 20,000 members on the
first round is guided: a sample (every eighth member, an eighth of the seats) is solved the
same way, and its prices give every member the branches cheapest at them as candidates, and
the first round its starting prices.

Beyond ``GLOBAL_MEMBERS`` (``_solve_large``) the members are first solved tile by tile, each
tile exactly by the same shortest paths (branches split into compact tiles, members with the
tile of their nearest branch), then re-solved in windows whose seams cross, until the
Lagrangian bound proves the gap asked for. Every answer carries its lower bound. OR-Tools'
min-cost flow (``solve_flow``) remains for branch formation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ._geo import EARTH_RADIUS_M, chord_to_metres, to_points
from .exceptions import InfeasibleError, InputError, Shortage

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str, float], None]

INF = np.iinfo(np.int64).max // 4
# The cost of the "overflow" arc that keeps every sparse problem feasible: far more than any
# chain of real moves (10,000 km), so it is used only when a member's candidates are full.
OVERFLOW_COST = 10_000_000
# A window of ``_solve_large`` holds about this many members (chosen when OR-Tools solved the
# windows: its min-cost flow grew faster than linearly, 25k members 0.7 s, 100k 4.5 s; the
# compiled shortest paths solve one such window in milliseconds).
TILE_MEMBERS = 5_000
# Up to this many members one exact solve (``_ssp`` and the certificate) covers them all; above
# it the first answer comes window by window and repair is local. The bound is memory: about
# 1.2 kB per member (measured: 2,000,000 members / 50,000 branches, 2.4 GB; 13 s at 1.5x
# capacity and 42 s at 1.05x, both within 0.003% of the optimum).
GLOBAL_MEMBERS = 3_000_000
# Solve again from scratch (zero prices) when more than this share of the members gained
# columns in a round: the prices of the round before were then far off, and a warm start from
# them repairs one seat at a time. Measured: 20,000 members, 13,000 (65%) gaining columns at
# the k-nearest graph's prices: 3.5 s warm, 0.6 s from scratch; pairing 87,000 after the
# guided round, 2,635 (3%) gaining: 0.10 s warm, 0.67 s from scratch.
COLD_SHARE = 0.2
# Above this many members, ``solve`` first solves a sample of every ``GUIDE_STEP``-th member
# (with as many times fewer seats) for approximate prices, and gives every member the
# ``GUIDE_COLUMNS`` branches cheapest at those prices as extra candidates. Without it, the
# k-nearest graph's own prices are far too high where capacity is tight (members can only
# leave a crowded area through chains of short moves), and the columns they bring need rounds
# of repair (measured, 100,000 members / 3,000 branches at 1.05x: 12 rounds and 5.1 s without,
# 2 rounds and 1.1 s with).
GUIDE_MEMBERS = 20_000
GUIDE_STEP = 8
GUIDE_COLUMNS = 4
# Bellman-Ford passes over the branch exchange graph before we call it non-convergent.
MAX_PASSES = 400  # plus 4 sqrt(m): converged runs took 50-80 passes at m = 3,000
# Subgradient steps for the bound of large instances (100 steps: 99.3% of the optimum on
# 100,000 members / 3,000 branches at 1.5x capacity, about 1 s there).
LAGRANGIAN_STEPS = 100
# Cheaper columns added per member and round (the cheapest; the next round finds the rest).
_COLUMNS_PER_MEMBER = 8


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


@dataclass
class Solution:
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


# ----- candidates -----------------------------------------------------------------------------
@dataclass
class _Pool:
    group: int
    klass: int
    branches: IntArray
    tree: cKDTree
    xyz: FloatArray  # the branches' unit vectors, and their compiled k-d tree (``_kd_build``)
    order: IntArray
    node: IntArray
    box: FloatArray


class Candidates:
    """Each member's candidate arcs (k nearest allowed branches per pool) and, per member,
    the least cost any other branch could have (``bound``)."""

    def __init__(self, problem: Problem, k: int) -> None:
        self.p = problem
        n, m = problem.n, problem.m
        bg = problem.branch_group if problem.branch_group is not None else np.zeros(m, np.int64)
        bc = problem.branch_class if problem.branch_class is not None else np.zeros(m, np.int64)
        self.pools: list[_Pool] = []
        self.pools_of_group: dict[int, list[int]] = {}
        keys = np.unique(np.column_stack((bg, bc)), axis=0) if m else np.zeros((0, 2), np.int64)
        for g, c in keys:
            idx = np.flatnonzero((bg == g) & (bc == c)).astype(np.int64)
            xyz = np.ascontiguousarray(problem.branch_xyz[idx], dtype=np.float64)
            order, node, box = _kd_build(xyz)
            self.pools.append(_Pool(int(g), int(c), idx, cKDTree(xyz), xyz, order, node, box))
            self.pools_of_group.setdefault(int(g), []).append(len(self.pools) - 1)
        self.all_pools = list(range(len(self.pools)))
        self.growth = 4
        self.last_part = np.zeros(m, dtype=np.int64)  # the windows of the last full pass
        self.k = np.full(n, k, dtype=np.int64)
        self.exhausted = np.zeros(n, dtype=bool)
        self.bound = np.full(n, INF, dtype=np.int64)
        self.arc_member = np.zeros(0, np.int64)
        self.arc_branch = np.zeros(0, np.int64)
        self.arc_cost = np.zeros(0, np.int64)
        self.arc_extra = np.zeros(0, bool)  # added as the member's current branch, not by k-NN
        self._starts: IntArray | None = None
        self._starts_for: IntArray | None = None
        self._query(np.arange(n, dtype=np.int64))

    def _eligible(self, group: int | None) -> list[int]:
        if self.p.member_group is None or group is None:
            return self.all_pools
        return self.pools_of_group.get(group, [])

    def _query(self, members: IntArray) -> None:
        """(Re)build the arcs of ``members`` with their current ``k``."""
        p = self.p
        if not len(members):
            return
        keep = ~np.isin(self.arc_member, members)
        new_m: list[IntArray] = [self.arc_member[keep]]
        new_b: list[IntArray] = [self.arc_branch[keep]]
        new_c: list[IntArray] = [self.arc_cost[keep]]
        kept_extra = self.arc_extra[keep]
        bound = np.full(len(members), INF, dtype=np.int64)
        exhausted = np.ones(len(members), dtype=bool)
        groups = (
            p.member_group[members]
            if p.member_group is not None
            else np.zeros(len(members), np.int64)
        )
        ks = self.k[members]
        upper = p.max_chord if p.max_chord is not None else np.inf
        for g in np.unique(groups):
            for kk in np.unique(ks[groups == g]):
                sel = np.flatnonzero((groups == g) & (ks == kk))
                who = members[sel]
                for pi in self._eligible(int(g) if p.member_group is not None else None):
                    pool = self.pools[pi]
                    size = len(pool.branches)
                    q = int(min(kk + 1, size))
                    d, j = pool.tree.query(
                        p.member_xyz[who], k=q, distance_upper_bound=upper, workers=-1
                    )
                    d = np.asarray(d, dtype=np.float64).reshape(len(who), q)
                    j = np.asarray(j, dtype=np.int64).reshape(len(who), q)
                    take = min(int(kk), q)
                    dt, jt = d[:, :take], j[:, :take]
                    ok = np.isfinite(dt)
                    rows = np.broadcast_to(who[:, None], dt.shape)[ok]
                    br = pool.branches[jt[ok]]
                    metres = np.rint(chord_to_metres(dt[ok])).astype(np.int64)
                    adj = self._adjust(rows, pool.klass)
                    new_m.append(rows.astype(np.int64))
                    new_b.append(br)
                    new_c.append(metres + adj)
                    if q > take:  # the first branch not returned bounds all the others
                        dn = d[:, take]
                        fin = np.isfinite(dn)
                        b = np.full(len(who), INF, dtype=np.int64)
                        b[fin] = np.rint(chord_to_metres(dn[fin])).astype(np.int64)
                        b[fin] += self._adjust(who[fin], pool.klass)
                        bound[sel] = np.minimum(bound[sel], b)
                        exhausted[sel] &= ~fin
        self.bound[members] = bound
        self.exhausted[members] = exhausted
        fresh = self._with_current(
            np.concatenate(new_m[1:]) if len(new_m) > 1 else new_m[0][:0],
            np.concatenate(new_b[1:]) if len(new_b) > 1 else new_b[0][:0],
            np.concatenate(new_c[1:]) if len(new_c) > 1 else new_c[0][:0],
            members,
        )
        am = np.concatenate((new_m[0], fresh[0]))
        ab = np.concatenate((new_b[0], fresh[1]))
        ac = np.concatenate((new_c[0], fresh[2]))
        extra = np.concatenate((kept_extra, fresh[3]))
        if len(am) > 1 and not (np.diff(am) >= 0).all():  # k-NN rows come member by member
            order = np.argsort(am, kind="stable")
            am, ab, ac, extra = am[order], ab[order], ac[order], extra[order]
        self.arc_member, self.arc_branch, self.arc_cost = am, ab, ac
        self.arc_extra = extra

    def _adjust(self, members: IntArray, klass: int) -> IntArray:
        """Bonus and moving cost added to the distance of arcs into a pool."""
        p = self.p
        out = np.zeros(len(members), dtype=np.int64)
        if p.bonus is not None and p.member_class is not None:
            out -= p.bonus[p.member_class[members], klass]
        if p.move_cost and p.current is not None:
            out += p.move_cost
        return out

    def _with_current(
        self, am: IntArray, ab: IntArray, ac: IntArray, members: IntArray
    ) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """The current branch costs no move, and is always a candidate when it is allowed."""
        p = self.p
        if p.current is None or not p.move_cost:
            return am, ab, ac, np.zeros(len(am), dtype=bool)
        cur = p.current[am]
        at_current = ab == cur
        ac = ac.copy()
        ac[at_current] -= p.move_cost
        who = members[p.current[members] >= 0]
        has = np.zeros(p.n, dtype=bool)
        has[am[at_current]] = True
        add = who[~has[who]]
        if p.member_group is not None and p.branch_group is not None:
            add = add[p.branch_group[p.current[add]] == p.member_group[add]]
        if not len(add):
            return am, ab, ac, np.zeros(len(am), dtype=bool)
        br = p.current[add]
        metres = np.rint(
            chord_to_metres(np.linalg.norm(p.member_xyz[add] - p.branch_xyz[br], axis=1))
        ).astype(np.int64)
        if p.max_chord is not None:
            chord = np.linalg.norm(p.member_xyz[add] - p.branch_xyz[br], axis=1)
            ok = chord <= p.max_chord
            add, br, metres = add[ok], br[ok], metres[ok]
        cost = metres.copy()
        if p.bonus is not None and p.member_class is not None and p.branch_class is not None:
            cost -= p.bonus[p.member_class[add], p.branch_class[br]]
        return (
            np.concatenate((am, add)),
            np.concatenate((ab, br)),
            np.concatenate((ac, cost)),
            np.r_[np.zeros(len(am), dtype=bool), np.ones(len(add), dtype=bool)],
        )

    def add(self, members: IntArray, branches: IntArray, costs: IntArray) -> None:
        """Add arcs found outside the k-NN lists (marked extra; none may be a candidate
        already), keeping the arcs sorted by member."""
        if not len(members):
            return
        if len(members) > 1 and not (np.diff(members) >= 0).all():
            order = np.argsort(members, kind="stable")
            members, branches, costs = members[order], branches[order], costs[order]
        # Merge two member-sorted lists: each new arc goes after its member's arcs.
        total = len(self.arc_member) + len(members)
        at = np.searchsorted(self.arc_member, members, side="right") + np.arange(len(members))
        new = np.zeros(total, dtype=bool)
        new[at] = True
        self.arc_member = _merged(self.arc_member, members, new)
        self.arc_branch = _merged(self.arc_branch, branches, new)
        self.arc_cost = _merged(self.arc_cost, costs, new)
        self.arc_extra = _merged(self.arc_extra, np.ones(len(members), dtype=bool), new)

    def violations(
        self, branch_of: IntArray, cost_of: IntArray, prices: IntArray
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Arcs to branches that are not candidates yet cost less, at ``prices``, than the
        member's own seat: the columns that could still lower the cost (at most
        ``_COLUMNS_PER_MEMBER`` per member, the cheapest; the next round finds the rest). An
        empty answer proves that no such branch exists. Only members whose plain bound (the
        first branch beyond their k nearest) undercuts their seat can have any; for those, a
        k-d tree that knows each node's least price (``_priced_search``) finds the cheapest
        branches at these prices, and their costs are then computed exactly."""
        p = self.p
        mine = cost_of + np.where(branch_of >= 0, prices[np.maximum(branch_of, 0)], 0)
        ask = np.flatnonzero(self.bound < mine)
        empty = np.zeros(0, dtype=np.int64)
        if not len(ask):
            return empty, empty, empty
        vm, vb, vc = self._search(ask, mine, prices)
        cheaper = vc + prices[vb] < mine[vm]
        vm, vb, vc = vm[cheaper], vb[cheaper], vc[cheaper]
        if not len(vm):
            return empty, empty, empty
        # The cheapest few per member.
        order = np.lexsort((vc + prices[vb], vm))
        vm, vb, vc = vm[order], vb[order], vc[order]
        first = np.searchsorted(vm, vm, side="left")
        keep = (np.arange(len(vm)) - first) < _COLUMNS_PER_MEMBER
        _u, unique = np.unique(vm[keep] * p.m + vb[keep], return_index=True)
        return vm[keep][unique], vb[keep][unique], vc[keep][unique]

    def cheapest(self, prices: IntArray, want: int) -> tuple[IntArray, IntArray, IntArray]:
        """Per member whose candidates may not hold its cheapest branch, the ``want``
        branches of least ``c_ij + p_j`` that are not yet its candidates (member, branch,
        exact cost)."""
        # A member whose best candidate at these prices beats its plain bound (the first
        # branch beyond its k nearest) has its cheapest branch already.
        value = self.arc_cost + prices[self.arc_branch]
        starts = self.starts()
        has = starts[1:] > starts[:-1]
        best = np.full(self.p.n, INF, np.int64)
        if len(value):
            best[has] = np.minimum.reduceat(value, starts[:-1][has])
        ask = np.flatnonzero(self.bound < best)
        return self._search(ask, np.full(self.p.n, INF, np.int64), prices, want)

    def _search(
        self, ask: IntArray, mine: IntArray, prices: IntArray, want: int = _COLUMNS_PER_MEMBER
    ) -> tuple[IntArray, IntArray, IntArray]:
        """For the members ``ask``, the ``want`` non-candidate branches of least cost plus
        price below ``mine`` in each pool (``_priced_search``), with their exact costs."""
        p = self.p
        empty = np.zeros(0, dtype=np.int64)
        groups = p.member_group if p.member_group is not None else np.zeros(p.n, np.int64)
        starts = self.starts()
        max_chord = float(p.max_chord) if p.max_chord is not None else math.inf
        found_m, found_b, found_c = [empty], [empty], [empty]
        for pool in self.pools:
            who = ask[groups[ask] == pool.group] if p.member_group is not None else ask
            if not len(who):
                continue
            adjust = self._adjust(who, pool.klass)
            limit = mine[who] - adjust  # metres + price must stay below this
            ok = limit > 0
            who, adjust, limit = who[ok], adjust[ok], limit[ok]
            if not len(who):
                continue
            best, _value = _priced_search(
                pool.xyz,
                pool.order,
                pool.node,
                pool.box,
                prices[pool.branches],
                pool.branches,
                np.ascontiguousarray(p.member_xyz[who]),
                who,
                limit.astype(np.float64),
                starts,
                self.arc_branch,
                max_chord,
                want,
            )
            rows, col = np.nonzero(best >= 0)
            mem, br = who[rows], best[rows, col]
            chord = np.linalg.norm(p.member_xyz[mem] - p.branch_xyz[br], axis=1)
            cost = np.rint(chord_to_metres(chord)).astype(np.int64) + adjust[rows]
            within = chord <= max_chord
            found_m.append(mem[within])
            found_b.append(br[within])
            found_c.append(cost[within])
        return np.concatenate(found_m), np.concatenate(found_b), np.concatenate(found_c)

    def widen(self, members: IntArray) -> IntArray:
        """Double the candidates of ``members`` that can still grow; returns those widened."""
        members = members[~self.exhausted[members]]
        if len(members):
            self.k[members] *= self.growth
            self._query(members)
        return members

    def starts(self) -> IntArray:
        """Offsets of each member's arcs in the (member-sorted) arc arrays (cached until the
        arcs change)."""
        if self._starts is None or self._starts_for is not self.arc_member:
            self._starts = np.searchsorted(self.arc_member, np.arange(self.p.n + 1)).astype(
                np.int64
            )
            self._starts_for = self.arc_member
        return self._starts


def _merged(old: npt.NDArray[Any], add: npt.NDArray[Any], new: BoolArray) -> npt.NDArray[Any]:
    """``old`` and ``add`` interleaved: ``add`` where ``new``, ``old`` elsewhere."""
    out = np.empty(len(new), dtype=old.dtype)
    out[new] = add
    out[~new] = old
    return out


# ----- min-cost flow ----------------------------------------------------------------------------
def solve_flow(
    arc_member: IntArray,
    arc_branch: IntArray,
    arc_cost: IntArray,
    n: int,
    capacity: IntArray,
    *,
    overflow_cost: int = OVERFLOW_COST,
    min_load: IntArray | None = None,
    reward: int = 0,
) -> IntArray:
    """Min-cost flow for ``n`` members (local indices) over the given arcs; returns, per
    member, the chosen arc's index (-1: overflow). Branch ``j`` takes at most
    ``capacity[j]``; with ``min_load``, its first ``min_load[j]`` seats earn ``reward`` (a
    soft lower bound that the optimum meets whenever it can).

    The network runs from a source through the branches to the members and on to a sink
    (source -> branch with the branch's capacity, branch -> member per candidate arc, member
    -> sink one unit), plus an overflow route source -> O -> member at ``overflow_cost`` that
    keeps every instance feasible. OR-Tools' cost-scaling solver was 2x faster on this
    orientation than with the supplies at the members (measured: 100,000 members, 8 arcs each).
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    used, local_branch = np.unique(arc_branch, return_inverse=True)
    nb = len(used)
    source, overflow, sink = 0, nb + n + 1, nb + n + 2
    branch_node = 1 + np.arange(nb, dtype=np.int64)
    member_node = 1 + nb + np.arange(n, dtype=np.int64)
    cap = capacity[used].astype(np.int64)
    na = len(arc_member)
    tails = [1 + local_branch.astype(np.int64), np.full(n, overflow, np.int64), member_node]
    heads = [1 + nb + arc_member, member_node, np.full(n, sink, np.int64)]
    caps = [np.ones(na, np.int64), np.ones(n, np.int64), np.ones(n, np.int64)]
    costs = [arc_cost, np.full(n, overflow_cost, np.int64), np.zeros(n, np.int64)]
    tails.append(np.array([source], np.int64))
    heads.append(np.array([overflow], np.int64))
    caps.append(np.array([n], np.int64))
    costs.append(np.zeros(1, np.int64))
    if min_load is not None:
        low = np.minimum(min_load[used].astype(np.int64), cap)
        tails += [np.zeros(nb, np.int64), np.zeros(nb, np.int64)]
        heads += [branch_node, branch_node]
        caps += [low, cap - low]
        costs += [np.full(nb, -reward, np.int64), np.zeros(nb, np.int64)]
    else:
        tails.append(np.zeros(nb, np.int64))
        heads.append(branch_node)
        caps.append(cap)
        costs.append(np.zeros(nb, np.int64))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source] = n
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # cannot happen: the overflow route makes every instance feasible
        raise RuntimeError(f"min-cost flow failed: {status}")
    chosen = flow.flows(np.arange(na, dtype=np.int64)) > 0
    out = np.full(n, -1, dtype=np.int64)
    out[arc_member[chosen]] = np.flatnonzero(chosen)
    return out


# ----- successive shortest paths (compiled) ----------------------------------------------------
# The exact solver of ``solve``: a primal-dual method on the branches, compiled with numba.
# Invariant: every member sits on a branch (or the "free" node: unassigned/overflow) of least
# ``c_ij + p_j`` among its arcs, so every move has a non-negative reduced cost and Dijkstra
# applies. Excess at a branch is pushed along a shortest path of moves to a branch with room
# (prices rise behind it); a branch with room and a positive price pulls a member in along a
# shortest reverse path, or lowers its price to zero (prices fall ahead of it). When neither is
# left, the prices are exact duals of the sparse problem (complementary slackness), and the
# existing certificate checks them against the full problem.


@numba.njit(cache=True)
def _heap_push(keys: IntArray, vals: IntArray, size: int, key: int, val: int) -> int:
    """Push onto a binary min-heap held in ``keys``/``vals``; returns the new size."""
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if keys[parent] <= key:
            break
        keys[pos] = keys[parent]
        vals[pos] = vals[parent]
        pos = parent
    keys[pos] = key
    vals[pos] = val
    return size + 1


@numba.njit(cache=True)
def _heap_pop(keys: IntArray, vals: IntArray, size: int) -> tuple[int, int, int]:
    """Pop the least entry; returns (key, value, new size)."""
    key, val = keys[0], vals[0]
    size -= 1
    last_k, last_v = keys[size], vals[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= last_k:
            break
        keys[pos] = keys[child]
        vals[pos] = vals[child]
        pos = child
    if size > 0:
        keys[pos] = last_k
        vals[pos] = last_v
    return key, val, size


@numba.njit(cache=True)
def _move(
    i: int,
    to: int,
    cost: int,
    branch_of: IntArray,
    cost_of: IntArray,
    load: IntArray,
    head: IntArray,
    nxt: IntArray,
    prv: IntArray,
) -> None:
    """Move member ``i`` to node ``to`` at arc cost ``cost`` (per-node member lists kept)."""
    at = branch_of[i]
    if prv[i] >= 0:
        nxt[prv[i]] = nxt[i]
    else:
        head[at] = nxt[i]
    if nxt[i] >= 0:
        prv[nxt[i]] = prv[i]
    load[at] -= 1
    prv[i] = -1
    nxt[i] = head[to]
    if head[to] >= 0:
        prv[head[to]] = i
    head[to] = i
    load[to] += 1
    branch_of[i] = to
    cost_of[i] = cost


@numba.njit(cache=True)
def _rebuild(
    x: int,
    head: IntArray,
    nxt: IntArray,
    out_c: IntArray,
    starts: IntArray,
    arc_branch: IntArray,
    arc_cost: IntArray,
    free_cost: int,
    free: int,
    slot: IntArray,
    adj: IntArray,
    adj_start: IntArray,
    adj_len: IntArray,
    adj_cap: IntArray,
    top: int,
) -> tuple[IntArray, int]:
    """Recompute branch ``x``'s exchange list: per other node ``b``, the least cost change
    ``c_ib - c_ix`` of a member ``i`` at ``x`` (rows of ``adj``: b, change, member, cost).
    Returns ``adj`` (grown when full) and the arena's new top."""
    cnt = 0
    begin = adj_start[x]
    # Write into a scratch region at the top first: the list may outgrow its place.
    need = top + 8
    i = head[x]
    while i >= 0:
        need += starts[i + 1] - starts[i] + 1
        i = nxt[i]
    need += need // 4
    if need > len(adj):
        grown = np.empty((2 * need, 4), np.int64)
        grown[:top] = adj[:top]
        adj = grown
    i = head[x]
    while i >= 0:
        here = out_c[i]
        for a in range(starts[i], starts[i + 1]):
            b = arc_branch[a]
            if b == x:
                continue
            change = arc_cost[a] - here
            s = slot[b]
            if s < 0:
                slot[b] = cnt
                adj[top + cnt, 0] = b
                adj[top + cnt, 1] = change
                adj[top + cnt, 2] = i
                adj[top + cnt, 3] = arc_cost[a]
                cnt += 1
            elif change < adj[top + s, 1]:
                adj[top + s, 1] = change
                adj[top + s, 2] = i
                adj[top + s, 3] = arc_cost[a]
        change = free_cost - here
        s = slot[free]
        if s < 0:
            slot[free] = cnt
            adj[top + cnt, 0] = free
            adj[top + cnt, 1] = change
            adj[top + cnt, 2] = i
            adj[top + cnt, 3] = free_cost
            cnt += 1
        elif change < adj[top + s, 1]:
            adj[top + s, 1] = change
            adj[top + s, 2] = i
            adj[top + s, 3] = free_cost
        i = nxt[i]
    for s in range(cnt):
        slot[adj[top + s, 0]] = -1
    if cnt <= adj_cap[x]:
        adj[begin : begin + cnt] = adj[top : top + cnt]
    else:  # the scratch region becomes the list's new place, with room to grow
        adj_start[x] = top
        adj_cap[x] = cnt + 4 + cnt // 4
        top += adj_cap[x]
    adj_len[x] = cnt
    return adj, top


@numba.njit(cache=True)
def _ssp(
    starts: IntArray,
    arc_branch: IntArray,
    arc_cost: IntArray,
    free_cost: int,
    capacity: IntArray,
    price: IntArray,
    branch_of: IntArray,
) -> tuple[IntArray, IntArray, IntArray]:
    """The sparse problem's optimum and exact prices, warm-started from ``price`` (length
    m + 1, the free node last, kept at zero) and ``branch_of`` (ties keep the branch; -1 or m:
    free). Returns the branch per member (m: free), its arc cost, and counts of the work done
    (searches, nodes settled forward and backward)."""
    n = len(starts) - 1
    m = len(capacity)
    free = m
    big = np.iinfo(np.int64).max // 4
    n_arcs = len(arc_branch)
    arc_member = np.empty(n_arcs, np.int64)
    for i in range(n):
        for a in range(starts[i], starts[i + 1]):
            arc_member[a] = i
    # Arcs by branch, for the reverse searches.
    rstart = np.zeros(m + 2, np.int64)
    for a in range(n_arcs):
        rstart[arc_branch[a] + 1] += 1
    for b in range(m + 1):
        rstart[b + 1] += rstart[b]
    fill = rstart[:-1].copy()
    rarc = np.empty(n_arcs, np.int64)
    for a in range(n_arcs):
        b = arc_branch[a]
        rarc[fill[b]] = a
        fill[b] += 1
    cap = np.empty(m + 1, np.int64)
    cap[:m] = capacity
    cap[free] = n + 1
    price[free] = 0
    # Start: each member at its least c + p (the branch it had, on ties).
    out_b = np.empty(n, np.int64)
    out_c = np.empty(n, np.int64)
    load = np.zeros(m + 1, np.int64)
    head = np.full(m + 1, -1, np.int64)
    nxt = np.full(n, -1, np.int64)
    prv = np.full(n, -1, np.int64)
    for i in range(n):
        cur = branch_of[i]
        if cur < 0:
            cur = free
        best, bb, bc = free_cost, free, free_cost
        for a in range(starts[i], starts[i + 1]):
            b = arc_branch[a]
            v = arc_cost[a] + price[b]
            if v < best or (v == best and b == cur):
                best, bb, bc = v, b, arc_cost[a]
        out_b[i] = bb
        out_c[i] = bc
        load[bb] += 1
        nxt[i] = head[bb]
        if head[bb] >= 0:
            prv[head[bb]] = i
        head[bb] = i
    # Exchange lists per branch (``_rebuild``), kept up to date as members move.
    slot = np.full(m + 1, -1, np.int64)
    adj = np.empty(((n_arcs + n) * 5 // 4 + 8 * (m + 1) + 8, 4), np.int64)  # grows if needed
    adj_start = np.zeros(m + 1, np.int64)
    adj_len = np.zeros(m + 1, np.int64)
    adj_cap = np.zeros(m + 1, np.int64)
    top = 0
    for x in range(m):
        adj, top = _rebuild(
            x, head, nxt, out_c, starts, arc_branch, arc_cost, free_cost, free, slot,
            adj, adj_start, adj_len, adj_cap, top,
        )  # fmt: skip
    dist = np.full(m + 1, big, np.int64)
    done = np.zeros(m + 1, np.bool_)
    pred_member = np.full(m + 1, -1, np.int64)
    pred_node = np.full(m + 1, -1, np.int64)
    pred_cost = np.zeros(m + 1, np.int64)
    touched = np.empty(m + 1, np.int64)
    popped = np.empty(m + 1, np.int64)
    path = np.empty(m + 2, np.int64)
    hk = np.empty(n_arcs + n + 4 * (m + 1) + 8, np.int64)
    hv = np.empty(n_arcs + n + 4 * (m + 1) + 8, np.int64)
    work = np.zeros(3, np.int64)
    # Excess: push members out along shortest paths to room.
    for src in range(m):
        while load[src] > cap[src]:
            work[0] += 1
            nt = 1
            touched[0] = src
            dist[src] = 0
            hs = _heap_push(hk, hv, 0, 0, src)
            npop = 0
            t = -1
            far = 0
            while hs > 0:
                d, x, hs = _heap_pop(hk, hv, hs)
                if done[x] or d > dist[x]:
                    continue
                done[x] = True
                popped[npop] = x
                npop += 1
                if x != src and load[x] < cap[x]:
                    t, far = x, d
                    break
                base = d - price[x]
                for s in range(adj_start[x], adj_start[x] + adj_len[x]):
                    b = adj[s, 0]
                    if done[b]:
                        continue
                    nd = base + adj[s, 1] + price[b]
                    if nd < dist[b]:
                        if dist[b] == big:
                            touched[nt] = b
                            nt += 1
                        dist[b] = nd
                        pred_member[b] = adj[s, 2]
                        pred_cost[b] = adj[s, 3]
                        hs = _heap_push(hk, hv, hs, nd, b)
            work[1] += npop
            for q in range(npop):
                x = popped[q]
                if x != t:
                    price[x] += far - dist[x]
            y = t
            np_ = 0
            while y != src:
                path[np_] = y
                np_ += 1
                i = pred_member[y]
                x = out_b[i]
                _move(i, y, pred_cost[y], out_b, out_c, load, head, nxt, prv)
                y = x
            path[np_] = src
            np_ += 1
            for q in range(np_):
                if path[q] != free:
                    adj, top = _rebuild(
                        path[q], head, nxt, out_c, starts, arc_branch, arc_cost, free_cost,
                        free, slot, adj, adj_start, adj_len, adj_cap, top,
                    )  # fmt: skip
            for q in range(nt):
                dist[touched[q]] = big
                done[touched[q]] = False
    # Room at a positive price: pull a member in, or lower the price to zero.
    for snk in range(m):
        while price[snk] > 0 and load[snk] < cap[snk]:
            work[0] += 1
            nt = 1
            touched[0] = snk
            dist[snk] = 0
            hs = _heap_push(hk, hv, 0, 0, snk)
            npop = 0
            t = snk
            low = price[snk]
            while hs > 0:
                e, y, hs = _heap_pop(hk, hv, hs)
                if done[y] or e > dist[y]:
                    continue
                if e >= low:
                    break
                done[y] = True
                popped[npop] = y
                npop += 1
                if e + price[y] < low:
                    low = e + price[y]
                    t = y
                if y == free:
                    continue
                for r in range(rstart[y], rstart[y + 1]):
                    a = rarc[r]
                    i = arc_member[a]
                    x = out_b[i]
                    if x == y or done[x]:
                        continue
                    ne = e + arc_cost[a] + price[y] - out_c[i] - price[x]
                    if ne < dist[x]:
                        if dist[x] == big:
                            touched[nt] = x
                            nt += 1
                        dist[x] = ne
                        pred_member[x] = i
                        pred_node[x] = y
                        pred_cost[x] = arc_cost[a]
                        hs = _heap_push(hk, hv, hs, ne, x)
            work[2] += npop
            for q in range(npop):
                x = popped[q]
                price[x] -= low - dist[x]
            y = t
            np_ = 0
            while y != snk:
                path[np_] = y
                np_ += 1
                i = pred_member[y]
                z = pred_node[y]
                _move(i, z, pred_cost[y], out_b, out_c, load, head, nxt, prv)
                y = z
            path[np_] = snk
            np_ += 1
            if np_ > 1:
                for q in range(np_):
                    if path[q] != free:
                        adj, top = _rebuild(
                            path[q], head, nxt, out_c, starts, arc_branch, arc_cost,
                            free_cost, free, slot, adj, adj_start, adj_len, adj_cap, top,
                        )  # fmt: skip
            for q in range(nt):
                dist[touched[q]] = big
                done[touched[q]] = False
    # The least prices that keep every member at its least c + p: lower each price by the
    # shortest distance to it from a virtual source joined to every node at its price (the
    # reduced costs are the arc lengths, so Dijkstra again). The least prices make the
    # certificate's searches smallest.
    hs = 0
    for b in range(m + 1):
        dist[b] = price[b]
        hs = _heap_push(hk, hv, hs, price[b], b)
    while hs > 0:
        d, x, hs = _heap_pop(hk, hv, hs)
        if done[x] or d > dist[x]:
            continue
        done[x] = True
        if x == free:  # members left over: their arcs, one by one
            i = head[x]
            while i >= 0:
                base = d - out_c[i]
                for a in range(starts[i], starts[i + 1]):
                    b = arc_branch[a]
                    nd = base + arc_cost[a] + price[b]
                    if not done[b] and nd < dist[b]:
                        dist[b] = nd
                        hs = _heap_push(hk, hv, hs, nd, b)
                i = nxt[i]
            continue
        base = d - price[x]
        for s in range(adj_start[x], adj_start[x] + adj_len[x]):
            b = adj[s, 0]
            nd = base + adj[s, 1] + price[b]
            if not done[b] and nd < dist[b]:
                dist[b] = nd
                hs = _heap_push(hk, hv, hs, nd, b)
    for b in range(m + 1):
        price[b] -= dist[b]
    price[free] = 0
    return out_b, out_c, work


# ----- priced nearest branches (compiled) ---------------------------------------------------------
# The certificate asks, per member, for the branches of least ``c_ij + p_j`` outside its
# candidates. A k-d tree over a pool's branches whose nodes also know their least price answers
# it: a node is skipped when its nearest possible distance plus its least price cannot beat the
# member's seat (or the cheapest columns found so far).
_LEAF = 8  # branches per k-d tree leaf: scanned whole, so small; the box test prunes the rest
# Metres of slack in the compiled search: its distances are recomputed exactly afterwards, so
# the search only must never skip a branch that is cheaper by the exact formula.
_SEARCH_SLACK = 2.0


@numba.njit(cache=True)
def _kd_build(xyz: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """A k-d tree over ``xyz``: the points' order (each node a contiguous range), per node
    its range and children (``node``: lo, hi, left, right; -1 for leaves) and bounding box."""
    n = len(xyz)
    order = np.arange(n)
    cap = 2 * (n // _LEAF + 1) * 2 + 4
    node = np.full((cap, 4), -1, np.int64)
    box = np.zeros((cap, 6), np.float64)
    stack = np.empty(cap, np.int64)
    node[0, 0], node[0, 1] = 0, n
    count, top = 1, 1
    stack[0] = 0
    while top > 0:
        top -= 1
        k = stack[top]
        lo, hi = node[k, 0], node[k, 1]
        for d in range(3):
            box[k, d] = np.inf
            box[k, 3 + d] = -np.inf
        for q in range(lo, hi):
            for d in range(3):
                v = xyz[order[q], d]
                box[k, d] = min(box[k, d], v)
                box[k, 3 + d] = max(box[k, 3 + d], v)
        if hi - lo <= _LEAF:
            continue
        axis = 0
        for d in range(1, 3):
            if box[k, 3 + d] - box[k, d] > box[k, 3 + axis] - box[k, axis]:
                axis = d
        part = order[lo:hi]
        sort = np.argsort(xyz[part, axis])
        order[lo:hi] = part[sort]
        mid = (lo + hi) // 2
        for lo2, hi2 in ((lo, mid), (mid, hi)):
            node[count, 0], node[count, 1] = lo2, hi2
            stack[top] = count
            top += 1
            count += 1
        node[k, 2], node[k, 3] = count - 2, count - 1
    return order, node[:count].copy(), box[:count].copy()


@numba.njit(cache=True)
def _box_chord(q: FloatArray, box: FloatArray, k: int) -> float:
    """Least Euclidean distance from ``q`` to node ``k``'s box."""
    s = 0.0
    for d in range(3):
        if q[d] < box[k, d]:
            g = box[k, d] - q[d]
            s += g * g
        elif q[d] > box[k, 3 + d]:
            g = q[d] - box[k, 3 + d]
            s += g * g
    return math.sqrt(s)


@numba.njit(cache=True, parallel=True)
def _priced_search(
    xyz: FloatArray,
    order: IntArray,
    node: IntArray,
    box: FloatArray,
    price: IntArray,
    branches: IntArray,
    queries: FloatArray,
    members: IntArray,
    limit: FloatArray,
    starts: IntArray,
    arc_branch: IntArray,
    max_chord: float,
    want: int,
) -> tuple[IntArray, FloatArray]:
    """Per query (member ``members[r]`` at ``queries[r]``), the ``want`` pool branches of least
    metres + price below ``limit[r]`` that are not yet its arcs: global branch ids (-1 when
    fewer) and their approximate values, cheapest first."""
    nq = len(queries)
    nn = len(node)
    radius2 = 2.0 * EARTH_RADIUS_M
    out_b = np.full((nq, want), -1, np.int64)
    out_v = np.full((nq, want), np.inf, np.float64)
    minp = np.empty(nn, np.float64)
    for k in range(nn - 1, -1, -1):
        if node[k, 2] < 0:
            low = np.inf
            for q in range(node[k, 0], node[k, 1]):
                low = min(low, float(price[order[q]]))
            minp[k] = low
        else:
            minp[k] = min(minp[node[k, 2]], minp[node[k, 3]])
    for r in numba.prange(nq):
        q = queries[r]
        member = members[r]
        found = 0
        stack = np.empty(64, np.int64)
        top = 1
        stack[0] = 0
        while top > 0:
            top -= 1
            k = stack[top]
            bound = limit[r] + _SEARCH_SLACK
            if found == want:
                bound = min(bound, out_v[r, want - 1])
            chord = _box_chord(q, box, k)
            if chord > max_chord:
                continue
            lb = radius2 * math.asin(min(chord / 2.0, 1.0)) - 1.0 + minp[k]
            if lb >= bound:
                continue
            if node[k, 2] >= 0:
                left, right = node[k, 2], node[k, 3]
                if _box_chord(q, box, left) < _box_chord(q, box, right):
                    left, right = right, left
                stack[top] = left  # the farther child waits below the nearer one
                stack[top + 1] = right
                top += 2
                continue
            for s in range(node[k, 0], node[k, 1]):
                j = order[s]
                dx = q[0] - xyz[j, 0]
                dy = q[1] - xyz[j, 1]
                dz = q[2] - xyz[j, 2]
                c = math.sqrt(dx * dx + dy * dy + dz * dz)
                if c > max_chord:
                    continue
                v = radius2 * math.asin(min(c / 2.0, 1.0)) + price[j]
                if v >= bound:
                    continue
                g = branches[j]
                known = False
                for a in range(starts[member], starts[member + 1]):
                    if arc_branch[a] == g:
                        known = True
                        break
                if known:
                    continue
                pos = found if found < want else want - 1
                while pos > 0 and out_v[r, pos - 1] > v:
                    out_v[r, pos] = out_v[r, pos - 1]
                    out_b[r, pos] = out_b[r, pos - 1]
                    pos -= 1
                out_v[r, pos] = v
                out_b[r, pos] = g
                if found < want:
                    found += 1
                if found == want:
                    bound = min(bound, out_v[r, want - 1])
    return out_b, out_v


# ----- prices (dual potentials) -------------------------------------------------------------------
@dataclass
class _Exchange:
    tail: IntArray
    head: IntArray
    weight: IntArray


def _exchange_graph(
    branch_of: IntArray,
    cost_of: IntArray,
    c: Candidates,
    free_node: int,
    unassigned_cost: int | None,
) -> _Exchange:
    """Branch → branch arcs: a member at ``a`` could move to ``b`` at cost change ``w``; the
    least ``w`` per pair. Node ``free_node`` stands for "unassigned" when that is allowed."""
    am, ab, ac = c.arc_member, c.arc_branch, c.arc_cost
    at = branch_of[am]
    tails = [np.where(at < 0, free_node, at)]
    heads = [ab]
    weights = [ac - cost_of[am]]
    if unassigned_cost is not None:  # an assigned member may leave: a → free node
        who = np.flatnonzero(branch_of >= 0)
        tails.append(branch_of[who])
        heads.append(np.full(len(who), free_node, np.int64))
        weights.append(unassigned_cost - cost_of[who])
    tail = np.concatenate(tails)
    head = np.concatenate(heads)
    weight = np.concatenate(weights)
    ok = tail != head
    tail, head, weight = tail[ok], head[ok], weight[ok]
    key = tail * (free_node + 1) + head
    order = np.argsort(key, kind="stable")
    key, weight = key[order], weight[order]
    if not len(key):
        return _Exchange(key, key, weight)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    best = np.minimum.reduceat(weight, first) if len(first) else weight[:0]
    key = key[first]
    return _Exchange(key // (free_node + 1), key % (free_node + 1), best)


def least_prices(graph: _Exchange, nodes: int) -> tuple[IntArray, bool, IntArray, int]:
    """The least non-negative potentials ``p`` with ``p[head] >= p[tail] - weight`` on every
    arc (Bellman-Ford from a virtual source joined to every node at zero cost).

    Returns the prices, whether Bellman-Ford converged (no improving cycle), per node the arc
    that sets its price (-1 for a price of zero; following these back walks the exchange chain
    behind a price), and the number of passes."""
    q = np.zeros(nodes, dtype=np.int64)  # q = -p
    pred = np.full(nodes, -1, dtype=np.int64)
    if not len(graph.tail):
        return q, True, pred, 0
    order = np.argsort(graph.head, kind="stable")
    tail, head, weight = graph.tail[order], graph.head[order], graph.weight[order]
    first = np.flatnonzero(np.r_[True, head[1:] != head[:-1]])
    heads = head[first]
    converged = False
    passes = 0
    for passes in range(1, MAX_PASSES + 4 * int(math.sqrt(nodes)) + 1):  # noqa: B007
        best = np.minimum.reduceat(q[tail] + weight, first)
        lower = best < q[heads]
        if not lower.any():
            converged = True
            break
        q[heads[lower]] = best[lower]
    vals = q[tail] + weight
    group = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(tail)]))
    best = np.minimum.reduceat(vals, first)
    tight_idx = np.flatnonzero(vals <= best[group])
    g_first, pos = np.unique(group[tight_idx], return_index=True)
    chosen = tight_idx[pos]
    has_price = best[g_first] < 0
    pred[heads[g_first][has_price]] = order[chosen[has_price]]
    return -q, converged, pred, passes


# ----- the driver --------------------------------------------------------------------------------
def _lower_bound(c: Candidates, problem: Problem, prices: IntArray) -> int:
    """Weak duality: for prices ``p >= 0`` (zero on "unassigned"), ``sum_i min_j (c_ij + p_j)
    - sum_j cap_j p_j`` bounds every assignment's cost from below. Candidates give exact
    values; every other branch costs at least the member's plain bound (the first branch
    beyond its k nearest), and its price is not negative."""
    m = problem.m
    p = prices[:m].copy()
    value = c.arc_cost + p[c.arc_branch]
    starts_of = c.starts()
    has = starts_of[1:] > starts_of[:-1]
    u = np.full(problem.n, INF, dtype=np.int64)
    if len(value):
        u[has] = np.minimum.reduceat(value, starts_of[:-1][has])
    if problem.unassigned_cost is not None:
        u = np.minimum(u, problem.unassigned_cost)
    u = np.minimum(u, c.bound)
    return int(u.sum()) - int((problem.capacity * p).sum()) if (u < INF).all() else -INF


def _exact_bound(
    branch_of: IntArray,
    cost_of: IntArray,
    c: Candidates,
    problem: Problem,
    prices: IntArray,
    vm: IntArray,
    vb: IntArray,
    vc: IntArray,
) -> int:
    """The dual bound with exact member values: the least of each member's candidates and
    cheaper columns found (every other branch costs at least the member's own seat)."""
    m = problem.m
    p = prices[:m]
    value = c.arc_cost + p[c.arc_branch]
    starts = c.starts()
    has = starts[1:] > starts[:-1]
    u = np.full(problem.n, INF, dtype=np.int64)
    if len(value):
        u[has] = np.minimum.reduceat(value, starts[:-1][has])
    if len(vm):
        np.minimum.at(u, vm, vc + p[vb])
    if problem.unassigned_cost is not None:
        u = np.minimum(u, problem.unassigned_cost)
    if (u >= INF).any():
        return -INF
    return int(u.sum()) - int((problem.capacity * p).sum())


def _inner_prices(
    branch_of: IntArray, cost_of: IntArray, c: Candidates, problem: Problem, tile: IntArray
) -> IntArray:
    """Prices from the exchange arcs inside tiles only (each tile was solved exactly on those
    arcs, so Bellman-Ford converges): valid prices for a lower bound."""
    m = problem.m
    graph = _exchange_graph(branch_of, cost_of, c, m, problem.unassigned_cost)
    t = np.r_[tile, -1]
    keep = (t[graph.tail] == t[graph.head]) & (graph.tail < m)
    inner = _Exchange(graph.tail[keep], graph.head[keep], graph.weight[keep])
    prices, _converged, _pred, _passes = least_prices(inner, m + 1)
    return prices


def solve(
    problem: Problem,
    *,
    k: int = 8,
    gap: float = 0.0,
    max_rounds: int = 40,
    progress: Progress | None = None,
    what: str = "assignment",
) -> Solution:
    """Solve ``problem`` exactly (``gap=0``) or to a proven relative ``gap``."""
    started = time.perf_counter()
    n, m = problem.n, problem.m
    report = progress or (lambda _stage, _fraction: None)
    _check(problem)
    if n == 0:
        return Solution(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            0,
            0,
            True,
            0,
            0,
            np.zeros(m, np.int64),
            0.0,
        )
    _precheck(problem, what)
    if n > GLOBAL_MEMBERS:
        report("candidates", 0.02)
        c = Candidates(problem, k)
        _reachable(problem, c, what)
        stats: dict[str, float] = {"candidates_s": time.perf_counter() - started}
        report("solve", 0.05)
        return _solve_large(problem, c, gap, max_rounds, report, what, started, stats)
    # Members and branches renumbered so that neighbours are near in memory (the compiled
    # searches run twice as fast); the answer and any error speak of the caller's indices.
    local, member_at, branch_at = _reordered(problem)
    try:
        sol = _solve_whole(local, k, gap, max_rounds, report, what, started)
    except InfeasibleError as error:
        raise InfeasibleError(
            missing=error.missing,
            shortages=tuple(
                replace(s, branches=tuple(sorted(int(branch_at[b]) for b in s.branches)))
                for s in error.shortages
            ),
            unreachable=np.sort(member_at[error.unreachable]),
            what=error.what,
        ) from None
    branch = np.full(n, -1, np.int64)
    cost = np.zeros(n, np.int64)
    prices = np.zeros(m, np.int64)
    branch[member_at] = np.where(sol.branch >= 0, branch_at[np.maximum(sol.branch, 0)], -1)
    cost[member_at] = sol.cost
    prices[branch_at] = sol.prices
    return replace(sol, branch=branch, cost=cost, prices=prices)


def _reachable(problem: Problem, c: Candidates, what: str) -> None:
    """Every member must have an allowed branch unless it may stay unassigned."""
    if problem.unassigned_cost is None:
        none = np.flatnonzero(np.diff(c.starts()) == 0)
        if len(none):
            raise InfeasibleError(missing=len(none), unreachable=none, what=what)


def _reordered(problem: Problem) -> tuple[Problem, IntArray, IntArray]:
    """The problem with branches in k-d tree order and members by their nearest branch;
    returns it with, per new index, the original member and branch."""
    xyz = np.ascontiguousarray(problem.branch_xyz, dtype=np.float64)
    branch_at = _kd_build(xyz)[0].astype(np.int64)
    new_of = np.empty(problem.m, np.int64)
    new_of[branch_at] = np.arange(problem.m)
    near = np.zeros(problem.n, np.int64)
    if problem.m:
        _d, j = cKDTree(xyz[branch_at]).query(problem.member_xyz, k=1, workers=-1)
        near = np.asarray(j, dtype=np.int64)
    member_at = np.argsort(near, kind="stable").astype(np.int64)

    def by_member(a: IntArray | None) -> IntArray | None:
        return None if a is None else a[member_at]

    def by_branch(a: IntArray | None) -> IntArray | None:
        return None if a is None else a[branch_at]

    current = None
    if problem.current is not None:
        cur = problem.current[member_at]
        current = np.where(cur >= 0, new_of[np.maximum(cur, 0)], -1)
    local = replace(
        problem,
        member_xyz=problem.member_xyz[member_at],
        branch_xyz=xyz[branch_at],
        capacity=problem.capacity[branch_at],
        member_group=by_member(problem.member_group),
        branch_group=by_branch(problem.branch_group),
        member_class=by_member(problem.member_class),
        branch_class=by_branch(problem.branch_class),
        current=current,
    )
    return local, member_at, branch_at


def _guide_prices(problem: Problem, k: int, max_rounds: int, what: str) -> IntArray | None:
    """Prices from a sample: every ``GUIDE_STEP``-th member of each group (members are in
    order of their nearest branch, so the sample is spread like them) and as many times fewer
    seats, solved exactly. Their prices approximate the full problem's, which tells each
    member which branches beyond its nearest are worth an arc. None when the sample has no
    clean answer."""
    step = GUIDE_STEP
    n, m = problem.n, problem.m
    member_group = problem.member_group if problem.member_group is not None else np.zeros(n)
    branch_group = problem.branch_group if problem.branch_group is not None else np.zeros(m)
    keep = np.zeros(n, dtype=bool)
    capacity = np.zeros(m, np.int64)
    for g in np.unique(member_group):  # per group, so that no group's sample lacks seats
        who = np.flatnonzero(member_group == g)
        keep[who[::step]] = True
        idx = np.flatnonzero(branch_group == g)
        seats = np.ceil(np.cumsum(problem.capacity[idx]) / step).astype(np.int64)
        capacity[idx] = np.diff(np.r_[0, seats])  # spread evenly along the branches' order
    pick = np.flatnonzero(keep)

    def sample(a: IntArray | None) -> IntArray | None:
        return None if a is None else a[pick]

    sub = replace(
        problem,
        member_xyz=problem.member_xyz[pick],
        capacity=capacity,
        member_group=sample(problem.member_group),
        member_class=sample(problem.member_class),
        current=sample(problem.current),
        unassigned_cost=(
            problem.unassigned_cost if problem.unassigned_cost is not None else OVERFLOW_COST
        ),
    )
    sol = _solve_whole(sub, k, 0.0, max_rounds, lambda _s, _f: None, what, time.perf_counter())
    if problem.unassigned_cost is None and (sol.branch < 0).any():
        return None  # seats short in the sample: its prices say nothing useful
    return np.r_[sol.prices, 0].astype(np.int64)


def _solve_whole(
    problem: Problem,
    k: int,
    gap: float,
    max_rounds: int,
    report: Progress,
    what: str,
    started: float,
) -> Solution:
    """``solve`` up to ``GLOBAL_MEMBERS``: the exact optimum on the candidate arcs, then
    cheaper columns from the certificate, until none is left (or the gap is proven)."""
    n, m = problem.n, problem.m
    report("candidates", 0.02)
    c = Candidates(problem, k)
    _reachable(problem, c, what)
    stats: dict[str, float] = {"candidates_s": time.perf_counter() - started}
    report("solve", 0.05)
    branch_of = np.full(n, -1, np.int64)
    prices = np.zeros(m + 1, np.int64)
    guide = _guide_prices(problem, k, max_rounds, what) if n > GUIDE_MEMBERS else None
    if guide is not None:
        # Where capacity is tight the optimum sends members past their nearest branches:
        # the columns cheapest at the sample's prices are those it uses.
        c.add(*c.cheapest(guide[:m], GUIDE_COLUMNS))
        prices = guide
        stats["guide_s"] = time.perf_counter() - started - stats["candidates_s"]
    branch_of, cost_of, prices, runs = _solve_sparse(problem, c, prices, branch_of)
    stats["initial_s"] = time.perf_counter() - started - stats["candidates_s"]
    rounds = 0
    lb = -INF
    optimal = False
    must = problem.unassigned_cost is None
    while True:
        rounds += 1
        overflow = branch_of < 0 if must else np.zeros(n, dtype=bool)
        report("certificate", min(0.95, 0.4 + 0.1 * rounds))
        if not overflow.any():
            # The prices are exact duals of the sparse problem; the full problem may still
            # have cheaper columns (branches beyond a member's candidates).
            vm, vb, vc = c.violations(branch_of, cost_of, prices[:m])
            lb = _exact_bound(branch_of, cost_of, c, problem, prices, vm, vb, vc)
            if not len(vm):
                optimal = True
                break
            total = int(cost_of.sum())
            if gap > 0 and lb > -INF and total - lb <= gap * max(abs(lb), 1):
                break
            if rounds >= max_rounds:
                break
            # Add the cheaper columns and solve again from the current seats and prices: only
            # the members they attract move, and only the chains of moves they set off.
            c.add(vm, vb, vc)
            if len(np.unique(vm)) > n * COLD_SHARE:
                prices = np.zeros(m + 1, np.int64)
                branch_of = np.full(n, -1, np.int64)
        else:
            if rounds >= max_rounds:
                _raise_infeasible(problem, c, branch_of, what)
            # Members left over, and the members at the branches they could use: where
            # capacity is tight, everyone nearby needs more room to move.
            left = np.flatnonzero(overflow)
            near = np.zeros(m, dtype=bool)
            near[c.arc_branch[np.isin(c.arc_member, left)]] = True
            crowd = np.flatnonzero((branch_of >= 0) & near[np.maximum(branch_of, 0)])
            widened = c.widen(left)
            if not len(widened) and not len(c.widen(crowd)):
                _raise_infeasible(problem, c, branch_of, what)  # a real cut: no seats left
        branch_of, cost_of, prices, more = _solve_sparse(problem, c, prices, branch_of)
        runs += more
    stats["searches"] = runs
    stats["rounds"] = rounds
    report("done", 1.0)
    return Solution(
        branch=branch_of,
        cost=cost_of,
        total=int(cost_of.sum()),
        lower_bound=lb,
        optimal=optimal,
        rounds=rounds,
        arcs=len(c.arc_member),
        prices=prices[:m],
        seconds=time.perf_counter() - started,
        stats=stats,
    )


def _solve_large(
    problem: Problem,
    c: Candidates,
    gap: float,
    max_rounds: int,
    report: Progress,
    what: str,
    started: float,
    stats: dict[str, float],
) -> Solution:
    """Millions of members: window by window (partitions whose seams cross), each window an
    exact min-cost flow, until the dual bound proves the cost within ``gap`` or a pass no
    longer lowers it. The bound is the best of: zero prices (everyone at the nearest allowed
    branch), the least potentials inside the last pass's windows, and subgradient steps on
    the prices (the Lagrangian of the capacities); every one is valid for the full problem."""
    m = problem.m
    branch_of, cost_of = _initial(problem, c, report)
    stats["initial_s"] = time.perf_counter() - started - stats["candidates_s"]
    zero = np.zeros(m + 1, np.int64)
    lb = _lower_bound(c, problem, zero)
    prices = zero
    rounds = 0
    must = problem.unassigned_cost is None
    previous = INF
    while True:
        rounds += 1
        overflow = branch_of < 0 if must else np.zeros(problem.n, dtype=bool)
        report("certificate", min(0.95, 0.5 + 0.1 * rounds))
        total = int(cost_of.sum())
        if not overflow.any():
            inner = _inner_prices(branch_of, cost_of, c, problem, c.last_part)
            load = np.bincount(branch_of[branch_of >= 0], minlength=m)
            inner = np.where(np.r_[load < problem.capacity, True], 0, inner)  # room: price 0
            bound = _lower_bound(c, problem, inner)
            if bound > lb:
                lb, prices = bound, inner
            if gap > 0 and total - lb > gap * max(abs(lb), 1):
                bound, lag = _lagrangian_bound(
                    c, problem, total, prices, iterations=LAGRANGIAN_STEPS if rounds == 1 else 40
                )
                if bound > lb:
                    lb, prices = bound, np.r_[lag, 0]
            if gap > 0 and lb > -INF and total - lb <= gap * max(abs(lb), 1):
                break
            if total >= previous:  # the last pass found nothing better: stop with the bound
                break
        previous = total
        if rounds >= max(2, min(max_rounds, 6)):
            if overflow.any():
                _raise_infeasible(problem, c, branch_of, what)
            break
        if overflow.any():
            left = np.flatnonzero(overflow)
            near = np.zeros(m, dtype=bool)
            near[c.arc_branch[np.isin(c.arc_member, left)]] = True
            c.widen(left)
            c.widen(np.flatnonzero((branch_of >= 0) & near[np.maximum(branch_of, 0)]))
        # Another pass, cut in a frame turned a little further, so new seams fall elsewhere.
        part = _turned_partition(problem, c, rounds)
        branch_of, cost_of = _window_pass(
            problem, c, branch_of, cost_of, part, report=report, span=(0.5, 0.9)
        )
        c.last_part = part
    report("done", 1.0)
    stats["rounds"] = rounds
    return Solution(
        branch=branch_of,
        cost=cost_of,
        total=int(cost_of.sum()),
        lower_bound=lb,
        optimal=lb == int(cost_of.sum()),
        rounds=rounds,
        arcs=len(c.arc_member),
        prices=prices[:m],
        seconds=time.perf_counter() - started,
        stats=stats,
    )


def _lagrangian_bound(
    c: Candidates, problem: Problem, upper: int, prices: IntArray, iterations: int = 40
) -> tuple[int, IntArray]:
    """Raise the dual bound by subgradient steps on the branch prices (the Lagrangian of the
    capacity constraints), Polyak's step towards the known cost ``upper``. Every iterate is a
    valid bound (weak duality, prices >= 0); the best is returned with its prices."""
    m = problem.m
    p = prices[:m].astype(np.float64).copy()
    starts = c.starts()
    has = starts[1:] > starts[:-1]
    first = starts[:-1][has]
    ab, ac = c.arc_branch, c.arc_cost
    members = np.flatnonzero(has)
    cap = problem.capacity.astype(np.float64)
    outside = c.bound.astype(np.float64)  # beyond the candidates: at least this (prices >= 0)
    if problem.unassigned_cost is not None:
        outside = np.minimum(outside, problem.unassigned_cost)
    best, best_p = -INF, prices[:m].copy()
    width = m + 1
    for _ in range(iterations):
        # One reduction gives each member's least value and its branch: value * (m+1) + branch.
        key = (ac + np.rint(p).astype(np.int64)[ab]) * width + ab
        low_key = np.minimum.reduceat(key, first)
        low, chosen = low_key // width, low_key % width
        u = np.minimum(low, outside[members])
        bound = float(u.sum()) - float((cap * np.rint(p)).sum())
        if bound > best:
            best, best_p = int(np.floor(bound)), np.rint(p).astype(np.int64)
        # Subgradient: members choosing each branch (at these prices) minus its seats.
        demand = np.bincount(chosen[low <= outside[members]], minlength=m).astype(np.float64)
        g = demand - cap
        g[(p <= 0) & (g < 0)] = 0.0
        norm = float((g * g).sum())
        if norm == 0 or upper - bound <= 0:
            break
        p = np.maximum(p + (upper - bound) / norm * g, 0.0)
    return best, best_p


def _turned_partition(problem: Problem, c: Candidates, turn: int) -> IntArray:
    plane = _plane(problem.branch_xyz)
    demand = np.bincount(c.arc_branch, minlength=problem.m).astype(np.int64)
    weight = np.maximum(np.minimum(demand, problem.capacity), 1)
    angle = math.pi / 8 * (1 + 2 * turn) if turn >= 0 else 0.0
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return _tiles(plane @ rot, weight, TILE_MEMBERS)


def _check(problem: Problem) -> None:
    if len(problem.capacity) != problem.m:
        raise InputError("capacity: one value per branch expected")
    if (problem.capacity < 0).any():
        raise InputError("capacity: negative values")


def _precheck(problem: Problem, what: str) -> None:
    """The counting argument first: fewer seats than members (in all, or in a group)."""
    if problem.unassigned_cost is not None:
        return
    n = problem.n
    if problem.member_group is None or problem.branch_group is None:
        seats = int(problem.capacity.sum())
        if seats < n:
            centre = to_points(problem.member_xyz.mean(axis=0, keepdims=True))[0]
            raise InfeasibleError(
                missing=n - seats,
                shortages=(
                    Shortage("", n, seats, n - seats, (float(centre[0]), float(centre[1]))),
                ),
                what=what,
            )
        return
    groups = np.unique(problem.member_group)
    shortages = []
    for g in groups:
        who = problem.member_group == g
        cap = int(problem.capacity[problem.branch_group == g].sum())
        if cap < int(who.sum()):
            centre = to_points(problem.member_xyz[who].mean(axis=0, keepdims=True))[0]
            shortages.append(
                Shortage(
                    str(int(g)),
                    int(who.sum()),
                    cap,
                    int(who.sum()) - cap,
                    (float(centre[0]), float(centre[1])),
                    tuple(int(b) for b in np.flatnonzero(problem.branch_group == g)),
                )
            )
    if shortages:
        raise InfeasibleError(
            missing=sum(s.missing for s in shortages), shortages=tuple(shortages), what=what
        )


def _flow_for(
    problem: Problem,
    c: Candidates,
    members: IntArray,
    capacity: IntArray,
    allowed: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Solve the members given (global indices) exactly over their arcs with ``capacity``
    (``_ssp`` from zero prices); returns branch (-1: left over) and cost per member."""
    starts = c.starts()
    counts = starts[members + 1] - starts[members]
    arc_idx = np.repeat(starts[members], counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    if allowed is not None:
        arc_idx = arc_idx[allowed[c.arc_branch[arc_idx]]]
    local = np.searchsorted(members, c.arc_member[arc_idx])
    free_cost = problem.unassigned_cost if problem.unassigned_cost is not None else OVERFLOW_COST
    branch = np.full(len(members), -1, np.int64)
    cost = np.full(len(members), free_cost, np.int64)
    if not len(arc_idx):
        return branch, cost
    # Only the branches these members can use, renumbered (the window's own small problem).
    used, local_branch = np.unique(c.arc_branch[arc_idx], return_inverse=True)
    local_starts = np.r_[0, np.cumsum(np.bincount(local, minlength=len(members)))]
    b, co, _work = _ssp(
        local_starts.astype(np.int64),
        local_branch.astype(np.int64),
        c.arc_cost[arc_idx],
        int(free_cost),
        capacity[used].astype(np.int64),
        np.zeros(len(used) + 1, np.int64),
        np.full(len(members), -1, np.int64),
    )
    seated = b < len(used)
    branch[seated] = used[b[seated]]
    cost[seated] = co[seated]
    return branch, cost


def _solve_sparse(
    problem: Problem, c: Candidates, prices: IntArray, branch_of: IntArray
) -> tuple[IntArray, IntArray, IntArray, int]:
    """The exact optimum over the candidate arcs and its prices (``_ssp``), warm-started from
    ``prices`` (per branch, the free node last) and ``branch_of`` (-1: unassigned). Returns
    branch and cost per member (-1 and the unassigned or overflow cost when left over), the
    prices and the number of shortest-path searches."""
    m = problem.m
    free_cost = problem.unassigned_cost if problem.unassigned_cost is not None else OVERFLOW_COST
    price = prices.astype(np.int64, copy=True)
    b, cost, runs = _ssp(
        c.starts(),
        c.arc_branch,
        c.arc_cost,
        int(free_cost),
        problem.capacity.astype(np.int64),
        price,
        branch_of.astype(np.int64),
    )
    b[b == m] = -1
    return b, cost, price, int(runs[0])


def _plane(xyz: FloatArray) -> FloatArray:
    """Points as (east, north) coordinates in the tangent plane at their centre."""
    centre = xyz.mean(axis=0)
    norm = np.linalg.norm(centre)
    up = centre / norm if norm > 0 else np.array([0.0, 0.0, 1.0])
    east = np.cross([0.0, 0.0, 1.0], up)
    if np.linalg.norm(east) < 1e-9:
        east = np.array([1.0, 0.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    return np.column_stack((xyz @ east, xyz @ north))


def _tiles(points: FloatArray, weight: IntArray, per_tile: int) -> IntArray:
    """Split points (2-d) into compact tiles of about ``per_tile`` total weight: recursive
    bisection at the weighted median of the wider coordinate."""
    tile = np.zeros(len(points), dtype=np.int64)
    stack = [np.arange(len(points), dtype=np.int64)]
    parts: list[IntArray] = []
    while stack:
        idx = stack.pop()
        total = int(weight[idx].sum())
        if total <= per_tile * 1.5 or len(idx) < 4:
            parts.append(idx)
            continue
        pts = points[idx]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        order = np.argsort(pts[:, axis], kind="stable")
        cut = int(np.searchsorted(np.cumsum(weight[idx][order]), total / 2))
        cut = min(max(cut, 1), len(idx) - 1)
        stack += [idx[order[:cut]], idx[order[cut:]]]
    for t, idx in enumerate(parts):
        tile[idx] = t
    return tile


def _nearest_arc(c: Candidates, n: int) -> IntArray:
    """Per member, the index of its cheapest arc (-1 when it has none)."""
    starts = c.starts()
    has = starts[1:] > starts[:-1]
    out = np.full(n, -1, np.int64)
    if not len(c.arc_member):
        return out
    best = np.full(n, INF, np.int64)
    best[has] = np.minimum.reduceat(c.arc_cost, starts[:-1][has])
    idx = np.flatnonzero(c.arc_cost == best[c.arc_member])
    _u, first = np.unique(c.arc_member[idx], return_index=True)
    out[c.arc_member[idx[first]]] = idx[first]
    return out


def _window_pass(
    problem: Problem,
    c: Candidates,
    branch_of: IntArray,
    cost_of: IntArray,
    part: IntArray,
    report: Progress | None = None,
    span: tuple[float, float] = (0.0, 1.0),
) -> tuple[IntArray, IntArray]:
    """Re-solve window by window (``part``: window per branch, -1 none): in each, the members
    now at its branches and the members left over whose nearest branch is there, over all
    their candidate branches with the seats the others leave. Each window's answer is exact
    given the rest, so a pass never raises the cost."""
    n = problem.n
    branch_of, cost_of = branch_of.copy(), cost_of.copy()
    nearest = _nearest_arc(c, n)
    label = np.full(n, -1, np.int64)
    at = branch_of >= 0
    label[at] = part[branch_of[at]]
    left = ~at & (nearest >= 0)
    label[left] = part[c.arc_branch[nearest[left]]]
    if (label < 0).all():
        return branch_of, cost_of
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(int(label.max()) + 2))
    todo = np.unique(label[label >= 0])
    load = np.bincount(branch_of[at], minlength=problem.m)
    for done, w in enumerate(todo):
        who = np.sort(order[bounds[w] : bounds[w + 1]])
        mine = branch_of[who]
        np.subtract.at(load, mine[mine >= 0], 1)
        b, co = _flow_for(problem, c, who, np.maximum(problem.capacity - load, 0))
        np.add.at(load, b[b >= 0], 1)
        branch_of[who], cost_of[who] = b, co
        if report is not None and done % 8 == 0:
            report("windows", span[0] + (span[1] - span[0]) * (done + 1) / len(todo))
    return branch_of, cost_of


def _initial(problem: Problem, c: Candidates, report: Progress) -> tuple[IntArray, IntArray]:
    """A first solution: exact when small; else tile by tile (later passes, cut in turned
    frames, move the seams)."""
    n = problem.n
    if n <= TILE_MEMBERS * 1.5:
        return _flow_for(problem, c, np.arange(n, dtype=np.int64), problem.capacity)
    branch_of = np.full(n, -1, np.int64)
    cost_of = np.full(
        n,
        problem.unassigned_cost if problem.unassigned_cost is not None else OVERFLOW_COST,
        np.int64,
    )
    first = _turned_partition(problem, c, -1)
    c.last_part = first
    return _window_pass(problem, c, branch_of, cost_of, first, report=report, span=(0.05, 0.4))


def _raise_infeasible(problem: Problem, c: Candidates, branch_of: IntArray, what: str) -> None:
    """Where the seats are missing: the full branches reachable from the members left over
    (a min cut), split into connected regions."""
    m = problem.m
    left = np.flatnonzero(branch_of < 0)
    # Branches any left-over member could use, then everything reachable by moving members.
    reach = np.zeros(m, dtype=bool)
    reach[c.arc_branch[np.isin(c.arc_member, left)]] = True
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
        centre = to_points(xyz.mean(axis=0, keepdims=True))[0]
        label_text = ""
        if problem.branch_group is not None and problem.member_group is not None:
            label_text = str(int(np.bincount(problem.member_group[who_left]).argmax()))
        shortages.append(
            Shortage(
                label_text,
                members_in,
                seats,
                len(who_left),
                (float(centre[0]), float(centre[1])),
                tuple(int(x) for x in branches),
            )
        )
    shortages.sort(key=lambda s: -s.missing)
    unreachable = left[left_region < 0]
    raise InfeasibleError(
        missing=len(left), shortages=tuple(shortages), unreachable=unreachable, what=what
    )
