"""Every read of petitions (S21), from ``visible_to``: the list with its filters, the overdue
worklist, one case with its deadlines, the statistics of a subtree (on-time rate,
satisfaction rate, repeat petitioners by blind index, hot spots by street; each one grouped
query) and the bell's notices, overdue cases climbing the tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import clock, tree
from jiceng.core.notices import Notice, acting_paths
from jiceng.core.scoping import get_visible_or_404
from jiceng.orgs.models import Organization

from . import rules
from .models import Petition
from .rules import OPEN_STATES, Satisfaction, State

# The responsibility chains' four levels: an overdue case climbs at most three levels above
# its unit, one level per ``rules.ESCALATE_AFTER_DAYS`` days overdue.
ESCALATION_LEVELS = 3


def _under_q(under: Organization | None) -> Q:
    if under is None:
        return Q()
    return Q(org_path__startswith=under.path) | Q(intake_path__startswith=under.path)


def petition_list(
    user: Any,
    *,
    under: Organization | None = None,
    state: str = "",
    category: str = "",
    channel: str = "",
    overdue: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str = "",
) -> QuerySet[Petition]:
    """The cases the user may see (registered or handled in their subtree), filtered."""
    rows = Petition.objects.visible_to(user).filter(_under_q(under))
    if state == "open":
        rows = rows.filter(state__in=OPEN_STATES)
    elif state:
        rows = rows.filter(state=state)
    if category:
        rows = rows.filter(category=category)
    if channel:
        rows = rows.filter(channel=channel)
    if overdue:
        rows = rows.filter(state__in=OPEN_STATES, due_on__lt=clock.today())
    if date_from:
        rows = rows.filter(received_on__gte=date_from)
    if date_to:
        rows = rows.filter(received_on__lte=date_to)
    if q:
        rows = rows.filter(Q(number__icontains=q) | Q(subject__icontains=q))
    return rows.select_related("org", "intake_org", "street")


def overdue_list(user: Any, *, under: Organization | None = None) -> QuerySet[Petition]:
    """Open cases past their running deadline, the longest overdue first."""
    return petition_list(user, under=under, overdue=True).order_by("due_on", "id")


def petition_get(user: Any, pk: Any) -> Petition:
    """A case the user may see; missing and foreign are the same 404."""
    return get_visible_or_404(
        Petition.objects.select_related("org", "intake_org", "street", "same_facts_as"),
        user,
        pk=pk,
    )


@dataclass(frozen=True)
class DeadlineRow:
    step: str
    label: str
    due_on: dt.date
    citation: str
    running: bool
    overdue_days: int


def deadlines_of(p: Petition, on: dt.date | None = None) -> list[DeadlineRow]:
    """The case's deadlines with the article of each and whether it is running and late."""
    on = on or clock.today()
    try:
        found = rules.due_dates(p.case_dates())
    except rules.UnknownCalendarError:
        # the transfer's working-day window cannot be counted yet: the others still can
        found = rules.due_dates(replace(p.case_dates(), transferred_on=None))
    except rules.DeadlineError:
        return []
    rows = []
    for step, d in found.items():
        running = p.is_open and step == p.due_step
        rows.append(
            DeadlineRow(
                step=step,
                label=str(rules.Step(step).label),
                due_on=d.due_on,
                citation=d.rule.citation,
                running=running,
                overdue_days=(on - d.due_on).days if running and d.due_on < on else 0,
            )
        )
    return sorted(rows, key=lambda r: r.due_on)


# ----- statistics --------------------------------------------------------------------------------


def _subtree(user: Any, under: Organization) -> QuerySet[Petition]:
    return Petition.objects.visible_to(user).filter(_under_q(under))


def statistics(
    user: Any,
    under: Organization,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """Figures of a subtree: cases by state, the on-time rate (replies and refusals by their
    deadline over all answered), the satisfaction rate (satisfied or basically satisfied over
    closed cases with an answer) and the counts behind them. One aggregate query."""
    rows = _subtree(user, under)
    if date_from:
        rows = rows.filter(received_on__gte=date_from)
    if date_to:
        rows = rows.filter(received_on__lte=date_to)
    today = clock.today()
    figures = rows.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=today)),
        answered=Count("pk", filter=Q(on_time__isnull=False)),
        on_time=Count("pk", filter=Q(on_time=True)),
        rated=Count("pk", filter=~Q(satisfaction="")),
        satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        basically=Count("pk", filter=Q(satisfaction=Satisfaction.BASICALLY)),
        not_satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.NOT_SATISFIED)),
        joint=Count("pk", filter=Q(joint=True)),
    )
    figures["on_time_rate"] = _rate(figures["on_time"], figures["answered"])
    figures["satisfaction_rate"] = _rate(
        figures["satisfied"] + figures["basically"], figures["rated"]
    )
    figures["by_state"] = [
        {"state": r["state"], "label": State(r["state"]).label, "n": r["n"]}
        for r in rows.values("state").annotate(n=Count("pk")).order_by("state")
    ]
    return figures


