"""Four-level responsibility chains with weekly escalation (S6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.campaigns.chains import selectors, services
from jiceng.campaigns.chains.rules import ESCALATION_DAYS, TaskState
from jiceng.campaigns.models import Campaign, CampaignUnit, ResponsibilityTask


@pytest.fixture
def second(world):
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def branch_unit(world, second):
    org = world.user("branch.secretary").primary_assignment.organization
    return CampaignUnit.objects.select_related("org").get(campaign=second, org=org)


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


def test_escalated_tasks_show_on_the_tasks_page(client, login, world, second):
    login("huangpu.officer")
    overdue = selectors.overdue_tasks(world.user("huangpu.officer"), second, world.huangpu)
    assert overdue.exists()
    assert all(t.state == TaskState.OPEN for t in overdue)
    page = client.get(reverse("campaigns:tasks", args=[second.pk])).content.decode()
    assert page.count('data-testid="task-row"') >= min(overdue.count(), 50)
