"""Double pairing (S26): the most people paired, then the least distance; unpaired people
come back with the reason."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from jiceng.optimize import BRANCHES_FULL, OUT_OF_REACH, pair
from jiceng.optimize._geo import chord_to_metres, unit_vectors
from jiceng.optimize.pairing import UNPAIRED_COST
from jiceng.optimize.tests.test_assignment import _metres, _points


def _exact_metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, y = unit_vectors(a), unit_vectors(b)
    return chord_to_metres(np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2))


def _brute(people, branches, cap, max_distance=None, bonus=None) -> tuple[int, int]:
    """(pairs, distance) of the lexicographic optimum: seats plus one "unpaired" seat per
    person, by ``linear_sum_assignment``."""
    d = _metres(people, branches)
    if bonus is not None:
        d = d - bonus
    if max_distance is not None:
        # reach is decided on the exact distance, as the engine does (a pair 1,500.4 m apart
        # is out of reach of 1,500 m although its cost rounds to 1,500)
        d = np.where(_exact_metres(people, branches) <= max_distance, d, 10 * UNPAIRED_COST)
    seats = np.repeat(np.arange(len(branches)), cap)
    full = np.hstack((d[:, seats], np.full((len(people), len(people)), UNPAIRED_COST)))
    rows, cols = linear_sum_assignment(full)
    paired = cols < len(seats)
    return int(paired.sum()), int(full[rows, cols][paired].sum())


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 40),
    st.integers(1, 8),
    st.sampled_from([None, 1_500, 4_000]),
)
@example(1008, 18, 5, 1_500)  # a pair 1,500.45 m apart: out of reach, though it rounds to 1,500
def test_pairs_as_many_as_possible_then_least_distance(seed, n, m, max_distance):
    rng = np.random.default_rng(seed)
    people, branches = _points(rng, n), _points(rng, m)
    cap = rng.integers(0, 6, m)
    result = pair(people, branches, cap, max_distance=max_distance, k=3)
    assert (result.load <= cap).all()
    pairs, distance = _brute(people, branches, cap, max_distance)
    assert result.optimal
    assert result.paired == pairs
    assert (
        round(float(np.nansum(result.distance))) == distance
        or abs(float(np.nansum(result.distance)) - distance) <= n
    )  # metres are rounded per pair in the objective
    if max_distance is not None:
        assert (result.distance[result.branch >= 0] <= max_distance + 1).all()


def test_unpaired_people_say_why():
    result = pair(
        [(31.23, 121.47), (31.231, 121.471), (31.70, 121.90)],
        [(31.23, 121.47)],
        1,
        max_distance=5_000,
    )
    assert result.unpaired == [(1, BRANCHES_FULL), (2, OUT_OF_REACH)]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 25), st.integers(1, 6))
def test_affinity_is_worth_its_metres(seed, n, m):
    rng = np.random.default_rng(seed)
    people, branches = _points(rng, n), _points(rng, m)
    pcat = rng.choice(["elderly", "chronic_illness"], n)
    bcat = rng.choice(["street", "hospital"], m)
    cap = rng.integers(1, 4, m)
    bonus = np.where((pcat[:, None] == "chronic_illness") & (bcat[None, :] == "hospital"), 2_000, 0)
    result = pair(
        people,
        branches,
        cap,
        people_category=pcat,
        branch_category=bcat,
        affinity={("chronic_illness", "hospital"): 2_000},
        k=2,
    )
    pairs, _cost = _brute(people, branches, cap, bonus=bonus)
    assert result.optimal
    assert result.paired == pairs
    assert result.cost == _brute_cost(people, branches, cap, bonus)


def _brute_cost(people, branches, cap, bonus) -> int:
    d = _metres(people, branches) - bonus
    seats = np.repeat(np.arange(len(branches)), cap)
    full = np.hstack((d[:, seats], np.full((len(people), len(people)), UNPAIRED_COST)))
    rows, cols = linear_sum_assignment(full)
    return int(full[rows, cols].sum())
