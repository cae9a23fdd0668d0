"""Regional branch formation (S16, S17): every branch of legal size, each member in one, the
districts covered reported; the electrical group's 1,090 members make about 33 branches; the
improvement pass never lengthens the total distance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from jiceng.optimize import InfeasibleError, branch_count, form_branches, formation
from jiceng.optimize._geo import unit_vectors
from jiceng.optimize.tests.test_assignment import _points


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 160), st.integers(3, 5), st.integers(8, 30))
def test_every_branch_has_a_legal_size_and_every_member_one_branch(seed, n, size_min, size_max):
    assume(n >= size_min and -(-n // size_max) <= n // size_min)
    rng = np.random.default_rng(seed)
    homes = _points(rng, n)
    f = form_branches(
        homes, size_min, size_max, target_size=(size_min + size_max) // 2, seed=seed % 1000
    )
    assert sorted(np.concatenate([b.members for b in f.branches]).tolist()) == list(range(n))
    assert all(size_min <= b.size <= size_max for b in f.branches)
    assert (f.label >= 0).all()
    for b in f.branches:
        assert b.max_distance >= b.mean_distance >= 0


def test_the_same_seed_gives_the_same_branches():
    homes = _points(np.random.default_rng(5), 300)
    a, b = form_branches(homes, seed=4), form_branches(homes, seed=4)
    assert a.label.tolist() == b.label.tolist()


def test_the_electrical_group_case_makes_about_33_branches_covering_districts():
    """S17: 1,090 dispersed members → 33 regional branches (sizes 3–50)."""
    rng = np.random.default_rng(2005)
    districts = np.array(["黄浦", "徐汇", "长宁", "杨浦"])
    homes = _points(rng, 1090)
    label = districts[rng.integers(0, 4, 1090)]
    f = form_branches(homes, 3, 50, member_district=label)
    assert len(f.branches) == branch_count(1090, 3, 50, 33) == 33
    assert f.sizes.min() >= 3
    assert f.sizes.max() <= 50
    assert sum(sum(b.districts.values()) for b in f.branches) == 1090


def test_branches_at_candidate_sites_use_distinct_sites():
    rng = np.random.default_rng(9)
    homes = _points(rng, 120)
    sites = _points(rng, 12)
    f = form_branches(homes, 3, 50, n_branches=4, sites=sites)
    used = [b.site for b in f.branches]
    assert len(set(used)) == 4
    for b in f.branches:
        assert b.centre == pytest.approx(tuple(sites[b.site]), abs=1e-6)


def test_too_few_members_for_one_branch_says_how_many_are_missing():
    with pytest.raises(InfeasibleError) as err:
        form_branches([(31.2, 121.4), (31.21, 121.41)], 3, 50)
    assert err.value.missing == 1


def test_sizes_that_cannot_divide_the_members_are_infeasible():
    homes = _points(np.random.default_rng(2), 9)
    with pytest.raises(InfeasibleError) as err:
        form_branches(homes, 5, 8)
    assert err.value.missing == 1  # ten members make two branches of five


def test_fewer_sites_than_branches_is_infeasible():
    rng = np.random.default_rng(1)
    with pytest.raises(InfeasibleError):
        form_branches(_points(rng, 100), 3, 50, n_branches=4, sites=_points(rng, 3))


def _legal_start(xyz: np.ndarray, k: int, size_min: int, size_max: int):
    """A legal grouping to improve: the bisection start and one descent."""
    label = formation._bisect(xyz, k)
    centres = formation._medians(xyz, label, k, formation._means(xyz, label, k))
    label, centres, _t, _i = formation._alternate(xyz, centres, size_min, size_max, 2, label)
    return label, centres


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(12, 220),
    st.integers(2, 5),
    st.integers(8, 40),
    st.integers(1, 80),
)
def test_the_improvement_pass_never_lengthens_and_keeps_sizes_legal(
    seed, n, size_min, size_max, trials
):
    """S17: the local improvement after the grouping (moves of a centre, the groups around
    both ends formed again) keeps every branch within the size rules, every member in one
    branch, and never raises the total home-to-centre distance."""
    k = branch_count(n, size_min, size_max, (size_min + size_max) // 2)
    assume(-(-n // size_max) <= k <= n // size_min and k >= 2)
    rng = np.random.default_rng(seed)
    xyz = unit_vectors(_points(rng, n))
    label, centres = _legal_start(xyz, k, size_min, size_max)
    before = formation._distances(xyz, centres, label).sum()
    new_label, new_centres = formation._improve(
        xyz, label, centres, size_min, size_max, rng, trials
    )
    after = formation._distances(xyz, new_centres, new_label).sum()
    assert after <= before * (1 + 1e-9)
    assert new_label.shape == (n,)  # one branch per member, each an existing branch
    assert new_label.min() >= 0
    assert new_label.max() < k
    sizes = np.bincount(new_label, minlength=k)
    assert len(sizes) == k
    assert sizes.min() >= size_min
    assert sizes.max() <= size_max


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(6, 40), st.integers(2, 4), st.integers(1, 3))
def test_grouping_with_size_bounds_is_the_least_distance_one(seed, n, k, size_min):
    """S17's size rules as bounds: the compiled grouping equals the optimum found by
    ``linear_sum_assignment`` over every seat (the first ``size_min`` seats of each centre
    rewarded so that they fill)."""
    size_max = -(-n // k) + 2
    assume(k * size_min <= n)
    rng = np.random.default_rng(seed)
    xyz = unit_vectors(_points(rng, n))
    centres = xyz[rng.choice(n, k, replace=False)]
    starts, arc_centre, cost = formation._dense_arcs(xyz, centres)
    label = formation._flow(starts, arc_centre, cost, k, size_min, size_max)
    assert label is not None
    sizes = np.bincount(label, minlength=k)
    assert sizes.min() >= size_min
    assert sizes.max() <= size_max
    d = cost.reshape(n, k)
    seats = np.repeat(np.arange(k), size_max)
    reward = np.tile(np.arange(size_max) < size_min, k) * 10**9
    rows, cols = linear_sum_assignment(d[:, seats] - reward[None, :])
    assert int(d[np.arange(n), label].sum()) == int(d[rows, seats[cols]].sum())


def test_large_inputs_formed_tile_by_tile_make_the_branches_asked_for():
    """S17 at city scale: above ``FORMATION_TILE * 1.5`` members the start is formed per
    compact tile; the tiles' shares add up to the branch count, every size stays legal."""
    rng = np.random.default_rng(7)
    centres = rng.uniform([31.0, 121.2], [31.4, 121.7], (40, 2))
    homes = centres[rng.integers(0, 40, 9_500)] + rng.normal(0.0, 0.01, (9_500, 2))
    f = form_branches(homes, 3, 50, improve=1)
    assert len(f.branches) == branch_count(9_500, 3, 50, 33)
    assert f.sizes.min() >= 3
    assert f.sizes.max() <= 50
    assert sorted(np.concatenate([b.members for b in f.branches]).tolist()) == list(range(9_500))
