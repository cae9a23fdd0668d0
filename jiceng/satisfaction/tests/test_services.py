"""Services and selectors of satisfaction surveys (S23): set-up rules, tokens stored hashed
and consumed once, results per unit equal to an independent count, the redo flag (补课), and
the comments' scope."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.core.models import AuditEvent
from jiceng.satisfaction import selectors, services
from jiceng.satisfaction.models import (
    Answer,
    SatisfactionSurvey,
    SurveyComment,
    SurveyResponse,
    SurveyToken,
)
from jiceng.satisfaction.services import AlreadySubmittedError

from .conftest import make_survey


def test_a_survey_has_the_2005_scale_and_60_percent_line_by_default(small):
    survey = services.survey_create(
        actor=small.alice,
        owner=small.a.org,
        title="测评",
        opens_on=dt.date(2005, 9, 1),
        closes_on=dt.date(2005, 9, 30),
    )
    assert survey.scale == ["满意", "基本满意", "不满意"]
    assert (survey.satisfied_levels, survey.threshold_percent) == (2, 60)
    assert survey.path == small.a.org.path
    assert AuditEvent.objects.filter(object_type="satisfaction.satisfactionsurvey").exists()


def test_another_district_may_not_set_up_a_survey_here(small):
    with pytest.raises(PermissionDenied):
        services.survey_create(
            actor=small.bob,
            owner=small.a.org,
            title="测评",
            opens_on=dt.date(2005, 9, 1),
            closes_on=dt.date(2005, 9, 30),
        )


def test_a_scale_setting_that_makes_no_sense_is_refused(small):
    with pytest.raises(ValidationError, match="计为满意的等级数"):
        services.survey_create(
            actor=small.alice,
            owner=small.a.org,
            title="测评",
            opens_on=dt.date(2005, 9, 1),
            closes_on=dt.date(2005, 9, 30),
            scale=["满意", "不满意"],
            satisfied_levels=2,
        )


def test_units_must_lie_in_the_owners_subtree(small):
    survey = services.survey_create(
        actor=None,
        owner=small.a.street,
        title="测评",
        opens_on=dt.date(2005, 9, 1),
        closes_on=dt.date(2005, 9, 30),
    )
    with pytest.raises(ValidationError, match="不在测评组织单位的下级范围内"):
        services.units_add(actor=None, survey=survey, orgs=[small.b.branches[0]])


def test_a_survey_opens_only_with_a_rating_question_and_a_unit(small):
    survey = services.survey_create(
        actor=small.alice,
        owner=small.a.org,
        title="测评",
        opens_on=dt.date(2005, 9, 1),
        closes_on=dt.date(2005, 9, 30),
    )
    with pytest.raises(ValidationError, match="满意度评价题"):
        services.survey_act(actor=small.alice, survey=survey, action="open")


def test_questions_are_fixed_once_the_survey_is_open(small, setup):
    with pytest.raises(ValidationError, match="测评已开始"):
        services.question_add(actor=small.alice, survey=setup.survey, kind="text", text="又一题")


def test_tokens_are_stored_hashed_never_in_clear(setup):
    unit = setup.units[0]
    tokens = setup.tokens(unit)
    assert len(tokens) == 3
    assert len(set(tokens)) == 3
    stored = list(SurveyToken.objects.filter(unit=unit).values_list("token_hash", "nonce"))
    for token in tokens:
        assert hashlib.sha256(token.encode()).hexdigest() in {h for h, _n in stored}
        assert all(token not in (h, n) for h, n in stored)


def test_printing_a_sheet_is_audited_and_gives_the_unused_tokens(small, setup):
    unit = setup.units[0]
    printed = services.tokens_print(actor=small.alice, survey=setup.survey, unit=unit)
    assert sorted(printed) == sorted(setup.tokens(unit))
    assert AuditEvent.objects.filter(verb="export", org_path=unit.path).exists()
    with pytest.raises(PermissionDenied):
        services.tokens_print(actor=small.bob, survey=setup.survey, unit=unit)


def test_a_token_is_consumed_by_the_submission_once(setup):
    token = services.token_find(setup.tokens(setup.units[0])[0])
    assert token is not None
    assert token.used_at is None
    services.response_submit(actor=None, token=token, answers=setup.answers(0, "窗口排队太久"))
    token.refresh_from_db()
    assert token.used_at is not None
    with pytest.raises(AlreadySubmittedError, match="此问卷已提交"):
        services.response_submit(actor=None, token=token, answers=setup.answers(2))
    assert SurveyResponse.objects.filter(survey=setup.survey).count() == 1
    assert Answer.objects.filter(response__survey=setup.survey).count() == 2
    assert SurveyComment.objects.filter(survey=setup.survey).count() == 1


def test_a_stale_copy_of_the_token_row_cannot_submit_twice(setup):
    """Two requests that both read the token unused: the conditional UPDATE lets one through."""
    raw = setup.tokens(setup.units[0])[0]
    first, second = services.token_find(raw), services.token_find(raw)
    services.response_submit(actor=None, token=first, answers=setup.answers(0))
    with pytest.raises(AlreadySubmittedError):
        services.response_submit(actor=None, token=second, answers=setup.answers(0))
    assert SurveyResponse.objects.filter(survey=setup.survey).count() == 1


def test_questions_of_another_survey_are_refused_and_the_token_kept(small, setup):
    other = make_survey(small)
    token = services.token_find(setup.tokens(setup.units[0])[0])
    with pytest.raises(ValidationError, match="题目不属于本次测评"):
        services.response_submit(
            actor=None,
            token=token,
            answers=setup.answers(0),
            questions=[other.rating, other.choice, other.text],
        )
    token.refresh_from_db()
    assert token.used_at is None
    assert not SurveyResponse.objects.exists()


def test_an_incomplete_form_keeps_the_token(setup):
    token = services.token_find(setup.tokens(setup.units[0])[0])
    with pytest.raises(ValidationError):
        services.response_submit(actor=None, token=token, answers={setup.rating.pk: None})
    token.refresh_from_db()
    assert token.used_at is None
    with pytest.raises(ValidationError):
        services.response_submit(actor=None, token=token, answers={setup.rating.pk: 7})
    token.refresh_from_db()
    assert token.used_at is None


def test_a_closed_survey_takes_no_answers(small, setup):
    services.survey_act(actor=small.alice, survey=setup.survey, action="close")
    token = services.token_find(setup.tokens(setup.units[0])[0])
    with pytest.raises(ValidationError, match="已结束"):
        services.response_submit(actor=None, token=token, answers=setup.answers(0))
    token.refresh_from_db()
    assert token.used_at is None


def test_a_survey_past_its_closing_date_takes_no_answers(setup, settings):
    settings.JICENG_TODAY = setup.survey.closes_on + dt.timedelta(days=1)
    assert services.survey_accepts(setup.survey) == "本次测评已结束，感谢您的关注"
    settings.JICENG_TODAY = setup.survey.opens_on - dt.timedelta(days=1)
    assert services.survey_accepts(setup.survey) == "本次测评尚未开始"


def _answer_all(setup, unit, levels):
    for raw, level in zip(setup.tokens(unit), levels, strict=False):
        services.response_submit(
            actor=None, token=services.token_find(raw), answers=setup.answers(level)
        )


def test_results_per_unit_equal_an_independent_count_and_flag_the_units_to_redo(small):
    setup = make_survey(small, tokens=10)
    first, second = setup.units
    _answer_all(setup, first, [0, 0, 1, 1, 1, 2, 0, 1])  # 7 of 8 satisfied: 87.5 %
    _answer_all(setup, second, [2, 2, 1, 0, 2])  # 2 of 5 satisfied: 40 %
    rows = {r.unit_id: r for r in selectors.results_by_unit(setup.survey)}
    for unit in (first, second):
        levels = [
            r.answers.get(question=setup.rating).level
            for r in SurveyResponse.objects.filter(unit=unit)
        ]
        satisfied = sum(1 for lv in levels if lv in (0, 1))
        assert (rows[unit.pk].responses, rows[unit.pk].satisfied) == (len(levels), satisfied)
    assert rows[first.pk].share == pytest.approx(7 / 8)
    assert rows[second.pk].share == pytest.approx(2 / 5)
    assert (rows[first.pk].redo, rows[second.pk].redo) == (False, True)
    assert rows[second.pk].interval.low < 0.4 < rows[second.pk].interval.high
    total = selectors.results_total(setup.survey, list(rows.values()))
    assert (total["responses"], total["satisfied"], total["redo_units"]) == (13, 9, 1)


def test_the_threshold_and_satisfied_levels_are_the_surveys_own(small):
    setup = make_survey(small, tokens=5)
    _answer_all(setup, setup.units[0], [0, 1, 1, 2, 2])  # 3 of 5 at 满意 or 基本满意
    (row, _) = selectors.results_by_unit(setup.survey)
    assert (row.share, row.redo) == (0.6, False)
    SatisfactionSurvey.objects.filter(pk=setup.survey.pk).update(threshold_percent=70)
    setup.survey.refresh_from_db()
    (row, _) = selectors.results_by_unit(setup.survey)
    assert row.redo is True
    SatisfactionSurvey.objects.filter(pk=setup.survey.pk).update(
        threshold_percent=60, satisfied_levels=1
    )
    setup.survey.refresh_from_db()
    (row, _) = selectors.results_by_unit(setup.survey)
    assert (row.satisfied, row.redo) == (1, True)


def test_a_unit_without_answers_is_not_flagged(setup):
    rows = selectors.results_by_unit(setup.survey)
    assert all((r.responses, r.share, r.interval, r.redo) == (0, None, None, False) for r in rows)


def test_comments_are_scoped_like_every_read(small, setup):
    raw = setup.tokens(setup.units[0])[0]
    services.response_submit(
        actor=None, token=services.token_find(raw), answers=setup.answers(2, "办事窗口太少")
    )
    comment = SurveyComment.objects.get()
    assert comment.text == "办事窗口太少"
    assert comment.path == setup.units[0].path
    assert list(selectors.comment_list(small.alice, survey=setup.survey)) == [comment]
    assert not selectors.comment_list(small.bob).exists()
    assert selectors.comment_get(small.alice, comment.pk) == comment
    with pytest.raises(Http404):
        selectors.comment_get(small.bob, comment.pk)


def test_the_open_link_needs_the_survey_to_enable_it(small, setup):
    with pytest.raises(ValidationError, match="未开放公开链接"):
        services.response_submit_open(
            actor=None, survey=setup.survey, unit=setup.units[0], answers=setup.answers(0)
        )


def test_the_scale_is_fixed_once_opened_but_the_threshold_may_change(small, setup):
    with pytest.raises(ValidationError, match="评价等级不能再修改"):
        services.survey_edit(actor=small.alice, survey=setup.survey, scale=["好", "中", "差"])
    survey = services.survey_edit(actor=small.alice, survey=setup.survey, threshold_percent=70)
    assert survey.threshold_percent == 70
    assert AuditEvent.objects.filter(
        object_id=str(survey.pk), verb="update", changes__threshold_percent=[60, 70]
    ).exists()


def test_results_take_the_same_few_queries_however_many_units(small, django_assert_num_queries):
    setup = make_survey(small, tokens=2)
    for unit in setup.units:
        for raw in setup.tokens(unit):
            services.response_submit(
                actor=None, token=services.token_find(raw), answers=setup.answers(1)
            )
    with django_assert_num_queries(2):  # the grouped counts, the units
        rows = selectors.results_by_unit(setup.survey)
    assert [r.responses for r in rows] == [2, 2]


# ----- the version of the questions (issue 21: the public page keeps them per version) --------


def _version(survey: SatisfactionSurvey) -> int:
    return SatisfactionSurvey.objects.values_list("version", flat=True).get(pk=survey.pk)


def test_the_database_counts_every_change_of_the_questions_whatever_made_it(small, setup):
    """Services, a row saved directly, a bulk update, a removal: each is a new version, so a
    kept form can never be taken for the current one."""
    seen = [_version(setup.survey)]
    setup.text.text = "您还有什么建议"
    setup.text.save()
    seen.append(_version(setup.survey))
    setup.survey.questions.filter(pk=setup.choice.pk).update(choices=["每周", "每年"])
    seen.append(_version(setup.survey))
    setup.survey.questions.create(position=9, kind="text", text="其他", required=False)
    seen.append(_version(setup.survey))
    setup.survey.questions.filter(text="其他").delete()
    seen.append(_version(setup.survey))
    assert seen == sorted(set(seen)), seen  # strictly increasing
    other = make_survey(small)
    before = _version(other.survey)
    setup.text.save()
    assert _version(other.survey) == before  # another survey's questions are not its own


def test_a_stale_copy_of_the_survey_saved_again_keeps_the_newer_version(setup):
    stale = SatisfactionSurvey.objects.get(pk=setup.survey.pk)
    setup.rating.text = "您对窗口服务的总体评价"
    setup.rating.save()
    newer = _version(setup.survey)
    stale.threshold_percent = 70
    stale.save()  # writes its old version number back
    assert _version(setup.survey) == newer
    assert SatisfactionSurvey.objects.get(pk=setup.survey.pk).threshold_percent == 70


def test_the_public_questions_are_read_once_per_version(setup, django_assert_num_queries):
    survey = SatisfactionSurvey.objects.get(pk=setup.survey.pk)
    with django_assert_num_queries(1):
        first = selectors.public_questions(survey)
    with django_assert_num_queries(0):
        assert selectors.public_questions(survey) == first
    assert list(first) == [setup.rating, setup.choice, setup.text]
    setup.text.text = "您还有什么建议"
    setup.text.save()
    survey.refresh_from_db()
    with django_assert_num_queries(1):
        assert [q.text for q in selectors.public_questions(survey)][-1] == "您还有什么建议"


def test_the_token_is_read_with_its_survey_and_unit_in_one_query(setup, django_assert_num_queries):
    raw = setup.tokens(setup.units[0])[0]
    with django_assert_num_queries(1):
        token = services.token_find(raw)
        assert token is not None
        assert (token.survey.title, token.survey.scale) == (setup.survey.title, setup.survey.scale)
        assert (token.survey.opens_on, token.survey.closes_on) == (
            setup.survey.opens_on,
            setup.survey.closes_on,
        )
        assert (token.unit, token.unit.path) == (setup.units[0], setup.units[0].path)
        assert token.unit_name == setup.units[0].org.name
        assert token.used_at is None
    assert services.token_find(raw.upper()) == token  # as typed from a printed sheet
    assert services.token_find("x" * 24) is None
    assert services.token_find("") is None


@pytest.mark.parametrize(
    ("level", "text"),
    [
        (" 1", ""),  # what the form would not take either
        ("01", ""),
        ("١", ""),
        ("3", ""),  # the scale has three levels: 0, 1, 2
        ("-1", ""),
        ("1.0", ""),
        ("1", "意见\x00"),  # the database refuses NUL in text
    ],
)
def test_an_answer_the_form_would_refuse_is_refused_and_keeps_the_token(setup, level, text):
    token = services.token_find(setup.tokens(setup.units[0])[0])
    answers = {setup.rating.pk: level, setup.choice.pk: "1", setup.text.pk: text}
    with pytest.raises(ValidationError) as refused:
        services.response_submit(actor=None, token=token, answers=answers)
    assert set(refused.value.message_dict) == {f"q{setup.rating.pk if not text else setup.text.pk}"}
    token.refresh_from_db()
    assert token.used_at is None
    assert not SurveyResponse.objects.exists()


def test_a_response_stores_its_answers_and_comment_as_given(setup):
    token = services.token_find(setup.tokens(setup.units[1])[0])
    answers = {setup.rating.pk: "2", setup.choice.pk: 0, setup.text.pk: "  排队太久  "}
    response = services.response_submit(actor=None, token=token, answers=answers)
    stored = SurveyResponse.objects.get()
    assert stored.pk == response.pk
    assert (stored.unit, stored.path, stored.token, stored.channel) == (
        setup.units[1],
        setup.units[1].path,
        token,
        "token",
    )
    assert stored.overall_level == 2
    assert stored.submitted_at == response.submitted_at
    assert sorted(stored.answers.values_list("question_id", "level", "choice")) == sorted(
        [(setup.rating.pk, 2, None), (setup.choice.pk, None, 0)]
    )
    comment = SurveyComment.objects.get()
    assert (comment.text, comment.question, comment.unit, comment.path) == (
        "排队太久",
        setup.text,
        setup.units[1],
        setup.units[1].path,
    )
    assert comment.submitted_at == stored.submitted_at