def rates_by_unit(
    user: Any,
    under: Organization,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[dict[str, Any]]:
    """On-time and satisfaction rates of the cases handled by each unit one level down (the
    city sees its districts), one grouped query; cases handled at ``under`` itself are its
    own row."""
    length = tree.child_length(under.path)
    rows = Petition.objects.visible_to(user).filter(org_path__startswith=under.path)
    if date_from:
        rows = rows.filter(received_on__gte=date_from)
    if date_to:
        rows = rows.filter(received_on__lte=date_to)
    grouped = list(
        rows.annotate(unit=Substr("org_path", 1, length))
        .values("unit")
        .annotate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=clock.today())),
            answered=Count("pk", filter=Q(on_time__isnull=False)),
            on_time=Count("pk", filter=Q(on_time=True)),
            rated=Count("pk", filter=~Q(satisfaction="")),
            good=Count(
                "pk",
                filter=Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASICALLY)),
            ),
        )
        .order_by("unit")
    )
    names = dict(
        Organization.objects.filter(path__in=[r["unit"] for r in grouped]).values_list(
            "path", "name"
        )
    )
    return [
        {
            **r,
            "name": names.get(r["unit"], under.name),
            "on_time_rate": _rate(r["on_time"], r["answered"]),
            "satisfaction_rate": _rate(r["good"], r["rated"]),
        }
        for r in grouped
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def repeat_petitioners(user: Any, under: Organization, limit: int = 50) -> list[dict[str, Any]]:
    """Petitioners with more than one case in the subtree, found by the ID number's blind
    index (never decrypted), most cases first; the masked number and one spelling of the name."""
    rows = (
        _subtree(user, under)
        .exclude(id_number_index="")
        .values("id_number_index")
        .annotate(
            n=Count("pk"),
            masked=Min("id_number_masked"),
            name=Min("petitioner_name"),
            first=Min("received_on"),
        )
        .filter(n__gt=1)
        .order_by("-n", "masked")[:limit]
    )
    return [dict(r) for r in rows]


def repeat_count(user: Any, under: Organization) -> int:
    """How many petitioners have more than one case in the subtree."""
    return (
        _subtree(user, under)
        .exclude(id_number_index="")
        .values("id_number_index")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )


def hot_spots(user: Any, under: Organization, limit: int = 30) -> list[dict[str, Any]]:
    """Cases by the street where the problem arises, most first, with its coordinates."""
    rows = (
        _subtree(user, under)
        .exclude(street__isnull=True)
        .values("street", "street__name", "street__lng", "street__lat")
        .annotate(n=Count("pk"), open=Count("pk", filter=Q(state__in=OPEN_STATES)))
        .order_by("-n", "street")[:limit]
    )
    return [dict(r) for r in rows]


def by_category(user: Any, under: Organization) -> list[dict[str, Any]]:
    return [
        {"category": r["category"], "label": rules.Category(r["category"]).label, "n": r["n"]}
        for r in _subtree(user, under)
        .values("category")
        .annotate(n=Count("pk"))
        .order_by("-n", "category")
    ]


# ----- the bell ----------------------------------------------------------------------------------


def escalated_q(path: str, on: dt.date) -> Q:
    """Overdue cases of ``path``'s subtree that have climbed up to it: a case ``k`` levels
    below is shown once it is overdue by more than ``k × ESCALATE_AFTER_DAYS`` days."""
    depth = tree.depth(path)
    q = Q(pk__in=[])
    for k in range(1, ESCALATION_LEVELS + 1):
        q |= Q(
            org_path__startswith=path,
            org_depth=depth + k,
            due_on__lt=on - dt.timedelta(days=k * rules.ESCALATE_AFTER_DAYS),
        )
    return q


def petition_notices(user: Any) -> list[Notice]:
    """The bell: overdue cases the user's own units are responsible for (or registered and not
    yet routed), and overdue cases of units below that have climbed up to them (overdue by
    more than the bound per level)."""
    own = acting_paths(user)
    if not own:
        return []
    today = clock.today()
    base = Petition.objects.visible_to(user).filter(state__in=OPEN_STATES)
    mine = Q(pk__in=[])
    climbed = Q(pk__in=[])
    for path in own:
        # placed at the unit, or registered there and not yet routed
        mine |= Q(org_path=path, due_on__lt=today) | Q(
            org_path="", intake_path=path, due_on__lt=today
        )
        climbed |= escalated_q(path, today)
    counts = base.aggregate(mine=Count("pk", filter=mine), climbed=Count("pk", filter=climbed))
    url = reverse("petitions:overdue")
    return [
        Notice("petitions.overdue", _("本单位逾期未办的信访事项"), counts["mine"], url, True),
        Notice(
            "petitions.escalated",
            _("下级逾期上移督办的信访事项"),
            counts["climbed"],
            f"{url}?escalated=1",
            True,
        ),
    ]


def escalated_list(user: Any) -> QuerySet[Petition]:
    """The cases that have climbed up to the units the user acts for."""
    today = clock.today()
    q = Q(pk__in=[])
    for path in acting_paths(user):
        q |= escalated_q(path, today)
    return (
        Petition.objects.visible_to(user)
        .filter(q, state__in=OPEN_STATES)
        .select_related("org", "intake_org", "street")
        .order_by("due_on", "id")
    )
