"""Four-level responsibility chains with weekly escalation (S6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.campaigns.chains import selectors, services
from jiceng.campaigns.chains.rules import ESCALATION_DAYS, TaskState
from jiceng.campaigns.models import CampaignUnit, ResponsibilityTask
from jiceng.campaigns.tests.factories import CampaignWorld, login_as


@pytest.fixture
def cw(small):
    return CampaignWorld.make(small)


@pytest.fixture
def second(cw):
    return cw.campaign


@pytest.fixture
def branch_unit(cw):
    return cw.unit


def test_a_task_is_owned_at_four_levels_and_escalates_weekly(cw, second, branch_unit):
    task = services.task_create(
        actor=cw.small.charlie,
        unit=branch_unit,
        title="走访困难党员",
        due_on=dt.date(2005, 9, 1),
    )
    links = list(task.links.order_by("rank"))
    assert [link.rank for link in links] == list(range(len(links)))
    assert 2 <= len(links) <= 4  # S6: the unit and up to three levels above
    # branch, street, district and city: the four levels of the factory world
    assert [link.org for link in links] == [
        branch_unit.org,
        cw.small.a.street,
        cw.small.a.org,
        cw.small.city,
    ]
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
    escalated = selectors.escalated_to(cw.erin, second, street)
    assert task in escalated
    services.task_done(actor=cw.small.charlie, task=task)
    assert task not in selectors.escalated_to(cw.erin, second, street)


def test_tasks_from_a_step_reach_every_unit_once(cw, second):
    step = second.steps.get(order=5)
    street = cw.small.a.street
    n = services.tasks_from_step(actor=cw.erin, campaign=second, step=step, under=street)
    expected = (
        CampaignUnit.objects.filter(campaign=second, org_path__startswith=street.path)
        .exclude(state="completed")
        .count()
    )
    assert n == expected == len(cw.small.a.branches)
    assert services.tasks_from_step(actor=cw.erin, campaign=second, step=step, under=street) == 0
    assert not ResponsibilityTask.objects.filter(step=step, links__isnull=True).exists()


def test_escalated_tasks_show_on_the_tasks_page(client, cw, second):
    alice = login_as(client, cw.small.alice)
    step = second.steps.get(order=2)  # due 2005-08-25, overdue on 2005-09-20
    made = services.tasks_from_step(actor=alice, campaign=second, step=step, under=cw.small.a.org)
    overdue = selectors.overdue_tasks(alice, second, cw.small.a.org)
    assert overdue.count() == made == len(cw.small.a.branches)
    assert all(t.state == TaskState.OPEN for t in overdue)
    page = client.get(reverse("campaigns:tasks", args=[second.pk])).content.decode()
    assert page.count('data-testid="task-row"') >= min(overdue.count(), 50)
