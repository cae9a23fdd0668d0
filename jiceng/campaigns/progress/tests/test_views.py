"""Campaign pages and API (S1, S4, S30): the dashboard of a subtree with its charts and
roll-up, drill-down, the lagging list with the people responsible, a unit's steps with
submit / sign-off / return, launching, a new batch from the last; outsiders get 404. On a
second batch over the test's own small world (frank's), its units in every kind of state in
both districts (``factories.spread``)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.campaigns.progress import selectors
from jiceng.campaigns.progress.rules import StepState, UnitState
from jiceng.campaigns.tests.factories import CampaignWorld, advance, login_as, spread
from jiceng.core.models import AuditEvent


@pytest.fixture
def cw(small):
    """frank's second batch over the factory city, with ``spread``'s units in both districts:
    charlie's branch is still waiting to launch."""
    cw = CampaignWorld.make(small)
    spread(cw)
    return cw


def test_the_city_dashboard_shows_every_district_with_charts(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, cw.frank)
    page = client.get(reverse("campaigns:detail", args=[second.pk])).content.decode()
    assert 'data-testid="progress-chart"' in page
    assert 'id="progress-by-child"' in page  # the chart's data, no inline script
    assert small.a.org.name in page
    assert small.b.org.name in page
    total = selectors.progress_total(cw.frank, second, small.city)
    assert total.total == second.units.count() > 0
    assert f'data-testid="sum-total">{total.total:,}<' in page
    assert "统计日期 2005年9月20日" in page  # one date format per language


def test_a_district_officer_sees_only_their_district_and_not_anothers(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, small.bob)
    page = client.get(reverse("campaigns:detail", args=[second.pk])).content.decode()
    assert small.b.org.name in page
    assert small.a.org.name not in page
    url = reverse("campaigns:detail", args=[second.pk])
    assert client.get(url, {"under": small.a.org.pk}).status_code == 404
    lag = reverse("campaigns:lagging", args=[second.pk])
    assert client.get(lag, {"under": small.a.org.pk}).status_code == 404


def test_drilling_down_from_district_to_street(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, small.alice)
    url = reverse("campaigns:detail", args=[second.pk])
    page = client.get(url).content.decode()
    street = small.a.street
    assert f"?under={street.pk}" in page
    page = client.get(url, {"under": street.pk}).content.decode()
    assert 'data-testid="crumbs"' in page
    assert small.a.org.name in page


def test_the_lagging_list_names_the_responsible_people_and_exports(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, small.alice)
    url = reverse("campaigns:lagging", args=[second.pk])
    page = client.get(url).content.decode()
    lagging = selectors.lagging_units(small.alice, second, small.a.org)
    assert lagging.exists()
    on = second.reference_date()
    units = CampaignUnit.objects.filter(campaign=second, org_path__startswith=small.a.org.path)
    assert lagging.count() == sum(1 for u in units if u.is_overdue(on))
    first = lagging.first()
    assert first.org.name in page
    assert page.count('data-testid="lagging-row"') == min(lagging.count(), 50)
    response = client.get(url, {"format": "csv"})
    body = response.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("单位,状态,当前环节")
    assert len(body.splitlines()) == lagging.count() + 1
    assert AuditEvent.objects.filter(verb="export", object_id=str(second.pk)).exists()


