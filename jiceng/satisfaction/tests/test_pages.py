"""The officers' pages of satisfaction surveys (S23): set up through the pages, a printable
sheet of QR codes, results with the units to redo the work (补课), comments; another
district's officer gets 404 and the public gets the login page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import mark_verified
from jiceng.core import clock
from jiceng.core.models import AuditEvent
from jiceng.satisfaction import services
from jiceng.satisfaction.models import SatisfactionSurvey, SurveyToken

from .conftest import make_survey


def login(client, user) -> None:
    client.force_login(user)
    mark_verified(client, user)


def test_an_officer_sets_up_and_opens_a_survey_through_the_pages(client, small):
    login(client, small.alice)
    today = clock.today()
    response = client.post(
        reverse("satisfaction:create"),
        {
            "owner": small.a.org.code,
            "title": "甲区服务窗口满意度测评",
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=14)).isoformat(),
            "scale": "满意，基本满意，不满意",
            "satisfied_levels": 2,
            "threshold_percent": 60,
        },
    )
    survey = SatisfactionSurvey.objects.get(title="甲区服务窗口满意度测评")
    assert response.status_code == 302
    detail = reverse("satisfaction:detail", args=[survey.pk])
    client.post(
        reverse("satisfaction:question-add", args=[survey.pk]),
        {"kind": "rating", "text": "总体评价", "required": "on"},
    )
    client.post(
        reverse("satisfaction:units-add", args=[survey.pk]),
        {"org": small.a.street.code, "which": "children"},
    )
    assert set(survey.units.values_list("org_id", flat=True)) == {b.pk for b in small.a.branches}
    client.post(reverse("satisfaction:tokens-generate", args=[survey.pk]), {"per_unit": 4})
    assert SurveyToken.objects.filter(survey=survey).count() == 8
    client.post(reverse("satisfaction:act", args=[survey.pk, "open"]))
    survey.refresh_from_db()
    assert survey.state == "open"
    page = client.get(detail).content.decode()
    assert "总体评价" in page
    assert small.a.branches[1].name in page
    assert 'data-testid="question-form"' not in page  # fixed once open


def test_a_bad_survey_form_says_what_is_wrong(client, small):
    login(client, small.alice)
    response = client.post(
        reverse("satisfaction:create"),
        {
            "owner": small.a.org.code,
            "title": "测评",
            "opens_on": "2005-09-30",
            "closes_on": "2005-09-01",
            "scale": "满意，不满意",
            "satisfied_levels": 1,
            "threshold_percent": 60,
        },
    )
    assert response.status_code == 200
    assert "截止日期不能早于开始日期" in response.content.decode()


def test_the_printable_sheet_has_a_qr_code_and_link_per_unused_token(client, small, setup):
    login(client, small.alice)
    unit = setup.units[0]
    url = reverse("satisfaction:token-sheet", args=[setup.survey.pk, unit.pk])
    body = client.get(url).content.decode()
    assert body.count('data-testid="token-card"') == 3
    assert body.count('src="data:image/svg+xml') == 3
    for token in setup.tokens(unit):
        assert reverse("satisfaction:answer", args=[token]) in body
    assert AuditEvent.objects.filter(verb="export", org_path=unit.path).count() == 1


def test_results_flag_the_units_below_the_line_with_a_chart(client, small):
    setup = make_survey(small, tokens=5)
    first, second = setup.units
    for raw, level in zip(setup.tokens(first), [0, 0, 1, 1, 2], strict=True):
        services.response_submit(
            actor=None, token=services.token_find(raw), answers=setup.answers(level)
        )
    for raw, level in zip(setup.tokens(second), [2, 2, 0], strict=False):
        services.response_submit(
            actor=None, token=services.token_find(raw), answers=setup.answers(level, "排队太久")
        )
    login(client, small.alice)
    body = client.get(reverse("satisfaction:results", args=[setup.survey.pk])).content.decode()
    rows = re.findall(r'data-testid="result-row" data-unit="(\d+)"( class="table-danger")?', body)
    assert dict(rows) == {str(first.pk): "", str(second.pk): ' class="table-danger"'}
    assert body.count('data-testid="redo"') == 1
    assert "80.0%" in body
    assert "33.3%" in body
    assert 'data-satisfaction-chart="satisfaction-by-unit"' in body
    comments = client.get(reverse("satisfaction:comments", args=[setup.survey.pk]))
    assert comments.content.decode().count("排队太久") == 3


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("satisfaction:detail", "get"),
        ("satisfaction:edit", "get"),
        ("satisfaction:results", "get"),
        ("satisfaction:comments", "get"),
        ("satisfaction:tokens-generate", "post"),
        ("satisfaction:question-add", "post"),
        ("satisfaction:units-add", "post"),
    ],
)
def test_another_districts_officer_gets_404(client, small, setup, name, method):
    login(client, small.bob)
    response = getattr(client, method)(reverse(name, args=[setup.survey.pk]))
    assert response.status_code == 404
    assert SurveyToken.objects.filter(survey=setup.survey).count() == 6


def test_another_districts_officer_gets_404_for_a_sheet_and_sees_no_survey(client, small, setup):
    login(client, small.bob)
    unit = setup.units[0]
    sheet = reverse("satisfaction:token-sheet", args=[setup.survey.pk, unit.pk])
    assert client.get(sheet).status_code == 404
    act = reverse("satisfaction:act", args=[setup.survey.pk, "close"])
    assert client.post(act).status_code == 404
    listing = client.get(reverse("satisfaction:list")).content.decode()
    assert setup.survey.title not in listing


def test_officer_pages_need_a_login(client, setup):
    response = client.get(reverse("satisfaction:results", args=[setup.survey.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_questions_are_put_in_order_before_the_survey_opens(client, small):
    survey = services.survey_create(
        actor=small.alice,
        owner=small.a.org,
        title="测评",
        opens_on=dt.date(2005, 9, 1),
        closes_on=dt.date(2005, 9, 30),
    )
    first = services.question_add(actor=small.alice, survey=survey, kind="text", text="意见")
    second = services.question_add(actor=small.alice, survey=survey, kind="rating", text="总体")
    login(client, small.alice)
    client.post(reverse("satisfaction:question-move", args=[survey.pk, second.pk, "up"]))
    assert list(survey.questions.values_list("pk", flat=True)) == [second.pk, first.pk]
    login(client, small.bob)
    moved = client.post(reverse("satisfaction:question-move", args=[survey.pk, second.pk, "down"]))
    assert moved.status_code == 404
    assert list(survey.questions.values_list("pk", flat=True)) == [second.pk, first.pk]


def test_an_officer_edits_the_line_and_sees_the_open_links_qr(client, small):
    setup = make_survey(small, open_link=True)
    login(client, small.alice)
    edit = reverse("satisfaction:edit", args=[setup.survey.pk])
    form = client.get(edit).content.decode()
    assert 'value="满意，基本满意，不满意"' in form
    response = client.post(
        edit,
        {
            "title": setup.survey.title,
            "opens_on": setup.survey.opens_on.isoformat(),
            "closes_on": setup.survey.closes_on.isoformat(),
            "scale": "满意，基本满意，不满意",
            "satisfied_levels": 2,
            "threshold_percent": 75,
            "open_link": "on",
        },
    )
    assert response.status_code == 302
    setup.survey.refresh_from_db()
    assert setup.survey.threshold_percent == 75
    page = client.get(reverse("satisfaction:detail", args=[setup.survey.pk])).content.decode()
    assert reverse("satisfaction:open-answer", args=[setup.survey.public_key]) in page
    assert 'data-testid="open-qr"' in page


def test_the_edit_form_keeps_the_surveys_dates(client, small):
    """The date pickers show the dates stored (ISO, what an <input type=date> takes), so an
    officer changing only the line does not have to type both dates again."""
    setup = make_survey(small)
    login(client, small.alice)
    form = client.get(reverse("satisfaction:edit", args=[setup.survey.pk])).content.decode()
    assert f'name="opens_on" value="{setup.survey.opens_on.isoformat()}"' in form
    assert f'name="closes_on" value="{setup.survey.closes_on.isoformat()}"' in form
