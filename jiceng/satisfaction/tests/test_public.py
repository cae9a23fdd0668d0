"""The public pages (no login, S23): a token link's GET never consumes it, the submitting POST
does, once; the open link's rate limit, honeypot and captcha; CSRF for anonymous visitors;
Traditional characters for zh-Hant readers."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiceng.core.clients import client_address
from jiceng.satisfaction import guard, services, views
from jiceng.satisfaction.models import SurveyComment, SurveyResponse, SurveyToken


def _url(token: str) -> str:
    return reverse("satisfaction:answer", args=[token])


def _post_data(setup, level: int = 0, text: str = "") -> dict[str, object]:
    return {
        f"q{setup.rating.pk}": level,
        f"q{setup.choice.pk}": 1,
        f"q{setup.text.pk}": text,
    }


def test_opening_the_link_shows_the_survey_without_consuming_the_token(client, setup):
    token = setup.tokens(setup.units[0])[0]
    for _ in range(3):  # a mail scanner, a link preview, the person
        response = client.get(_url(token))
        assert response.status_code == 200
    body = response.content.decode()
    assert setup.survey.title in body
    assert setup.units[0].org.name in body
    assert "基本满意" in body
    assert not SurveyToken.objects.filter(used_at__isnull=False).exists()
    assert response["Referrer-Policy"] == "same-origin"  # the token never leaves the site


def test_the_submitting_post_consumes_the_token_and_a_second_is_refused(client, setup):
    token = setup.tokens(setup.units[0])[0]
    response = client.post(_url(token), _post_data(setup, 1, "希望延长办公时间"))
    assert response.status_code == 302
    assert response["Location"] == reverse("satisfaction:thanks")
    assert SurveyResponse.objects.count() == 1
    again = client.post(_url(token), _post_data(setup, 2, "再来一次"))
    assert again.status_code == 409
    assert "此问卷已提交，感谢您的参与" in again.content.decode()
    assert SurveyResponse.objects.count() == 1
    assert list(SurveyComment.objects.values_list("text", flat=True)) == ["希望延长办公时间"]
    shown = client.get(_url(token))
    assert "此问卷已提交" in shown.content.decode()
    assert 'data-testid="answer-form"' not in shown.content.decode()


def test_an_unanswered_required_question_keeps_the_token_and_says_so(client, setup):
    token = setup.tokens(setup.units[0])[0]
    response = client.post(_url(token), {f"q{setup.choice.pk}": 0})
    assert response.status_code == 200
    assert "请回答此题" in response.content.decode()
    assert not SurveyToken.objects.filter(used_at__isnull=False).exists()


def test_an_unknown_token_is_a_kind_404(client, setup):
    response = client.get(_url("abcdefghijklmnopqrstuvwx"))
    assert response.status_code == 404
    assert "测评码无效" in response.content.decode()
    assert client.post(_url("nope"), _post_data(setup)).status_code == 404
    assert SurveyResponse.objects.count() == 0


def test_csrf_works_for_anonymous_visitors(setup):
    browser = Client(enforce_csrf_checks=True)
    token = setup.tokens(setup.units[0])[0]
    forged = browser.post(_url(token), _post_data(setup))
    assert forged.status_code == 403
    page = browser.get(_url(token)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        _url(token),
        {**_post_data(setup), "csrfmiddlewaretoken": csrf},
        HTTP_ORIGIN="http://testserver",  # what a browser sends under the page's policy
    )
    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 1


def test_the_page_reads_in_traditional_characters_for_zh_hant(client, setup):
    token = setup.tokens(setup.units[0])[0]
    client.cookies["django_language"] = "zh-hant"
    body = client.get(_url(token)).content.decode()
    assert "群眾滿意度測評" in body  # the interface
    assert "甲區窗口單位群眾滿意度測評" in body  # the survey's own title, converted
    assert "基本滿意" in body


def test_a_closed_survey_says_so_and_keeps_the_token(client, small, setup):
    services.survey_act(actor=small.alice, survey=setup.survey, action="close")
    token = setup.tokens(setup.units[0])[0]
    response = client.post(_url(token), _post_data(setup))
    assert "本次测评已结束" in response.content.decode()
    assert not SurveyToken.objects.filter(used_at__isnull=False).exists()


# ----- the open link -------------------------------------------------------------------------


def _open_url(setup) -> str:
    return reverse("satisfaction:open-answer", args=[setup.survey.public_key])


def _open_data(setup, client, *, answer: str | None = None, **extra) -> dict[str, object]:
    page = client.get(_open_url(setup)).content.decode()
    challenge = re.search(r'name="challenge" value="([^"]+)"', page).group(1)
    solved = str(guard.captcha_answer(challenge))
    return {
        **_post_data(setup, 0, "公开链接的意见"),
        "unit": setup.units[1].pk,
        "challenge": challenge,
        "captcha": solved if answer is None else answer,
        **extra,
    }


def test_the_open_link_is_404_unless_the_survey_enables_it(client, setup):
    assert client.get(_open_url(setup)).status_code == 404


def test_the_open_link_stores_an_answer_for_the_chosen_unit(client, open_setup):
    response = client.post(_open_url(open_setup), _open_data(open_setup, client))
    assert response.status_code == 302
    stored = SurveyResponse.objects.get()
    assert (stored.unit, stored.channel, stored.token) == (open_setup.units[1], "open", None)


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(client, open_setup):
    data = _open_data(open_setup, client, website="http://spam.example")
    response = client.post(_open_url(open_setup), data)
    assert response.status_code == 302  # told nothing
    assert SurveyResponse.objects.count() == 0
    assert SurveyComment.objects.count() == 0


def test_a_wrong_captcha_is_refused(client, open_setup):
    data = _open_data(open_setup, client, answer="99")
    response = client.post(_open_url(open_setup), data)
    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_a_solved_captcha_cannot_be_used_twice(client, open_setup):
    data = _open_data(open_setup, client)
    assert client.post(_open_url(open_setup), data).status_code == 302
    again = client.post(_open_url(open_setup), data)
    assert "验证码不正确或已过期" in again.content.decode()
    assert SurveyResponse.objects.count() == 1


def test_a_forged_challenge_is_refused(client, open_setup):
    data = _open_data(open_setup, client)
    data["challenge"] = "deadbeef:forged:signature"
    response = client.post(_open_url(open_setup), data)
    assert "验证码不正确或已过期" in response.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_the_rate_limit_refuses_an_address_after_n_submissions(client, open_setup, monkeypatch):
    monkeypatch.setattr(guard, "RATE_LIMIT", 3)
    for _ in range(3):
        assert client.post(_open_url(open_setup), _open_data(open_setup, client)).status_code == 302
    refused = client.post(_open_url(open_setup), _open_data(open_setup, client))
    assert refused.status_code == 429
    assert "提交过于频繁" in refused.content.decode()
    assert SurveyResponse.objects.count() == 3
    # another address is not held back
    other = client.post(
        _open_url(open_setup), _open_data(open_setup, client), REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302
    assert SurveyResponse.objects.count() == 4


def test_the_captcha_image_is_drawn_here(client, open_setup):
    challenge = guard.captcha_new()
    response = client.get(reverse("satisfaction:captcha", args=[challenge]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert client.get(reverse("satisfaction:captcha", args=["x:y:z"])).status_code == 404


def test_the_captcha_answer_never_appears_in_the_page(client, open_setup):
    page = client.get(_open_url(open_setup)).content.decode()
    challenge = re.search(r'name="challenge" value="([^"]+)"', page).group(1)
    a = guard.captcha_answer(challenge)
    assert a is not None
    assert 2 <= a <= 18
    # (the options of the questions and of the unit carry small numbers of their own)
    fields = re.sub(r'<option value="\d+"|<input type="radio" name="q\d+" value="\d+"', "", page)
    assert f'value="{a}"' not in fields


@pytest.mark.parametrize("path", ["satisfaction:thanks"])
def test_the_thank_you_page_needs_no_login(client, db, path):
    response = client.get(reverse(path))
    assert response.status_code == 200
    assert "感谢您的参与" in response.content.decode()


@pytest.mark.parametrize(
    ("remote", "forwarded", "address"),
    [
        ("203.0.113.5", "", "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not our proxy: its header is ignored
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),  # our proxy says who connected to it
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own claim ignored
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),  # a garbled header: the proxy itself
        ("unknown", "", ""),  # the audit log's address column takes only addresses
    ],
)
def test_the_rate_limit_counts_the_address_behind_the_sites_proxy(rf, remote, forwarded, address):
    request = rf.post("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == address


def test_a_submission_reads_the_questions_once_and_writes_in_one_transaction(client, setup):
    """The submitting POST is the busiest public request (issue 21: hundreds a second): the
    token, the questions once, the token spent, the response, its answers and its comment,
    with no savepoint inside the transaction."""
    token = setup.tokens(setup.units[0])[0]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_url(token), _post_data(setup, 0, "希望增加自助机"))
    assert response.status_code == 302
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("satisfaction_question" in q and q.startswith("SELECT") for q in sql) == 1
    # the service's transaction (a savepoint inside the test's own), nothing nested in it
    assert len([q for q in sql if q.startswith("SAVEPOINT")]) == 1
    assert len(sql) <= 9, sql
    assert SurveyComment.objects.get().text == "希望增加自助机"


# ----- the blank form's questions rendered once per process (issue 21: the GET's CPU) ---------


def _shown_questions(body: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<legend>\d+\. ([^<]+)", body)]


def test_a_second_visitor_gets_the_same_form_and_both_answers_are_stored(client, setup):
    """The second GET is served the questions rendered for the first: the same fields, and
    each person's submission stores their own answers and spends their own token once."""
    first, second = setup.tokens(setup.units[0])[:2]
    page_one = client.get(_url(first)).content.decode()
    page_two = Client().get(_url(second)).content.decode()
    fields = re.findall(r'name="(q\d+)"', page_one)
    assert fields
    assert fields == re.findall(r'name="(q\d+)"', page_two)
    assert _shown_questions(page_two) == [
        "您对该单位的总体评价",
        "您多久到该单位办一次事",
        "您的意见和建议",
    ]
    assert client.post(_url(first), _post_data(setup, 0, "")).status_code == 302
    assert Client().post(_url(second), _post_data(setup, 2, "排队太久")).status_code == 302
    assert sorted(SurveyResponse.objects.values_list("overall_level", flat=True)) == [0, 2]
    assert SurveyToken.objects.filter(used_at__isnull=False).count() == 2
    again = Client().post(_url(second), _post_data(setup, 1, "再交一次"))
    assert again.status_code == 409
    assert list(SurveyComment.objects.values_list("text", flat=True)) == ["排队太久"]


