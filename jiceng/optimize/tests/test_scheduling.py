"""Tests of ``schedule_visits``: a year's service tasks for registered households (S27).

S27: party members make 3 home safety checks a year and 1 free cleaning for every registered
household of special groups; 589 households got special service cards.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.optimize._geo import great_circle
from jiceng.optimize.exceptions import InfeasibleError, InputError
from jiceng.optimize.scheduling import Commitment, Schedule, schedule_visits

S27 = [Commitment("safety_check", 3, min_gap_days=90), Commitment("cleaning", 1)]
FAST = settings(max_examples=40, deadline=None)

coordinate = st.tuples(
    st.floats(31.0, 31.4, allow_nan=False), st.floats(121.2, 121.7, allow_nan=False)
)


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    """Small feasible instances: few households and members around Shanghai."""
    h = draw(st.integers(1, 8))
    m = draw(st.integers(1, 4))
    year = draw(st.integers(2000, 2030))
    days = draw(st.integers(180, 365))
    start = datetime.date(year, 1, 1) + datetime.timedelta(days=draw(st.integers(0, 365 - days)))
    end = start + datetime.timedelta(days=days - 1)
    commitments = []
    for c in range(draw(st.integers(1, 2))):
        times = draw(st.integers(1, 3 - c))
        gap = draw(st.integers(0, int(0.7 * days / times)))
        commitments.append(Commitment(f"kind{c}", times, min_gap_days=gap))
    return {
        "households": draw(st.lists(coordinate, min_size=h, max_size=h)),
        "members": draw(st.lists(coordinate, min_size=m, max_size=m)),
        "commitments": commitments,
        "year": year,
        "start": start,
        "end": end,
        "seed": draw(st.integers(0, 2**32 - 1)),
        "weekdays_only": draw(st.booleans()),
        "max_per_member_day": draw(st.integers(1, 3)),
    }


def _random_points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack((rng.uniform(31.0, 31.4, n), rng.uniform(121.2, 121.7, n)))


def _chains(plan: Schedule) -> dict[tuple[int, str], list[datetime.date]]:
    chains: dict[tuple[int, str], list[datetime.date]] = {}
    for t in sorted(plan.tasks, key=lambda t: t.sequence):
        chains.setdefault((t.household, t.kind), []).append(t.due)
    return chains


@pytest.fixture(scope="module")
def s27_plan() -> Schedule:
    return schedule_visits(_random_points(589, 1), _random_points(40, 2), S27, 2005)


@FAST
@given(instances())
def test_each_household_gets_each_commitment_the_right_number_of_times(
    case: dict[str, Any],
) -> None:
    plan = schedule_visits(**case)
    counts = Counter((t.household, t.kind) for t in plan.tasks)
    for i in range(len(case["households"])):
        for c in case["commitments"]:
            assert counts[i, c.kind] == c.times
    sequences: dict[tuple[int, str], list[int]] = {}
    for t in plan.tasks:
        sequences.setdefault((t.household, t.kind), []).append(t.sequence)
    assert all(sorted(seqs) == list(range(1, len(seqs) + 1)) for seqs in sequences.values())


@FAST
@given(instances())
def test_tasks_of_one_kind_for_a_household_keep_the_minimum_gap_in_sequence_order(
    case: dict[str, Any],
) -> None:
    plan = schedule_visits(**case)
    gap = {c.kind: c.min_gap_days for c in case["commitments"]}
    for (_i, kind), dates in _chains(plan).items():
        for a, b in itertools.pairwise(dates):
            assert (b - a).days >= max(gap[kind], 1)


@FAST
@given(instances())
def test_all_dates_fall_within_the_span(case: dict[str, Any]) -> None:
    plan = schedule_visits(**case)
    assert (plan.start, plan.end) == (case["start"], case["end"])
    assert all(case["start"] <= t.due <= case["end"] for t in plan.tasks)


@FAST
@given(instances())
def test_weekdays_only_puts_every_task_on_monday_to_friday(case: dict[str, Any]) -> None:
    plan = schedule_visits(**{**case, "weekdays_only": True})
    assert all(t.due.weekday() < 5 for t in plan.tasks)


def test_weekends_are_used_when_not_restricted(s27_plan: Schedule) -> None:
    plan = schedule_visits(
        _random_points(589, 1), _random_points(40, 2), S27, 2005, weekdays_only=False
    )
    assert any(t.due.weekday() >= 5 for t in plan.tasks)
    assert all(t.due.weekday() < 5 for t in s27_plan.tasks)


@FAST
@given(instances())
def test_member_loads_are_balanced(case: dict[str, Any]) -> None:
    plan = schedule_visits(**case)
    per_member = plan.households_per_member
    h, m = len(case["households"]), len(case["members"])
    assert per_member.sum() == h
    assert set(per_member.tolist()) <= {h // m, -(-h // m)}
    assert per_member.max() - per_member.min() <= 1
    tasks = Counter(t.member for t in plan.tasks)
    assert plan.load.tolist() == [tasks[j] for j in range(m)]
    assert plan.load.max() - plan.load.min() <= sum(c.times for c in case["commitments"])


@FAST
@given(instances())
def test_no_member_gets_more_than_max_per_member_day_tasks_on_one_day(
    case: dict[str, Any],
) -> None:
    plan = schedule_visits(**case)
    per_day = Counter((t.member, t.due) for t in plan.tasks)
    assert max(per_day.values()) <= case["max_per_member_day"]
    for j in range(len(case["members"])):
        busiest = max((n for (mj, _d), n in per_day.items() if mj == j), default=0)
        assert plan.busiest_day_load[j] == busiest


@FAST
@given(instances())
def test_one_member_does_every_task_of_a_household(case: dict[str, Any]) -> None:
    plan = schedule_visits(**case)
    assert all(t.member == plan.member_of[t.household] for t in plan.tasks)
    assert np.array_equal(
        np.bincount(plan.member_of, minlength=len(case["members"])), plan.households_per_member
    )


@FAST
@given(instances())
def test_kinds_of_one_household_fall_on_different_days(case: dict[str, Any]) -> None:
    plan = schedule_visits(**case)
    days = Counter((t.household, t.due) for t in plan.tasks)
    assert max(days.values()) == 1


@FAST
@given(instances())
def test_same_seed_gives_the_same_schedule(case: dict[str, Any]) -> None:
    a, b = schedule_visits(**case), schedule_visits(**case)
    assert a.tasks == b.tasks
    assert np.array_equal(a.member_of, b.member_of)
    assert np.array_equal(a.load, b.load)
    assert np.array_equal(a.distance, b.distance)


def test_a_different_seed_keeps_the_members_but_restaggers_the_dates(
    s27_plan: Schedule,
) -> None:
    other = schedule_visits(_random_points(589, 1), _random_points(40, 2), S27, 2005, seed=7)
    assert np.array_equal(other.member_of, s27_plan.member_of)
    assert other.tasks != s27_plan.tasks


@FAST
@given(instances())
def test_tasks_are_sorted_by_due_member_household_kind(case: dict[str, Any]) -> None:
    plan = schedule_visits(**case)
    keys = [(t.due, t.member, t.household, t.kind) for t in plan.tasks]
    assert keys == sorted(keys)


@FAST
@given(instances())
def test_distance_is_metres_from_each_household_to_its_member(case: dict[str, Any]) -> None:
    plan = schedule_visits(**case)
    homes, party = np.asarray(case["households"]), np.asarray(case["members"])
    assert np.allclose(plan.distance, great_circle(homes, party[plan.member_of]))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(coordinate, min_size=2, max_size=6),
    st.lists(coordinate, min_size=2, max_size=3),
)
def test_members_are_chosen_by_least_total_distance_among_balanced_assignments(
    households: list[tuple[float, float]], members: list[tuple[float, float]]
) -> None:
    homes, party = np.asarray(households), np.asarray(members)
    h, m = len(homes), len(party)
    plan = schedule_visits(homes, party, [Commitment("cleaning", 1)], 2005)
    metres = great_circle(np.repeat(homes, m, axis=0), np.tile(party, (h, 1))).reshape(h, m)
    best = min(
        float(metres[np.arange(h), list(choice)].sum())
        for choice in itertools.product(range(m), repeat=h)
        if np.ptp(np.bincount(choice, minlength=m)) <= 1
    )
    assert plan.total_distance <= best + h  # costs are whole metres: at most 1 m each


def test_a_member_far_away_still_gets_a_fair_share() -> None:
    near = [(31.23 + 0.001 * k, 121.47) for k in range(7)]
    party = [(31.23, 121.47), (31.231, 121.471), (31.40, 121.70)]
    plan = schedule_visits(near, party, S27, 2005)
    assert sorted(plan.households_per_member.tolist()) == [2, 2, 3]
    assert plan.households_per_member[2] == 2


def test_a_members_households_are_staggered_across_the_year(s27_plan: Schedule) -> None:
    for j in range(40):
        mine = s27_plan.tasks_of(j)
        months = {t.due.month for t in mine}
        assert len(months) >= 10
        firsts = [t.due for t in mine if t.kind == "safety_check" and t.sequence == 1]
        assert len(set(firsts)) >= len(firsts) - 1


def test_s27_589_households_40_members_get_2356_tasks_with_gaps_kept(
    s27_plan: Schedule,
) -> None:
    plan = s27_plan
    assert len(plan.tasks) == 589 * 4 == 2356
    assert sorted(set(plan.households_per_member.tolist())) == [14, 15]
    assert sorted(set(plan.load.tolist())) == [56, 60]
    assert plan.busiest_day_load.max() <= 2
    checks = Counter(t.household for t in plan.tasks if t.kind == "safety_check")
    cleanings = Counter(t.household for t in plan.tasks if t.kind == "cleaning")
    assert set(checks.values()) == {3}
    assert set(cleanings.values()) == {1}
    assert len(checks) == len(cleanings) == 589
    for (_i, kind), dates in _chains(plan).items():
        if kind == "safety_check":
            assert all((b - a).days >= 90 for a, b in itertools.pairwise(dates))
    assert all(t.due.year == 2005 and t.due.weekday() < 5 for t in plan.tasks)


def test_a_gap_that_cannot_fit_in_the_span_raises_a_clear_input_error() -> None:
    with pytest.raises(InputError, match=r"4 tasks at least 130 days apart do not fit"):
        schedule_visits(
            _random_points(5, 1), _random_points(2, 2), [Commitment("check", 4, 130)], 2005
        )


def test_a_gap_that_fits_only_with_weekends_raises_when_weekdays_only() -> None:
    # 2005-01-01 is a Saturday: three tasks six days apart need weekends in 13 days.
    span = {"start": datetime.date(2005, 1, 1), "end": datetime.date(2005, 1, 13)}
    tight = [Commitment("check", 3, 6)]
    plan = schedule_visits(
        [(31.2, 121.4)], [(31.2, 121.4)], tight, 2005, weekdays_only=False, **span
    )
    assert [t.due.day for t in plan.tasks] == [1, 7, 13]
    with pytest.raises(InputError, match="weekdays only"):
        schedule_visits([(31.2, 121.4)], [(31.2, 121.4)], tight, 2005, **span)


def test_max_distance_beyond_every_member_raises_infeasible_error() -> None:
    homes = [(31.23, 121.47), (31.40, 121.70)]
    with pytest.raises(InfeasibleError, match="schedule is infeasible") as info:
        schedule_visits(homes, [(31.23, 121.47)], S27, 2005, max_distance=2_000)
    assert info.value.missing == 1


def test_max_distance_that_breaks_the_balance_raises_infeasible_error() -> None:
    # Six households, four members: the three near members have the seats (two each), but
    # member 3 lives far from every household and must still take at least one.
    near = [(31.23 + 0.001 * k, 121.47) for k in range(6)]
    party = [(31.23, 121.47), (31.231, 121.471), (31.232, 121.47), (31.40, 121.70)]
    assert schedule_visits(near, party, S27, 2005).households_per_member.min() == 1
    with pytest.raises(InfeasibleError, match="schedule is infeasible") as info:
        schedule_visits(near, party, S27, 2005, max_distance=2_000)
    assert info.value.missing >= 1


def test_too_few_day_slots_raises_infeasible_error() -> None:
    week = {"start": datetime.date(2005, 1, 3), "end": datetime.date(2005, 1, 7)}
    homes = [(31.23 + 0.001 * k, 121.47) for k in range(6)]
    with pytest.raises(InfeasibleError, match=r"at most 1 task\(s\) per member a day") as info:
        schedule_visits(
            homes, [(31.23, 121.47)], [Commitment("check", 1)], 2005, max_per_member_day=1, **week
        )
    assert info.value.missing == 1


def test_no_households_gives_an_empty_schedule() -> None:
    plan = schedule_visits(np.zeros((0, 2)), [(31.23, 121.47)], S27, 2005)
    assert plan.tasks == ()
    assert plan.load.tolist() == [0]
    assert plan.member_of.shape == (0,)


def test_households_without_members_raise_infeasible_error() -> None:
    with pytest.raises(InfeasibleError):
        schedule_visits([(31.23, 121.47)], np.zeros((0, 2)), S27, 2005)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"commitments": []}, "at least one commitment"),
        ({"commitments": [Commitment("a", 1), Commitment("a", 2)]}, "each kind at most once"),
        ({"start": datetime.date(2005, 6, 1), "end": datetime.date(2005, 5, 1)}, "is after"),
        ({"max_per_member_day": 0}, "max_per_member_day"),
        ({"households": [(95.0, 121.47)]}, "latitude out of range"),
        ({"year": 0}, "year"),
    ],
)
def test_malformed_input_raises_input_error(kwargs: dict[str, Any], message: str) -> None:
    case: dict[str, Any] = {
        "households": [(31.23, 121.47)],
        "members": [(31.23, 121.47)],
        "commitments": S27,
        "year": 2005,
    }
    with pytest.raises(InputError, match=message):
        schedule_visits(**{**case, **kwargs})


@pytest.mark.parametrize(("times", "gap"), [(0, 0), (-1, 0), (1, -5)])
def test_a_commitment_needs_positive_times_and_a_non_negative_gap(times: int, gap: int) -> None:
    with pytest.raises(InputError, match="commitment 'check'"):
        Commitment("check", times, min_gap_days=gap)
