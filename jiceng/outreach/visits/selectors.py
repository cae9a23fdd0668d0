"""Every read of visits (S19) and of the needs raised at them, from ``visible_to``: the visits
a user sees, a member's own, the counts by unit and by month for a subtree, the counts by
category (only inside the reader's outreach scope: a category is sensitive, PIPL art. 28) and
the needs worklist."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length, Substr, TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext

from jiceng.core import tree
from jiceng.core.generations import VISITS, cache_key, generation
from jiceng.core.notices import Notice, acting_paths, near
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.members.models import Member
from jiceng.members.selectors import own_member
from jiceng.orgs.models import Organization

from ..registry.models import NeedyCategory, NeedyPerson
from ..registry.selectors import outreach_q
from .models import Visit, VisitNeed
from .rules import NeedState, TargetKind, VisitState


def visit_list(
    user: Any,
    *,
    under: Organization | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    state: str = "",
    target_kind: str = "",
) -> QuerySet[Visit]:
    """The visits the user may see (made by units of their subtree, or to needy people of
    their streets; a member their own), newest first, filtered."""
    visits = Visit.objects.visible_to(user)
    if under is not None:
        visits = visits.filter(
            Q(org_path__startswith=under.path) | Q(target_path__startswith=under.path)
        )
    if date_from:
        visits = visits.filter(visited_on__gte=date_from)
    if date_to:
        visits = visits.filter(visited_on__lte=date_to)
    if state:
        visits = visits.filter(state=state)
    if target_kind:
        visits = visits.filter(target_kind=target_kind)
    return visits.select_related("org", "needy", "target_org", "recorded_by")


def own_visits(user: Any) -> QuerySet[Visit]:
    """The visits a member recorded or took part in (self-service)."""
    member = own_member(user)
    mine = Q(recorded_by=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    if member is not None:
        mine |= Q(visitors=member)
    return (
        Visit.objects.filter(mine)
        .distinct()
        .select_related("org", "needy", "target_org")
        .prefetch_related("needs")
    )


def visit_get(user: Any, pk: Any, action: str = Action.VIEW) -> Visit:
    """A visit the user may see (or act on); a member sees the visits they recorded or took
    part in. Missing and foreign are the same 404."""
    member = own_member(user)
    queryset = Visit.objects.select_related("org", "needy", "target_org", "recorded_by")
    if action == Action.VIEW and member is not None:
        visible = queryset.filter(pk=pk, visitors=member).first()
        if visible is not None:
            return visible
    return get_visible_or_404(queryset, user, action, pk=pk)


def needy_visible(user: Any, visit: Visit) -> bool:
    """Whether the page may link to the visited needy person's record (the registry's own
    scoping; a member who visited them may not open it)."""
    if visit.needy_id is None:
        return False
    return NeedyPerson.objects.visible_to(user).filter(pk=visit.needy_id).exists()


def visitors_of(visit: Visit) -> list[Member]:
    return list(visit.visitors.order_by("name_pinyin", "id"))


def recording_org(user: Any, org_id: Any) -> tuple[Organization, bool]:
    """The unit a visit is recorded for, and whether it is self-service: a unit the user may
    change (the branch records), else the member's own home or participating unit; else 404."""
    org = Organization.objects.visible_to(user, Action.CHANGE).filter(pk=org_id).first()
    if org is not None:
        return org, False
    member = own_member(user)
    if member is not None and org_id in (member.home_org_id, member.participating_org_id):
        own = member.home_org if org_id == member.home_org_id else member.participating_org
        if own is not None:
            return own, True
    raise Http404


def default_recording_org(user: Any) -> Organization:
    """The unit the branch's form starts with: the top of the user's change scope."""
    org = (
        Organization.objects.filter(path__in=scope_of(user, Action.CHANGE).paths)
        .order_by("path")
        .first()
    )
    if org is None:
        raise Http404
    return org


def unit_members(user: Any, org: Organization) -> QuerySet[Member]:
    """Members registered or taking part in ``org`` itself: who may be named as visitors on
    the branch's form (a branch has 3 to 50, S11)."""
    return (
        Member.objects.on_roll()
        .visible_to(user)
        .filter(Q(home_org=org) | Q(participating_org=org))
        .order_by("name_pinyin", "id")
    )