def test_a_changed_question_shows_at_once_after_the_form_was_shown(client, setup):
    """The rendered questions are kept per survey, language and content: a changed text, a
    changed choice or a new question is a different form, never the kept one. (Questions
    change only in a draft through the services; the rows are changed directly here to show
    that any change, whatever made it, reaches the page.)"""
    token = setup.tokens(setup.units[0])[0]
    assert "您的意见和建议" in client.get(_url(token)).content.decode()
    setup.text.text = "您对窗口服务还有什么建议"
    setup.text.save()
    setup.choice.choices = ["每周", "每月", "每年"]
    setup.choice.save()
    body = client.get(_url(token)).content.decode()
    assert "您对窗口服务还有什么建议" in body
    assert "您的意见和建议" not in body
    assert "每年" in body
    assert "更少" not in body
    extra = setup.survey.questions.create(position=9, kind="text", text="其他", required=False)
    body = client.get(_url(token)).content.decode()
    assert _shown_questions(body)[-1] == "其他"
    assert f'name="q{extra.pk}"' in body


def test_the_kept_form_follows_the_readers_language(client, setup):
    token = setup.tokens(setup.units[0])[0]
    assert "基本满意" in client.get(_url(token)).content.decode()
    hant = Client()
    hant.cookies["django_language"] = "zh-hant"
    body = hant.get(_url(token)).content.decode()
    assert "基本滿意" in body
    assert "基本满意" not in body
    assert "基本满意" in client.get(_url(token)).content.decode()


