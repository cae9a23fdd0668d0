"""Unit appraisal end to end (issue 21 item 4): the figures from the rows of campaigns,
petitions and surveys, the explanation page, the ranking, scoping, the city's weights, runs
kept and all-or-nothing, the command and the API."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jiceng.appraisal import selectors, services
from jiceng.appraisal.models import AppraisalRun, UnitScore, WeightSet
from jiceng.appraisal.rules import DEFAULT_WEIGHTS, Indicator, RunState
from jiceng.campaigns.models import CampaignUnit, CoverageEntry, FourOnesItem
from jiceng.campaigns.tests.factories import CampaignWorld, advance, login_as, unit_of
from jiceng.orgs.models import Organization
from jiceng.petitions.models import Petition
from jiceng.satisfaction.models import SatisfactionSurvey, SurveyResponse, SurveyUnit

AS_OF = dt.date(2005, 9, 20)  # steps 1-3 of the default schedule are due by then
_numbers = itertools.count(1)


def petition(org: Organization, *, on_time: bool | None, satisfaction: str = "") -> Petition:
    n = next(_numbers)
    return Petition.objects.create(
        number=f"T{n:06d}",
        channel="letter",
        received_on=dt.date(2005, 7, 15),
        version="2005",
        petitioner_name="王　阿大",
        subject=f"来信 {n}",
        category="other",
        intake_org=org,
        intake_path=org.path,
        org=org,
        org_path=org.path,
        state="closed" if satisfaction else "replied",
        on_time=on_time,
        satisfaction=satisfaction,
        registered_at=timezone.now(),
    )


def survey_of(org: Organization, levels: list[int | None]) -> SatisfactionSurvey:
    survey = SatisfactionSurvey.objects.create(
        owner=org,
        path=org.path,
        title=f"{org.name}测评",
        opens_on=dt.date(2005, 8, 1),
        closes_on=dt.date(2005, 9, 30),
        state="closed",
        public_key=f"k{next(_numbers)}",
        created_at=timezone.now(),
    )
    unit = SurveyUnit.objects.create(survey=survey, org=org, path=org.path)
    at = dt.datetime(2005, 8, 10, 9, tzinfo=timezone.get_current_timezone())
    for level in levels:
        SurveyResponse.objects.create(
            survey=survey,
            unit=unit,
            path=org.path,
            channel="token",
            overall_level=level,
            submitted_at=at,
        )
    return survey


@dataclass
class World:
    cw: CampaignWorld
    a1: CampaignUnit  # charlie's branch: every indicator
    a2: CampaignUnit  # campaign indicators only
    b1: CampaignUnit
    b2: CampaignUnit


@pytest.fixture
def w(small: Any) -> World:
    cw = CampaignWorld.make(small)
    s = small
    a1, a2 = (unit_of(cw.campaign, o) for o in s.a.branches)
    b1, b2 = (unit_of(cw.campaign, o) for o in s.b.branches)
    # a1 signs steps 1 and 2 off on 10 July (on time); a2 signs 3 off on 15 September (late)
    advance(a1, secretary=s.alice, parent=s.alice, signed=2, on=dt.date(2005, 7, 10))
    advance(a2, secretary=s.alice, parent=s.alice, signed=3, on=dt.date(2005, 9, 15))
    CoverageEntry.objects.create(
        unit=a1, indicator="owners", numerator=46, denominator=50, entered_on=AS_OF
    )
    members = s.a.members[:3]  # the members of a1
    for member, kind in zip(members, ("practical", "proposal", "welfare"), strict=True):
        FourOnesItem.objects.create(
            campaign=cw.campaign,
            member=member,
            member_path=member.home_path,
            kind=kind,
            description="实事",
            done_on=dt.date(2005, 8, 1),
            state="confirmed",
        )
    FourOnesItem.objects.create(  # waiting for the branch: not counted
        campaign=cw.campaign,
        member=members[0],
        member_path=members[0].home_path,
        kind="pairing",
        description="结对",
        done_on=dt.date(2005, 8, 1),
        state="recorded",
    )
    branch = s.a.branches[0]
    petition(branch, on_time=True, satisfaction="satisfied")
    petition(branch, on_time=True, satisfaction="basically")
    petition(branch, on_time=False, satisfaction="not_satisfied")
    petition(branch, on_time=None)  # not answered yet: in neither figure
    survey_of(branch, [0, 0, 1, 2, None])  # 3 of 4 rated satisfied; one left the rating blank
    return World(cw, a1, a2, b1, b2)


def _score(run: AppraisalRun, unit: CampaignUnit) -> UnitScore:
    return UnitScore.objects.get(run=run, unit=unit)


def test_each_figure_comes_from_the_rows_and_equals_what_its_link_lists(client, w):
    """S1, S21, S23: every figure is explained down to the rows behind it."""
    run = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    score = _score(run, w.a1)
    assert score.figures[Indicator.STEPS_ON_TIME] == [2, 3]
    assert score.figures[Indicator.FOUR_ONES] == [3, 12]  # 3 members × 4
    assert score.figures[Indicator.PETITIONS_ON_TIME] == [2, 3]
    assert score.figures[Indicator.PETITIONS_SATISFIED] == [2, 3]
    assert score.figures[Indicator.SURVEY_SATISFIED] == [3, 4]
    login_as(client, w.cw.frank)
    for indicator in (
        Indicator.STEPS_ON_TIME,
        Indicator.FOUR_ONES,
        Indicator.PETITIONS_ON_TIME,
        Indicator.PETITIONS_SATISFIED,
        Indicator.SURVEY_SATISFIED,
    ):
        response = client.get(reverse("appraisal:score-rows", args=[score.pk, indicator]))
        assert response.status_code == 200
        n, d = score.figures[indicator]
        listed = response.context["page_obj"].paginator.count
        counted = sum(1 for _row, c in response.context["rows"] if c)
        if response.context["found"].counted == "numerator":
            assert listed == counted == n, indicator
        else:
            assert (listed, counted) == (d, n), indicator
    page = client.get(reverse("appraisal:score", args=[score.pk]))
    body = page.content.decode()
    assert 'data-testid="appraisal-renormalised"' not in body
    # coverage: the lets it is made of are on the page, one row each
    lets = page.context["lets"]
    assert len(lets) == score.figures[Indicator.COVERAGE][1] == 3  # secretary, members, owners
    assert ("业主支持", 46, 50, 92.0) in lets


def test_a_unit_without_petitions_or_survey_is_scored_on_the_rest_and_the_page_says_so(client, w):
    """S21, S23: no petition and no survey is not a zero; the explanation says so."""
    run = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    score = _score(run, w.a2)
    assert Indicator.PETITIONS_ON_TIME not in score.figures
    assert score.figures[Indicator.STEPS_ON_TIME] == [0, 3]  # all three signed off late
    parts = {p.indicator: p for p in score.parts()}
    assert parts[Indicator.SURVEY_SATISFIED].used_weight == 0
    assert parts[Indicator.STEPS_ON_TIME].used_weight == pytest.approx(40.0)  # 20 of 50
    login_as(client, w.cw.frank)
    body = client.get(reverse("appraisal:score", args=[score.pk])).content.decode()
    assert 'data-testid="appraisal-renormalised"' in body
    assert "不计为零分" in body
    assert "“群众满意度测评”" in body
    assert "“信访按期办结”" in body


def test_units_with_equal_scores_share_their_rank_in_district_and_sector(w):
    """The tie rule: equal scores (two decimals) share a rank, the next one skips."""
    run = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    b1, b2 = _score(run, w.b1), _score(run, w.b2)
    assert b1.score == b2.score is not None  # neither launched: the same figures
    assert b1.rank_district == b2.rank_district == 1
    a1, a2 = _score(run, w.a1), _score(run, w.a2)
    assert a1.score > a2.score
    assert (a1.rank_district, a2.rank_district) == (1, 2)
    # every branch is in the same sector, ranked city-wide: a2 (every step signed off late)
    # ties with the two units of b that have not launched, all three second
    assert a2.score == b1.score
    ranks = [s.rank_sector for s in (a1, a2, b1, b2)]
    assert ranks == [1, 2, 2, 2]


def test_the_ranking_lists_only_the_officers_district_and_is_filtered_and_sorted(client, w):
    run = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    login_as(client, w.cw.small.bob)
    response = client.get(reverse("appraisal:ranking"))
    units = {s.unit_id for s in response.context["page_obj"]}
    assert units == {w.b1.pk, w.b2.pk}
    login_as(client, w.cw.frank)
    district_a = w.cw.small.a.org.path
    response = client.get(reverse("appraisal:ranking"), {"district": district_a, "order": "-score"})
    rows = list(response.context["page_obj"])
    assert [s.unit_id for s in rows] == [w.a2.pk, w.a1.pk]
    assert response.context["run"] == run


def test_another_districts_officer_gets_404_for_a_score_and_its_rows(client, w):
    run = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    score = _score(run, w.a1)
    login_as(client, w.cw.small.bob)
    assert client.get(reverse("appraisal:score", args=[score.pk])).status_code == 404
    url = reverse("appraisal:score-rows", args=[score.pk, Indicator.PETITIONS_ON_TIME])
    assert client.get(url).status_code == 404
    assert client.get(reverse("api-appraisal-score", args=[score.pk])).status_code == 404
    listed = client.get(reverse("api-appraisal-scores")).json()["results"]
    assert {r["unit_id"] for r in listed} == {w.b1.pk, w.b2.pk}


def test_only_the_city_may_set_weights_and_a_district_officer_is_told_so(client, w):
    data = {"effective_on": "2005-09-01", "note": "", **DEFAULT_WEIGHTS}
    data.update({Indicator.SURVEY_SATISFIED: 45, Indicator.COVERAGE: 0, Indicator.FOUR_ONES: 10})
    login_as(client, w.cw.small.alice)
    response = client.post(reverse("appraisal:weights"), data)
    assert response.status_code == 200
    assert "只有市委组织部可以设定考核权重" in response.content.decode()
    assert not WeightSet.objects.exists()
    api = client.post(
        reverse("api-appraisal-weights"),
        {"effective_on": "2005-09-01", "weights": DEFAULT_WEIGHTS},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert "只有市委组织部" in api.json()["detail"]
    login_as(client, w.cw.frank)
    response = client.post(reverse("appraisal:weights"), data)
    assert response.status_code == 302
    ws = WeightSet.objects.get()
    assert ws.weights[Indicator.SURVEY_SATISFIED] == 45


def test_weights_summing_to_other_than_100_are_refused_with_a_message(client, w):
    login_as(client, w.cw.frank)
    data = {"effective_on": "2005-09-01", **DEFAULT_WEIGHTS, Indicator.COVERAGE: 30}
    response = client.post(reverse("appraisal:weights"), data)
    assert "各项权重之和须为 100（现为 115）" in response.content.decode()
    assert not WeightSet.objects.exists()


def test_a_run_uses_the_weights_in_force_on_its_date_and_keeps_them(w):
    frank = w.cw.frank
    weights = {**DEFAULT_WEIGHTS, Indicator.SURVEY_SATISFIED: 40, Indicator.COVERAGE: 0}
    services.weight_set_create(actor=frank, effective_on=dt.date(2005, 9, 1), weights=weights)
    later = {**DEFAULT_WEIGHTS, Indicator.STEPS_ON_TIME: 35, Indicator.COVERAGE: 0}
    services.weight_set_create(actor=frank, effective_on=dt.date(2005, 10, 1), weights=later)
    run = services.appraisal_recompute(actor=frank, campaign=w.cw.campaign, as_of=AS_OF)
    assert run.weights == weights
    assert run.weight_set.effective_on == dt.date(2005, 9, 1)
    early = services.appraisal_recompute(
        actor=frank, campaign=w.cw.campaign, as_of=dt.date(2005, 8, 1)
    )
    assert early.weight_set is None
    assert early.weights == DEFAULT_WEIGHTS


def test_a_run_that_fails_writes_nothing_and_the_previous_ranking_stays(w, monkeypatch):
    """All or nothing: a fault while writing leaves no score of the run, the run failed with
    the reason, and the ranking handed over before unchanged."""
    first = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    before = dict(UnitScore.objects.filter(run=first).values_list("unit_id", "score"))
    monkeypatch.setattr(services, "WRITE_BATCH", 1)
    real = services._write_batch
    calls = {"n": 0}

    def failing(rows: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # two units written, then the disk is full
            raise RuntimeError("disk full")
        real(rows)

    monkeypatch.setattr(services, "_write_batch", failing)
    with pytest.raises(RuntimeError):
        services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    failed = AppraisalRun.objects.exclude(pk=first.pk).get()
    assert failed.state == RunState.FAILED
    assert "未写入任何结果" in failed.message
    assert not UnitScore.objects.filter(run=failed).exists()
    assert selectors.run_current(w.cw.frank) == first
    assert dict(UnitScore.objects.filter(run=first).values_list("unit_id", "score")) == before


def test_a_new_run_keeps_the_ranking_handed_over_before(client, w):
    first = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    Petition.objects.filter(org=w.a1.org).update(on_time=False, satisfaction="not_satisfied")
    second = services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    assert _score(first, w.a1).score != _score(second, w.a1).score
    login_as(client, w.cw.frank)
    assert client.get(reverse("appraisal:ranking")).context["run"] == second
    old = client.get(reverse("appraisal:ranking"), {"run": first.pk})
    by_unit = {s.unit_id: s.score for s in old.context["page_obj"]}
    assert by_unit[w.a1.pk] == _score(first, w.a1).score


def test_a_city_officer_starts_a_run_from_the_page_and_sees_its_progress(
    client, w, django_capture_on_commit_callbacks
):
    login_as(client, w.cw.frank)
    url = reverse("appraisal:run-start", args=[w.cw.campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"as_of": "2005-09-20"})
    assert response.status_code == 302
    run = AppraisalRun.objects.get()
    assert run.state == RunState.DONE
    assert run.units == 4
    progress = client.get(reverse("appraisal:run-progress", args=[run.pk]))
    assert 'data-state="done"' in progress.content.decode()
    ranking = client.get(reverse("appraisal:ranking")).content.decode()
    assert 'data-testid="appraisal-run-form"' in ranking


def test_a_district_officer_may_not_recompute_the_city_campaign(client, w):
    login_as(client, w.cw.small.alice)
    ranking = client.get(reverse("appraisal:ranking")).content.decode()
    assert 'data-testid="appraisal-run-form"' not in ranking
    response = client.post(reverse("appraisal:run-start", args=[w.cw.campaign.pk]), follow=True)
    assert "只有活动的组织单位" in response.content.decode()
    assert not AppraisalRun.objects.exists()


def test_the_api_starts_a_run_and_reads_scores_explained(
    client, w, django_capture_on_commit_callbacks
):
    login_as(client, w.cw.frank)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-appraisal-runs"),
            {"campaign_id": w.cw.campaign.pk, "as_of": "2005-09-20"},
            content_type="application/json",
        )
    assert response.status_code == 202
    run_id = response.json()["id"]
    run = client.get(reverse("api-appraisal-run", args=[run_id])).json()
    assert run["state"] == "done"
    assert run["units"] == 4
    scores = client.get(reverse("api-appraisal-scores"), {"order": "score"}).json()["results"]
    assert len(scores) == 4
    assert scores[0]["score"] >= scores[-1]["score"]
    a1 = next(s for s in scores if s["unit_id"] == w.a1.pk)
    detail = client.get(reverse("api-appraisal-score", args=[a1["id"]])).json()
    parts = {p["indicator"]: p for p in detail["parts"]}
    assert parts["survey_satisfied"]["numerator"] == 3
    assert parts["survey_satisfied"]["denominator"] == 4
    assert sum(p["used_weight"] for p in detail["parts"]) == pytest.approx(100)
    bad = client.get(reverse("api-appraisal-scores"), {"sector": "nowhere"})
    assert bad.status_code == 400
    login_as(client, w.cw.small.alice)
    refused = client.post(
        reverse("api-appraisal-runs"),
        {"campaign_id": w.cw.campaign.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_the_command_appraises_every_unit(w, capsys):
    call_command("appraise", "--campaign", str(w.cw.campaign.pk), "--as-of", "2005-09-20")
    out = capsys.readouterr().out
    assert "4 个单位" in out
    assert AppraisalRun.objects.get().state == RunState.DONE


def test_the_command_refuses_a_date_before_the_campaign(w):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="统计日期不能早于活动启动日期"):
        call_command("appraise", "--campaign", str(w.cw.campaign.pk), "--as-of", "2005-01-01")
    assert not AppraisalRun.objects.exists()


def test_the_ranking_page_does_not_query_per_unit_listed(client, w):
    """The N+1 rule: listing three more units costs no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import OrganizationFactory

    login_as(client, w.cw.frank)
    services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    with CaptureQueriesContext(connection) as four:
        assert len(client.get(reverse("appraisal:ranking")).context["page_obj"]) == 4
    street = w.cw.small.b.street
    for _ in range(3):
        org = OrganizationFactory(parent=street)
        CampaignUnit.objects.create(
            campaign=w.cw.campaign, org=org, org_path=org.path, parent=street, sector=org.sector
        )
    services.appraisal_recompute(actor=w.cw.frank, campaign=w.cw.campaign)
    with CaptureQueriesContext(connection) as seven:
        assert len(client.get(reverse("appraisal:ranking")).context["page_obj"]) == 7
    assert len(seven.captured_queries) == len(four.captured_queries)
