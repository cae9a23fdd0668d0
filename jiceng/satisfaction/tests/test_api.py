"""The API of satisfaction surveys (S23): the same services and selectors as the pages."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from conftest import mark_verified
from jiceng.core import clock
from jiceng.satisfaction import guard, services
from jiceng.satisfaction.models import SatisfactionSurvey, SurveyToken


def login(client, user) -> None:
    client.force_login(user)
    mark_verified(client, user)


def test_create_with_questions_and_units_then_results_and_comments(client, small):
    login(client, small.alice)
    today = clock.today()
    created = client.post(
        reverse("api-satisfaction-list"),
        {
            "owner_id": small.a.org.pk,
            "title": "甲区公交线路乘客满意度测评",
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=10)).isoformat(),
            "questions": [
                {"kind": "rating", "text": "总体评价"},
                {"kind": "text", "text": "意见建议", "required": False},
            ],
            "unit_org_ids": [b.pk for b in small.a.branches],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["scale"] == ["满意", "基本满意", "不满意"]
    assert [q["kind"] for q in data["questions"]] == ["rating", "text"]
    assert len(data["units"]) == 2
    pk = data["id"]
    opened = client.post(
        reverse("api-satisfaction-state", args=[pk]),
        {"action": "open"},
        content_type="application/json",
    )
    assert opened.status_code == 200
    assert opened.json()["state"] == "open"
    survey = SatisfactionSurvey.objects.get(pk=pk)
    services.tokens_generate(actor=small.alice, survey=survey, per_unit=2)
    rating, text = survey.questions.order_by("position")
    for n, token in enumerate(SurveyToken.objects.filter(survey=survey).order_by("id")):
        services.response_submit(
            actor=None,
            token=services.token_find(guard.token_for(pk, token.nonce)),
            answers={rating.pk: 2 if n < 3 else 0, text.pk: f"意见{n}"},
        )
    results = client.get(reverse("api-satisfaction-results", args=[pk])).json()
    assert results["threshold_percent"] == 60
    assert results["total"]["responses"] == 4
    by_unit = {r["org_id"]: r for r in results["by_unit"]}
    first, second = small.a.branches
    assert (by_unit[first.pk]["satisfied"], by_unit[first.pk]["redo"]) == (0, True)
    assert (by_unit[second.pk]["satisfied"], by_unit[second.pk]["redo"]) == (1, True)
    assert 0 < by_unit[second.pk]["interval"]["low"] < 0.5 < by_unit[second.pk]["interval"]["high"]
    comments = client.get(reverse("api-satisfaction-comments", args=[pk])).json()
    assert comments["count"] == 4
    one = comments["results"][0]
    detail = client.get(reverse("api-satisfaction-comment", args=[one["id"]])).json()
    assert detail["text"] == one["text"]


def test_another_district_gets_404_and_a_bad_body_400(client, small):
    survey = services.survey_create(
        actor=small.alice,
        owner=small.a.org,
        title="测评",
        opens_on=dt.date(2005, 9, 1),
        closes_on=dt.date(2005, 9, 30),
    )
    login(client, small.bob)
    for name in (
        "api-satisfaction-detail",
        "api-satisfaction-results",
        "api-satisfaction-comments",
    ):
        assert client.get(reverse(name, args=[survey.pk])).status_code == 404
    listed = client.get(reverse("api-satisfaction-list")).json()
    assert survey.pk not in {s["id"] for s in listed["results"]}
    refused = client.post(
        reverse("api-satisfaction-list"),
        {
            "owner_id": small.a.org.pk,
            "title": "x",
            "opens_on": "2005-09-01",
            "closes_on": "2005-09-02",
        },
        content_type="application/json",
    )
    assert refused.status_code == 404
    login(client, small.alice)
    bad = client.patch(
        reverse("api-satisfaction-detail", args=[survey.pk]),
        {"threshold_percent": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400
    units = client.post(
        reverse("api-satisfaction-list"),
        {
            "owner_id": small.a.org.pk,
            "title": "x",
            "opens_on": "2005-09-01",
            "closes_on": "2005-09-02",
            "unit_org_ids": [small.b.branches[0].pk],
        },
        content_type="application/json",
    )
    assert units.status_code == 400
    assert not SatisfactionSurvey.objects.filter(title="x").exists()
