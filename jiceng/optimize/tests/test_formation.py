"""Regional branch formation (S16, S17): every branch of legal size, each member in one, the
districts covered reported; the electrical group's 1,090 members make about 33 branches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jiceng.optimize import InfeasibleError, branch_count, form_branches
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
