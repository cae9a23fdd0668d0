"""Pilots and their lessons (S5), classified guidance and the unit's own plan (S7, S14, S15),
four-level responsibility chains with escalation (S6), the "four lets" coverage (S8), theme
practices (S24, S25) and members' "four ones" with self-service (S18)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from jiceng.campaigns import selectors, services
from jiceng.campaigns.models import (
    Campaign,
    CampaignUnit,
    FourOnesItem,
    PilotLesson,
    ResponsibilityTask,
)
from jiceng.campaigns.rules import ESCALATION_DAYS, Coverage, FourOnes, FourOnesState, TaskState
from jiceng.members.models import Member
from jiceng.orgs.models import Sector


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def branch_unit(world, second):
    org = world.user("branch.secretary").primary_assignment.organization
    return CampaignUnit.objects.select_related("org").get(campaign=second, org=org)


def test_pilot_lessons_of_the_first_batch_guide_the_same_sector_in_the_second(world, second):
    assert second.previous is not None
    assert second.previous.batch == "first"
    lessons = list(selectors.lessons_for(second, Sector.STREET_COMMUNITY))
    assert lessons
    assert {lesson.sector for lesson in lessons} == {Sector.STREET_COMMUNITY}
    assert all(lesson.unit.is_pilot for lesson in lessons)
    assert all(lesson.unit.campaign_id == second.previous_id for lesson in lessons)


def test_only_a_pilot_records_lessons_and_only_the_parent_flags_it(world, second, branch_unit):
    secretary, street = world.user("branch.secretary"), world.user("street.officer")
    with pytest.raises(ValidationError, match="只有试点单位"):
        services.lesson_record(actor=secretary, unit=branch_unit, title="经验", text="做法")
    with pytest.raises(PermissionDenied):
        services.unit_set_pilot(actor=secretary, unit=branch_unit, is_pilot=True)
    services.unit_set_pilot(actor=street, unit=branch_unit, is_pilot=True)
    lesson = services.lesson_record(actor=secretary, unit=branch_unit, title="经验", text="做法")
    assert lesson.sector == branch_unit.sector
    assert PilotLesson.objects.filter(unit=branch_unit).count() == 1


def test_a_units_plan_comes_from_its_sectors_template_and_takes_its_own_items(
    world, second, branch_unit
):
    secretary = world.user("branch.secretary")
    template = services.template_for(branch_unit)
    assert template is not None
    assert template.sector == branch_unit.sector  # S14
    branch_unit.plan_items.all().delete()
    n = services.unit_plan_instantiate(actor=secretary, unit=branch_unit)
    assert n == len(template.items())
    assert services.unit_plan_instantiate(actor=secretary, unit=branch_unit) == 0  # re-runnable
    own = services.unit_plan_add(
        actor=secretary, unit=branch_unit, kind="carrier", text="楼组党员议事会"
    )
    assert own.is_own  # S7
    item = branch_unit.plan_items.filter(template=template).first()
    services.unit_plan_mark(actor=secretary, item=item, done=True, note="已召开")
    item.refresh_from_db()
    assert item.done


def test_the_nearest_issuers_template_wins_and_an_org_type_one_wins_over_all(world, second):
    hospital = (
        CampaignUnit.objects.filter(campaign=second, sector=Sector.HOSPITAL)
        .select_related("org")
        .first()
    )
    admin = world.user("city.admin")
    city_wide = services.template_create(
        actor=admin,
        campaign=second,
        owner=world.city,
        name="医院通用",
        sector=Sector.HOSPITAL,
        focus="通用重点",
    )
    chosen = services.template_for(hospital)
    # the science-and-education committee's own hospital plan (S15), nearer than the city's
    assert chosen != city_wide
    assert chosen.name == "医院先进性教育活动实施方案"
    specific = services.template_create(
        actor=admin,
        campaign=second,
        owner=world.city,
        name="医院党总支专用",
        sector=Sector.HOSPITAL,
        org_type=hospital.org.org_type,
        focus="专用重点",
    )
    assert services.template_for(hospital) == specific


def test_a_task_is_owned_at_four_levels_and_escalates_weekly(world, second, branch_unit):
    task = services.task_create(
        actor=world.user("branch.secretary"),
        unit=branch_unit,
        title="走访困难党员",
        due_on=dt.date(2005, 9, 1),
    )
    links = list(task.links.order_by("rank"))
    assert [link.rank for link in links] == list(range(len(links)))
    assert 2 <= len(links) <= 4  # S6: the unit and up to three levels above
    assert links[0].org == branch_unit.org
    assert links[1].org.path == branch_unit.org_path[:-4]
    due = task.due_on
    assert task.escalation_rank(due) == 0
    assert task.escalation_rank(due + dt.timedelta(days=ESCALATION_DAYS - 1)) == 0
    assert task.escalation_rank(due + dt.timedelta(days=ESCALATION_DAYS)) == 1
    assert task.escalation_rank(due + dt.timedelta(days=100), len(links)) == len(links) - 1
    # the street committee (rank 1) sees it escalated to it once a week overdue
    street = links[1].org
    on = second.reference_date()  # 2005-09-20: 19 days overdue
    assert (on - due).days >= ESCALATION_DAYS
    escalated = selectors.escalated_to(world.user("street.officer"), second, street)
    assert task in escalated
    services.task_done(actor=world.user("branch.secretary"), task=task)
    assert task not in selectors.escalated_to(world.user("street.officer"), second, street)


def test_tasks_from_a_step_reach_every_unit_once(world, second):
    step = second.steps.get(order=5)
    street = world.user("street.officer").primary_assignment.organization
    n = services.tasks_from_step(
        actor=world.user("street.officer"), campaign=second, step=step, under=street
    )
    expected = (
        CampaignUnit.objects.filter(campaign=second, org_path__startswith=street.path)
        .exclude(state="completed")
        .count()
    )
    assert n == expected > 0
    assert (
        services.tasks_from_step(
            actor=world.user("street.officer"), campaign=second, step=step, under=street
        )
        == 0
    )
    assert not ResponsibilityTask.objects.filter(step=step, links__isnull=True).exists()


def test_coverage_rates_equal_an_independent_count(world, second):
    officer = world.user("huangpu.officer")
    row = selectors.coverage(officer, second, world.huangpu)
    units = CampaignUnit.objects.filter(campaign=second, org_path__startswith=world.huangpu.path)
    assert row.units == units.count()
    assert row.secretaries == sum(1 for u in units.select_related("org") if u.org.secretary_id)
    members = Member.objects.on_roll().filter(home_path__startswith=world.huangpu.path)
    assert row.members == members.count()
    assert row.placed == sum(1 for m in members if m.participating_org_id)
    from jiceng.study.models import Attendance

    attended = {
        a.member_id
        for a in Attendance.objects.filter(
            present=True,
            session__held_on__gte=second.starts_on,
            session__held_on__lte=second.ends_on,
        )
    }
    assert row.attended == sum(1 for m in members if m.pk in attended)
    entered = [e for u in units for e in u.coverage.filter(indicator=Coverage.OWNERS)]
    assert row.owners == (sum(e.numerator for e in entered), sum(e.denominator for e in entered))
    missing = selectors.coverage_missing(officer, second, world.huangpu, Coverage.OWNERS)
    assert missing.count() == units.count() - len(entered)


def test_coverage_entries_are_checked(world, branch_unit):
    secretary = world.user("branch.secretary")
    with pytest.raises(ValidationError, match="系统根据数据计算"):
        services.coverage_enter(
            actor=secretary, unit=branch_unit, indicator="secretary", numerator=1, denominator=1
        )
    with pytest.raises(ValidationError, match="达到数"):
        services.coverage_enter(
            actor=secretary, unit=branch_unit, indicator="owners", numerator=9, denominator=5
        )
    entry = services.coverage_enter(
        actor=secretary, unit=branch_unit, indicator="owners", numerator=4, denominator=5
    )
    assert entry.rate == 80.0


def test_a_member_records_four_ones_and_the_branch_confirms(world, second):
    member = Member.objects.get(user__username="member.self")
    me = world.user("member.self")
    item = services.four_ones_record(
        actor=me,
        campaign=second,
        member=member,
        kind=FourOnes.WELFARE,
        description="参加社区义务献血",
        done_on=dt.date(2005, 8, 20),
        evidence="献血证",
    )
    assert item.state == FourOnesState.RECORDED
    with pytest.raises(PermissionDenied):
        services.four_ones_confirm(actor=me, item=item)  # not by oneself
    with pytest.raises(PermissionDenied):
        services.four_ones_confirm(actor=world.user("xuhui.officer"), item=item)
    item = services.four_ones_confirm(actor=world.user("branch.secretary"), item=item)
    assert item.state == FourOnesState.CONFIRMED
    summary = selectors.four_ones_summary(world.user("huangpu.officer"), second, world.huangpu)
    welfare = next(k for k in summary["kinds"] if k["kind"] == FourOnes.WELFARE)
    assert (
        welfare["confirmed"]
        == FourOnesItem.objects.filter(
            campaign=second,
            member_path__startswith=world.huangpu.path,
            kind=FourOnes.WELFARE,
            state=FourOnesState.CONFIRMED,
        ).count()
    )
    other = Member.objects.exclude(pk=member.pk).filter(home_path__startswith=world.xuhui.path)
    with pytest.raises(PermissionDenied):
        services.four_ones_record(
            actor=me,
            campaign=second,
            member=other.first(),
            kind=FourOnes.PROPOSAL,
            description="x",
            done_on=dt.date(2005, 8, 20),
        )


def test_member_self_service_page_records_an_item(client, login, world, second):
    login("member.self")
    assert client.get(reverse("campaigns:list"))["Location"] == reverse("campaigns:mine")
    page = client.get(reverse("campaigns:mine")).content.decode()
    assert 'data-testid="my-step"' in page
    assert f'href="{reverse("orgs:tree")}"' not in page  # a member's menu: their own pages only
    assert 'data-testid="nav-study"' in page
    response = client.post(
        reverse("campaigns:mine"),
        {"kind": "proposal", "description": "", "done_on": "2005-08-01"},
    )
    assert "请填写" in response.content.decode() or "必填" in response.content.decode()
    response = client.post(
        reverse("campaigns:mine"),
        {"kind": "proposal", "description": "建议增设路灯", "done_on": "2005-08-01"},
    )
    assert response.status_code == 302
    item = FourOnesItem.objects.get(member__user__username="member.self", kind="proposal")
    assert item.state == FourOnesState.RECORDED
    # a member sees no officer pages
    assert client.get(reverse("campaigns:detail", args=[second.pk])).status_code == 404


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


def test_escalated_tasks_show_on_the_tasks_page(client, login, world, second):
    login("huangpu.officer")
    overdue = selectors.overdue_tasks(world.user("huangpu.officer"), second, world.huangpu)
    assert overdue.exists()
    assert all(t.state == TaskState.OPEN for t in overdue)
    page = client.get(reverse("campaigns:tasks", args=[second.pk])).content.decode()
    assert page.count('data-testid="task-row"') >= min(overdue.count(), 50)


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
        item = services.four_ones_record(
            actor=world.user("member.self"),
            campaign=second,
            member=member,
            kind=FourOnes.WELFARE,
            description="义务献血",
            done_on=dt.date(2005, 8, 20),
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.four_ones_confirm(actor=world.user("branch.secretary"), item=item)
    assert int(confirmed_welfare()) == int(before) + 1


def test_a_very_large_subtree_leaves_study_out_of_the_members_summary(
    client, login, world, second, monkeypatch
):
    from django.core.cache import cache

    from jiceng.campaigns import views

    cache.clear()
    monkeypatch.setattr(views, "STUDY_SUMMARY_MAX_MEMBERS", 1)
    login("huangpu.officer")
    url = reverse("campaigns:detail", args=[second.pk])
    part = client.get(url, {"part": "members"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="study-by-district"' in part
    assert 'data-testid="study-summary"' not in part
    assert 'data-testid="fourones-complete"' in part