def test_a_refused_form_keeps_the_persons_choices_not_a_blank_kept_form(client, setup):
    token = setup.tokens(setup.units[0])[0]
    client.get(_url(token))  # the blank form is now kept
    data = _post_data(setup, 2)
    del data[f"q{setup.choice.pk}"]
    body = client.post(_url(token), data).content.decode()
    assert "请回答此题" in body
    assert re.search(rf'name="q{setup.rating.pk}" value="2"[^>]*checked', body)
    assert not SurveyToken.objects.filter(used_at__isnull=False).exists()


def test_opening_the_link_reads_the_token_and_the_questions_only(client, setup):
    """Two queries for the page, and of the unit's organisation only its name is read (the
    organisation row is wide; the public page shows the name)."""
    token = setup.tokens(setup.units[0])[0]
    with CaptureQueriesContext(connection) as queries:
        body = client.get(_url(token)).content.decode()
    assert setup.units[0].org.name in body
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2, sql
    assert not any('"orgs_organization"."code"' in q for q in sql)


# ----- the kept blank page (issue 21: hundreds of answers a second) -----------------------------


def _csrf(body: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)


def test_a_second_visitor_is_served_the_kept_page_in_one_query(client, setup):
    first, second = setup.tokens(setup.units[0])[:2]
    client.get(_url(first))
    with CaptureQueriesContext(connection) as queries:
        body = Client().get(_url(second)).content.decode()
    assert len(queries.captured_queries) == 1  # the token, with its survey and unit
    assert _shown_questions(body) == [setup.rating.text, setup.choice.text, setup.text.text]


