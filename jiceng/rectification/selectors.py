"""Every read of rectification items (S20, S22), from ``visible_to``: the items under a root
(the unit's "project the public is satisfied with", 群众满意工程), filtered; an item with its
sources, history, arrangement and checks; the figures per child unit in grouped queries; the
overdue items and the arrangement checks due or overdue; the bell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext

from jiceng.campaigns.models import Campaign
from jiceng.core import clock, tree
from jiceng.core.notices import Notice, acting_paths, near
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.orgs.models import Organization
from jiceng.outreach.visits.models import VisitNeed
from jiceng.petitions.models import Petition
from jiceng.satisfaction.models import SurveyComment

from .models import (
    ArrangementCheck,
    RectificationEvent,
    RectificationItem,
    RectificationSource,
    StandingArrangement,
)
from .rules import ACCEPTED_VERDICTS, CHECK_DUE_SOON_DAYS, WORKING_STATES, ItemState


def _visible(user: Any, action: str = Action.VIEW) -> QuerySet[RectificationItem]:
    return RectificationItem.objects.visible_to(user, action)


def overdue_q(today: dt.date | None = None) -> Q:
    """Past the deadline and not yet rectified."""
    return Q(state__in=WORKING_STATES, deadline__lt=today or clock.today())


def item_list(
    user: Any,
    *,
    under: Organization | None = None,
    state: str = "",
    overdue: bool = False,
    long_running: bool = False,
) -> QuerySet[RectificationItem]:
    """The items the user may see under ``under``, newest first, filtered."""
    items = _visible(user)
    if under is not None:
        items = items.filter(path__startswith=under.path)
    if state:
        items = items.filter(state=state)
    if overdue:
        items = items.filter(overdue_q())
    if long_running:
        items = items.filter(long_running=True)
    return (
        items.select_related("owner")
        .annotate(source_count=Count("sources"))
        .order_by("-raised_on", "-id")
    )


def item_get(user: Any, pk: Any, action: str = Action.VIEW) -> RectificationItem:
    """An item the user may see (or change); missing and foreign are the same 404."""
    return get_visible_or_404(
        RectificationItem.objects.select_related("owner"), user, action, pk=pk
    )


def sources_of(item: RectificationItem) -> list[RectificationSource]:
    return list(
        item.sources.select_related("petition", "need", "need__visit", "comment").order_by("id")
    )


def events_of(item: RectificationItem) -> list[RectificationEvent]:
    return list(item.events.select_related("actor").order_by("at", "id"))


def arrangement_of(item: RectificationItem) -> StandingArrangement | None:
    return StandingArrangement.objects.select_related("keeper_org").filter(item=item).first()


def checks_of(arrangement: StandingArrangement | None) -> list[ArrangementCheck]:
    if arrangement is None:
        return []
    return list(arrangement.checks.select_related("by").order_by("-checked_on", "-id"))


def campaigns_for(user: Any, item: RectificationItem) -> QuerySet[Campaign]:
    """The batches the item may be recorded in: campaigns the user sees that cover its unit,
    not yet recorded."""
    covering = list(tree.ancestor_paths(item.path, include_self=True, top=1))
    return (
        Campaign.objects.visible_to(user)
        .filter(root_path__in=covering)
        .exclude(pk__in=item.campaigns.values("pk"))
        .order_by("-starts_on", "-id")
    )


def petition_pick(user: Any, pk: Any) -> Petition | None:
    """A petition the user may see (to raise an item from, or to link as a source)."""
    if not str(pk).isdigit():
        return None
    return (
        Petition.objects.visible_to(user).select_related("org", "intake_org").filter(pk=pk).first()
    )


def need_pick(user: Any, pk: Any) -> VisitNeed | None:
    """A visit's need the user may see."""
    if not str(pk).isdigit():
        return None
    return VisitNeed.objects.visible_to(user).select_related("visit__org").filter(pk=pk).first()


def comments_pick(user: Any, ids: Any) -> list[SurveyComment] | None:
    """Survey comments the user may see, in the order given; None when one is not found
    (missing or out of scope alike)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    if not wanted or len(wanted) != len(list(ids)):
        return None
    found = {
        c.pk: c
        for c in SurveyComment.objects.visible_to(user)
        .select_related("unit__org")
        .filter(pk__in=wanted)
    }
    if len(found) != len(set(wanted)):
        return None
    return [found[i] for i in dict.fromkeys(wanted)]


def default_owner(user: Any) -> Organization | None:
    """The unit the create form starts with: the top of the user's change scope."""
    return (
        Organization.objects.filter(path__in=scope_of(user, Action.CHANGE).paths)
        .order_by("path")
        .first()
    )


