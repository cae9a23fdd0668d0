"""Priced nearest branches: a compiled k-d tree whose nodes know their least price.

The certificate (``Candidates.violations``) asks, per member, for the branches of least
``c_ij + p_j`` outside its candidates. A k-d tree over a pool's branches whose nodes also know
their least price answers it: a node is skipped when its nearest possible distance plus its
least price cannot beat the member's seat (or the cheapest columns found so far). The same
tree's order numbers the branches for ``driver.solve``, so that neighbours are near in memory.

Compiled with numba and cached beside this file (``cache=True``). A cached kernel is
recompiled only when its own file changes, so every kernel lives in one file with the
kernels it calls; ``EARTH_RADIUS_M`` (from ``_geo``) is compiled in as a constant.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._geo import EARTH_RADIUS_M
from .problem import FloatArray, IntArray

_LEAF = 8  # branches per k-d tree leaf: scanned whole, so small; the box test prunes the rest
# Metres of slack in the compiled search: its distances are recomputed exactly afterwards, so
# the search only must never skip a branch that is cheaper by the exact formula.
_SEARCH_SLACK = 2.0


@numba.njit(cache=True)
def kd_build(xyz: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
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
def priced_search(
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
