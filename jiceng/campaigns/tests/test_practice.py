"""The pages that gather every workflow of a campaign: the unit page's tabs, each workflow's
pages for a district officer, the API of chains, coverage, guidance and four ones, and the
dashboard's members' summary (cached until a member records something)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.campaigns.models import Campaign, CampaignUnit, FourOnesItem
from jiceng.campaigns.practices import services as practices_services
from jiceng.campaigns.practices.rules import FourOnes
from jiceng.members.models import Member


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def branch_unit(world, second):
    org = world.user("branch.secretary").primary_assignment.organization
    return CampaignUnit.objects.select_related("org").get(campaign=second, org=org)


def test_the_unit_page_tabs_render_for_the_secretary(client, login, branch_unit):
    login("branch.secretary")
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


def test_campaign_pages_render_for_a_district_officer(client, login, world, second):
    login("huangpu.officer")
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


def test_the_api_lists_chains_coverage_and_four_ones(client, login, world, second):
    import json

    login("huangpu.officer")
    tasks = client.get(reverse("api-campaign-tasks", args=[second.pk])).json()
    assert tasks["count"] > 0
    assert tasks["results"][0]["links"][0]["rank"] == 0
    cov = client.get(reverse("api-campaign-coverage", args=[second.pk])).json()
    assert (
        cov["units"]
        == CampaignUnit.objects.filter(
            campaign=second, org_path__startswith=world.huangpu.path
        ).count()
    )
    guidance = client.get(reverse("api-campaign-guidance", args=[second.pk])).json()
    assert guidance["templates"]
    assert guidance["lessons"]
    login("member.self")
    member = Member.objects.get(user__username="member.self")
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
    login("branch.secretary")
    item_id = response.json()["id"]
    confirmed = client.post(
        reverse("api-four-ones-confirm", args=[item_id]),
        json.dumps({"confirm": True}),
        content_type="application/json",
    )
    assert confirmed.json()["state"] == "confirmed"


def test_the_members_summary_is_cached_until_a_member_records_something(
    client, login, world, second, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    login("huangpu.officer")
    url = reverse("campaigns:detail", args=[second.pk])

    def confirmed_welfare() -> str:
        part = client.get(url, {"part": "members"}, HTTP_HX_REQUEST="true").content.decode()
        return part.split('data-testid="fourones-welfare">')[1].split("<")[0]

    before = confirmed_welfare()
    member = Member.objects.get(user__username="member.self")
    FourOnesItem.objects.filter(campaign=second, member=member).delete()
    with django_capture_on_commit_callbacks(execute=True):
        item = practices_services.four_ones_record(
            actor=world.user("member.self"),
            campaign=second,
            member=member,
            kind=FourOnes.WELFARE,
            description="义务献血",
            done_on=dt.date(2005, 8, 20),
        )
    with django_capture_on_commit_callbacks(execute=True):
        practices_services.four_ones_confirm(actor=world.user("branch.secretary"), item=item)
    assert int(confirmed_welfare()) == int(before) + 1


def test_a_very_large_subtree_leaves_study_out_of_the_members_summary(
    client, login, world, second, monkeypatch
):
    from django.core.cache import cache

    from jiceng.campaigns.practices import selectors as practices_selectors

    cache.clear()
    monkeypatch.setattr(practices_selectors, "STUDY_SUMMARY_MAX_MEMBERS", 1)
    login("huangpu.officer")
    url = reverse("campaigns:detail", args=[second.pk])
    part = client.get(url, {"part": "members"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="study-by-district"' in part
    assert 'data-testid="study-summary"' not in part
    assert 'data-testid="fourones-complete"' in part
