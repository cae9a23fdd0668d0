"""Builders shared by the rectification tests: S22's Tianlin problem as an item, a petition
and a visit's need to raise items from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jiceng.core import clock
from jiceng.outreach.visits.models import VisitNeed
from jiceng.outreach.visits.services import visit_record
from jiceng.petitions.models import Petition
from jiceng.petitions.services import petition_register
from jiceng.rectification import services
from jiceng.rectification.models import RectificationItem
from jiceng.satisfaction.models import (
    Question,
    SatisfactionSurvey,
    SurveyComment,
    SurveyResponse,
    SurveyUnit,
)
from tests.factories import SmallWorld


def tianlin(small: SmallWorld, actor: Any = None, **fields: Any) -> RectificationItem:
    """S22: a street's ten-year problem of illegal building, owned by a's street."""
    today = clock.today()
    data: dict[str, Any] = {
        "owner": small.a.street,
        "title": "违法搭建",
        "description": "外来人口密集地区违法搭建十年未解决",
        "since": today.replace(year=today.year - 10),
        "deadline": today + dt.timedelta(days=90),
        "measures": "拆除违法搭建，建立巡查制度",
    }
    data.update(fields)
    return services.item_create(actor=actor or small.alice, **data)


def closed_item(small: SmallWorld, **fields: Any) -> RectificationItem:
    item = tianlin(small, **fields)
    services.item_start(actor=small.alice, item=item)
    services.item_complete(
        actor=small.alice,
        item=item,
        result="拆除违法搭建",
        notice_text="整改结果公示",
        noticed_on=clock.today(),
    )
    return services.item_verdict(actor=small.alice, item=item, verdict="satisfied")


def petition(small: SmallWorld, district: str = "a", subject: str = "楼道堆物") -> Petition:
    d = getattr(small, district)
    officer = small.alice if district == "a" else small.bob
    p, _warnings = petition_register(
        actor=officer,
        intake_org=d.street,
        channel="letter",
        received_on=clock.today(),
        petitioner_name="王某",
        subject=subject,
        content="小区楼道长期堆物",
        category="civil",
    )
    return p


def need(small: SmallWorld, district: str = "a") -> VisitNeed:
    d = getattr(small, district)
    officer = small.alice if district == "a" else small.bob
    visit = visit_record(
        actor=officer,
        org=d.branches[0],
        target_kind="unit",
        target_org=d.street,
        visited_on=clock.today(),
        kind="home",
        needs=[("housing", "违法搭建影响通行")],
    )
    return visit.needs.get()


def comments(small: SmallWorld, texts: list[str], district: str = "a") -> list[SurveyComment]:
    """Free-text answers of a public survey of a's street (made row by row: the survey's own
    flow of tokens and submissions is not what these tests are about)."""
    d = getattr(small, district)
    survey = SatisfactionSurvey.objects.create(
        owner=d.org,
        path=d.org.path,
        title="群众满意度测评",
        opens_on=clock.today(),
        closes_on=clock.today(),
        public_key=f"k{d.org.pk}-{SatisfactionSurvey.objects.count()}",
        created_at=clock.now(),
    )
    question = Question.objects.create(survey=survey, position=1, kind="text", text="意见建议")
    unit = SurveyUnit.objects.create(survey=survey, org=d.street, path=d.street.path)
    made = []
    for text in texts:
        response = SurveyResponse.objects.create(
            survey=survey, unit=unit, path=unit.path, channel="token", submitted_at=clock.now()
        )
        made.append(
            SurveyComment.objects.create(
                survey=survey,
                unit=unit,
                response=response,
                question=question,
                path=unit.path,
                text=text,
                submitted_at=clock.now(),
            )
        )
    return made
