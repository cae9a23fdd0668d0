"""Support projects (S28: the Chongming vegetable station helps a village, pairs with a farm
household and serves the growers; a project on orchard land use with two experienced members
assigned): the lifecycle, goals measured against their targets, the refusals, a member's own
projects (self-service) and the figures per unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.roles import Role
from jiceng.core import clock
from jiceng.core.models import AuditEvent
from jiceng.members.models import Member
from jiceng.outreach.projects import selectors, services
from jiceng.outreach.projects.models import ProjectMeasurement, ProjectProgress, SupportProject
from jiceng.outreach.projects.rules import ProjectRole, ProjectState, outcome
from tests.factories import SmallWorld, UserFactory


def member_account(member: Member, username: str) -> Any:
    user = UserFactory(username=username, role=Role.MEMBER, role__over=member.home_org)
    Member.objects.filter(pk=member.pk).update(user=user)
    member.refresh_from_db()
    return user


def orchard(small: SmallWorld, actor: Any = None, **fields: Any) -> SupportProject:
    """S28's orchard project, run by a's first branch."""
    data: dict[str, Any] = {
        "owner": small.a.branches[0],
        "title": "果园土地利用帮扶",
        "beneficiary_kind": "village",
        "beneficiary_name": "新河镇三双村",
        "beneficiary_place": "崇明县新河镇",
        "starts_on": clock.today() - dt.timedelta(days=90),
        "ends_on": clock.today() + dt.timedelta(days=270),
    }
    data.update(fields)
    return services.project_create(actor=actor or small.charlie, **data)


def login(client: Any, user: Any) -> None:
    client.force_login(user)
    mark_verified(client, user)


def test_outcome_is_the_share_of_the_way_from_baseline_to_target():
    """S28 outcomes: the latest value against the target, in either direction."""
    half = outcome(Decimal("2.00"), Decimal("6.00"), Decimal("4.00"))
    assert (half.percent, half.bar, half.met) == (Decimal("50.0"), 50, False)
    beyond = outcome(Decimal("2"), Decimal("6"), Decimal("7"))
    assert beyond.met
    assert beyond.bar == 100
    assert beyond.percent == Decimal("125.0")
    fewer = outcome(Decimal("12"), Decimal("0"), Decimal("3"))  # households still in hardship
    assert (fewer.percent, fewer.met) == (Decimal("75.0"), False)
    assert outcome(Decimal("12"), Decimal("0"), Decimal("0")).met
    assert outcome(Decimal("1"), Decimal("2"), None).latest is None


def test_lifecycle_with_goals_members_progress_and_outcome(small):
    """S28: a branch plans the orchard project, sets its goals, assigns two experienced
    members, starts it, records progress with measured values and completes it with a note;
    every step is audited and the outcome is read against the target."""
    project = orchard(small)
    assert (project.state, project.path) == (ProjectState.PLANNED, small.a.branches[0].path)
    income = services.goal_add(
        actor=small.charlie,
        project=project,
        measure="村果园亩均收入",
        unit="万元",
        baseline="0.8",
        target="1.6",
        target_on=project.ends_on,
    )
    households = services.goal_add(
        actor=small.charlie,
        project=project,
        measure="带动种植户",
        unit="户",
        baseline=0,
        target=20,
    )
    lead, other = small.a.members[0], small.a.members[1]
    services.project_member_add(
        actor=small.charlie, project=project, member=lead, role=ProjectRole.LEAD
    )
    services.project_member_add(actor=small.charlie, project=project, member=other)
    with pytest.raises(ValidationError, match="已在该项目中"):
        services.project_member_add(actor=small.charlie, project=project, member=lead)
    with pytest.raises(ValidationError, match="不能记录进展"):
        services.progress_record(
            actor=small.charlie, project=project, noted_on=clock.today(), note="尚未开始"
        )
    project = services.project_start(actor=small.charlie, project=project)
    assert project.state == ProjectState.ACTIVE
    services.progress_record(
        actor=small.charlie,
        project=project,
        noted_on=clock.today() - dt.timedelta(days=30),
        note="请农技专家讲授修剪技术",
        measurements=[(income, "1.0"), (households, "8")],
    )
    services.progress_record(
        actor=small.charlie,
        project=project,
        noted_on=clock.today() - dt.timedelta(days=5),
        note="联系超市收购",
        measurements=[(income, "1.2")],
    )
    by_goal = {o.goal.pk: o for o in selectors.goal_outcomes(project)}
    assert by_goal[income.pk].outcome.latest == Decimal("1.20")
    assert by_goal[income.pk].outcome.percent == Decimal("50.0")  # 0.8 → 1.2 of 0.8 → 1.6
    assert by_goal[households.pk].outcome.percent == Decimal("40.0")
    assert [p["value"] for p in selectors.goal_series(income)] == [1.0, 1.2]

    with pytest.raises(ValidationError, match="结项说明"):
        services.project_complete(actor=small.charlie, project=project, note=" ")
    project = services.project_complete(
        actor=small.charlie, project=project, note="亩均收入提高五成，带动8户"
    )
    assert project.state == ProjectState.COMPLETED
    assert project.ended_on == clock.today()
    with pytest.raises(ValidationError, match="不能再修改"):
        services.goal_add(
            actor=small.charlie, project=project, measure="x", unit="人", baseline=0, target=1
        )
    with pytest.raises(ValidationError):
        services.project_close(actor=small.charlie, project=project, note="重复")
    events = AuditEvent.objects.filter(
        object_type="outreach_projects.supportproject", object_id=str(project.pk)
    )
    assert events.count() == 9  # create, 2 goals, 2 members, start, 2 progress, complete
    assert all(e.org_path == project.path for e in events)


def test_progress_with_a_bad_value_saves_nothing(small):
    """All or nothing: one value of another project's goal refuses the whole note."""
    project = orchard(small)
    goal = services.goal_add(
        actor=None, project=project, measure="收入", unit="万元", baseline=1, target=2
    )
    other = orchard(small, title="另一个项目")
    foreign = services.goal_add(
        actor=None, project=other, measure="收入", unit="万元", baseline=1, target=2
    )
    services.project_start(actor=None, project=project)
    with pytest.raises(ValidationError, match="不属于该项目"):
        services.progress_record(
            actor=small.charlie,
            project=project,
            noted_on=clock.today(),
            note="x",
            measurements=[(goal, "1.5"), (foreign, "1.5")],
        )
    with pytest.raises(ValidationError, match="数值"):
        services.progress_record(
            actor=small.charlie,
            project=project,
            noted_on=clock.today(),
            note="x",
            measurements=[(goal, "很多")],
        )
    assert not ProjectProgress.objects.filter(project=project).exists()
    assert not ProjectMeasurement.objects.filter(goal=goal).exists()