def recordable_needy(
    user: Any, org: Organization | None, *, self_service: bool
) -> QuerySet[NeedyPerson]:
    """The needy people a visit may be to: for a member, those paired with their unit; for an
    officer, those of the registry they see. Names only: no category is read here."""
    people = NeedyPerson.objects.filter(merged_into__isnull=True, status="active")
    if self_service:
        if org is None:
            return people.none()
        return people.filter(paired_path__startswith=org.path)
    return people.filter(pk__in=NeedyPerson.objects.visible_to(user).values("pk"))


# ----- counts ---------------------------------------------------------------------------------

COUNTS_CACHE_SECONDS = 300


@dataclass(frozen=True)
class VisitCounts:
    """Visits (not returned), confirmed ones, distinct needy households visited and distinct
    members taking part, for one group (a child unit or a month)."""

    key: Any
    name: str
    org_id: int | None
    visits: int
    confirmed: int
    households: int
    members: int


def _counted(user: Any, under: Organization, date_from: Any, date_to: Any) -> QuerySet[Visit]:
    visits = (
        Visit.objects.visible_to(user)
        .filter(org_path__startswith=under.path)
        .exclude(state=VisitState.RETURNED)
    )
    if date_from:
        visits = visits.filter(visited_on__gte=date_from)
    if date_to:
        visits = visits.filter(visited_on__lte=date_to)
    return visits


def _grouped(visits: QuerySet[Visit], group: Any) -> dict[Any, tuple[int, int, int, int]]:
    """(visits, confirmed, households, members) per group (``None``: one total), in one
    grouped query over the visits joined to their visitors. (Measured city-wide on
    PostgreSQL, counting members in a second query over the visitors' table was slower.)"""
    figures = {
        "visits": Count("id", distinct=True),
        "confirmed": Count("id", distinct=True, filter=Q(state=VisitState.CONFIRMED)),
        "households": Count("needy", distinct=True, filter=Q(target_kind=TargetKind.NEEDY)),
        "members": Count("visitors", distinct=True),
    }
    if group is None:
        row = visits.aggregate(**figures)
        return {None: (row["visits"], row["confirmed"], row["households"], row["members"])}
    rows: list[Any] = list(visits.annotate(g=group).values("g").annotate(**figures).order_by())
    return {r["g"]: (r["visits"], r["confirmed"], r["households"], r["members"]) for r in rows}


