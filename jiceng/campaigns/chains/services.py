"""Every write of responsibility chains (S6): a task at a unit, one per unit of a subtree for a
step, and a task reported done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.campaigns.progress.models import Campaign, CampaignUnit, Step
from jiceng.campaigns.progress.rules import UnitState
from jiceng.campaigns.progress.services import BULK_BATCH
from jiceng.core import audit, tree
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.orgs.models import Organization

from .models import ChainLink, ResponsibilityTask
from .rules import CHAIN_LEVELS, TaskState


def _chain_paths(org_path: str) -> list[str]:
    """The unit and up to three levels above it, nearest first (S6: four levels)."""
    return tree.ancestor_paths(org_path, include_self=True)[::-1][:CHAIN_LEVELS]


def _owners(paths: Iterable[str]) -> dict[str, Organization]:
    orgs = Organization.objects.filter(path__in=set(paths)).select_related("secretary")
    return {o.path: o for o in orgs}


def _links(task: ResponsibilityTask, owners: dict[str, Organization]) -> list[ChainLink]:
    """The task's owner at each level of its chain, named by that organisation's secretary."""
    links = []
    for rank, path in enumerate(_chain_paths(task.org_path)):
        org = owners.get(path)
        if org is not None:
            person = org.secretary.name if org.secretary_id and org.secretary else ""
            links.append(ChainLink(task=task, rank=rank, org=org, person=person))
    return links


@transaction.atomic
def task_create(
    *,
    actor: Actor,
    unit: CampaignUnit,
    title: str,
    due_on: dt.date,
    step: Step | None = None,
) -> ResponsibilityTask:
    """A task at a unit, owned at the unit and up to three levels above (S6)."""
    require(actor, Action.CHANGE, unit.org_path, _("无权为该单位分解任务"))
    task = ResponsibilityTask(
        campaign=unit.campaign,
        unit=unit,
        org_path=unit.org_path,
        step=step,
        title=title.strip(),
        due_on=due_on,
        created_by=actor_user(actor),
    )
    task.full_clean()
    task.save()
    ChainLink.objects.bulk_create(_links(task, _owners(_chain_paths(task.org_path))))
    audit.record(
        actor=actor,
        verb="create",
        obj=task,
        org_path=unit.org_path,
        after=audit.snapshot(task, ("title", "due_on", "step")),
    )
    return task


@transaction.atomic
def tasks_from_step(*, actor: Actor, campaign: Campaign, step: Step, under: Organization) -> int:
    """One task per unit of a subtree for a step, due with the step (all or none); units
    that already have the step's task are skipped, so it can be re-run."""
    require(actor, Action.CHANGE, under.path, _("无权为该范围分解任务"))
    have = set(
        ResponsibilityTask.objects.filter(campaign=campaign, step=step).values_list(
            "unit_id", flat=True
        )
    )
    units = CampaignUnit.objects.filter(campaign=campaign, org_path__startswith=under.path).exclude(
        state=UnitState.COMPLETED
    )
    tasks = [
        ResponsibilityTask(
            campaign=campaign,
            unit=u,
            org_path=u.org_path,
            step=step,
            title=step.name,
            due_on=step.due_on,
            created_by=actor_user(actor),
        )
        for u in units
        if u.pk not in have
    ]
    ResponsibilityTask.objects.bulk_create(tasks, batch_size=BULK_BATCH)
    created = ResponsibilityTask.objects.filter(
        campaign=campaign, step=step, unit_id__in=[t.unit_id for t in tasks]
    )
    owners = _owners(p for t in tasks for p in _chain_paths(t.org_path))
    links: list[ChainLink] = []
    for task in created.iterator(chunk_size=BULK_BATCH):
        links += _links(task, owners)
    ChainLink.objects.bulk_create(links, batch_size=BULK_BATCH)
    audit.record(
        actor=actor,
        verb="create",
        obj=campaign,
        org_path=under.path,
        object_type="campaigns.responsibilitytask",
        note=f"“{step.name}”分解到 {len(tasks)} 个单位（{under.name}）",
    )
    return len(tasks)


@transaction.atomic
def task_done(
    *, actor: Actor, task: ResponsibilityTask, on: dt.date | None = None
) -> ResponsibilityTask:
    """Any owner on the chain may report the task done."""
    require(actor, Action.CHANGE, task.org_path, _("无权办结该任务"))
    if task.state == TaskState.DONE:
        raise ValidationError(_("该任务已完成"))
    before = audit.snapshot(task, ("state", "done_on"))
    task.state = TaskState.DONE
    task.done_on = on or task.campaign.reference_date()
    task.save(update_fields=["state", "done_on"])
    audit.record(
        actor=actor,
        verb="update",
        obj=task,
        org_path=task.org_path,
        before=before,
        after=audit.snapshot(task, ("state", "done_on")),
    )
    return task