# ----- figures per child unit ------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFigures:
    key: str
    name: str
    org_id: int | None
    items: int
    open: int
    overdue: int
    closed: int
    satisfied: int  # closed with a satisfied or basically satisfied verdict
    long_running: int
    reopened: int  # items reopened at least once

    @property
    def satisfied_percent(self) -> float | None:
        """The share of items closed with the public satisfied or basically satisfied."""
        return round(100 * self.satisfied / self.items, 1) if self.items else None


def figures_by_unit(user: Any, under: Organization) -> list[ItemFigures]:
    """Items, open, overdue, closed, closed with the public satisfied, long-running and
    reopened, of each unit one level below ``under`` (and ``under`` itself): one grouped query
    whatever the size of the subtree."""
    length = tree.child_length(under.path)
    today = clock.today()
    rows: list[Any] = list(
        _visible(user)
        .filter(path__startswith=under.path)
        .annotate(unit=Substr("path", 1, length))
        .values("unit")
        .annotate(
            items=Count("id"),
            open=Count("id", filter=~Q(state=ItemState.CLOSED)),
            overdue=Count("id", filter=overdue_q(today)),
            closed=Count("id", filter=Q(state=ItemState.CLOSED)),
            satisfied=Count(
                "id", filter=Q(state=ItemState.CLOSED, verdict__in=list(ACCEPTED_VERDICTS))
            ),
            long_running=Count("id", filter=Q(long_running=True)),
            reopened=Count("id", filter=Q(reopened_count__gt=0)),
        )
        .order_by("unit")
    )
    units = {
        path: (name, pk)
        for path, name, pk in Organization.objects.filter(
            path__in=[r["unit"] for r in rows]
        ).values_list("path", "name", "pk")
    }
    return [
        ItemFigures(
            key=r["unit"],
            name=units.get(r["unit"], ("", None))[0],
            org_id=units.get(r["unit"], ("", None))[1],
            items=r["items"],
            open=r["open"],
            overdue=r["overdue"],
            closed=r["closed"],
            satisfied=r["satisfied"],
            long_running=r["long_running"],
            reopened=r["reopened"],
        )
        for r in rows
    ]


def figures_total(rows: list[ItemFigures], under: Organization) -> ItemFigures:
    return ItemFigures(
        key=under.path,
        name=under.name,
        org_id=under.pk,
        items=sum(r.items for r in rows),
        open=sum(r.open for r in rows),
        overdue=sum(r.overdue for r in rows),
        closed=sum(r.closed for r in rows),
        satisfied=sum(r.satisfied for r in rows),
        long_running=sum(r.long_running for r in rows),
        reopened=sum(r.reopened for r in rows),
    )


# ----- standing arrangements' checks -----------------------------------------------------------


def checks_due(
    user: Any, *, under: Organization | None = None, overdue_only: bool = False
) -> QuerySet[StandingArrangement]:
    """Arrangements of closed items whose next check is overdue or due soon (within
    ``CHECK_DUE_SOON_DAYS``), the most overdue first."""
    today = clock.today()
    limit = (
        today - dt.timedelta(days=1)
        if overdue_only
        else today + dt.timedelta(days=CHECK_DUE_SOON_DAYS)
    )
    items = _visible(user).filter(state=ItemState.CLOSED)
    if under is not None:
        items = items.filter(path__startswith=under.path)
    return (
        StandingArrangement.objects.filter(item__in=items.values("pk"), next_check_on__lte=limit)
        .select_related("item", "item__owner", "keeper_org")
        .order_by("next_check_on", "id")
    )


# ----- the bell --------------------------------------------------------------------------------


def rectification_notices(user: Any) -> list[Notice]:
    """The bell: overdue items and overdue checks of standing arrangements, at the units the
    user acts for and their direct sub-units, read through ``visible_to``."""
    if not acting_paths(user):
        return []
    here = _visible(user, Action.CHANGE).filter(near(user, "path", "owner__depth"))
    today = clock.today()
    overdue_items = here.filter(overdue_q(today)).count()
    overdue_checks = StandingArrangement.objects.filter(
        item__in=here.filter(state=ItemState.CLOSED).values("pk"), next_check_on__lt=today
    ).count()
    url = reverse("rectification:item-list")
    return [
        Notice(
            "rectification.overdue",
            gettext("逾期未整改的事项"),
            overdue_items,
            url + "?overdue=1",
            overdue=True,
        ),
        Notice(
            "rectification.checks",
            gettext("逾期未检查的长效管理"),
            overdue_checks,
            reverse("rectification:checks") + "?overdue=1",
            overdue=True,
        ),
    ]