def test_the_kept_page_carries_each_visitors_own_csrf_token_address_and_unit(setup):
    """One page kept for the survey; what differs between visitors is filled in: their CSRF
    token (both forms), the address the language switch returns to, and their unit's name."""
    one, other = setup.tokens(setup.units[0])[0], setup.tokens(setup.units[1])[0]
    browsers = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [b.get(_url(t)).content.decode() for b, t in zip(browsers, (one, other), strict=True)]
    tokens = [_csrf(page) for page in pages]
    assert all(len(t) == 2 for t in tokens)  # the language switch and the answers
    assert not set(tokens[0]) & set(tokens[1])
    for page, token, unit in zip(pages, (one, other), setup.units, strict=True):
        assert f'name="next" value="{_url(token)}"' in page
        assert re.search(rf'data-testid="unit-name">{unit.org.name}<', page)
    assert not any(views._MARK in page for page in pages)  # no marker left behind
    # each browser's token works with its own cookie
    for browser, token, page in zip(browsers, (one, other), pages, strict=True):
        response = browser.post(
            _url(token),
            {**_post_data(setup), "csrfmiddlewaretoken": _csrf(page)[1]},
            HTTP_ORIGIN="http://testserver",
        )
        assert response.status_code == 302
    assert SurveyResponse.objects.count() == 2