def test_refusals_in_chinese(small):
    """Another district, a read-only auditor, a foreign member: each refused with words."""
    project = orchard(small)
    for outsider in (small.bob, small.dora):
        with pytest.raises(PermissionDenied, match="只有项目实施单位"):
            services.goal_add(
                actor=outsider, project=project, measure="x", unit="人", baseline=0, target=1
            )
        with pytest.raises(PermissionDenied):
            services.project_start(actor=outsider, project=project)
    with pytest.raises(PermissionDenied, match="管辖范围"):
        orchard(small, actor=small.bob)  # a's branch is not bob's
    with pytest.raises(ValidationError, match="不在本单位或您的管辖范围内"):
        services.project_member_add(actor=small.charlie, project=project, member=small.b.members[0])
    # a's second branch's member: not under the owner, nor in charlie's scope; alice may
    neighbour = small.a.members[-1]
    with pytest.raises(ValidationError, match="不在本单位"):
        services.project_member_add(actor=small.charlie, project=project, member=neighbour)
    services.project_member_add(actor=small.alice, project=project, member=neighbour)
    with pytest.raises(ValidationError, match="计划结束日期"):
        orchard(small, ends_on=clock.today() - dt.timedelta(days=365))
    with pytest.raises(ValidationError, match="目标值应与基数不同"):
        services.goal_add(
            actor=small.charlie, project=project, measure="x", unit="人", baseline=1, target=1
        )


def test_a_goal_with_measurements_stays(small):
    project = orchard(small)
    goal = services.goal_add(
        actor=None, project=project, measure="收入", unit="万元", baseline=1, target=2
    )
    services.project_start(actor=None, project=project)
    services.progress_record(
        actor=None, project=project, noted_on=clock.today(), note="x", measurements=[(goal, 1)]
    )
    with pytest.raises(ValidationError, match="已有实测记录"):
        services.goal_remove(actor=small.charlie, goal=goal)


