"""Min-cost flow with OR-Tools, for branch formation at candidate sites (``formation.py``).

Members to branches over given arcs, with capacities and optionally rewarded seats below a
minimum size; an overflow route keeps every instance feasible. The assignment itself
(``driver.solve``) uses the compiled ``shortest_paths`` instead.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from .problem import OVERFLOW_COST, IntArray


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
