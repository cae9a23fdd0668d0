"""A survey of the test's own world (``tests.factories.SmallWorld``): alice's district surveys
its two branches with the 2005 scale, a headline rating question, a choice and a free-text
question, opened, with tokens for each branch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from jiceng.core import clock
from jiceng.satisfaction import guard, services
from jiceng.satisfaction.models import Question, SatisfactionSurvey, SurveyToken, SurveyUnit


@dataclass
class Setup:
    survey: SatisfactionSurvey
    rating: Question
    choice: Question
    text: Question
    units: list[SurveyUnit]

    def tokens(self, unit: SurveyUnit) -> list[str]:
        """The unused tokens of ``unit`` in clear (as its printed sheet shows them)."""
        return [
            guard.token_for(self.survey.pk, t.nonce)
            for t in SurveyToken.objects.filter(unit=unit, used_at__isnull=True).order_by("id")
        ]

    def answers(self, level: int = 0, text: str = "") -> dict[int, object]:
        return {self.rating.pk: level, self.choice.pk: 1, self.text.pk: text}


def make_survey(small, *, open_link: bool = False, tokens: int = 3) -> Setup:
    today = clock.today()
    survey = services.survey_create(
        actor=small.alice,
        owner=small.a.org,
        title="甲区窗口单位群众满意度测评",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        open_link=open_link,
    )
    rating = services.question_add(
        actor=small.alice, survey=survey, kind="rating", text="您对该单位的总体评价"
    )
    choice = services.question_add(
        actor=small.alice,
        survey=survey,
        kind="choice",
        text="您多久到该单位办一次事",
        choices=["每周", "每月", "更少"],
    )
    text = services.question_add(
        actor=small.alice, survey=survey, kind="text", text="您的意见和建议", required=False
    )
    units = services.units_add(actor=small.alice, survey=survey, orgs=small.a.branches)
    services.tokens_generate(actor=small.alice, survey=survey, per_unit=tokens)
    survey = services.survey_act(actor=small.alice, survey=survey, action="open")
    return Setup(survey, rating, choice, text, units)


@pytest.fixture
def setup(small) -> Setup:
    return make_survey(small)


@pytest.fixture
def open_setup(small) -> Setup:
    return make_survey(small, open_link=True)