def test_the_kept_page_escapes_the_address_and_the_unit_name(client, setup):
    unit = setup.units[0]
    unit.org.name = '<b>"第一支部"</b>'
    unit.org.save()
    token = setup.tokens(unit)[0]
    client.get(_url(token))  # kept with the markers
    body = client.get(_url(token) + "?from=<script>").content.decode()
    assert "&lt;b&gt;&quot;第一支部&quot;&lt;/b&gt;" in body
    assert "<b>" not in body
    assert "<script>" not in body


def test_a_changed_title_or_introduction_shows_at_once(client, small, setup):
    token = setup.tokens(setup.units[0])[0]
    client.get(_url(token))
    services.survey_edit(
        actor=small.alice, survey=setup.survey, title="新的测评名称", intro="请如实填写"
    )
    body = client.get(_url(token)).content.decode()
    assert "新的测评名称" in body
    assert "请如实填写" in body


@pytest.mark.parametrize(
    "bad",
    [" 1", "01", "7", "abc"],
)
def test_a_hand_made_answer_gets_the_forms_message_and_keeps_the_token(client, setup, bad):
    token = setup.tokens(setup.units[0])[0]
    data = {**_post_data(setup), f"q{setup.rating.pk}": bad}
    response = client.post(_url(token), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="answer-form"' in body
    assert "选择一个有效的选项" in body  # the form's own words, in Chinese
    assert not SurveyToken.objects.filter(used_at__isnull=False).exists()


def test_a_nul_character_in_a_comment_is_refused_not_a_server_error(client, setup):
    token = setup.tokens(setup.units[0])[0]
    response = client.post(_url(token), _post_data(setup, 0, "意见\x00建议"))
    assert response.status_code == 200
    assert "空字符" in response.content.decode()
    assert not SurveyToken.objects.filter(used_at__isnull=False).exists()


def test_a_submission_that_lost_the_race_is_told_kindly(client, setup):
    """Two people with copies of one printed token: the page of the second was open before
    the first submitted."""
    token = setup.tokens(setup.units[0])[0]
    Client().get(_url(token))
    assert client.post(_url(token), _post_data(setup, 0)).status_code == 302
    late = Client().post(_url(token), _post_data(setup, 1))
    assert late.status_code == 409
    assert "此问卷已提交" in late.content.decode()
    assert SurveyResponse.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one statement")
def test_a_submission_is_one_statement_and_never_makes_a_callers_transaction_asynchronous(
    client, setup
):
    """On PostgreSQL the token is spent and the response, answers and comment stored by one
    statement. Its asynchronous commit (issue 21) is for its own transaction only: inside a
    caller's transaction (here the test's) the statement leaves the commit alone."""
    token = setup.tokens(setup.units[0])[0]
    with CaptureQueriesContext(connection) as queries:
        assert client.post(_url(token), _post_data(setup, 0, "意见")).status_code == 302
    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1
    assert "synchronous_commit" not in writes[0]
    assert "UPDATE satisfaction_surveytoken" in writes[0]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit modes")
def test_the_asynchronous_statement_stores_and_sets_the_commit_mode_for_its_transaction(setup):
    """The statement as a submission outside any transaction sends it: it stores the answer,
    and its commit mode is local to its transaction (undone here with the savepoint)."""
    token = services.token_find(setup.tokens(setup.units[0])[0])
    cleaned = services._clean_answers(
        setup.survey, list(setup.survey.questions.all()), setup.answers(1, "意见")
    )
    sql = services._at_once_sql(len(cleaned.answers), len(cleaned.texts), quick=True)
    row = services._Row(
        survey=setup.survey.pk,
        unit=token.unit.pk,
        path=token.unit.path,
        token=token.pk,
        channel="token",
        at=timezone.now(),
    )
    savepoint = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute(sql, services._at_once_params(row, cleaned))
        (response_id,) = cursor.fetchone()
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
        assert SurveyResponse.objects.get(pk=response_id).overall_level == 1
        assert SurveyComment.objects.get(response_id=response_id).text == "意见"
        transaction.savepoint_rollback(savepoint)
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
