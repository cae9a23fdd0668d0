"""The rules of satisfaction surveys (S23): the Wilson interval on known values and the redo
line (补课)."""

from __future__ import annotations

import pytest

from jiceng.satisfaction.rules import (
    DEFAULT_SATISFIED_LEVELS,
    DEFAULT_SCALE,
    DEFAULT_THRESHOLD_PERCENT,
    needs_redo,
    wilson,
)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Values from the closed form, checked against Newcombe (1998), table I:
        # 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605; 0/20 → 0–0.1611
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (8, 10, 0.4902, 0.9433),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_on_known_values(k, n, low, high):
    interval = wilson(k, n)
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_holds_the_share_and_narrows_with_more_answers():
    small, large = wilson(6, 10), wilson(600, 1000)
    assert small.low < 0.6 < small.high
    assert large.low < 0.6 < large.high
    assert large.high - large.low < small.high - small.low


def test_wilson_has_nothing_to_say_without_answers_and_refuses_nonsense():
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match="between"):
        wilson(5, 3)


def test_the_2005_defaults():
    assert DEFAULT_SCALE == ("满意", "基本满意", "不满意")
    assert DEFAULT_SATISFIED_LEVELS == 2  # 满意 + 基本满意
    assert DEFAULT_THRESHOLD_PERCENT == 60


@pytest.mark.parametrize(
    ("satisfied", "rated", "threshold", "redo"),
    [
        (59, 100, 60, True),
        (60, 100, 60, False),  # exactly on the line is not below it
        (3, 5, 60, False),
        (2, 5, 60, True),
        (0, 0, 60, False),  # no answers: nothing to judge
        (7, 10, 80, True),
    ],
)
def test_a_unit_below_the_threshold_redoes_the_work(satisfied, rated, threshold, redo):
    assert needs_redo(satisfied, rated, threshold) is redo
