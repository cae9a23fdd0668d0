"""The public's pages (no login: apply with a captcha, a honeypot and one application per ID
number; follow by receipt) and the district's pages and API, on the tiny scenario."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from jiceng.core.idnumber import make_id_number
from jiceng.satisfaction import guard
from jiceng.workers import services
from jiceng.workers.models import WorkerApplication

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def open_post(world, settings):
    settings.JICENG_TODAY = "2005-09-20"
    r = services.recruitment_create(
        actor=None,
        district=world.huangpu,
        title="黄浦区补充招聘",
        opens_on=D(2005, 9, 12),
        closes_on=D(2005, 9, 30),
        written_weight=Decimal("0.5"),
        interview_weight=Decimal("0.5"),
        notice_days=5,
    )
    return services.post_create(
        actor=None,
        recruitment=r,
        title="社区党群工作者",
        places=1,
        serves=[world.branch_in(world.huangpu)],
    )


def _form(client, post, **over):
    page = client.get(reverse("workers:apply", args=[post.pk]))
    assert page.status_code == 200
    challenge = re.search(r'name="challenge" value="([^"]+)"', page.content.decode()).group(1)
    data = {
        "name": "張三丰",
        "id_number": make_id_number("310101", D(1980, 2, 3), 77, "M"),
        "phone": "13812345678",
        "education": "university",
        "resume": "",
        "website": "",
        "challenge": challenge,
        "captcha": str(guard.captcha_answer(challenge)),
    }
    data.update(over)
    return data


def test_apply_without_login_shows_the_receipt_and_follows_it(client, open_post):
    data = _form(client, open_post)
    response = client.post(reverse("workers:apply", args=[open_post.pk]), data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    a = WorkerApplication.objects.get(post=open_post)
    assert a.receipt_display in page
    assert a.name == "張三丰"  # as written, never converted
    found = client.post(
        reverse("workers:follow"),
        {"receipt": a.receipt_display, "id_last4": data["id_number"][-4:]},
    ).content.decode()
    assert 'data-testid="follow-state"' in found
    assert "已报名" in found
    assert data["id_number"] not in found
    assert "張三丰" not in found  # nothing personal on the follow page


def test_a_second_application_with_the_same_id_number_gets_a_clear_message(client, open_post):
    data = _form(client, open_post)
    client.post(reverse("workers:apply", args=[open_post.pk]), data)
    again = _form(client, open_post, id_number=data["id_number"])
    body = client.post(reverse("workers:apply", args=[open_post.pk]), again).content.decode()
    assert "已报名本次招聘" in body
    assert WorkerApplication.objects.filter(post=open_post).count() == 1


def test_wrong_captcha_and_the_honeypot_store_nothing(client, open_post):
    bad = _form(client, open_post, captcha="999")
    body = client.post(reverse("workers:apply", args=[open_post.pk]), bad).content.decode()
    assert "验证码不正确" in body
    robot = _form(client, open_post, website="http://spam")
    client.post(reverse("workers:apply", args=[open_post.pk]), robot)
    assert not WorkerApplication.objects.filter(post=open_post).exists()


def test_a_wrong_receipt_says_not_found_without_telling_which(client, open_post):
    body = client.post(
        reverse("workers:follow"), {"receipt": "AAAA-AAAA-AAAA", "id_last4": "1234"}
    ).content.decode()
    assert "没有找到该报名" in body


def test_a_closed_round_says_so(client, open_post, settings):
    settings.JICENG_TODAY = "2005-10-08"
    body = client.get(reverse("workers:apply", args=[open_post.pk])).content.decode()
    assert "现在不能报名" in body


def test_the_apply_page_in_traditional_script(client, open_post):
    client.cookies["django_language"] = "zh-hant"
    body = client.get(reverse("workers:apply", args=[open_post.pk])).content.decode()
    assert "報名" in body


def test_officer_scores_ranks_and_publishes_from_the_pages(client, login, open_post, settings):
    apps = []
    for i in range(3):
        apps.append(
            services.application_submit(
                actor=None,
                post=open_post,
                name=f"考生{i}",
                id_number=make_id_number("310101", D(1979, 1, 1 + i), 5, "F"),
                phone="13900000000",
                education="college",
            )
        )
    login("huangpu.officer")
    url = reverse("workers:post-detail", args=[open_post.pk])
    assert client.post(reverse("workers:post-screen", args=[open_post.pk])).status_code == 302
    data = {"on": "2005-09-20"}
    for a, (w, i) in zip(apps, [("80", "70"), ("90", "60"), ("70", "80")], strict=True):
        data[f"w{a.pk}"], data[f"i{a.pk}"] = w, i
    client.post(reverse("workers:post-scores", args=[open_post.pk]), data)
    client.post(reverse("workers:post-rank", args=[open_post.pk]))
    page = client.get(url).content.decode()
    assert "面试成绩高者在前" in page
    ranks = dict(WorkerApplication.objects.filter(post=open_post).values_list("name", "rank"))
    # all total 75: the higher interview first
    assert ranks == {"考生2": 1, "考生0": 2, "考生1": 3}
    client.post(reverse("workers:post-notice", args=[open_post.pk]), {"on": "2005-09-20"})
    top = WorkerApplication.objects.get(name="考生2", post=open_post)
    assert top.state == "on_notice"


def test_outsider_cannot_open_a_post(client, login, open_post):
    login("xuhui.officer")
    assert client.get(reverse("workers:post-detail", args=[open_post.pk])).status_code == 404
    assert client.post(reverse("workers:post-rank", args=[open_post.pk])).status_code == 404


def test_api_lists_masked_applications_and_figures(client, login, open_post):
    a = services.application_submit(
        actor=None,
        post=open_post,
        name="考生",
        phone="13900000000",
        education="college",
        id_number=make_id_number("310101", D(1979, 1, 1), 5, "F"),
    )
    login("huangpu.officer")
    rows = client.get(f"/api/workers/posts/{open_post.pk}/applications/").json()["results"]
    assert rows[0]["id_number_masked"] == a.id_number_masked
    assert a.id_number not in str(rows)
    figures = client.get("/api/workers/figures/").json()
    assert [r["district_name"] for r in figures] == [open_post.recruitment.district.name]
    refused = client.post(
        f"/api/workers/applications/{a.pk}/screen/",
        {"eligible": False},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "原因" in str(refused.json())
