"""The exact engine behind ``assign`` and ``pair``: capacitated assignment on a sparse graph.

Problem: every member ``i`` goes to one branch ``j`` (or, where allowed, stays unassigned at
a cost), no branch takes more than its capacity, and the total cost is least. The cost of an
arc is the great-circle distance in metres, minus an affinity bonus, plus a moving cost when
the branch is not the member's current one. It is a transportation problem, solved as a
min-cost flow (OR-Tools) on a sparse candidate graph: each member's k nearest branches.

Why the sparse answer is the optimum of the full problem: linear-programming duality. The
dual of the transportation problem has a price ``p_j >= 0`` per branch (zero where the branch
has room) and a value ``u_i`` per member with ``u_i <= c_ij + p_j`` for *every* branch. Given
any ``p >= 0``, ``u_i = min_j (c_ij + p_j)`` is feasible, so ``sum(u) - sum(cap * p)`` is a
lower bound on every assignment's cost (weak duality). For the branches outside a member's
candidate list we do not know ``c_ij``, but we know it is at least ``L_i``, the distance to the
first branch the k-d tree did not return; with ``p >= 0`` the member's value is then
``min(min over candidates (c_ij + p_j), L_i)``, still a valid bound. The prices come from the
sparse solution itself: the least potentials of its exchange graph (branch ``a`` → branch
``b`` when a member at ``a`` could move to ``b``, weight the change in its cost), found by
Bellman-Ford. When the bound equals the cost, the assignment is optimal for the full
problem. Where it does not, it is because a member's candidate list was too short (``L_i``
bound), so those members get more candidates and the problem is solved again: "widening the
candidate set where capacity is tight until the result is provably optimal".

Large instances are first solved tile by tile (branches split into compact tiles, members with
the tile of their nearest branch); the tiles' union is then repaired globally: members whose
exchange arcs still improve the cost under the current prices are freed and re-solved with
the remaining capacity, until no improving arc is left. Every answer carries its lower bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
# A tile holds about this many members: OR-Tools' cost-scaling min-cost flow grows faster than
# linearly on these geometric instances (measured: 25k members 0.7 s, 100k 4.5 s), so many
# small exact problems and a global repair beat one large one.
TILE_MEMBERS = 5_000
# Up to this many members one exact min-cost flow covers them all; above it the first answer
# comes window by window (a 2,000,000-member flow would take minutes) and repair is local.
GLOBAL_MEMBERS = 400_000
# Bellman-Ford passes over the branch exchange graph before we call it non-convergent.
MAX_PASSES = 400  # plus 4 sqrt(m): converged runs took 50-80 passes at m = 3,000
# Price groups per pool in the priced bound (``Candidates.priced_bound``); fewer for millions
# of members, where each group costs a k-d tree query per member.
PRICE_BUCKETS = 12
LARGE_PRICE_BUCKETS = 4
# Subgradient steps for the bound of large instances (100 steps: 99.3% of the optimum on
# 100,000 members / 3,000 branches at 1.5x capacity, about 1 s there).
LAGRANGIAN_STEPS = 100
# Member-branch pairs fetched per ball query in the certificate (memory stays bounded).
_BALL_CHUNK = 4_000_000
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
            self.pools.append(_Pool(int(g), int(c), idx, cKDTree(problem.branch_xyz[idx])))
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

    def priced_bound(self, prices: IntArray, buckets: int = PRICE_BUCKETS) -> IntArray:
        """Per member, a lower bound on ``c_ij + p_j`` over the branches that are *not* its
        candidates: within each pool the branches are grouped by price, and for each group
        the nearest non-candidate branch's cost plus the group's least price bounds them all.
        Tighter than the plain distance bound wherever nearby branches are expensive."""
        p = self.p
        n = p.n
        out = np.full(n, INF, dtype=np.int64)
        upper = p.max_chord if p.max_chord is not None else np.inf
        groups = p.member_group if p.member_group is not None else np.zeros(n, np.int64)
        for pool in self.pools:
            pr = prices[pool.branches]
            positive = np.unique(pr[pr > 0])
            edges = (
                np.unique(np.quantile(positive, np.linspace(0, 1, buckets)).astype(np.int64))
                if len(positive)
                else np.zeros(0, np.int64)
            )
            level = np.where(pr > 0, np.searchsorted(edges, pr, side="right"), 0)
            who = (
                np.flatnonzero(groups == pool.group)
                if p.member_group is not None
                else np.arange(n, dtype=np.int64)
            )
            if not len(who):
                continue
            in_pool = np.zeros(p.m, dtype=np.int64) - 1
            in_pool[pool.branches] = level
            arc_level = in_pool[self.arc_branch]
            for lv in np.unique(level):
                members_lv = pool.branches[level == lv]
                least = int(pr[level == lv].min())
                tree = cKDTree(p.branch_xyz[members_lv])
                # Candidates by k-NN are the nearest of each price group; the current branch,
                # added by hand, is not counted (it may lie beyond closer non-candidates).
                counts = np.bincount(
                    self.arc_member[(arc_level == lv) & ~self.arc_extra], minlength=n
                )[who]
                for cnt in np.unique(counts):
                    q = int(cnt) + 1
                    if q > len(members_lv):
                        continue
                    sel = who[counts == cnt]
                    d, _j = tree.query(
                        p.member_xyz[sel], k=q, distance_upper_bound=upper, workers=-1
                    )
                    d = np.asarray(d, dtype=np.float64).reshape(len(sel), q)[:, -1]
                    fin = np.isfinite(d)
                    val = np.rint(chord_to_metres(d[fin])).astype(np.int64)
                    val += self._adjust(sel[fin], pool.klass) + least
                    out[sel[fin]] = np.minimum(out[sel[fin]], val)
        return out

    def add(self, members: IntArray, branches: IntArray, costs: IntArray) -> None:
        """Add arcs found outside the k-NN lists (marked extra), keeping the arcs sorted."""
        if not len(members):
            return
        am = np.concatenate((self.arc_member, members))
        ab = np.concatenate((self.arc_branch, branches))
        ac = np.concatenate((self.arc_cost, costs))
        extra = np.concatenate((self.arc_extra, np.ones(len(members), dtype=bool)))
        order = np.lexsort((ab, am))
        am, ab, ac, extra = am[order], ab[order], ac[order], extra[order]
        keep = np.r_[True, (am[1:] != am[:-1]) | (ab[1:] != ab[:-1])]
        self.arc_member, self.arc_branch = am[keep], ab[keep]
        self.arc_cost, self.arc_extra = ac[keep], extra[keep]

    def violations(
        self, branch_of: IntArray, cost_of: IntArray, prices: IntArray
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Arcs to branches that are not candidates yet cost less, at ``prices``, than the
        member's own seat: the columns that could still lower the cost (at most
        ``_COLUMNS_PER_MEMBER`` per member, the cheapest; the next round finds the rest). An
        empty answer proves that no such branch exists. Only members whose plain bound (the
        first branch beyond their k nearest) undercuts their seat can have any; a seated member
        looks at every branch within its seat's value (a ball query); a member left over
        (unpaired, whose "seat" may be worth more than any distance) first looks at its nearest
        branches beyond the candidates and needs the ball only when the priced bound says a
        cheaper branch may lie further out."""
        p = self.p
        mine = cost_of + np.where(branch_of >= 0, prices[np.maximum(branch_of, 0)], 0)
        ask = np.flatnonzero(self.bound < mine)
        empty = np.zeros(0, dtype=np.int64)
        if not len(ask):
            return empty, empty, empty
        seated = ask[branch_of[ask] >= 0]
        found = [self._ball(seated, mine, prices)]
        left = ask[branch_of[ask] < 0]
        if len(left):
            near = self._near(left, mine, prices, 4 * int(self.k[left].max()))
            found.append(near)
            missed = np.setdiff1d(left, near[0])
            if len(missed):
                bound = self.priced_bound(prices)
                found.append(self._ball(missed[bound[missed] < mine[missed]], mine, prices))
        vm = np.concatenate([f[0] for f in found])
        vb = np.concatenate([f[1] for f in found])
        vc = np.concatenate([f[2] for f in found])
        if not len(vm):
            return empty, empty, empty
        # The cheapest few per member.
        order = np.lexsort((vc + prices[vb], vm))
        vm, vb, vc = vm[order], vb[order], vc[order]
        first = np.searchsorted(vm, vm, side="left")
        keep = (np.arange(len(vm)) - first) < _COLUMNS_PER_MEMBER
        _u, unique = np.unique(vm[keep] * p.m + vb[keep], return_index=True)
        return vm[keep][unique], vb[keep][unique], vc[keep][unique]

    def _near(
        self, who: IntArray, mine: IntArray, prices: IntArray, k: int
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Cheaper non-candidate branches among the ``k`` nearest of each pool."""
        p = self.p
        groups = p.member_group if p.member_group is not None else np.zeros(p.n, np.int64)
        known = self.arc_member * p.m + self.arc_branch
        out: list[tuple[IntArray, IntArray, IntArray]] = []
        upper = p.max_chord if p.max_chord is not None else np.inf
        for pool in self.pools:
            sel = who[groups[who] == pool.group] if p.member_group is not None else who
            if not len(sel):
                continue
            q = min(k, len(pool.branches))
            d, j = pool.tree.query(p.member_xyz[sel], k=q, distance_upper_bound=upper, workers=-1)
            d = np.asarray(d, dtype=np.float64).reshape(len(sel), q)
            j = np.asarray(j, dtype=np.int64).reshape(len(sel), q)
            ok = np.isfinite(d)
            rows = np.broadcast_to(np.arange(len(sel))[:, None], d.shape)[ok]
            mem = sel[rows]
            br = pool.branches[j[ok]]
            cost = np.rint(chord_to_metres(d[ok])).astype(np.int64)
            cost += self._adjust(sel, pool.klass)[rows]
            fresh = ~np.isin(mem * p.m + br, known)
            cheaper = fresh & (cost + prices[br] < mine[mem])
            out.append((mem[cheaper], br[cheaper], cost[cheaper]))
        if not out:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return (
            np.concatenate([o[0] for o in out]),
            np.concatenate([o[1] for o in out]),
            np.concatenate([o[2] for o in out]),
        )

    def _ball(
        self, ask: IntArray, mine: IntArray, prices: IntArray
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Every non-candidate branch cheaper than the seat, by ball queries of radius the
        seat's value (fetched in bounded chunks)."""
        p = self.p
        n, m = p.n, p.m
        empty = np.zeros(0, dtype=np.int64)
        if not len(ask):
            return empty, empty, empty
        groups = p.member_group if p.member_group is not None else np.zeros(n, np.int64)
        known = self.arc_member * m + self.arc_branch
        out_m, out_b, out_c = [], [], []
        for pool in self.pools:
            who = ask[groups[ask] == pool.group] if p.member_group is not None else ask
            if not len(who):
                continue
            adjust = self._adjust(who, pool.klass)
            radius = mine[who] - adjust  # metres: a cheaper branch is nearer than this
            ok = radius > 0
            who, radius, adjust = who[ok], radius[ok], adjust[ok]
            if not len(who):
                continue
            angle = np.minimum(radius.astype(np.float64) / EARTH_RADIUS_M, np.pi)
            chord = 2.0 * np.sin(angle / 2.0)
            if p.max_chord is not None:
                chord = np.minimum(chord, p.max_chord)
            # Count first, then fetch in chunks of a few million pairs: a member left over
            # (unpaired) may see every branch of its pool within its seat's value.
            hits = np.asarray(
                pool.tree.query_ball_point(
                    p.member_xyz[who], chord, workers=-1, return_length=True
                ),
                dtype=np.int64,
            )
            cuts = np.searchsorted(
                np.cumsum(hits), np.arange(1, hits.sum() // _BALL_CHUNK + 2) * _BALL_CHUNK
            )
            for part in np.split(np.arange(len(who)), np.unique(cuts[cuts < len(who)])):
                if not len(part) or not hits[part].sum():
                    continue
                found = pool.tree.query_ball_point(p.member_xyz[who[part]], chord[part], workers=-1)
                counts = hits[part]
                rows = part[np.repeat(np.arange(len(part)), counts)]
                local = np.fromiter(
                    (j for f in found for j in f), dtype=np.int64, count=int(counts.sum())
                )
                mem = who[rows]
                br = pool.branches[local]
                fresh = ~np.isin(mem * m + br, known)
                mem, br, rows = mem[fresh], br[fresh], rows[fresh]
                metres = np.rint(
                    chord_to_metres(np.linalg.norm(p.member_xyz[mem] - p.branch_xyz[br], axis=1))
                ).astype(np.int64)
                cost = metres + adjust[rows]
                cheaper = cost + prices[br] < mine[mem]
                out_m.append(mem[cheaper])
                out_b.append(br[cheaper])
                out_c.append(cost[cheaper])
        if not out_m:
            return empty, empty, empty
        return np.concatenate(out_m), np.concatenate(out_b), np.concatenate(out_c)

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


def _chain_nodes(graph: _Exchange, pred: IntArray, starts: IntArray, nodes: int) -> BoolArray:
    """Nodes on the price chains that end at ``starts`` (walking ``pred`` back)."""
    seen = np.zeros(nodes, dtype=bool)
    frontier = np.unique(starts)
    while len(frontier):
        frontier = frontier[~seen[frontier]]
        seen[frontier] = True
        arcs = pred[frontier]
        frontier = np.unique(graph.tail[arcs[arcs >= 0]])
    return seen


def _cycle_nodes(graph: _Exchange, pred: IntArray, nodes: int) -> BoolArray:
    """Nodes on cycles of the predecessor graph: the improving (negative) exchange cycles
    that keep Bellman-Ford from converging."""
    has = np.flatnonzero(pred >= 0)
    src = graph.tail[pred[has]]
    g = coo_matrix((np.ones(len(has)), (has, src)), shape=(nodes, nodes)).tocsr()
    _k, label = connected_components(g, directed=True, connection="strong")
    size = np.bincount(label, minlength=nodes)
    on = size[label] > 1
    on[has[src == has]] = True
    return on


# ----- the driver --------------------------------------------------------------------------------
@dataclass
class _Check:
    prices: IntArray  # per branch (and the "unassigned" node last)
    exact: bool  # the prices are exact duals of the sparse solution
    improving: BoolArray  # members on improving chains or cycles: re-solve them
    passes: int
    graph: _Exchange
    hot: BoolArray  # branches (and the "unassigned" node) on those chains and cycles


def _improvements(
    branch_of: IntArray, cost_of: IntArray, c: Candidates, problem: Problem
) -> _Check:
    """Exchange prices of the current solution, and the members that can still lower the
    cost on the sparse graph (none when the prices are exact)."""
    m = problem.m
    free_node = m
    graph = _exchange_graph(branch_of, cost_of, c, free_node, problem.unassigned_cost)
    prices, converged, pred, passes = least_prices(graph, m + 1)
    load = np.bincount(branch_of[branch_of >= 0], minlength=m)
    not_full = np.r_[load < problem.capacity, problem.unassigned_cost is not None]
    # A branch with room (or "unassigned") with a positive price: an improving chain ends there.
    stale = not_full & (prices > 0)
    exact = converged and not stale.any()
    improving = np.zeros(problem.n, dtype=bool)
    hot = np.zeros(m + 1, dtype=bool)
    if not exact:
        hot = _chain_nodes(graph, pred, np.flatnonzero(stale).astype(np.int64), m + 1)
        if not converged:
            hot |= _cycle_nodes(graph, pred, m + 1)
        at = np.where(branch_of < 0, free_node, branch_of)
        improving = hot[at]
    return _Check(prices, exact, improving, passes, graph, hot)


def _lower_bound(
    branch_of: IntArray,
    cost_of: IntArray,
    c: Candidates,
    problem: Problem,
    prices: IntArray,
    *,
    priced: bool = True,
    buckets: int = 0,
) -> tuple[int, BoolArray]:
    """Weak duality: for prices ``p >= 0`` (zero on "unassigned"), ``sum_i min_j (c_ij + p_j)
    - sum_j cap_j p_j`` bounds every assignment's cost from below. Candidates give exact
    values; the others are bounded by ``Candidates.priced_bound``. Returns the bound and the
    members whose bound undercuts their own cost (their candidate lists are too short)."""
    m = problem.m
    p = prices[:m].copy()
    am, ab, ac = c.arc_member, c.arc_branch, c.arc_cost
    value = ac + p[ab]
    starts_of = c.starts()
    has = starts_of[1:] > starts_of[:-1]
    u = np.full(problem.n, INF, dtype=np.int64)
    if len(am):
        u[has] = np.minimum.reduceat(value, starts_of[:-1][has])
    if problem.unassigned_cost is not None:
        u = np.minimum(u, problem.unassigned_cost)
    bound = c.bound
    if priced and p.any():
        bound = c.priced_bound(p, buckets) if buckets else c.priced_bound(p)
    u = np.minimum(u, bound)
    p_of = np.where(branch_of >= 0, p[np.maximum(branch_of, 0)], 0)
    short = bound < cost_of + p_of
    lb = int(u.sum()) - int((problem.capacity * p).sum()) if (u < INF).all() else -INF
    return lb, short


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


def _hot_windows(
    problem: Problem, graph: _Exchange, hot: BoolArray, turn: int, hops: int = 2
) -> IntArray:
    """Windows around the branches where the cost can still fall: the hot branches and their
    neighbours ``hops`` exchange arcs away, cut into tiles of the usual size (in the frame of
    round ``turn``, so seams move from round to round); -1 outside."""
    m = problem.m
    keep = (graph.tail < m) & (graph.head < m)
    tail, head = graph.tail[keep], graph.head[keep]
    zone = hot.copy()
    for _ in range(hops):
        grow = zone.copy()
        grow[head[zone[tail]]] = True
        grow[tail[zone[head]]] = True
        zone = grow
    part = np.full(m, -1, np.int64)
    idx = np.flatnonzero(zone)
    if not len(idx):
        return part
    plane = _plane(problem.branch_xyz)[idx]
    angle = (turn % 4) * math.pi / 8
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    part[idx] = _tiles(plane @ rot, np.maximum(problem.capacity[idx], 1), TILE_MEMBERS)
    return part


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


def _slack(branch_of: IntArray, cost_of: IntArray, c: Candidates, prices: IntArray) -> IntArray:
    """Per member: how much dearer its best alternative is than its own branch under
    ``prices`` (negative: it would rather move; members left over are always negative)."""
    n = len(branch_of)
    value = c.arc_cost + prices[c.arc_branch]
    alt = np.where(c.arc_branch == branch_of[c.arc_member], INF, value)
    starts = c.starts()
    has = starts[1:] > starts[:-1]
    best = np.full(n, INF, dtype=np.int64)
    if len(alt):
        best[has] = np.minimum.reduceat(alt, starts[:-1][has])
    mine = cost_of + np.where(branch_of >= 0, prices[np.maximum(branch_of, 0)], 0)
    return np.where(branch_of >= 0, best - mine, -INF)


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
    report("candidates", 0.02)
    c = Candidates(problem, k)
    if problem.unassigned_cost is None:
        none = np.flatnonzero(np.diff(c.starts()) == 0)
        if len(none):
            raise InfeasibleError(missing=len(none), unreachable=none, what=what)
    stats: dict[str, float] = {"candidates_s": time.perf_counter() - started}
    report("solve", 0.05)
    whole = n <= GLOBAL_MEMBERS
    everyone = np.arange(n, dtype=np.int64)
    if not whole:
        return _solve_large(problem, c, gap, max_rounds, report, what, started, stats)
    branch_of, cost_of = _flow_for(problem, c, everyone, problem.capacity)
    stats["initial_s"] = time.perf_counter() - started - stats["candidates_s"]
    rounds = 0
    lb = -INF
    prices = np.zeros(m + 1, np.int64)
    optimal = False
    must = problem.unassigned_cost is None
    passes = 0
    restricted = False  # the last re-solve freed only some members
    level = 0  # how far the freeing threshold has been raised (see below)
    seen_columns = np.zeros(0, dtype=np.int64)
    while True:
        rounds += 1
        overflow = branch_of < 0 if must else np.zeros(n, dtype=bool)
        check = _improvements(branch_of, cost_of, c, problem)
        passes += check.passes
        total = int(cost_of.sum())
        report("certificate", min(0.95, 0.4 + 0.1 * rounds))
        if check.exact and not overflow.any():
            prices = check.prices
            vm, vb, vc = c.violations(branch_of, cost_of, prices[:m])
            lb = _exact_bound(branch_of, cost_of, c, problem, prices, vm, vb, vc)
            if not len(vm):
                optimal = True
                break
            if gap > 0 and lb > -INF and total - lb <= gap * max(abs(lb), 1):
                break
            if rounds >= max_rounds:
                break
            # Add the cheaper columns, then re-solve the members an improving cycle through
            # them can use. A cycle through a new arc saving s uses only moves that cost less
            # than s over their member's seat, so freeing every member with slack below the
            # largest saving is enough; that is often most members, so we free those below a
            # typical saving first and go up only for columns that remain unused.
            c.add(vm, vb, vc)
            slack = _slack(branch_of, cost_of, c, prices)
            mine = cost_of + np.where(branch_of >= 0, prices[np.maximum(branch_of, 0)], 0)
            saving = mine[vm] - vc - prices[vb]
            again = np.isin(vm * m + vb, seen_columns)
            level = min(level + 1, 6) if again.any() else level
            tau = int(np.quantile(saving, 0.5)) * 4**level
            tau = min(tau, int(saving.max()))
            seen_columns = np.unique(vm * m + vb)
            free = slack < tau
            free[vm] = True
            branch_of, cost_of = _resolve(problem, c, branch_of, cost_of, np.flatnonzero(free))
            restricted = True
            continue
        if gap > 0 and not overflow.any():
            # Not optimal yet, but any prices >= 0 bound the optimum from below.
            load = np.bincount(branch_of[branch_of >= 0], minlength=m)
            rough = np.where(np.r_[load < problem.capacity, True], 0, check.prices)
            lb, _short = _lower_bound(branch_of, cost_of, c, problem, rough)
            if lb > -INF and total - lb <= gap * max(abs(lb), 1):
                prices = rough
                break
        if rounds >= max_rounds:
            if overflow.any():
                _raise_infeasible(problem, c, branch_of, what)
            break
        if overflow.any():
            # Members left over, and the members at the branches they could use: where
            # capacity is tight, everyone nearby needs more room to move.
            left = np.flatnonzero(overflow)
            near = np.zeros(m, dtype=bool)
            near[c.arc_branch[np.isin(c.arc_member, left)]] = True
            crowd = np.flatnonzero((branch_of >= 0) & near[np.maximum(branch_of, 0)])
            widened = c.widen(left)
            c.widen(crowd)
            if not len(widened) and whole and not restricted:
                _raise_infeasible(problem, c, branch_of, what)  # a real cut: no seats left
        branch_of, cost_of = _flow_for(problem, c, everyone, problem.capacity)
        restricted = False
    stats["passes"] = passes
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
    lb, _short = _lower_bound(branch_of, cost_of, c, problem, zero, priced=False)
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
            bound, _short = _lower_bound(branch_of, cost_of, c, problem, inner, priced=False)
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


def _pick(
    c: Candidates, members: IntArray, arc_index: IntArray, problem: Problem
) -> tuple[IntArray, IntArray]:
    """Branch and cost per member from the chosen arc indices (-1: unassigned/overflow)."""
    chosen = arc_index >= 0
    branch = np.full(len(members), -1, np.int64)
    cost = np.full(
        len(members),
        problem.unassigned_cost if problem.unassigned_cost is not None else OVERFLOW_COST,
        np.int64,
    )
    branch[chosen] = c.arc_branch[arc_index[chosen]]
    cost[chosen] = c.arc_cost[arc_index[chosen]]
    return branch, cost


def _flow_for(
    problem: Problem,
    c: Candidates,
    members: IntArray,
    capacity: IntArray,
    allowed: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Solve the members given (global indices) over their arcs with ``capacity``."""
    starts = c.starts()
    counts = starts[members + 1] - starts[members]
    arc_idx = np.repeat(starts[members], counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    if allowed is not None:
        arc_idx = arc_idx[allowed[c.arc_branch[arc_idx]]]
    local = np.searchsorted(members, c.arc_member[arc_idx])
    overflow_cost = (
        problem.unassigned_cost if problem.unassigned_cost is not None else OVERFLOW_COST
    )
    pick = solve_flow(
        local.astype(np.int64),
        c.arc_branch[arc_idx],
        c.arc_cost[arc_idx],
        len(members),
        capacity,
        overflow_cost=overflow_cost,
    )
    chosen = np.full(len(members), -1, dtype=np.int64)
    chosen[pick >= 0] = arc_idx[pick[pick >= 0]]
    return _pick(c, members, chosen, problem)


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


def _resolve(
    problem: Problem, c: Candidates, branch_of: IntArray, cost_of: IntArray, free: IntArray
) -> tuple[IntArray, IntArray]:
    """Re-solve the ``free`` members with the capacity the others leave."""
    fixed = np.ones(problem.n, dtype=bool)
    fixed[free] = False
    used = np.bincount(branch_of[fixed & (branch_of >= 0)], minlength=problem.m)
    residual = np.maximum(problem.capacity - used, 0)
    b, co = _flow_for(problem, c, free, residual)
    branch_of = branch_of.copy()
    cost_of = cost_of.copy()
    branch_of[free], cost_of[free] = b, co
    return branch_of, cost_of


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
