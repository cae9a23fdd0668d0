"""Regional branch formation (S16, S17): group dispersed members into branches of legal size
where their homes cluster.

"Shanghai Electric formed 33 regional branches where the homes of its 1,090 members on the
roll but not at post cluster, covering 12 central districts." ``form_branches`` chooses how
many branches (``target_size`` members each, 33 by default after S17) and where, optionally
only at candidate sites such as community party-service centres, and groups the members so
that every branch has between ``size_min`` and ``size_max`` members (3-50: the branch size
rules, ``orgs/rules.py``), minimising the mean home-to-branch distance.

The method is a capacitated k-medians: seeded k-means++ centres, then alternately an exact
min-cost-flow assignment with the size bounds as capacities (lower bounds as rewarded seats)
and a move of each centre to the geometric median of its members (or to the best free
candidate site). Large inputs are split into compact tiles solved independently.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from . import _transport
from ._geo import as_points, chord_to_metres, compact_tiles, tangent_plane, to_points, unit_vectors
from .exceptions import InfeasibleError, InputError, Shortage

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# S17: 1,090 members formed 33 regional branches, about 33 members each.
DEFAULT_TARGET_SIZE = 33
# A tile of members formed on its own: OR-Tools' min-cost flow grows faster than linearly
# (measured: 25,000 members 0.7 s, 100,000 members 4.5 s), so small exact problems beat one
# large one.
FORMATION_TILE = 6_000
# Rewarded seats below the minimum size: more than any distance, so the flow fills every
# branch to ``size_min`` whenever it can.
_MIN_REWARD = 20_000_000
_CENTRE_CANDIDATES = 8  # nearest centres per member in the assignment graph


@dataclass(frozen=True)
class FormedBranch:
    """One proposed branch: where it is, who is in it, how far they live from it."""

    centre: tuple[float, float]
    members: IntArray
    mean_distance: float
    max_distance: float
    districts: dict[str, int] = field(default_factory=dict)
    site: int | None = None

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Formation:
    """The result of ``form_branches``: the branches and, per member, their branch."""

    branches: tuple[FormedBranch, ...]
    label: IntArray
    distance: FloatArray
    iterations: int
    seconds: float

    @property
    def mean_distance(self) -> float:
        return float(self.distance.mean()) if len(self.distance) else 0.0

    @property
    def max_distance(self) -> float:
        return float(self.distance.max()) if len(self.distance) else 0.0

    @property
    def sizes(self) -> IntArray:
        return np.array([b.size for b in self.branches], dtype=np.int64)


def branch_count(n: int, size_min: int, size_max: int, target_size: int) -> int:
    """How many branches ``n`` members form: about ``n / target_size``, within what the size
    bounds allow.

    Examples
    --------
    >>> branch_count(1090, 3, 50, 33)
    33
    >>> branch_count(60, 3, 50, 33)
    2
    """
    low = math.ceil(n / size_max)
    high = n // size_min
    return int(min(max(round(n / target_size), low, 1), high))


def form_branches(
    members: npt.ArrayLike,
    size_min: int = 3,
    size_max: int = 50,
    *,
    target_size: int = DEFAULT_TARGET_SIZE,
    n_branches: int | None = None,
    sites: npt.ArrayLike | None = None,
    member_district: npt.ArrayLike | None = None,
    seed: int = 0,
    n_init: int = 1,
    max_iter: int = 30,
    progress: Callable[[str, float], None] | None = None,
) -> Formation:
    """Form branches of legal size where members' homes cluster.

    Parameters
    ----------
    members : array_like, shape (n, 2)
        (latitude, longitude) of homes.
    size_min, size_max : int
        Members per branch (3 and 50 by the branch size rules).
    target_size : int
        Members per branch aimed at when ``n_branches`` is not given.
    n_branches : int, optional
        How many branches; by default ``branch_count(n, size_min, size_max, target_size)``.
    sites : array_like, shape (s, 2), optional
        Candidate sites (e.g. community party-service centres): each branch is placed at a
        different one of them.
    member_district : array_like, optional
        District labels, reported per branch (which districts it covers).
    seed : int
        Seed of the k-means++ start; same input and seed, same answer.
    n_init : int
        Starts tried; the best is kept.

    Raises
    ------
    InfeasibleError
        Fewer members than one legal branch, or fewer sites than branches.

    Examples
    --------
    Two clusters of three homes make two branches of three:

    >>> homes = [(31.20, 121.40), (31.201, 121.401), (31.202, 121.40),
    ...          (31.30, 121.50), (31.301, 121.501), (31.30, 121.502)]
    >>> f = form_branches(homes, 3, 5, n_branches=2)
    >>> sorted(b.size for b in f.branches), f.max_distance < 300
    ([3, 3], True)
    """
    started = time.perf_counter()
    pts = as_points(members, "members")
    n = len(pts)
    if size_min < 1 or size_max < size_min:
        raise InputError("sizes: need 1 <= size_min <= size_max")
    report = progress or (lambda _s, _f: None)
    if n < size_min:
        centre = to_points(unit_vectors(pts).mean(axis=0, keepdims=True))[0] if n else (0, 0)
        raise InfeasibleError(
            missing=size_min - n,
            shortages=(Shortage("", n, 0, size_min - n, (float(centre[0]), float(centre[1]))),),
            what="branch formation",
        )
    if math.ceil(n / size_max) > n // size_min:  # e.g. 9 members, sizes 5-8: no division
        extra = next(
            d
            for d in range(1, size_min + 1)
            if math.ceil((n + d) / size_max) <= (n + d) // size_min
        )
        raise InfeasibleError(missing=extra, what=f"branch formation of {n} members")
    k = n_branches if n_branches is not None else branch_count(n, size_min, size_max, target_size)
    if not math.ceil(n / size_max) <= k <= n // size_min:
        raise InputError(f"{k} branches cannot hold {n} members within sizes {size_min}-{size_max}")
    site_pts = as_points(sites, "sites") if sites is not None else None
    if site_pts is not None and len(site_pts) < k:
        raise InfeasibleError(missing=k - len(site_pts), what="branch formation (sites)")
    xyz = unit_vectors(pts)
    site_xyz = unit_vectors(site_pts) if site_pts is not None else None
    rng = np.random.default_rng(seed)
    if n > FORMATION_TILE * 1.5 and site_xyz is None:
        label, centres, iterations = _tiled(xyz, k, size_min, size_max, rng, max_iter, report)
        site_of = None
    else:
        best: tuple[float, IntArray, FloatArray, IntArray | None, int] = (np.inf, *_empty())
        for start in range(max(n_init, 1)):

            def step(stage: str, fraction: float, start: int = start) -> None:
                report(stage, (start + fraction) / max(n_init, 1))

            label, centres, site_of, iterations = _one(
                xyz, k, size_min, size_max, rng, max_iter, site_xyz, step
            )
            total = float(_distances(xyz, centres, label).sum())
            if total < best[0]:
                best = (total, label, centres, site_of, iterations)
        _t, label, centres, site_of, iterations = best
    distance = _distances(xyz, centres, label)
    districts = np.asarray(member_district).astype(str) if member_district is not None else None
    centre_pts = to_points(centres)
    out = []
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(len(centres) + 1))
    for b in range(len(centres)):
        who = np.sort(order[bounds[b] : bounds[b + 1]]).astype(np.int64)
        d = distance[who]
        covered: dict[str, int] = {}
        if districts is not None:
            names, counts = np.unique(districts[who], return_counts=True)
            covered = {
                str(a): int(c)
                for a, c in sorted(zip(names, counts, strict=True), key=lambda x: -x[1])
            }
        out.append(
            FormedBranch(
                centre=(float(centre_pts[b, 0]), float(centre_pts[b, 1])),
                members=who,
                mean_distance=float(d.mean()) if len(d) else 0.0,
                max_distance=float(d.max()) if len(d) else 0.0,
                districts=covered,
                site=int(site_of[b]) if site_of is not None else None,
            )
        )
    report("done", 1.0)
    return Formation(
        branches=tuple(out),
        label=label,
        distance=distance,
        iterations=iterations,
        seconds=time.perf_counter() - started,
    )


def _empty() -> tuple[IntArray, FloatArray, IntArray | None, int]:
    return np.zeros(0, np.int64), np.zeros((0, 3)), None, 0


def _distances(xyz: FloatArray, centres: FloatArray, label: IntArray) -> FloatArray:
    return chord_to_metres(np.linalg.norm(xyz - centres[label], axis=1))


def _kmeans_pp(xyz: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    """k-means++ seeding (Arthur and Vassilvitskii 2007) on unit vectors."""
    n = len(xyz)
    first = int(rng.integers(n))
    centres = [xyz[first]]
    d2 = np.sum((xyz - xyz[first]) ** 2, axis=1)
    for _ in range(1, k):
        total = float(d2.sum())
        nxt = int(rng.integers(n)) if total <= 0 else int(rng.choice(n, p=d2 / total))
        centres.append(xyz[nxt])
        d2 = np.minimum(d2, np.sum((xyz - xyz[nxt]) ** 2, axis=1))
    return np.array(centres)


def _assign_sizes(xyz: FloatArray, centres: FloatArray, size_min: int, size_max: int) -> IntArray:
    """Exact least-distance grouping with every group between the size bounds (on the
    nearest-centre graph, widened until every bound is met)."""
    n, k = len(xyz), len(centres)
    tree = cKDTree(centres)
    kk = min(_CENTRE_CANDIDATES, k)
    while True:
        d, j = tree.query(xyz, k=kk, workers=-1)
        d = np.asarray(d).reshape(n, kk)
        j = np.asarray(j, dtype=np.int64).reshape(n, kk)
        rows = np.repeat(np.arange(n, dtype=np.int64), kk)
        cols = j.ravel()
        cost = np.rint(chord_to_metres(d.ravel())).astype(np.int64)
        # Each centre also reaches its own nearest members, so a small group can fill up.
        reach = min(n, max(2 * size_min, size_min + kk))
        mtree = cKDTree(xyz)
        dm, im = mtree.query(centres, k=reach, workers=-1)
        dm = np.asarray(dm).reshape(k, reach)
        im = np.asarray(im, dtype=np.int64).reshape(k, reach)
        rows = np.concatenate((rows, im.ravel()))
        cols = np.concatenate((cols, np.repeat(np.arange(k, dtype=np.int64), reach)))
        cost = np.concatenate((cost, np.rint(chord_to_metres(dm.ravel())).astype(np.int64)))
        key = rows * k + cols
        _u, first = np.unique(key, return_index=True)
        rows, cols, cost = rows[first], cols[first], cost[first]
        pick = _transport.solve_flow(
            rows,
            cols,
            cost,
            n,
            np.full(k, size_max, dtype=np.int64),
            min_load=np.full(k, size_min, dtype=np.int64),
            reward=_MIN_REWARD,
        )
        label = np.where(pick >= 0, cols[np.maximum(pick, 0)], -1)
        sizes = np.bincount(label[label >= 0], minlength=k)
        if (label >= 0).all() and (sizes >= size_min).all():
            return label
        if kk >= k:  # every centre a candidate already: cannot happen when k is legal
            raise InfeasibleError(
                missing=int(np.maximum(size_min - sizes, 0).sum()), what="branch formation"
            )
        kk = min(k, kk * 2)


def _medians(xyz: FloatArray, label: IntArray, k: int, centres: FloatArray) -> FloatArray:
    """Each group's geometric median on the sphere (a few Weiszfeld steps in 3-d, projected
    back onto the sphere): the point of least total distance to the members."""
    out = centres.copy()
    for _ in range(4):
        d = np.linalg.norm(xyz - out[label], axis=1)
        w = 1.0 / np.maximum(d, 1e-9)
        num = np.zeros_like(out)
        np.add.at(num, label, xyz * w[:, None])
        den = np.bincount(label, weights=w, minlength=k)
        ok = den > 0
        out[ok] = num[ok] / den[ok, None]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def _place_at_sites(
    xyz: FloatArray, label: IntArray, medians: FloatArray, site_xyz: FloatArray
) -> IntArray:
    """One distinct site per branch, least total member distance (min-cost flow of branches
    to their nearest candidate sites)."""
    k = len(medians)
    s = len(site_xyz)
    tree = cKDTree(site_xyz)
    kk = min(s, 8)
    while True:
        _d, near = tree.query(medians, k=kk)
        near = np.asarray(near, dtype=np.int64).reshape(k, kk)
        rows = np.repeat(np.arange(k, dtype=np.int64), kk)
        cols = near.ravel()
        # Cost of a site for a branch: its members' total distance to the site.
        cost = np.zeros(len(rows), dtype=np.int64)
        for b in range(k):
            who = xyz[label == b]
            d = chord_to_metres(
                np.linalg.norm(who[:, None, :] - site_xyz[near[b]][None, :, :], axis=2)
            )
            cost[b * kk : (b + 1) * kk] = np.rint(d.sum(axis=0)).astype(np.int64)
        pick = _transport.solve_flow(rows, cols, cost, k, np.ones(s, dtype=np.int64))
        if (pick >= 0).all():
            return cols[pick]
        kk = min(s, kk * 2)


def _one(
    xyz: FloatArray,
    k: int,
    size_min: int,
    size_max: int,
    rng: np.random.Generator,
    max_iter: int,
    site_xyz: FloatArray | None,
    report: Callable[[str, float], None],
) -> tuple[IntArray, FloatArray, IntArray | None, int]:
    centres = _kmeans_pp(xyz, k, rng)
    site_of = None
    if site_xyz is not None:
        site_of = _unique_sites(centres, site_xyz)
        centres = site_xyz[site_of]
    label = _assign_sizes(xyz, centres, size_min, size_max)
    best = float(_distances(xyz, centres, label).sum())
    iterations = 0
    for iterations in range(1, max_iter + 1):
        medians = _medians(xyz, label, k, centres)
        if site_xyz is not None:
            site_of_new = _place_at_sites(xyz, label, medians, site_xyz)
            new_centres = site_xyz[site_of_new]
        else:
            site_of_new = None
            new_centres = medians
        new_label = _assign_sizes(xyz, new_centres, size_min, size_max)
        total = float(_distances(xyz, new_centres, new_label).sum())
        report("iterate", min(0.95, iterations / max_iter))
        if total >= best * (1 - 1e-6):
            if total < best:
                centres, label, site_of = new_centres, new_label, site_of_new
            break
        best, centres, label, site_of = total, new_centres, new_label, site_of_new
    return label, centres, site_of, iterations


def _unique_sites(centres: FloatArray, site_xyz: FloatArray) -> IntArray:
    """Distinct sites nearest to the starting centres."""
    kk = min(len(site_xyz), 8)
    while True:
        rows, cols, cost = _near_arcs(centres, site_xyz, kk)
        pick = _transport.solve_flow(
            rows, cols, cost, len(centres), np.ones(len(site_xyz), dtype=np.int64)
        )
        if (pick >= 0).all() or kk >= len(site_xyz):
            return cols[pick]
        kk = min(len(site_xyz), kk * 2)


def _near_arcs(
    points: FloatArray, targets: FloatArray, kk: int
) -> tuple[IntArray, IntArray, IntArray]:
    d, j = cKDTree(targets).query(points, k=kk)
    d = np.asarray(d).reshape(len(points), kk)
    j = np.asarray(j, dtype=np.int64).reshape(len(points), kk)
    rows = np.repeat(np.arange(len(points), dtype=np.int64), kk)
    return rows, j.ravel(), np.rint(chord_to_metres(d.ravel())).astype(np.int64)


def _tiled(
    xyz: FloatArray,
    k: int,
    size_min: int,
    size_max: int,
    rng: np.random.Generator,
    max_iter: int,
    report: Callable[[str, float], None],
) -> tuple[IntArray, FloatArray, int]:
    """Large inputs: compact tiles of members, each formed on its own with its share of the
    branches (proportional to its members, within what its size allows)."""
    n = len(xyz)
    tile = compact_tiles(tangent_plane(xyz), np.ones(n, dtype=np.int64), FORMATION_TILE)
    tiles = np.unique(tile)
    sizes = np.bincount(tile)
    share = np.maximum(np.rint(sizes / n * k).astype(np.int64), 1)
    share = np.clip(share, -(-sizes // size_max), sizes // size_min)
    label = np.zeros(n, dtype=np.int64)
    centres_all: list[FloatArray] = []
    iterations = 0
    offset = 0
    for done, t in enumerate(tiles):
        who = np.flatnonzero(tile == t)
        lab, cen, _s, it = _one(
            xyz[who], int(share[t]), size_min, size_max, rng, max_iter, None, lambda _s, _f: None
        )
        label[who] = lab + offset
        offset += len(cen)
        centres_all.append(cen)
        iterations = max(iterations, it)
        report("tiles", (done + 1) / len(tiles))
    return label, np.concatenate(centres_all), iterations
