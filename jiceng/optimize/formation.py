"""Regional branch formation (S16, S17): group dispersed members into branches of legal size
where their homes cluster.

"Shanghai Electric formed 33 regional branches where the homes of its 1,090 members on the
roll but not at post cluster, covering 12 central districts." ``form_branches`` chooses how
many branches (``target_size`` members each, 33 by default after S17) and where, optionally
only at candidate sites such as community party-service centres, and groups the members so
that every branch has between ``size_min`` and ``size_max`` members (3-50: the branch size
rules, ``orgs/rules.py``), minimising the mean home-to-branch distance.

The method is a capacitated k-medians (the objective: the total distance from each home to
its branch's centre, the centre free, or with ``sites`` at a site):

1. a legal start: the members cut into ``k`` compact groups of ``n / k`` by recursive
   bisection (further starts: k-means++ centres); large inputs in compact tiles of about
   ``FORMATION_TILE`` members, each with its share of the branches;
2. descent: alternately the exact least-distance grouping with the size bounds (compiled
   successive shortest paths; the minimum size as rewarded seats) and a move of each centre
   to its members' geometric median (or to the best free candidate site);
3. improvement (``_improve``, not with sites): a centre moved to the home of a member far
   from theirs, the groups around both places formed again among themselves, kept only when
   their total distance falls ("random swap" made local). This pass, not more starts, is what
   beats KMeansConstrained (measured in bench/BENCHMARKS.md, issue 19).
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
from ._transport.shortest_paths import bounded_groups, local_medians
from .exceptions import InfeasibleError, InputError, Shortage

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# S17: 1,090 members formed 33 regional branches, about 33 members each.
DEFAULT_TARGET_SIZE = 33
# A tile of members formed on its own at the start (the improvement pass then works across
# the seams): the exact grouping grows faster than linearly, so small problems beat one large.
FORMATION_TILE = 6_000
# Rewarded seats below the minimum size: more than any distance, so the flow fills every
# branch to ``size_min`` whenever it can.
_MIN_REWARD = 20_000_000
# The cost of a member left without a group in the flow: between any distance and the reward.
_FREE_COST = 10_000_000
_CENTRE_CANDIDATES = 8  # nearest centres per member in the assignment graph
_DENSE_ARCS = 60_000  # below this many member-centre pairs, every pair is an arc
_TOLERANCE = 1e-6  # relative fall of the total distance that counts as progress
_SEED_TOLERANCE = 1e-3  # the same for the first descent (the improvement pass follows)
_NEIGHBOURS = 6  # centres re-formed around each end of a move in ``improve``
# A move whose first grouping is longer than this (relative to before) is dropped at once:
# measured on 10,000 members: of 232 moves kept 19 started above 1.03 and 1 above 1.10.
_GIVE_UP = 1.05
_TRIAL_ROUNDS = 2  # rounds of grouping and medians per move
# Moves tried by ``_improve`` per branch (the default of ``form_branches``), and at least
# ``_MIN_MOVES`` (40 per branch at most) where there are few branches: they are cheap there.
# Measured on the bench's points, 100,000 members / 3,030 branches: 5 moves per branch
# 261.6 m mean (10.6 s CPU), 10 moves 260.0 m (18.6 s), 40 moves 258.6 m.
IMPROVE_TRIALS = 10
_MIN_MOVES = 1_000


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
    improve: float = IMPROVE_TRIALS,
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
        Seed of the improvement moves and of the k-means++ starts; same input and seed, same
        answer.
    n_init : int
        Starts tried (the first from recursive bisection, the others k-means++); the best
        is kept, then improved.
    max_iter : int
        Rounds of grouping and moving the centres per start.
    improve : float
        Moves of the local improvement (``_improve``) tried per branch (at least
        ``_MIN_MOVES`` in all, 40 per branch at most); 0 skips it. Not with ``sites``.

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
                xyz, k, size_min, size_max, rng, max_iter, site_xyz, step, start == 0
            )
            total = float(_distances(xyz, centres, label).sum())
            if total < best[0]:
                best = (total, label, centres, site_of, iterations)
        _t, label, centres, site_of, iterations = best
    if site_xyz is None and improve > 0:
        report("improve", 0.95)
        moves = max(round(improve * k), min(_MIN_MOVES, 40 * k))
        label, centres = _improve(xyz, label, centres, size_min, size_max, rng, moves)
        centres = _medians(xyz, label, len(centres), centres, steps=20)
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
    """Greedy k-means++ seeding (Arthur and Vassilvitskii 2007; the greedy variant of
    scikit-learn: of ``2 + log k`` points drawn in proportion to the squared distance, the one
    that lowers the potential most) on unit vectors."""
    n = len(xyz)
    trials = min(n, 2 + int(math.log(max(k, 1))))
    first = int(rng.integers(n))
    centres = [xyz[first]]
    d2 = np.sum((xyz - xyz[first]) ** 2, axis=1)
    for _ in range(1, k):
        total = float(d2.sum())
        if total <= 0:
            pick = rng.integers(n, size=1)
        else:
            pick = np.searchsorted(np.cumsum(d2), rng.random(trials) * total)
            pick = np.minimum(pick, n - 1)
        cand = np.minimum(d2[None, :], ((xyz[None, :, :] - xyz[pick][:, None, :]) ** 2).sum(axis=2))
        best = int(np.argmin(cand.sum(axis=1)))
        centres.append(xyz[pick[best]])
        d2 = cand[best]
    return np.array(centres)


def _flow(
    starts: IntArray,
    arc_centre: IntArray,
    arc_cost: IntArray,
    k: int,
    size_min: int,
    size_max: int,
    price: IntArray | None = None,
    seat: IntArray | None = None,
) -> IntArray | None:
    """Exact least-distance grouping over the given arcs (costs in whole metres) with every
    group between the size bounds, or None when the arcs cannot meet the bounds
    (``_transport.shortest_paths.bounded_groups``; ``price``, length k + 1, and ``seat``, a
    member's last group, warm-start it, ``price`` is updated in place)."""
    n = len(starts) - 1
    label = bounded_groups(
        starts,
        arc_centre,
        arc_cost,
        k,
        size_min,
        size_max,
        price if price is not None else np.zeros(k + 1, np.int64),
        seat if seat is not None else np.full(n, -1, np.int64),
        _FREE_COST,
        _MIN_REWARD,
    )
    return None if n and label[0] < 0 else np.asarray(label, dtype=np.int64)


def _dense_arcs(xyz: FloatArray, centres: FloatArray) -> tuple[IntArray, IntArray, IntArray]:
    """Every member to every centre (small problems)."""
    n, k = len(xyz), len(centres)
    chord = np.sqrt(((xyz[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    cost = np.rint(chord_to_metres(chord.ravel())).astype(np.int64)
    return (
        np.arange(0, n * k + 1, k, dtype=np.int64),
        np.tile(np.arange(k, dtype=np.int64), n),
        cost,
    )


@dataclass
class _Warm:
    """What one grouping leaves to the next: the prices of its upper-bound solve and how
    many nearest centres per member it needed."""

    price: IntArray
    width: int = _CENTRE_CANDIDATES
    members: cKDTree | None = None  # the members' k-d tree (they do not move)


def _near_centre_arcs(
    xyz: FloatArray, centres: FloatArray, kk: int, size_min: int, warm: _Warm
) -> tuple[IntArray, IntArray, IntArray]:
    """Each member to its ``kk`` nearest centres, and each centre to its nearest members (so
    that a small group can fill up); sorted by member."""
    n, k = len(xyz), len(centres)
    workers = -1 if n > 20_000 else 1  # threads cost more than they save on small inputs
    if warm.members is None:
        warm.members = cKDTree(xyz)
    d, j = cKDTree(centres).query(xyz, k=kk, workers=workers)
    rows = np.repeat(np.arange(n, dtype=np.int64), kk)
    cols = np.asarray(j, dtype=np.int64).reshape(n, kk).ravel()
    chord = np.asarray(d).reshape(n, kk).ravel()
    reach = min(n, max(2 * size_min, size_min + kk))
    dm, im = warm.members.query(centres, k=reach, workers=workers)
    rows = np.concatenate((rows, np.asarray(im, dtype=np.int64).reshape(k, reach).ravel()))
    cols = np.concatenate((cols, np.repeat(np.arange(k, dtype=np.int64), reach)))
    chord = np.concatenate((chord, np.asarray(dm).reshape(k, reach).ravel()))
    key = rows * k + cols
    _u, first = np.unique(key, return_index=True)  # sorted by member, then centre
    rows, cols = rows[first], cols[first]
    cost = np.rint(chord_to_metres(chord[first])).astype(np.int64)
    return np.searchsorted(rows, np.arange(n + 1)).astype(np.int64), cols, cost


def _assign_sizes(
    xyz: FloatArray,
    centres: FloatArray,
    size_min: int,
    size_max: int,
    warm: _Warm | None = None,
    seat: IntArray | None = None,
) -> IntArray:
    """Exact least-distance grouping with every group between the size bounds: over every
    centre when small, else over the nearest centres, widened until every bound is met
    (``warm``, ``seat``: a warm start, see ``_flow``; ``warm`` is updated)."""
    n, k = len(xyz), len(centres)
    if warm is None or len(warm.price) != k + 1:
        warm = _Warm(np.zeros(k + 1, np.int64))
    while True:
        kk = min(warm.width, k)
        dense = n * k <= _DENSE_ARCS or kk >= k
        arcs = (
            _dense_arcs(xyz, centres)
            if dense
            else _near_centre_arcs(xyz, centres, kk, size_min, warm)
        )
        label = _flow(*arcs, k, size_min, size_max, warm.price, seat)
        if label is not None:
            return label
        if dense:  # every centre a candidate: k is not legal
            raise InfeasibleError(missing=size_min, what="branch formation")
        warm.width = min(k, kk * 2)
        warm.price[:] = 0
        seat = None


def _bisect(xyz: FloatArray, k: int) -> IntArray:
    """A first legal grouping: the members cut in two at the wider extent, in proportion to
    the groups each side gets, again and again until ``k`` groups of ``n / k`` members (give
    or take one) are left; compact tiles of the tangent plane."""
    plane = tangent_plane(xyz)
    label = np.zeros(len(xyz), dtype=np.int64)
    stack = [(np.arange(len(xyz), dtype=np.int64), k, 0)]
    while stack:
        idx, groups, first = stack.pop()
        if groups == 1:
            label[idx] = first
            continue
        pts = plane[idx]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        order = idx[np.argsort(pts[:, axis], kind="stable")]
        left = groups // 2
        cut = round(len(idx) * left / groups)
        stack += [(order[:cut], left, first), (order[cut:], groups - left, first + left)]
    return label


def _medians(
    xyz: FloatArray, label: IntArray, k: int, centres: FloatArray, steps: int = 4
) -> FloatArray:
    """Each group's geometric median on the sphere (Weiszfeld steps in 3-d, projected back
    onto the sphere): the point of least total distance to the members. A group keeps its
    centre where the step does not shorten its members' total distance."""
    out = centres.copy()
    before = np.bincount(label, weights=np.linalg.norm(xyz - out[label], axis=1), minlength=k)
    for _ in range(steps):
        d = np.linalg.norm(xyz - out[label], axis=1)
        w = 1.0 / np.maximum(d, 1e-12)
        num = np.column_stack(
            [np.bincount(label, weights=xyz[:, c] * w, minlength=k) for c in range(3)]
        )
        den = np.bincount(label, weights=w, minlength=k)
        ok = den > 0
        out[ok] = num[ok] / den[ok, None]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
    after = np.bincount(label, weights=np.linalg.norm(xyz - out[label], axis=1), minlength=k)
    worse = after > before
    out[worse] = centres[worse]
    return out


def _alternate(
    xyz: FloatArray,
    centres: FloatArray,
    size_min: int,
    size_max: int,
    max_iter: int,
    label: IntArray | None = None,
    report: Callable[[str, float], None] | None = None,
    tolerance: float = _TOLERANCE,
) -> tuple[IntArray, FloatArray, float, int]:
    """Lloyd-type descent of capacitated k-medians: exact grouping for the centres, then each
    centre to its group's median, while the total distance falls. Returns the labels, the
    centres, the total distance (metres) and the iterations run. Never worse than ``label``
    with ``centres`` when given."""
    k = len(centres)
    warm = _Warm(np.zeros(k + 1, np.int64))
    sizes = np.bincount(label, minlength=k) if label is not None else np.zeros(0, np.int64)
    if label is None or sizes.min() < size_min or sizes.max() > size_max:
        # (A bisection start can miss the bounds by a member where they are tight.)
        label = _assign_sizes(xyz, centres, size_min, size_max, warm)
    best = float(_distances(xyz, centres, label).sum())
    iterations = 0
    for iterations in range(1, max_iter + 1):
        new_centres = _medians(xyz, label, k, centres)
        new_label = _assign_sizes(xyz, new_centres, size_min, size_max, warm, label)
        total = float(_distances(xyz, new_centres, new_label).sum())
        if report is not None:
            report("iterate", min(0.95, iterations / max_iter))
        if total >= best * (1 - tolerance):
            if total < best:
                best, centres, label = total, new_centres, new_label
            break
        best, centres, label = total, new_centres, new_label
    return label, centres, best, iterations


def _improve(
    xyz: FloatArray,
    label: IntArray,
    centres: FloatArray,
    size_min: int,
    size_max: int,
    rng: np.random.Generator,
    trials: int,
    neighbours: int | None = None,
    rounds: int | None = None,
) -> tuple[IntArray, FloatArray]:
    """Local improvement of a legal grouping (members ``xyz``, ``label`` per member, free
    ``centres``): ``trials`` times, one centre (more likely one its region can spare) is moved
    to the home of a member far from their centre (drawn in proportion to the distance), and
    the groups of the centres nearest to the old and the new place are formed again among
    themselves (``local_medians``: exact grouping with the size bounds, centres to their
    medians, ``rounds`` times; dropped at once when the first grouping is ``_GIVE_UP`` times
    longer); the change is kept only when those members' total distance falls. Sizes stay
    legal, every member stays in one group, and the total distance never rises ("random
    swap", Fränti 2018, made local)."""
    k = len(centres)
    label = label.copy()
    centres = centres.copy()
    if k < 2 or trials <= 0:
        return label, centres
    dist = _distances(xyz, centres, label)
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    members_of = [order[bounds[b] : bounds[b + 1]] for b in range(k)]
    q = min(k, neighbours or _NEIGHBOURS)
    rounds = rounds or _TRIAL_ROUNDS
    batch = max(1, min(trials, k))
    done = 0
    while done < trials:
        weights = np.cumsum(dist)
        picks = np.searchsorted(weights, rng.random(batch) * weights[-1])
        # The centre moved: one whose members would lose little at their next-nearest
        # centre is one its region can spare, drawn in inverse proportion to that loss
        # (measured, 10,000 members: 0.5-0.8% shorter than drawn uniformly, same moves).
        d2, _j = cKDTree(centres).query(xyz, k=2, workers=1)
        loss = np.bincount(label, weights=(d2[:, 1] - d2[:, 0]), minlength=k)
        w = np.cumsum(1.0 / np.maximum(loss, 1e-9))
        moved = np.minimum(np.searchsorted(w, rng.random(batch) * w[-1]), k - 1)
        for a, i in zip(moved.tolist(), np.minimum(picks, len(xyz) - 1).tolist(), strict=True):
            done += 1
            if label[i] == a:
                continue
            near_i = _nearest(centres, xyz[i], q)
            group = np.unique(np.concatenate((_nearest(centres, centres[a], q), near_i)))
            who = np.concatenate([members_of[b] for b in group])
            start = centres[group].copy()
            start[np.searchsorted(group, a)] = xyz[i]
            old = float(dist[who].sum())
            lab, cen, total = local_medians(
                xyz[who], start, size_min, size_max, rounds, _TOLERANCE, _FREE_COST,
                _MIN_REWARD, old * _GIVE_UP,
            )  # fmt: skip
            if total < old * (1 - _TOLERANCE):
                label[who] = group[lab]
                centres[group] = cen
                dist[who] = _distances(xyz[who], cen, lab)
                for pos, b in enumerate(group.tolist()):
                    members_of[b] = who[lab == pos]
            if done >= trials:
                break
    return label, centres


def _shares(sizes: IntArray, k: int, size_min: int, size_max: int) -> IntArray:
    """Branches per tile: in proportion to its members, within what its size allows, ``k``
    in all (largest remainders first) where the tiles allow it."""
    low, high = -(-sizes // size_max), sizes // size_min
    want = sizes / sizes.sum() * k
    share = np.clip(np.floor(want).astype(np.int64), low, high)
    for _ in range(len(sizes) + k):
        gap = k - int(share.sum())
        if gap == 0:
            break
        room = share < high if gap > 0 else share > low
        if not room.any():
            break
        order = np.argsort(-(want - share) if gap > 0 else (want - share), kind="stable")
        pick = order[room[order]][: abs(gap)]
        share[pick] += 1 if gap > 0 else -1
    return share


def _means(xyz: FloatArray, label: IntArray, k: int) -> FloatArray:
    """Each group's mean, on the sphere."""
    out = np.column_stack([np.bincount(label, weights=xyz[:, c], minlength=k) for c in range(3)])
    return np.asarray(out / np.linalg.norm(out, axis=1, keepdims=True), dtype=np.float64)


def _nearest(centres: FloatArray, point: FloatArray, q: int) -> IntArray:
    """The ``q`` centres nearest to ``point``."""
    d = ((centres - point) ** 2).sum(axis=1)
    if q >= len(centres):
        return np.arange(len(centres), dtype=np.int64)
    return np.argpartition(d, q - 1)[:q].astype(np.int64)


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
    bisect: bool = True,
) -> tuple[IntArray, FloatArray, IntArray | None, int]:
    if site_xyz is None:
        if bisect:
            first = _bisect(xyz, k)
            centres = _medians(xyz, first, k, _means(xyz, first, k), steps=8)
            label, centres, _total, iterations = _alternate(
                xyz, centres, size_min, size_max, max_iter, first, report, _SEED_TOLERANCE
            )
        else:
            centres = _kmeans_pp(xyz, k, rng)
            label, centres, _total, iterations = _alternate(
                xyz, centres, size_min, size_max, max_iter, None, report, _SEED_TOLERANCE
            )
        return label, centres, None, iterations
    centres = _kmeans_pp(xyz, k, rng)
    site_of = _unique_sites(centres, site_xyz)
    centres = site_xyz[site_of]
    label = _assign_sizes(xyz, centres, size_min, size_max)
    best = float(_distances(xyz, centres, label).sum())
    iterations = 0
    for iterations in range(1, max_iter + 1):
        medians = _medians(xyz, label, k, centres)
        site_of_new = _place_at_sites(xyz, label, medians, site_xyz)
        new_centres = site_xyz[site_of_new]
        new_label = _assign_sizes(xyz, new_centres, size_min, size_max)
        total = float(_distances(xyz, new_centres, new_label).sum())
        report("iterate", min(0.95, iterations / max_iter))
        if total >= best * (1 - _TOLERANCE):
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
    share = _shares(sizes, k, size_min, size_max)
    label = np.zeros(n, dtype=np.int64)
    centres_all: list[FloatArray] = []
    iterations = 0
    offset = 0
    for done, t in enumerate(tiles):
        who = np.flatnonzero(tile == t)
        lab, cen, _s, it = _one(
            xyz[who],
            int(share[t]),
            size_min,
            size_max,
            rng,
            max_iter,
            None,
            lambda _s, _f: None,
            True,  # the bisection start
        )
        label[who] = lab + offset
        offset += len(cen)
        centres_all.append(cen)
        iterations = max(iterations, it)
        report("tiles", (done + 1) / len(tiles))
    return label, np.concatenate(centres_all), iterations
