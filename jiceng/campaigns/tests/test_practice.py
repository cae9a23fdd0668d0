"""The pages that gather every workflow of a campaign: the unit page's tabs, each workflow's
pages for a district officer, the API of chains, coverage, guidance and four ones, and the
dashboard's members' summary (cached until a member records something)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.campaigns.chains import services as chains_services
from jiceng.campaigns.guidance import services as guidance_services
from jiceng.campaigns.models import CampaignUnit, FourOnesItem
from jiceng.campaigns.practices import services as practices_services
from jiceng.campaigns.practices.rules import FourOnes
from jiceng.campaigns.tests.factories import CampaignWorld, login_as
from jiceng.study.tests.factories import period_make


@pytest.fixture
def cw(small):
    """The factory world's second batch, after a first whose pilot was charlie's branch;
    with the city's guidance for the branches' sector, a theme practice and the tasks of the
    second step (overdue on the reference day)."""
    cw = CampaignWorld.make(small, pilots=True)
    second = cw.campaign
    guidance_services.template_create(
        actor=cw.frank,
        campaign=second,
        owner=small.city,
        name="分类指导方案",
        sector=cw.unit.sector,
        focus="重点一",
    )
    practices_services.practice_create(
        actor=cw.frank, campaign=second, owner=small.city, name="主题实践活动"
    )
    chains_services.tasks_from_step(
        actor=cw.frank, campaign=second, step=second.steps.get(order=2), under=small.city
    )
    return cw


@pytest.fixture
def second(cw):
    return cw.campaign


@pytest.fixture
def branch_unit(cw):
    return cw.unit


def test_the_unit_page_tabs_render_for_the_secretary(client, cw, branch_unit):
    login_as(client, cw.small.charlie)
    url = reverse("campaigns:unit", args=[branch_unit.pk])
    for tab, marker in (
        ("plan", "plan-items"),
        ("tasks", "task-table"),
        ("coverage", "coverage-table"),
        ("fourones", "fourones-sheet"),
        ("pilot", "previous-lesson"),
    ):
        page = client.get(url, {"tab": tab}).content.decode()
        assert f'data-testid="{marker}"' in page, tab


def test_campaign_pages_render_for_a_district_officer(client, cw, second):
    period_make()  # a study period, for the study summary
    login_as(client, cw.small.alice)
    for name, marker in (
        ("campaigns:guidance", "template"),
        ("campaigns:tasks", "overdue-table"),
        ("campaigns:coverage", "coverage-summary"),
        ("campaigns:practices", "practice"),
    ):
        page = client.get(reverse(name, args=[second.pk])).content.decode()
        assert f'data-testid="{marker}"' in page, name
    url = reverse("campaigns:detail", args=[second.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="member-summary-slot"' in page  # filled in after the page loads
    part = client.get(url, {"part": "members"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="fourones-complete"' in part
    assert 'data-testid="study-summary"' in part
    assert "<html" not in part


def test_the_api_lists_chains_coverage_and_four_ones(client, cw, second):
    import json

    login_as(client, cw.small.alice)
    tasks = client.get(reverse("api-campaign-tasks", args=[second.pk])).json()
    assert tasks["count"] > 0
    assert tasks["results"][0]["links"][0]["rank"] == 0
    cov = client.get(reverse("api-campaign-coverage", args=[second.pk])).json()
    assert (
        cov["units"]
        == CampaignUnit.objects.filter(
            campaign=second, org_path__startswith=cw.small.a.org.path
        ).count()
        == len(cw.small.a.branches)
    )
    guidance = client.get(reverse("api-campaign-guidance", args=[second.pk])).json()
    assert guidance["templates"]
    assert guidance["lessons"]
    me, member = cw.member_self()
    login_as(client, me)
    url = reverse("api-four-ones", args=[second.pk])
    response = client.post(
        url,
        json.dumps(
            {
                "member_id": member.pk,
                "kind": "practical",
                "description": "为邻居修水管",
                "done_on": "2005-09-01",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    mine = client.get(url).json()
    assert {row["member_id"] for row in mine["results"]} == {member.pk}
    login_as(client, cw.small.charlie)
    item_id = response.json()["id"]
    confirmed = client.post(
        reverse("api-four-ones-confirm", args=[item_id]),
        json.dumps({"confirm": True}),
        content_type="application/json",
    )
    assert confirmed.json()["state"] == "confirmed"


def test_the_members_summary_is_cached_until_a_member_records_something(
    client, cw, second, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    me, member = cw.member_self()
    login_as(client, cw.small.alice)
    url = reverse("campaigns:detail", args=[second.pk])

    def confirmed_welfare() -> str:
        part = client.get(url, {"part": "members"}, HTTP_HX_REQUEST="true").content.decode()
        return part.split('data-testid="fourones-welfare">')[1].split("<")[0]

    before = confirmed_welfare()
    assert int(before) == 0  # nothing recorded in this world yet
    FourOnesItem.objects.filter(campaign=second, member=member).delete()
    with django_capture_on_commit_callbacks(execute=True):
        item = practices_services.four_ones_record(
            actor=me,
            campaign=second,
            member=member,
            kind=FourOnes.WELFARE,
            description="义务献血",
            done_on=dt.date(2005, 8, 20),
        )
    with django_capture_on_commit_callbacks(execute=True):
        practices_services.four_ones_confirm(actor=cw.small.charlie, item=item)
    assert int(confirmed_welfare()) == int(before) + 1


def test_the_members_summary_shows_study_completion_for_any_subtree(client, cw, second):
    """Issue 22: no size limit leaves study out any more (stored totals make it fast)."""
    from django.core.cache import cache

    cache.clear()
    period_make()  # a study period: every member of the subtree has a requirement
    login_as(client, cw.small.alice)
    url = reverse("campaigns:detail", args=[second.pk])
    part = client.get(url, {"part": "members"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="study-by-district"' not in part
    assert 'data-testid="study-summary"' in part
    assert 'data-testid="fourones-complete"' in part