def test_an_assigned_member_sees_and_records_their_own_projects_only(small, client):
    """S28 self-service: an assigned member sees the projects they work on, records progress
    on them, and gets 404 for another project of their own branch."""
    member = small.a.members[0]
    user = member_account(member, "mei")
    mine = orchard(small)
    services.project_member_add(actor=None, project=mine, member=member, role=ProjectRole.LEAD)
    services.project_start(actor=None, project=mine)
    theirs = orchard(small, title="结对农户帮扶", beneficiary_kind="household")
    assert list(selectors.project_list(user)) == [mine]
    assert list(selectors.own_projects(user)) == [mine]
    services.progress_record(actor=user, project=mine, noted_on=clock.today(), note="上门指导")
    with pytest.raises(PermissionDenied, match="只有项目实施单位或项目成员"):
        services.progress_record(actor=user, project=theirs, noted_on=clock.today(), note="x")
    with pytest.raises(PermissionDenied):
        services.project_complete(actor=user, project=mine, note="x")

    login(client, user)
    page = client.get(reverse("outreach:my-projects")).content.decode()
    assert "果园土地利用帮扶" in page
    assert "结对农户帮扶" not in page
    assert client.get(reverse("outreach:project-list")).status_code == 302
    detail = client.get(reverse("outreach:project-detail", args=[mine.pk])).content.decode()
    assert 'data-testid="progress-link"' in detail
    assert 'data-testid="project-actions"' not in detail
    assert client.get(reverse("outreach:project-detail", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("outreach:project-progress", args=[mine.pk]),
        {"noted_on": clock.today().isoformat(), "note": "第二次上门"},
    )
    assert response.status_code == 302
    assert mine.progress.count() == 2


def test_pages_create_goal_progress_chart_and_figures(small, client):
    """The branch's pages: create, add a goal, start, record progress with a value; the detail
    shows baseline → latest → target with the bar and the chart; the list counts per unit."""
    login(client, small.charlie)
    response = client.post(
        reverse("outreach:project-create"),
        {
            "owner": small.a.branches[0].code,
            "title": "服务种植户",
            "beneficiary_kind": "household",
            "beneficiary_name": "张阿根",
            "starts_on": (clock.today() - dt.timedelta(days=10)).isoformat(),
            "ends_on": (clock.today() + dt.timedelta(days=100)).isoformat(),
        },
    )
    project = SupportProject.objects.get(title="服务种植户")
    assert response.status_code == 302
    client.post(
        reverse("outreach:project-goal-add", args=[project.pk]),
        {"measure": "年收入", "unit": "万元", "baseline": "2", "target": "4"},
    )
    client.post(reverse("outreach:project-act", args=[project.pk, "start"]))
    goal = project.goals.get()
    client.post(
        reverse("outreach:project-progress", args=[project.pk]),
        {"noted_on": clock.today().isoformat(), "note": "引进新品种", f"goal_{goal.pk}": "3"},
    )
    page = client.get(reverse("outreach:project-detail", args=[project.pk])).content.decode()
    assert 'data-percent="50.0"' in page
    assert 'data-testid="goal-chart"' in page
    assert "goal-series" in page
    members = client.get(reverse("outreach:project-members", args=[project.pk]))
    assert members.status_code == 200
    client.post(
        reverse("outreach:project-members", args=[project.pk]),
        {"member": small.a.members[0].pk, "role": "lead"},
    )
    assert project.assignments.get().member == small.a.members[0]

    login(client, small.alice)
    listing = client.get(reverse("outreach:project-list")).content.decode()
    assert "服务种植户" in listing
    assert 'data-testid="project-figures"' in listing
    (row,) = selectors.figures_by_unit(small.alice, small.a.org)
    assert (row.projects, row.active, row.goals, row.goals_met) == (1, 1, 1, 0)
    assert row.org_id == small.a.street.pk


def test_figures_count_goals_met_per_child_unit(small):
    """Goals met per unit: the latest value reaches the target (either direction)."""
    project = orchard(small)
    up = services.goal_add(
        actor=None, project=project, measure="a", unit="户", baseline=0, target=5
    )
    down = services.goal_add(
        actor=None, project=project, measure="b", unit="户", baseline=9, target=3
    )
    services.project_start(actor=None, project=project)
    services.progress_record(
        actor=None,
        project=project,
        noted_on=clock.today() - dt.timedelta(days=3),
        note="x",
        measurements=[(up, 6), (down, 4)],
    )
    services.progress_record(
        actor=None, project=project, noted_on=clock.today(), note="y", measurements=[(down, 2)]
    )
    rows = selectors.figures_by_unit(small.alice, small.a.street)
    assert [(r.org_id, r.goals, r.goals_met) for r in rows] == [(small.a.branches[0].pk, 2, 2)]
    assert selectors.figures_by_unit(small.bob, small.b.org) == []


def test_another_district_gets_404(small, client):
    """Scoping: bob (district b) gets 404 for a's project, on pages and API."""
    project = orchard(small)
    login(client, small.bob)
    for name in ("outreach:project-detail", "outreach:project-edit", "outreach:project-members"):
        assert client.get(reverse(name, args=[project.pk])).status_code == 404
    assert (
        client.post(reverse("outreach:project-act", args=[project.pk, "start"])).status_code == 404
    )
    assert client.get(reverse("api-project-detail", args=[project.pk])).status_code == 404
    assert "果园" not in client.get(reverse("outreach:project-list")).content.decode()
