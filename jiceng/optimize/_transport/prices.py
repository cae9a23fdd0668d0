"""Dual prices and the lower bounds they prove.

Linear-programming duality: the dual of the transportation problem has a price ``p_j >= 0``
per branch (zero where the branch has room) and a value ``u_i = min_j (c_ij + p_j)`` per
member, and ``sum(u) - sum(cap * p)`` bounds every assignment's cost from below (weak
duality). Here: the least prices of a set of seats on the branch exchange graph
(Bellman-Ford), and the bounds of ``driver`` (exact, from the certificate's columns) and of
``windows`` (from the candidates' plain bounds, the prices inside windows, and subgradient
steps on the Lagrangian of the capacities).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .candidates import Candidates
from .problem import INF, IntArray, Problem

# Bellman-Ford passes over the branch exchange graph before we call it non-convergent.
MAX_PASSES = 400  # plus 4 sqrt(m): converged runs took 50-80 passes at m = 3,000


@dataclass
class Exchange:
    tail: IntArray
    head: IntArray
    weight: IntArray


def exchange_graph(
    branch_of: IntArray,
    cost_of: IntArray,
    c: Candidates,
    free_node: int,
    unassigned_cost: int | None,
) -> Exchange:
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
        return Exchange(key, key, weight)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    best = np.minimum.reduceat(weight, first) if len(first) else weight[:0]
    key = key[first]
    return Exchange(key // (free_node + 1), key % (free_node + 1), best)


def least_prices(graph: Exchange, nodes: int) -> tuple[IntArray, bool, IntArray, int]:
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


def lower_bound(c: Candidates, problem: Problem, prices: IntArray) -> int:
    """Weak duality: for prices ``p >= 0`` (zero on "unassigned"), ``sum_i min_j (c_ij + p_j)
    - sum_j cap_j p_j`` bounds every assignment's cost from below. Candidates give exact
    values; every other branch costs at least the member's plain bound (the first branch
    beyond its k nearest), and its price is not negative."""
    p = prices[: problem.m]
    u = c.least(c.arc_cost + p[c.arc_branch])
    if problem.unassigned_cost is not None:
        u = np.minimum(u, problem.unassigned_cost)
    u = np.minimum(u, c.bound)
    return int(u.sum()) - int((problem.capacity * p).sum()) if (u < INF).all() else -INF


def exact_bound(
    c: Candidates, problem: Problem, prices: IntArray, vm: IntArray, vb: IntArray, vc: IntArray
) -> int:
    """The dual bound with exact member values: the least of each member's candidates and
    the cheaper columns ``vm, vb, vc`` found (member, branch, cost; every other branch costs
    at least the member's own seat)."""
    p = prices[: problem.m]
    u = c.least(c.arc_cost + p[c.arc_branch])
    if len(vm):
        np.minimum.at(u, vm, vc + p[vb])
    if problem.unassigned_cost is not None:
        u = np.minimum(u, problem.unassigned_cost)
    if (u >= INF).any():
        return -INF
    return int(u.sum()) - int((problem.capacity * p).sum())


def inner_prices(
    branch_of: IntArray, cost_of: IntArray, c: Candidates, problem: Problem, tile: IntArray
) -> IntArray:
    """Prices from the exchange arcs inside tiles only (each tile was solved exactly on those
    arcs, so Bellman-Ford converges): valid prices for a lower bound."""
    m = problem.m
    graph = exchange_graph(branch_of, cost_of, c, m, problem.unassigned_cost)
    t = np.r_[tile, -1]
    keep = (t[graph.tail] == t[graph.head]) & (graph.tail < m)
    inner = Exchange(graph.tail[keep], graph.head[keep], graph.weight[keep])
    prices, _converged, _pred, _passes = least_prices(inner, m + 1)
    return prices


def lagrangian_bound(
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