def test_a_secretary_submits_and_the_street_signs_off_on_the_page(client, cw):
    small = cw.small
    unit = advance(
        cw.unit, secretary=small.charlie, parent=cw.erin, signed=0, on=dt.date(2005, 7, 1)
    )
    assert (unit.state, unit.step_state) == (UnitState.IN_PROGRESS, StepState.PENDING)
    login_as(client, small.charlie)
    url = reverse("campaigns:unit", args=[unit.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="act-submit"' in page
    assert 'data-testid="act-sign_off"' not in page  # a unit never signs itself off
    act = reverse("campaigns:unit-act", args=[unit.pk, "submit"])
    response = client.post(act, {"text": "", "on": ""})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.step_state == StepState.PENDING  # refused: no evidence
    assert "请填写报送材料" in client.get(url).content.decode()
    client.post(act, {"text": "学习记录、心得体会 28 篇", "on": "2005-09-18"})
    unit.refresh_from_db()
    assert unit.step_state == StepState.SUBMITTED
    login_as(client, cw.erin)
    page = client.get(url).content.decode()
    assert 'data-testid="act-sign_off"' in page
    assert 'data-testid="act-return"' in page
    step = unit.step.order
    client.post(reverse("campaigns:unit-act", args=[unit.pk, "sign_off"]), {"text": "同意"})
    unit.refresh_from_db()
    assert unit.step.order == step + 1
    assert unit.step_state == StepState.PENDING


def test_launching_a_street_from_the_page(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, cw.erin)
    street = small.a.street
    waiting = CampaignUnit.objects.filter(
        campaign=second, org_path__startswith=street.path, state=UnitState.NOT_LAUNCHED
    ).count()
    assert waiting > 0
    url = reverse("campaigns:launch", args=[second.pk])
    page = client.get(url).content.decode()
    assert f"尚有 {waiting} 个单位未启动" in page
    response = client.post(url, {"under": street.code, "on": "2005-07-05"})
    assert response.status_code == 302
    assert not CampaignUnit.objects.filter(
        campaign=second, org_path__startswith=street.path, state=UnitState.NOT_LAUNCHED
    ).exists()
    assert CampaignUnit.objects.filter(
        campaign=second, org_path__startswith=small.b.org.path, state=UnitState.NOT_LAUNCHED
    ).exists()  # another district's units are not launched with the street's
    response = client.post(url, {"under": small.b.org.code, "on": "2005-07-05"})
    assert f"找不到代码为 {small.b.org.code} 的党组织" in response.content.decode()


def test_a_new_batch_from_the_page_copies_the_last(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, cw.frank)
    url = reverse("campaigns:create")
    page = client.get(url, {"from": second.pk}).content.decode()
    assert 'data-testid="copy-note"' in page
    response = client.post(
        url,
        {
            "previous": second.pk,
            "name": "第三批",
            "batch": "third",
            "root": small.city.code,
            "starts_on": "2006-01-05",
            "ends_on": "2006-07-31",
        },
    )
    third = Campaign.objects.get(name="第三批")
    assert response.status_code == 302
    assert third.previous == second
    assert third.steps.count() == second.steps.count()
    response = client.post(
        url,
        {
            "name": "错",
            "batch": "third",
            "root": small.city.code,
            "starts_on": "2006-01-05",
            "ends_on": "2006-01-01",
        },
    )
    assert "结束日期应晚于启动日期" in response.content.decode()


def test_the_api_rolls_up_and_acts(client, cw):
    second, small = cw.campaign, cw.small
    a = small.a.org
    login_as(client, small.alice)
    response = client.get(reverse("api-campaign-progress", args=[second.pk]))
    data = response.json()
    assert (
        data["total"]["total"]
        == CampaignUnit.objects.filter(campaign=second, org_path__startswith=a.path).count()
    )
    assert data["as_of"] == "2005-09-20"
    by_sector = client.get(reverse("api-campaign-progress", args=[second.pk]), {"by": "sector"})
    assert sum(g["total"] for g in by_sector.json()["groups"]) == data["total"]["total"]
    lag = client.get(reverse("api-campaign-lagging", args=[second.pk])).json()
    assert lag["count"] == data["total"]["overdue"] + data["total"]["late_launch"]
    unit = (
        CampaignUnit.objects.filter(
            campaign=second, org_path__startswith=a.path, step_state=StepState.SUBMITTED
        )
        .exclude(org_path=a.path)
        .first()
    )
    assert unit is not None
    response = client.post(
        reverse("api-campaign-unit-act", args=[unit.pk, "return"]),
        json.dumps({"text": ""}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "退回原因" in json.dumps(response.json(), ensure_ascii=False)
    response = client.post(
        reverse("api-campaign-unit-act", args=[unit.pk, "return"]),
        json.dumps({"text": "材料不全"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["step_state"] == StepState.RETURNED
    assert response.json()["records"][-1]["reason"] == "材料不全"


def test_the_progress_command_prints_the_roll_up(cw):
    second, a = cw.campaign, cw.small.a.org
    out = StringIO()
    call_command(
        "campaign_progress",
        str(second.pk),
        "--user",
        cw.small.alice.username,
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    expected = CampaignUnit.objects.filter(campaign=second, org_path__startswith=a.path).count()
    assert data["total"]["total"] == expected
    assert 0 < expected < second.units.count()  # district a's units, not the city's


def test_the_new_batch_command_copies_the_last(cw):
    second = cw.campaign
    out = StringIO()
    call_command(
        "campaign_new_batch",
        str(second.pk),
        "--user",
        cw.frank.username,
        "--name",
        "第三批（命令）",
        "--batch",
        "third",
        "--starts",
        "2006-01-05",
        "--ends",
        "2006-07-31",
        stdout=out,
    )
    third = Campaign.objects.get(name="第三批（命令）")
    assert third.units.count() == second.units.count()
    assert third.units.count() > 0
    assert "已部署" in out.getvalue()


def test_the_sign_off_worklist_lists_submitted_steps(client, cw):
    second, small = cw.campaign, cw.small
    login_as(client, small.alice)
    url = reverse("campaigns:lagging", args=[second.pk])
    page = client.get(url, {"waiting": "1"}).content.decode()
    submitted = CampaignUnit.objects.filter(
        campaign=second, org_path__startswith=small.a.org.path, step_state=StepState.SUBMITTED
    )
    assert submitted.exists()
    assert page.count('data-testid="lagging-row"') == submitted.count()
    assert "待审核单位" in page
