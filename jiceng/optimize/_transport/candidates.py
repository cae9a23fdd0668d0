"""The sparse graph: each member's candidate arcs, and the columns the certificate adds.

``Candidates`` starts every member with its k nearest allowed branches per pool (branches of
one group and affinity class), knows per member the least cost any other branch could have
(``bound``), and grows: ``widen`` where capacity is tight, ``add`` for columns found outside the
nearest, ``violations`` for the certificate (the cheaper columns at given prices, found with
``kdsearch.priced_search``; none proves the sparse optimum optimal for the full problem).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from .._geo import chord_to_metres
from .kdsearch import kd_build, priced_search
from .problem import INF, BoolArray, FloatArray, IntArray, Problem

# Cheaper columns added per member and round (the cheapest; the next round finds the rest).
_COLUMNS_PER_MEMBER = 8
# Arcs made per k-d tree query (members times neighbours): bounds the memory of the query.
_QUERY_ARCS = 2_000_000


@dataclass
class _Pool:
    group: int
    klass: int
    branches: IntArray
    tree: cKDTree
    xyz: FloatArray  # the branches' unit vectors, and their compiled k-d tree (``kd_build``)
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
            order, node, box = kd_build(xyz)
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
                sel_all = np.flatnonzero((groups == g) & (ks == kk))
                for pi in self._eligible(int(g) if p.member_group is not None else None):
                    pool = self.pools[pi]
                    size = len(pool.branches)
                    q = int(min(kk + 1, size))
                    take = min(int(kk), q)
                    # In slices of members: the k-d tree's answers for all of 2,000,000
                    # members at once (distances and indices, 288 MB) and the arrays made
                    # from them held 1.4 GB above the arcs themselves.
                    step = max(1, _QUERY_ARCS // q)
                    for lo in range(0, len(sel_all), step):
                        sel = sel_all[lo : lo + step]
                        who = members[sel]
                        d, j = pool.tree.query(
                            p.member_xyz[who], k=q, distance_upper_bound=upper, workers=-1
                        )
                        d = np.asarray(d, dtype=np.float64).reshape(len(who), q)
                        j = np.asarray(j, dtype=np.int64).reshape(len(who), q)
                        dt = d[:, :take]
                        ok = np.isfinite(dt)
                        rows = np.broadcast_to(who[:, None], dt.shape)[ok].astype(np.int64)
                        br = pool.branches[j[:, :take][ok]]
                        cost = np.rint(chord_to_metres(dt[ok])).astype(np.int64)
                        adj = self._adjust(rows, pool.klass)
                        if adj is not None:
                            cost += adj
                        new_m.append(rows)
                        new_b.append(br)
                        new_c.append(cost)
                        if q > take:  # the first branch not returned bounds all the others
                            dn = d[:, take]
                            fin = np.isfinite(dn)
                            b = np.full(len(who), INF, dtype=np.int64)
                            b[fin] = np.rint(chord_to_metres(dn[fin])).astype(np.int64)
                            more = self._adjust(who[fin], pool.klass)
                            if more is not None:
                                b[fin] += more
                            bound[sel] = np.minimum(bound[sel], b)
                            exhausted[sel] &= ~fin
                        del d, j, dt, ok
        self.bound[members] = bound
        self.exhausted[members] = exhausted
        fresh = self._with_current(
            _joined(new_m[1:], new_m[0]), _joined(new_b[1:], new_b[0]),
            _joined(new_c[1:], new_c[0]), members,
        )  # fmt: skip
        del new_m[1:], new_b[1:], new_c[1:]
        am = _joined([new_m[0], fresh[0]], new_m[0])
        ab = _joined([new_b[0], fresh[1]], new_b[0])
        ac = _joined([new_c[0], fresh[2]], new_c[0])
        extra = _joined([kept_extra, fresh[3]], kept_extra)
        del fresh, new_m, new_b, new_c
        if len(am) > 1 and not (np.diff(am) >= 0).all():  # k-NN rows come member by member
            order = np.argsort(am, kind="stable")
            am, ab, ac, extra = am[order], ab[order], ac[order], extra[order]
        self.arc_member, self.arc_branch, self.arc_cost = am, ab, ac
        self.arc_extra = extra

    def _adjust(self, members: IntArray, klass: int) -> IntArray | None:
        """Bonus and moving cost added to the distance of arcs into a pool (None: none)."""
        p = self.p
        if not (p.bonus is not None and p.member_class is not None) and not (
            p.move_cost and p.current is not None
        ):
            return None
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
        k-d tree that knows each node's least price (``priced_search``) finds the cheapest
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
        best = self.least(self.arc_cost + prices[self.arc_branch])
        ask = np.flatnonzero(self.bound < best)
        return self._search(ask, np.full(self.p.n, INF, np.int64), prices, want)

    def _search(
        self, ask: IntArray, mine: IntArray, prices: IntArray, want: int = _COLUMNS_PER_MEMBER
    ) -> tuple[IntArray, IntArray, IntArray]:
        """For the members ``ask``, the ``want`` non-candidate branches of least cost plus
        price below ``mine`` in each pool (``priced_search``), with their exact costs."""
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
            more = self._adjust(who, pool.klass)
            adjust = more if more is not None else np.zeros(len(who), np.int64)
            limit = mine[who] - adjust  # metres + price must stay below this
            ok = limit > 0
            who, adjust, limit = who[ok], adjust[ok], limit[ok]
            if not len(who):
                continue
            best, _value = priced_search(
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

    def least(self, value: IntArray) -> IntArray:
        """Per member, the least of ``value`` (one entry per arc) over its arcs; ``INF`` for a
        member without arcs."""
        starts = self.starts()
        has = starts[1:] > starts[:-1]
        out = np.full(self.p.n, INF, np.int64)
        if len(value):
            out[has] = np.minimum.reduceat(value, starts[:-1][has])
        return out

    def branches_of(self, members: IntArray) -> BoolArray:
        """Per branch, whether any of ``members`` has an arc to it."""
        out = np.zeros(self.p.m, dtype=bool)
        out[self.arc_branch[np.isin(self.arc_member, members)]] = True
        return out

    def crowd(self, left: IntArray, branch_of: IntArray) -> IntArray:
        """The members seated (``branch_of``) at branches the members ``left`` could use:
        where capacity is tight, everyone nearby needs more room to move."""
        near = self.branches_of(left)
        return np.flatnonzero((branch_of >= 0) & near[np.maximum(branch_of, 0)])

    def starts(self) -> IntArray:
        """Offsets of each member's arcs in the (member-sorted) arc arrays (cached until the
        arcs change)."""
        if self._starts is None or self._starts_for is not self.arc_member:
            self._starts = np.searchsorted(self.arc_member, np.arange(self.p.n + 1)).astype(
                np.int64
            )
            self._starts_for = self.arc_member
        return self._starts


def _joined(parts: list[npt.NDArray[Any]], like: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``parts`` end to end, without a copy when only one is not empty."""
    full = [a for a in parts if len(a)]
    if not full:
        return like[:0]
    return full[0] if len(full) == 1 else np.concatenate(full)


def _merged(old: npt.NDArray[Any], add: npt.NDArray[Any], new: BoolArray) -> npt.NDArray[Any]:
    """``old`` and ``add`` interleaved: ``add`` where ``new``, ``old`` elsewhere."""
    out = np.empty(len(new), dtype=old.dtype)
    out[new] = add
    out[~new] = old
    return out
