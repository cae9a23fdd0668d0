"""Every read of responsibility chains (S6): a unit's tasks, the overdue ones of a subtree and
those escalated up to an organisation, each with its chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.campaigns.progress import selectors as progress_selectors
from jiceng.campaigns.progress.models import Campaign, CampaignUnit
from jiceng.core.notices import Notice, acting_paths
from jiceng.core.scoping import get_visible_or_404
from jiceng.orgs.models import Organization

from .models import ResponsibilityTask
from .rules import CHAIN_LEVELS, ESCALATION_DAYS, TaskState


def task_get(user: Any, pk: Any) -> ResponsibilityTask:
    return get_visible_or_404(
        ResponsibilityTask.objects.select_related("campaign", "unit"), user, pk=pk
    )


def unit_tasks(unit: CampaignUnit) -> QuerySet[ResponsibilityTask]:
    return unit.tasks.prefetch_related("links__org").order_by("state", "due_on")


def open_tasks(unit: CampaignUnit) -> QuerySet[ResponsibilityTask]:
    """The unit's tasks not done yet, the next due first."""
    return unit.tasks.filter(state=TaskState.OPEN).order_by("due_on")


def overdue_tasks(
    user: Any, campaign: Campaign, under: Organization
) -> QuerySet[ResponsibilityTask]:
    """Open tasks past their due date under a subtree, longest overdue first, with chains."""
    return (
        ResponsibilityTask.objects.visible_to(user)
        .filter(
            campaign=campaign,
            org_path__startswith=under.path,
            state=TaskState.OPEN,
            due_on__lt=campaign.reference_date(),
        )
        .select_related("unit__org")
        .prefetch_related("links__org")
        .order_by("due_on", "org_path")
    )


def escalated_to(user: Any, campaign: Campaign, org: Organization) -> QuerySet[ResponsibilityTask]:
    """Tasks that have climbed their chain up to ``org`` (S6): open, and overdue by at least
    ``ESCALATION_DAYS`` for each level between the unit and ``org``."""
    on = campaign.reference_date()
    q = Q(pk__in=[])
    for rank in range(1, CHAIN_LEVELS):
        threshold = on - dt.timedelta(days=ESCALATION_DAYS * rank)
        q |= Q(links__rank=rank, links__org=org, due_on__lt=threshold)
    return (
        ResponsibilityTask.objects.visible_to(user)
        .filter(q, campaign=campaign, state=TaskState.OPEN)
        .select_related("unit__org")
        .prefetch_related("links__org")
        .distinct()
        .order_by("due_on")
    )


def with_escalation(tasks: Iterable[ResponsibilityTask], on: dt.date) -> list[ResponsibilityTask]:
    """The tasks as a list, each with ``days_late`` and ``rank_now`` (the link holding it) on
    ``on``; their links are prefetched."""
    rows = list(tasks)
    for t in rows:
        t.days_late = t.overdue_days(on)  # type: ignore[attr-defined]
        t.rank_now = t.escalation_rank(on, len(t.links.all()))  # type: ignore[attr-defined]
    return rows


def chain_notices(user: Any) -> list[Notice]:
    """The bell (S6): tasks of running campaigns that have climbed their chain up to an
    organisation the user acts for."""
    own = acting_paths(user)
    if not own:
        return []
    campaigns = progress_selectors.running(user)
    out = []
    for org in Organization.objects.filter(path__in=own).only("pk", "path"):
        for campaign in campaigns:
            n = escalated_to(user, campaign, org).count()
            url = reverse("campaigns:tasks", args=[campaign.pk])
            out.append(
                Notice(
                    f"campaign.escalated.{campaign.pk}.{org.pk}",
                    _("%(c)s：逾期上移到本级督办的任务") % {"c": campaign.name},
                    n,
                    f"{url}?under={org.pk}",
                    overdue=True,
                )
            )
    return out
