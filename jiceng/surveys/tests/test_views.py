"""Appraisal pages and API (S1): the secretary's sheet with peer tallies and the one-third
counter, deciding from the sheet (all or nothing), the member's own page (self-analysis,
rating fellow members), bad input answered with a message, outsiders get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.campaigns.tests.factories import login_as, unit_of
from jiceng.members.models import Member
from jiceng.surveys import services
from jiceng.surveys.models import Appraisal, PeerRating
from jiceng.surveys.rules import AppraisalState, Grade

from .conftest import to_review


def _own(mary, appraisals):
    member = Member.objects.get(user=mary)
    return next(a for a in appraisals if a.member_id == member.pk)


def test_the_sheet_offers_to_open_once_in_review(client, cw, branch_unit):
    login_as(client, cw.small.charlie)
    url = reverse("surveys:unit", args=[branch_unit.pk])
    assert 'data-testid="open-appraisal"' in client.get(url).content.decode()
    response = client.post(reverse("surveys:unit-open", args=[branch_unit.pk]))
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert page.count('data-testid="sheet-row"') == branch_unit.appraisals.count() > 0


def test_the_sheet_shows_tallies_and_the_counter(
    client, cw, branch_unit, in_committee, django_assert_max_num_queries
):
    a, b = in_committee[0], in_committee[1]
    PeerRating.objects.create(appraisal=a, rater=b.member, grade="excellent", rated_on="2005-09-10")
    login_as(client, cw.small.charlie)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("surveys:unit", args=[branch_unit.pk])).content.decode()
    n = len(in_committee)
    assert f'data-excellent="0" data-cap="{n // 3}"' in page
    assert f'name="grade-{a.pk}"' in page
    row = page.split(f'data-member="{a.member_id}"')[1].split("</tr>")[0]
    assert 'data-testid="tally-excellent">1<' in row


def test_deciding_from_the_sheet_is_all_or_nothing(client, cw, branch_unit, in_committee):
    login_as(client, cw.small.charlie)
    url = reverse("surveys:unit-decide", args=[branch_unit.pk])
    cap = len(in_committee) // 3
    data = {f"grade-{a.pk}": "excellent" for a in in_committee[: cap + 1]}
    response = client.post(url, data, follow=True)
    assert "请减少 1 名“优秀”" in response.content.decode()
    assert not branch_unit.appraisals.filter(state=AppraisalState.DECIDED).exists()
    data = {f"grade-{a.pk}": "qualified" for a in in_committee}
    data[f"grade-{in_committee[0].pk}"] = "excellent"
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert branch_unit.appraisals.filter(state=AppraisalState.DECIDED).count() == len(in_committee)
    assert branch_unit.appraisals.filter(grade=Grade.EXCELLENT).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"grade-abc": "excellent"},
        {"grade-999999999": "excellent"},
        {"grade-1": "nonsense"},
        {},
    ],
)
def test_bad_sheet_input_is_a_message_not_an_error(client, cw, branch_unit, in_committee, data):
    login_as(client, cw.small.charlie)
    url = reverse("surveys:unit-decide", args=[branch_unit.pk])
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()


def test_the_committee_decides_one_member_on_their_page(client, cw, branch_unit, in_committee):
    a = in_committee[0]
    login_as(client, cw.small.charlie)
    page = client.get(reverse("surveys:appraisal", args=[a.pk])).content.decode()
    assert "对照党章查找差距" in page
    assert 'data-testid="peer-tally"' in page
    url = reverse("surveys:appraisal-decide", args=[a.pk])
    response = client.post(url, {"grade": "unqualified", "note": ""}, follow=True)
    assert "评定意见" in response.content.decode()
    a.refresh_from_db()
    assert a.state == AppraisalState.COMMITTEE_REVIEW
    assert client.post(url, {"grade": "bogus", "on": "not a date"}).status_code == 302
    client.post(url, {"grade": "unqualified", "note": "不参加组织生活"})
    a.refresh_from_db()
    assert (a.state, a.grade) == (AppraisalState.DECIDED, Grade.UNQUALIFIED)


def test_the_member_writes_and_rates_on_their_own_page(client, cw, mary, branch_unit, opened):
    me = login_as(client, mary)
    own = _own(mary, opened)
    other = next(a for a in opened if a.pk != own.pk)
    services.self_analysis_submit(actor=cw.small.charlie, appraisal=other, text="x")
    page = client.get(reverse("surveys:mine")).content.decode()
    assert 'data-testid="my-self-analysis"' in page
    assert other.member.name in page
    assert f'data-appraisal="{own.pk}"' not in page  # not among the peers to rate
    client.post(reverse("surveys:self-analysis", args=[own.pk]), {"text": "本人的党性分析"})
    own.refresh_from_db()
    assert own.state == AppraisalState.PEER_REVIEW
    response = client.post(
        reverse("surveys:rate", args=[other.pk]), {"grade": "excellent", "comment": "带头作用好"}
    )
    assert response.status_code == 302
    assert PeerRating.objects.get(appraisal=other).rater.user == me
    # rating oneself through the page is a 404 (not a fellow member) — or refused
    response = client.post(reverse("surveys:rate", args=[own.pk]), {"grade": "excellent"})
    assert response.status_code in (302, 404)
    assert not PeerRating.objects.filter(appraisal=own).exists()
    # bad input: a message, no 500
    response = client.post(reverse("surveys:rate", args=[other.pk]), {"grade": "x"}, follow=True)
    assert 'class="alert alert-danger"' in response.content.decode()
    response = client.post(reverse("surveys:self-analysis", args=[own.pk]), {"text": ""})
    assert response.status_code == 302


def test_the_member_sees_only_own_appraisal(client, mary, opened):
    login_as(client, mary)
    own = _own(mary, opened)
    other = next(a for a in opened if a.pk != own.pk)
    assert client.get(reverse("surveys:appraisal", args=[own.pk])).status_code == 200
    page = client.get(reverse("surveys:appraisal", args=[own.pk])).content.decode()
    assert 'data-testid="peer-tally"' not in page  # tallies are for the committee
    assert client.get(reverse("surveys:appraisal", args=[other.pk])).status_code == 404
    assert client.get(reverse("surveys:unit", args=[own.unit_id])).status_code == 404
    url = reverse("api-appraisal-detail", args=[other.pk])
    assert client.get(url).status_code == 404


def test_a_member_of_another_branch_cannot_rate_through_the_page(
    client, cw, mary, branch_unit, opened
):
    b_unit = unit_of(cw.campaign, cw.small.b.branches[0])
    services.appraisals_open(actor=cw.frank, unit=to_review(b_unit, cw.frank, cw.frank))
    foreign = Appraisal.objects.filter(unit=b_unit).order_by("id").first()
    login_as(client, mary)
    url = reverse("surveys:rate", args=[foreign.pk])
    assert client.post(url, {"grade": "excellent"}).status_code == 404
    assert not PeerRating.objects.filter(appraisal=foreign, rater__user=mary)


def test_an_outsider_gets_404_on_huangpu(client, cw, branch_unit, opened):
    login_as(client, cw.small.bob)
    a = opened[0]
    for url in (
        reverse("surveys:unit", args=[branch_unit.pk]),
        reverse("surveys:appraisal", args=[a.pk]),
        reverse("api-appraisal-unit", args=[branch_unit.pk]),
        reverse("api-appraisal-detail", args=[a.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("surveys:unit-decide", args=[branch_unit.pk]),
        reverse("surveys:appraisal-decide", args=[a.pk]),
        reverse("surveys:self-analysis", args=[a.pk]),
        reverse("surveys:rate", args=[a.pk]),
    ):
        assert client.post(url, {"grade": "excellent", "text": "x"}).status_code == 404, url
    a.refresh_from_db()
    assert a.state == AppraisalState.SELF_PENDING


def test_the_api_flow(client, cw, mary, branch_unit, opened):
    own = _own(mary, opened)
    other = next(a for a in opened if a.pk != own.pk)
    login_as(client, mary)
    r = client.post(
        reverse("api-appraisal-self-analysis", args=[own.pk]),
        {"text": "本人分析"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "peer_review"
    assert r.json()["peers"] is None
    r = client.post(
        reverse("api-appraisal-rate", args=[own.pk]),
        {"grade": "excellent"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "不能给自己评议" in r.content.decode()
    login_as(client, cw.small.charlie)
    services.self_analysis_submit(actor=cw.small.charlie, appraisal=other, text="x")
    r = client.post(reverse("api-appraisal-close-peers", args=[branch_unit.pk]))
    assert r.json() == {"count": 2}
    cap = len(opened) // 3
    decisions = [{"appraisal_id": a.pk, "grade": "excellent"} for a in (own, other)]
    url = reverse("api-appraisal-decide-bulk", args=[branch_unit.pk])
    if cap < 2:
        r = client.post(url, {"decisions": decisions}, content_type="application/json")
        assert r.status_code == 400
        assert "三分之一" in r.content.decode()
    decisions[1]["grade"] = "qualified"
    decisions = decisions[: max(cap, 1)] if cap < 2 else decisions
    r = client.post(url, {"decisions": decisions}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["counter"]["excellent"] == 1
    rows = {row["id"]: row for row in body["appraisals"]}
    assert rows[own.pk]["grade"] == "excellent"
    r = client.post(url, {"decisions": []}, content_type="application/json")
    assert r.status_code == 400
    r = client.get(reverse("api-appraisal-unit", args=[branch_unit.pk]))
    assert r.status_code == 200
    assert len(r.json()["appraisals"]) == len(opened)
