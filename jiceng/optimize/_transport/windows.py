"""Millions of members: window by window, with a proven bound.

Beyond ``driver.GLOBAL_MEMBERS`` one exact solve over every member would not fit in memory.
``solve_large`` seats the members tile by tile instead (branches split into compact tiles,
members with the tile of their nearest branch, each tile solved exactly by
``shortest_paths``), then re-solves in windows whose seams cross, until the Lagrangian bound
(``prices``) proves the gap asked for or a pass no longer lowers the cost.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._geo import compact_tiles, tangent_plane
from .candidates import Candidates
from .infeasible import raise_infeasible
from .prices import inner_prices, lagrangian_bound, lower_bound
from .problem import INF, IntArray, Problem, Progress, Solution
from .shortest_paths import successive_shortest_paths

# A window holds about this many members; the compiled shortest paths solve one in
# milliseconds.
TILE_MEMBERS = 5_000
# Subgradient steps for the bound of large instances (100 steps: 99.3% of the optimum on
# 100,000 members / 3,000 branches at 1.5x capacity, about 1 s there).
LAGRANGIAN_STEPS = 100


def solve_large(
    problem: Problem,
    c: Candidates,
    gap: float,
    max_rounds: int,
    report: Progress,
    what: str,
    started: float,
    stats: dict[str, float],
) -> Solution:
    """Millions of members: window by window (partitions whose seams cross), each window
    solved exactly, until the dual bound proves the cost within ``gap`` or a pass no
    longer lowers it. The bound is the best of: zero prices (everyone at the nearest allowed
    branch), the least potentials inside the last pass's windows, and subgradient steps on
    the prices (the Lagrangian of the capacities); every one is valid for the full problem."""
    m = problem.m
    branch_of, cost_of = _initial(problem, c, report)
    stats["initial_s"] = time.perf_counter() - started - stats["candidates_s"]
    zero = np.zeros(m + 1, np.int64)
    lb = lower_bound(c, problem, zero)
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
            inner = inner_prices(branch_of, cost_of, c, problem, c.last_part)
            load = np.bincount(branch_of[branch_of >= 0], minlength=m)
            inner = np.where(np.r_[load < problem.capacity, True], 0, inner)  # room: price 0
            bound = lower_bound(c, problem, inner)
            if bound > lb:
                lb, prices = bound, inner
            if gap > 0 and total - lb > gap * max(abs(lb), 1):
                bound, lag = lagrangian_bound(
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
                raise_infeasible(problem, c, branch_of, what)
            break
        if overflow.any():
            left = np.flatnonzero(overflow)
            crowd = c.crowd(left, branch_of)
            c.widen(left)
            c.widen(crowd)
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


def _turned_partition(problem: Problem, c: Candidates, turn: int) -> IntArray:
    """Windows per branch: compact tiles of about ``TILE_MEMBERS`` seats in demand, cut in a
    frame turned by ``turn`` (-1: not turned)."""
    plane = tangent_plane(problem.branch_xyz)
    demand = np.bincount(c.arc_branch, minlength=problem.m).astype(np.int64)
    weight = np.maximum(np.minimum(demand, problem.capacity), 1)
    angle = math.pi / 8 * (1 + 2 * turn) if turn >= 0 else 0.0
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return compact_tiles(plane @ rot, weight, TILE_MEMBERS)


def _flow_for(
    problem: Problem,
    c: Candidates,
    members: IntArray,
    capacity: IntArray,
) -> tuple[IntArray, IntArray]:
    """Solve the members given (global indices) exactly over their arcs with ``capacity``
    (``successive_shortest_paths`` from zero prices); returns branch (-1: left over) and cost
    per member."""
    starts = c.starts()
    counts = starts[members + 1] - starts[members]
    arc_idx = np.repeat(starts[members], counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    local = np.searchsorted(members, c.arc_member[arc_idx])
    free_cost = problem.free_cost
    branch = np.full(len(members), -1, np.int64)
    cost = np.full(len(members), free_cost, np.int64)
    if not len(arc_idx):
        return branch, cost
    # Only the branches these members can use, renumbered (the window's own small problem).
    used, local_branch = np.unique(c.arc_branch[arc_idx], return_inverse=True)
    local_starts = np.r_[0, np.cumsum(np.bincount(local, minlength=len(members)))]
    b, co, _work = successive_shortest_paths(
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


def _nearest_arc(c: Candidates) -> IntArray:
    """Per member, the index of its cheapest arc (-1 when it has none)."""
    out = np.full(c.p.n, -1, np.int64)
    if not len(c.arc_member):
        return out
    best = c.least(c.arc_cost)
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
    seated at its branches and the members left over whose nearest branch is there, over all
    their candidate branches with the seats the others leave. Each window's answer is exact
    given the rest, so a pass never raises the cost."""
    n = problem.n
    branch_of, cost_of = branch_of.copy(), cost_of.copy()
    nearest = _nearest_arc(c)
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
    cost_of = np.full(n, problem.free_cost, np.int64)
    first = _turned_partition(problem, c, -1)
    c.last_part = first
    return _window_pass(problem, c, branch_of, cost_of, first, report=report, span=(0.05, 0.4))
