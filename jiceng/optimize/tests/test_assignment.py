"""Capacitated nearest-branch assignment (S10, S17): capacities hold, the optimum equals a
brute-force solution, infeasible problems say how many seats are missing and where."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from jiceng.optimize import InfeasibleError, InputError, assign, greedy_assign
from jiceng.optimize._geo import chord_to_metres, unit_vectors


def _points(rng: np.random.Generator, n: int) -> np.ndarray:
    """Homes in a few clusters around central Shanghai."""
    centres = np.array([[31.23, 121.47], [31.19, 121.44], [31.27, 121.52]])
    k = rng.integers(0, len(centres), n)
    return centres[k] + rng.normal(0.0, 0.01, (n, 2))


def _metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, y = unit_vectors(a), unit_vectors(b)
    chord = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2)
    return np.rint(chord_to_metres(chord)).astype(np.int64)


def _brute(members: np.ndarray, branches: np.ndarray, cap: np.ndarray, move=None) -> int:
    """The optimum by ``linear_sum_assignment`` over every seat of every branch."""
    d = _metres(members, branches)
    if move is not None:
        current, cost = move
        d = d + cost * (np.arange(len(branches))[None, :] != current[:, None])
    seats = np.repeat(np.arange(len(branches)), cap)
    rows, cols = linear_sum_assignment(d[:, seats])
    return int(d[rows, seats[cols]].sum())


instances = st.tuples(
    st.integers(0, 2**32 - 1), st.integers(1, 45), st.integers(1, 9), st.integers(1, 4)
)


@settings(max_examples=60, deadline=None)
@given(instances)
def test_the_optimum_equals_brute_force_and_respects_capacities(args):
    seed, n, m, k = args
    rng = np.random.default_rng(seed)
    members, branches = _points(rng, n), _points(rng, m)
    cap = rng.integers(0, 10, m)
    cap[0] += max(0, n - int(cap.sum()))
    result = assign(members, branches, cap, k=k)
    assert (np.bincount(result.branch, minlength=m) <= cap).all()
    assert result.optimal
    assert result.cost == result.lower_bound == _brute(members, branches, cap)


@settings(max_examples=30, deadline=None)
@given(instances, st.integers(0, 3_000))
def test_moving_cost_keeps_well_placed_members_and_stays_optimal(args, move_cost):
    seed, n, m, k = args
    rng = np.random.default_rng(seed)
    members, branches = _points(rng, n), _points(rng, m)
    cap = rng.integers(1, 10, m)
    cap[0] += max(0, n - int(cap.sum()))
    current = rng.integers(-1, m, n)
    result = assign(members, branches, cap, current=current, move_cost=move_cost, k=k)
    assert result.optimal
    assert result.cost == _brute(members, branches, cap, (current, move_cost))
    assert result.moved is not None
    assert (result.moved == (result.branch != current)).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(1, 8))
def test_infeasible_problems_report_the_exact_missing_capacity(seed, n, m):
    rng = np.random.default_rng(seed)
    members, branches = _points(rng, n), _points(rng, m)
    cap = rng.integers(0, 5, m)
    short = n - int(cap.sum())
    if short <= 0:
        cap = np.zeros(m, dtype=np.int64)
        cap[0] = n - 1
        short = 1
    with pytest.raises(InfeasibleError) as err:
        assign(members, branches, cap)
    assert err.value.missing == short
    assert sum(s.missing for s in err.value.shortages) == short


def test_staying_in_the_district_reports_the_district_that_lacks_seats():
    huangpu = [(31.23, 121.48)] * 4
    xuhui = [(31.19, 121.44)] * 3
    branches = [(31.231, 121.481), (31.191, 121.441)]
    with pytest.raises(InfeasibleError) as err:
        assign(
            huangpu + xuhui,
            branches,
            [3, 10],
            member_district=["黄浦"] * 4 + ["徐汇"] * 3,
            branch_district=["黄浦", "徐汇"],
        )
    assert err.value.missing == 1
    assert [(s.label, s.members, s.capacity) for s in err.value.shortages] == [("黄浦", 4, 3)]


def test_without_the_district_rule_the_same_members_fit():
    result = assign(
        [(31.23, 121.48)] * 4 + [(31.19, 121.44)] * 3,
        [(31.231, 121.481), (31.191, 121.441)],
        [3, 10],
    )
    assert result.load.tolist() == [3, 4]


def test_a_member_beyond_the_maximum_distance_is_reported_unreachable():
    with pytest.raises(InfeasibleError) as err:
        assign([(31.23, 121.48), (31.60, 121.90)], [(31.231, 121.481)], [5], max_distance=5_000)
    assert err.value.unreachable.tolist() == [1]


def test_tight_capacity_far_away_is_found_by_widening_the_candidates():
    """Ten members in one place, branches of one seat each spread outwards: every member
    needs a branch far beyond the first k candidates, and the answer is still optimal."""
    rng = np.random.default_rng(3)
    members = np.array([[31.23, 121.47]] * 10) + rng.normal(0, 0.0005, (10, 2))
    branches = np.array([[31.23 + 0.01 * i, 121.47] for i in range(12)])
    result = assign(members, branches, 1, k=2)
    assert result.optimal
    assert result.cost == _brute(members, branches, np.ones(12, dtype=np.int64))


def test_the_optimum_is_never_worse_than_the_greedy_hand_method():
    rng = np.random.default_rng(11)
    members, branches = _points(rng, 400), _points(rng, 20)
    cap = np.full(20, 21)
    best, hand = assign(members, branches, cap), greedy_assign(members, branches, cap)
    assert best.cost <= hand.cost
    assert (hand.load <= cap).all()


def test_bad_input_gets_a_clear_error():
    with pytest.raises(InputError, match="capacity"):
        assign([(31.2, 121.4)], [(31.2, 121.4)], [-1])
    with pytest.raises(InputError, match="latitude"):
        assign([(131.2, 121.4)], [(31.2, 121.4)], [1])
    with pytest.raises(InputError, match="go together"):
        assign([(31.2, 121.4)], [(31.2, 121.4)], [1], member_district=["a"])


def test_the_window_path_for_millions_keeps_capacities_and_a_valid_bound(monkeypatch):
    """Above ``GLOBAL_MEMBERS`` the first answer comes window by window and the bound comes
    from prices; here the same path on a small city, checked against the exact optimum."""
    from jiceng.optimize._transport import driver, windows

    rng = np.random.default_rng(21)
    members, branches = _points(rng, 3000), _points(rng, 90)
    cap = np.full(90, 37)
    exact = assign(members, branches, cap)
    monkeypatch.setattr(driver, "GLOBAL_MEMBERS", 1000)
    monkeypatch.setattr(windows, "TILE_MEMBERS", 400)
    windowed = assign(members, branches, cap, gap=0.01)
    assert (np.bincount(windowed.branch, minlength=90) <= cap).all()
    assert windowed.lower_bound <= exact.cost <= windowed.cost
    assert windowed.cost <= exact.cost * 1.05