def counts_by_unit(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> list[VisitCounts]:
    """Visits made by each unit one level below ``under`` (and by ``under`` itself) in the
    period: grouped queries on the path prefix (index ``visit_on_org``), whatever the size
    of the subtree."""
    length = tree.child_length(under.path)
    grouped = _grouped(_counted(user, under, date_from, date_to), Substr("org_path", 1, length))
    units = {
        path: (name, pk)
        for path, name, pk in Organization.objects.filter(path__in=list(grouped)).values_list(
            "path", "name", "pk"
        )
    }
    return [
        VisitCounts(unit, *units.get(unit, ("", None)), *grouped[unit]) for unit in sorted(grouped)
    ]


def counts_by_month(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> list[VisitCounts]:
    """The same counts month by month over the subtree."""
    grouped = _grouped(_counted(user, under, date_from, date_to), TruncMonth("visited_on"))
    return [
        VisitCounts(month, month.strftime("%Y-%m"), None, *grouped[month])
        for month in sorted(grouped)
    ]


def counts_total(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> VisitCounts:
    """The subtree's totals (distinct households and members are not the sum of the groups')."""
    grouped = _grouped(_counted(user, under, date_from, date_to), None)
    return VisitCounts(under.path, under.name, under.pk, *grouped[None])


@dataclass(frozen=True)
class CategoryVisits:
    category: NeedyCategory
    visits: int
    households: int


def counts_by_category(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> list[CategoryVisits]:
    """Visits to needy people by category, counting only the people inside the reader's
    outreach scope (empty without outreach rights): a category is sensitive (PIPL art. 28).
    A visit is to one person, who holds a category once: the (visit, category) rows are
    distinct, so visits are counted without a DISTINCT."""
    if scope_of(user, Action.OUTREACH).is_empty:
        return []
    seen = NeedyPerson.objects.filter(outreach_q(user)).values("pk")
    visits = (
        _counted(user, under, date_from, date_to)
        .filter(target_kind=TargetKind.NEEDY, needy__in=seen)
        .values("id", "needy_id")
    )
    # The categories' table joined to the visits counted, without the person's row.
    sql, params = visits.query.sql_with_params()
    through = NeedyPerson.categories.through._meta.db_table
    with connections[visits.db].cursor() as cursor:
        # Only Django's compiled SQL and a table name are inlined; every value is a parameter.
        cursor.execute(
            f"SELECT c.needycategory_id, COUNT(*), COUNT(DISTINCT v.needy_id) FROM ({sql}) v "  # noqa: S608
            f"JOIN {through} c ON c.needyperson_id = v.needy_id GROUP BY 1",
            params,
        )
        rows = [
            {"needy__categories": k, "visits": n, "households": h} for k, n, h in cursor.fetchall()
        ]
    by_category = {r["needy__categories"]: r for r in rows if r["needy__categories"]}
    return [
        CategoryVisits(
            c,
            by_category.get(c.pk, {}).get("visits", 0),
            by_category.get(c.pk, {}).get("households", 0),
        )
        for c in NeedyCategory.objects.all()
    ]


@dataclass(frozen=True)
class VisitFigures:
    total: VisitCounts
    by_unit: list[VisitCounts]
    by_month: list[VisitCounts]
    by_category: list[CategoryVisits]


def visit_figures(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> VisitFigures:
    """Every figure of the counts page and API for one reader. Cached for each reader, under
    the visits' generation (bumped by every write that changes what is counted, so a visit
    just recorded or confirmed is counted at once) and for at most ``COUNTS_CACHE_SECONDS``
    (a person's categories changed meanwhile)."""
    # The reader's scopes are in the key: a role whose rights change (outreach taken away)
    # never reads figures cached under its former rights.
    scopes = (scope_of(user, Action.VIEW).paths, scope_of(user, Action.OUTREACH).paths)
    key = cache_key(
        "visit-figures",
        generation(VISITS),
        getattr(user, "pk", None),
        hashlib.sha256(repr(scopes).encode()).hexdigest()[:16],
        under.pk,
        date_from,
        date_to,
    )
    figures = cache.get(key)
    if figures is None:
        period = {"date_from": date_from, "date_to": date_to}
        figures = VisitFigures(
            counts_total(user, under, **period),
            counts_by_unit(user, under, **period),
            counts_by_month(user, under, **period),
            counts_by_category(user, under, **period),
        )
        cache.set(key, figures, COUNTS_CACHE_SECONDS)
    return figures


# ----- needs ----------------------------------------------------------------------------------

OPEN_STATES = (NeedState.OPEN, NeedState.IN_PROGRESS)


def needs_worklist(user: Any, *, under: Organization | None = None) -> QuerySet[VisitNeed]:
    """Needs still open or in progress, oldest first: the street's and the branches' work."""
    needs = VisitNeed.objects.visible_to(user).filter(state__in=OPEN_STATES)
    if under is not None:
        needs = needs.filter(path__startswith=under.path)
    return needs.select_related("visit", "visit__org", "visit__needy").order_by("raised_on", "id")


def need_get(user: Any, pk: Any, action: str = Action.VIEW) -> VisitNeed:
    return get_visible_or_404(
        VisitNeed.objects.select_related("visit", "visit__org"), user, action, pk=pk
    )


# ----- the bell ---------------------------------------------------------------------------------


def visit_notices(user: Any) -> list[Notice]:
    """The bell (S19): visits waiting for the confirmation of a unit the user acts for (or of
    one of its direct sub-units), and needs placed there still waiting to be followed up.
    Both read through ``visible_to`` and count only what the user may act on."""
    paths = acting_paths(user)
    if not paths:
        return []
    waiting = (
        Visit.objects.visible_to(user, Action.CHANGE)
        .filter(near(user, "org__path", "org__depth"), state=VisitState.RECORDED)
        .count()
    )
    here = Q(pk__in=[])
    for path in paths:
        here |= Q(path__startswith=path, path_length__lte=len(path) + tree.STEP)
    open_needs = (
        VisitNeed.objects.visible_to(user, Action.CHANGE)
        .annotate(path_length=Length("path"))
        .filter(here, state__in=OPEN_STATES)
        .count()
    )
    return [
        Notice(
            "outreach.visits",
            gettext("待确认的走访"),
            waiting,
            reverse("outreach:visit-list") + f"?state={VisitState.RECORDED}",
        ),
        Notice(
            "outreach.needs", gettext("待跟进的群众需求"), open_needs, reverse("outreach:needs")
        ),
    ]
