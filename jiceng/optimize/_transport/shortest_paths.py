"""Successive shortest paths on the branches: the exact solver of the sparse problem.

A primal-dual method, compiled with numba. Invariant: every member sits on a branch (or the
"free" node: unassigned/overflow) of least ``c_ij + p_j`` among its arcs, so every move has a
non-negative reduced cost and Dijkstra applies. Excess at a branch is pushed along a shortest
path of moves to a branch with room (prices rise behind it); a branch with room and a positive
price pulls a member in along a shortest reverse path, or lowers its price to zero (prices fall
ahead of it). When neither is left, the prices are exact duals of the sparse problem
(complementary slackness), and the certificate checks them against the full problem. It starts
from any prices and seats, so every later round of ``driver`` is a warm start.

Compiled with numba and cached beside this file (``cache=True``). A cached kernel is
recompiled only when its own file changes, so ``successive_shortest_paths`` and the kernels
it calls live here together.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._geo import EARTH_RADIUS_M
from .problem import FloatArray, IntArray


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
def _heap_grown(keys: IntArray, vals: IntArray) -> tuple[IntArray, IntArray]:
    """The heap's arrays twice as long (a lazy heap holds an entry per decrease of a node's
    distance, so its size is not known beforehand)."""
    k2 = np.empty(2 * len(keys), np.int64)
    v2 = np.empty(2 * len(vals), np.int64)
    k2[: len(keys)] = keys
    v2[: len(vals)] = vals
    return k2, v2


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
def successive_shortest_paths(
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
    # Per arc its member, and arcs by branch: int32 (4 bytes an arc; 2,000,000 members with
    # 20 million arcs would otherwise hold 320 MB here).
    arc_member = np.empty(n_arcs, np.int32)
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
    rarc = np.empty(n_arcs, np.int32)
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
    # The exchange lists hold one row per branch pair, far fewer than arcs: the arena starts
    # small and ``_rebuild`` doubles it when needed (sized by the arcs, it took 880 MB at
    # 2,000,000 members).
    adj = np.empty((16 * (m + 1) + 64, 4), np.int64)
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
    hk = np.empty(4 * (m + 1) + 64, np.int64)  # grows when full (``_heap_grown``)
    hv = np.empty(4 * (m + 1) + 64, np.int64)
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
                        if hs == len(hk):
                            hk, hv = _heap_grown(hk, hv)
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
                        if hs == len(hk):
                            hk, hv = _heap_grown(hk, hv)
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
        if hs == len(hk):
            hk, hv = _heap_grown(hk, hv)
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
                        if hs == len(hk):
                            hk, hv = _heap_grown(hk, hv)
                        hs = _heap_push(hk, hv, hs, nd, b)
                i = nxt[i]
            continue
        base = d - price[x]
        for s in range(adj_start[x], adj_start[x] + adj_len[x]):
            b = adj[s, 0]
            nd = base + adj[s, 1] + price[b]
            if not done[b] and nd < dist[b]:
                dist[b] = nd
                if hs == len(hk):
                    hk, hv = _heap_grown(hk, hv)
                hs = _heap_push(hk, hv, hs, nd, b)
    for b in range(m + 1):
        price[b] -= dist[b]
    price[free] = 0
    return out_b, out_c, work


# Branch formation's groupings (``formation.py``) live here too: they call
# ``successive_shortest_paths``, and a cached kernel must share its file with the kernels it
# calls (see the module docstring).


@numba.njit(cache=True)
def bounded_groups(
    starts: IntArray,
    arc_centre: IntArray,
    arc_cost: IntArray,
    k: int,
    size_min: int,
    size_max: int,
    price: IntArray,
    seat: IntArray,
    free_cost: int,
    reward: int,
) -> IntArray:
    """Least-cost grouping over the given arcs (``starts``: each member's range) with every
    group between ``size_min`` and ``size_max`` members; all -1 when the arcs cannot meet
    the bounds.

    First with the upper bound only (``successive_shortest_paths`` from ``price``, length
    k + 1, updated in place, and ``seat``, each member's last group or -1). When a group is
    then below ``size_min``, again with each centre as two nodes: its first ``size_min``
    seats cost ``reward`` less (more than any distance, so they fill whenever they can), the
    rest plain. That second solve starts from the first answer at its prices, the rewarded
    seats priced up by the reward, so only the small groups pull members in (from zero prices
    every member would crowd into the rewarded seats and be pushed out one by one).
    """
    n = len(starts) - 1
    failed = np.full(n, -1, np.int64)
    node, _c, _w = successive_shortest_paths(
        starts, arc_centre, arc_cost, free_cost, np.full(k, size_max, np.int64), price, seat
    )
    sizes = np.zeros(k, np.int64)
    for i in range(n):
        if node[i] >= k:
            return failed
        sizes[node[i]] += 1
    if sizes.min() >= size_min:
        return node
    arcs = len(arc_centre)
    centre2 = np.empty(2 * arcs, np.int64)
    cost2 = np.empty(2 * arcs, np.int64)
    for a in range(arcs):
        centre2[2 * a] = arc_centre[a]
        centre2[2 * a + 1] = arc_centre[a] + k
        cost2[2 * a] = arc_cost[a] - reward
        cost2[2 * a + 1] = arc_cost[a]
    capacity = np.empty(2 * k, np.int64)
    price2 = np.zeros(2 * k + 1, np.int64)
    for j in range(k):
        capacity[j] = size_min
        capacity[k + j] = size_max - size_min
        price2[j] = price[j] + reward
        price2[k + j] = price[j]
    start2 = np.empty(n, np.int64)
    held = np.zeros(k, np.int64)
    for i in range(n):
        j = node[i]
        if held[j] < size_min:
            start2[i] = j
            held[j] += 1
        else:
            start2[i] = k + j
    node2, _c, _w = successive_shortest_paths(
        2 * starts, centre2, cost2, free_cost, capacity, price2, start2
    )
    sizes[:] = 0
    for i in range(n):
        if node2[i] >= 2 * k:
            return failed
        node2[i] = node2[i] % k
        sizes[node2[i]] += 1
    if sizes.min() < size_min:
        return failed
    return node2


@numba.njit(cache=True)
def _arc_metres(chord: float) -> float:
    return 2.0 * EARTH_RADIUS_M * math.asin(min(chord / 2.0, 1.0))


@numba.njit(cache=True)
def local_medians(
    xyz: FloatArray,
    centres: FloatArray,
    size_min: int,
    size_max: int,
    rounds: int,
    tolerance: float,
    free_cost: int,
    reward: int,
    give_up: float = np.inf,
) -> tuple[IntArray, FloatArray, float]:
    """Capacitated k-medians descent on a small problem, every member an arc to every
    centre: ``bounded_groups`` for the centres, each centre to its group's geometric median
    (Weiszfeld steps on the sphere, kept only where they shorten the group's total), while
    the total falls by more than ``tolerance`` (relative), at most ``rounds`` times, and
    not at all when the first grouping's total is above ``give_up``. Returns
    the labels, the centres they were grouped for and their total distance in metres
    (labels all -1 and an infinite total when the bounds cannot be met)."""
    n, k = len(xyz), len(centres)
    c = centres.copy()
    starts = np.arange(0, n * k + 1, k).astype(np.int64)
    arc_centre = np.empty(n * k, np.int64)
    arc_cost = np.empty(n * k, np.int64)
    dist = np.empty(n * k, np.float64)
    price = np.zeros(k + 1, np.int64)
    seat = np.full(n, -1, np.int64)
    best_label = np.full(n, -1, np.int64)
    best_c = c.copy()
    best = np.inf
    for r in range(rounds + 1):
        for i in range(n):
            for j in range(k):
                dx = xyz[i, 0] - c[j, 0]
                dy = xyz[i, 1] - c[j, 1]
                dz = xyz[i, 2] - c[j, 2]
                d = _arc_metres(math.sqrt(dx * dx + dy * dy + dz * dz))
                a = i * k + j
                arc_centre[a] = j
                dist[a] = d
                arc_cost[a] = np.int64(np.rint(d))
        label = bounded_groups(
            starts, arc_centre, arc_cost, k, size_min, size_max, price, seat, free_cost, reward
        )
        if label[0] < 0:
            return best_label, best_c, best
        total = 0.0
        for i in range(n):
            total += dist[i * k + label[i]]
        if total >= best * (1.0 - tolerance) or total > give_up:
            break
        best = total
        best_label[:] = label
        best_c[:] = c
        if r == rounds:
            break
        seat[:] = label
        c = _weiszfeld(xyz, label, c, 4)
    return best_label, best_c, best


@numba.njit(cache=True)
def _group_chords(xyz: FloatArray, label: IntArray, c: FloatArray) -> FloatArray:
    out = np.zeros(len(c), np.float64)
    for i in range(len(xyz)):
        j = label[i]
        dx = xyz[i, 0] - c[j, 0]
        dy = xyz[i, 1] - c[j, 1]
        dz = xyz[i, 2] - c[j, 2]
        out[j] += math.sqrt(dx * dx + dy * dy + dz * dz)
    return out


@numba.njit(cache=True)
def _weiszfeld(xyz: FloatArray, label: IntArray, centres: FloatArray, steps: int) -> FloatArray:
    """Weiszfeld steps towards each group's geometric median, projected onto the sphere; a
    group keeps its centre where they do not shorten its total chord."""
    k = len(centres)
    before = _group_chords(xyz, label, centres)
    out = centres.copy()
    for _ in range(steps):
        num = np.zeros((k, 3), np.float64)
        den = np.zeros(k, np.float64)
        for i in range(len(xyz)):
            j = label[i]
            dx = xyz[i, 0] - out[j, 0]
            dy = xyz[i, 1] - out[j, 1]
            dz = xyz[i, 2] - out[j, 2]
            w = 1.0 / max(math.sqrt(dx * dx + dy * dy + dz * dz), 1e-12)
            num[j, 0] += xyz[i, 0] * w
            num[j, 1] += xyz[i, 1] * w
            num[j, 2] += xyz[i, 2] * w
            den[j] += w
        for j in range(k):
            if den[j] > 0:
                x, y, z = num[j, 0] / den[j], num[j, 1] / den[j], num[j, 2] / den[j]
                norm = math.sqrt(x * x + y * y + z * z)
                if norm > 0:
                    out[j, 0], out[j, 1], out[j, 2] = x / norm, y / norm, z / norm
    after = _group_chords(xyz, label, out)
    for j in range(k):
        if after[j] > before[j]:
            out[j] = centres[j]
    return out
