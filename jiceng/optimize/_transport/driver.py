"""The entry: ``solve`` runs the exact method on a ``Problem`` and returns a ``Solution``.

Up to ``GLOBAL_MEMBERS`` members one exact solve covers them all (``_solve_whole``): members
and branches renumbered so that neighbours are near in memory, the k nearest branches as
candidates (``candidates``), the sparse optimum and its prices (``shortest_paths``), then the
certificate's cheaper columns, round after round, until none is left: the answer is then
optimal for the full problem (``prices``). Members whose candidates are all full get more
candidates. From ``GUIDE_MEMBERS`` the first round is guided by a sample's prices. Beyond
``GLOBAL_MEMBERS`` the members are solved window by window (``windows``).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from scipy.spatial import cKDTree

from ..exceptions import InfeasibleError, InputError
from .candidates import Candidates
from .infeasible import check_reachable, check_seats, raise_infeasible
from .kdsearch import kd_build
from .prices import exact_bound
from .problem import INF, IntArray, Problem, Progress, Solution
from .shortest_paths import successive_shortest_paths
from .windows import solve_large

# Up to this many members one exact solve (the shortest paths and the certificate) covers them
# all; above it the first answer comes window by window and repair is local. The bound is
# memory: about 1.2 kB per member (measured: 2,000,000 members / 50,000 branches, 2.4 GB; 13 s
# at 1.5x capacity and 42 s at 1.05x, both within 0.003% of the optimum).
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
    check_seats(problem, what)
    if n > GLOBAL_MEMBERS:
        report("candidates", 0.02)
        c = Candidates(problem, k)
        check_reachable(problem, c, what)
        stats: dict[str, float] = {"candidates_s": time.perf_counter() - started}
        report("solve", 0.05)
        return solve_large(problem, c, gap, max_rounds, report, what, started, stats)
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


def _check(problem: Problem) -> None:
    """Capacities that make no sense are the caller's error, not an infeasible problem."""
    if len(problem.capacity) != problem.m:
        raise InputError("capacity: one value per branch expected")
    if (problem.capacity < 0).any():
        raise InputError("capacity: negative values")


def _reordered(problem: Problem) -> tuple[Problem, IntArray, IntArray]:
    """The problem with branches in k-d tree order and members by their nearest branch;
    returns it with, per new index, the original member and branch."""
    xyz = np.ascontiguousarray(problem.branch_xyz, dtype=np.float64)
    branch_at = kd_build(xyz)[0].astype(np.int64)
    new_of = np.empty(problem.m, np.int64)
    new_of[branch_at] = np.arange(problem.m)
    near = np.zeros(problem.n, np.int64)
    if problem.m:
        _d, j = cKDTree(xyz[branch_at]).query(problem.member_xyz, k=1, workers=-1)
        near = np.asarray(j, dtype=np.int64)
    member_at = np.argsort(near, kind="stable").astype(np.int64)

    current = None
    if problem.current is not None:
        cur = problem.current[member_at]
        current = np.where(cur >= 0, new_of[np.maximum(cur, 0)], -1)
    local = replace(
        problem,
        member_xyz=problem.member_xyz[member_at],
        branch_xyz=xyz[branch_at],
        capacity=problem.capacity[branch_at],
        member_group=_rows(problem.member_group, member_at),
        branch_group=_rows(problem.branch_group, branch_at),
        member_class=_rows(problem.member_class, member_at),
        branch_class=_rows(problem.branch_class, branch_at),
        current=current,
    )
    return local, member_at, branch_at


def _rows(a: IntArray | None, at: IntArray) -> IntArray | None:
    """The rows ``at`` of an optional per-member or per-branch array."""
    return None if a is None else a[at]


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

    sub = replace(
        problem,
        member_xyz=problem.member_xyz[pick],
        capacity=capacity,
        member_group=_rows(problem.member_group, pick),
        member_class=_rows(problem.member_class, pick),
        current=_rows(problem.current, pick),
        unassigned_cost=problem.free_cost,
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
    check_reachable(problem, c, what)
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
            lb = exact_bound(c, problem, prices, vm, vb, vc)
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
                raise_infeasible(problem, c, branch_of, what)
            # Members left over, and the members at the branches they could use.
            left = np.flatnonzero(overflow)
            crowd = c.crowd(left, branch_of)
            widened = c.widen(left)
            if not len(widened) and not len(c.widen(crowd)):
                raise_infeasible(problem, c, branch_of, what)  # a real cut: no seats left
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


def _solve_sparse(
    problem: Problem, c: Candidates, prices: IntArray, branch_of: IntArray
) -> tuple[IntArray, IntArray, IntArray, int]:
    """The exact optimum over the candidate arcs and its prices
    (``successive_shortest_paths``), warm-started from ``prices`` (per branch, the free node
    last) and ``branch_of`` (-1: unassigned). Returns
    branch and cost per member (-1 and the unassigned or overflow cost when left over), the
    prices and the number of shortest-path searches."""
    m = problem.m
    price = prices.astype(np.int64, copy=True)
    b, cost, runs = successive_shortest_paths(
        c.starts(),
        c.arc_branch,
        c.arc_cost,
        int(problem.free_cost),
        problem.capacity.astype(np.int64),
        price,
        branch_of.astype(np.int64),
    )
    b[b == m] = -1
    return b, cost, price, int(runs[0])
