"""The score and the ranking as pure rules (issue 21 item 4)."""

from __future__ import annotations

import pytest

from jiceng.appraisal import rules
from jiceng.appraisal.rules import DEFAULT_WEIGHTS, Indicator

STEPS, COVERAGE, FOUR = Indicator.STEPS_ON_TIME, Indicator.COVERAGE, Indicator.FOUR_ONES
P_TIME, P_SAT, SURVEY = (
    Indicator.PETITIONS_ON_TIME,
    Indicator.PETITIONS_SATISFIED,
    Indicator.SURVEY_SATISFIED,
)


def test_default_weights_make_100_and_every_indicator_has_its_definition():
    assert sum(DEFAULT_WEIGHTS.values()) == rules.WEIGHT_TOTAL
    assert set(DEFAULT_WEIGHTS) == set(Indicator.values)
    for rule in rules.RULES:
        assert str(rule.numerator)
        assert str(rule.denominator)
        assert rule.source


def test_a_unit_without_petitions_or_survey_is_not_given_zero_but_scored_on_the_rest():
    """S21, S23: a unit no petition was routed to and no survey asked about is scored on the
    campaign indicators alone, their weights scaled up to make 100."""
    figures = {STEPS: (3, 3), COVERAGE: (1, 2), FOUR: (10, 20)}
    # default weights 20, 15, 15 over 50: 40 %, 30 %, 30 %
    expected = round((100 * 20 + 50 * 15 + 50 * 15) / 50, 2)
    assert rules.score(figures, DEFAULT_WEIGHTS) == expected == 70.0
    with_zero = {**figures, SURVEY: (0, 10)}  # a survey where nobody was satisfied does count
    assert rules.score(with_zero, DEFAULT_WEIGHTS) < 70.0
    used = {p.indicator: p.used_weight for p in rules.parts(figures, DEFAULT_WEIGHTS)}
    assert used[STEPS] == 40.0
    assert used[SURVEY] == 0.0
    assert used[P_TIME] == 0.0
    assert sum(used.values()) == pytest.approx(100.0)


def test_contributions_add_up_to_the_score():
    figures = {STEPS: (2, 3), COVERAGE: (1.5, 2), FOUR: (7, 12), P_TIME: (4, 5), SURVEY: (8, 9)}
    ps = rules.parts(figures, DEFAULT_WEIGHTS)
    total = rules.score(figures, DEFAULT_WEIGHTS)
    assert sum(p.contribution for p in ps) == pytest.approx(total, abs=0.05)


def test_an_indicator_weighted_zero_leaves_a_unit_with_only_it_unscored():
    weights = {**dict.fromkeys(rules.KEYS, 0), SURVEY: 100}
    assert rules.score({STEPS: (1, 1)}, weights) is None
    assert rules.score({STEPS: (1, 1), SURVEY: (1, 2)}, weights) == 50.0


def test_equal_scores_share_a_rank_and_the_next_rank_is_skipped():
    """The tie rule: standard competition ranking (1, 2, 2, 4), ties listed by code."""
    ranks = rules.rank([(1, 80.0, "b"), (2, 90.0, "z"), (3, 80.0, "a"), (4, 70.0, "c")])
    assert ranks == {2: 1, 3: 2, 1: 2, 4: 4}


def test_scores_equal_to_two_decimals_are_a_tie_and_unscored_units_have_no_rank():
    ranks = rules.rank([(1, 80.001, "a"), (2, 79.999, "b"), (3, None, "c")])
    assert ranks == {1: 1, 2: 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({COVERAGE: 16}, "各项权重之和须为 100（现为 101）"),
        ({COVERAGE: -1}, "“四让覆盖”的权重须为 0 至 100 的整数"),
        ({COVERAGE: 1.5}, "“四让覆盖”的权重须为 0 至 100 的整数"),
        ({"bogus": 0}, "未知的指标：bogus"),
    ],
)
def test_weights_are_whole_percentages_summing_to_100(change, message):
    assert message in rules.check_weights({**DEFAULT_WEIGHTS, **change})
