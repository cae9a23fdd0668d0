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
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Length, Substr, TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext

from jiceng.core import tree
from jiceng.core.generations import VISITS, cache_key, generation
from jiceng.core.notices import Notice, acting_paths, near
from jiceng.core.scoping import Action, can, get_visible_or_404, scope_of
from jiceng.members.models import Member
from jiceng.members.selectors import own_member
from jiceng.orgs.models import Organization

from ..registry.models import NeedyCategory, NeedyPerson
from ..registry.selectors import outreach_q
from .models import Visit, VisitCategoryTally, VisitNeed, VisitTally, VisitVisitor
from .rules import FIRST_LEVELS, TALLIED_LEVELS, NeedState, TargetKind, VisitState, first_bit


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


Figures = tuple[int, int, int, int]


@dataclass(frozen=True)
class _Grouped:
    """(visits, confirmed, households, members) by unit one level down, by month, in total."""

    by_unit: dict[Any, Figures]
    by_month: dict[Any, Figures]
    total: Figures


def _by_firsts(user: Any, under: Organization, date_from: Any, date_to: Any) -> bool:
    """Whether the figures may be read from the first-row marks (rules.py): the whole time
    (a period needs DISTINCT), a subtree the reader sees whole, not deeper than the marks."""
    return (
        not date_from
        and not date_to
        and can(user, Action.VIEW, under.path)
        and tree.depth(under.path) + 1 <= FIRST_LEVELS
    )


def _grouped_by_firsts(under: Organization) -> _Grouped:
    """Every figure of the subtree in two grouped passes, by (unit one level down, month): one
    over the visits, one over the visitor rows (their copies of the visit's path, date and
    state), each a plain count of marked rows, no DISTINCT and no join. Groups of paths
    agreeing in depth + 1 steps are the units one level down; in depth steps, the subtree."""
    depth = tree.depth(under.path)
    unit, whole = first_bit(depth + 1), first_bit(depth)
    group = Substr("org_path", 1, tree.child_length(under.path))
    visits = (
        Visit.objects.filter(org_path__startswith=under.path)
        .exclude(state=VisitState.RETURNED)
        .annotate(g=group, m=TruncMonth("visited_on"))
        .values("g", "m")
        .annotate(
            n=Count("id"),
            confirmed=Count("id", filter=Q(state=VisitState.CONFIRMED)),
            h_unit=Sum(F("first_needy").bitand(unit)),
            h_whole=Sum(F("first_needy").bitand(whole)),
            h_month=Sum(F("first_needy_month").bitand(whole)),
        )
        .order_by()
    )
    # Rows of returned visits carry no marks: they add nothing, whatever group they fall in.
    visitors: dict[tuple[Any, Any], dict[str, Any]] = {
        (r["g"], r["m"]): dict(r)
        for r in VisitVisitor.objects.filter(org_path__startswith=under.path)
        .annotate(g=group, m=TruncMonth("visited_on"))
        .values("g", "m")
        .annotate(
            m_unit=Sum(F("first").bitand(unit)),
            m_whole=Sum(F("first").bitand(whole)),
            m_month=Sum(F("first_month").bitand(whole)),
        )
        .order_by()
    }
    by_unit: dict[Any, list[int]] = {}
    by_month: dict[Any, list[int]] = {}
    total = [0, 0, 0, 0]
    for r in visits:
        v = visitors.get((r["g"], r["m"]), {})
        n, confirmed = r["n"], r["confirmed"]
        for key, figures, households, members, bit in (
            (r["g"], by_unit, r["h_unit"], v.get("m_unit"), unit),
            (r["m"], by_month, r["h_month"], v.get("m_month"), whole),
            (None, None, r["h_whole"], v.get("m_whole"), whole),
        ):
            row = total if figures is None else figures.setdefault(key, [0, 0, 0, 0])
            row[0] += n
            row[1] += confirmed
            row[2] += (households or 0) // bit
            row[3] += (members or 0) // bit
    return _Grouped(
        {k: tuple(r) for k, r in by_unit.items()},  # type: ignore[misc]
        {k: tuple(r) for k, r in by_month.items()},  # type: ignore[misc]
        tuple(total),  # type: ignore[arg-type]
    )


def _grouped_by_tallies(under: Organization) -> _Grouped:
    """Every figure of the city or a district from the stored totals of its units one level
    down, month by month (``VisitTally``): a few hundred rows."""
    by_unit: dict[Any, list[int]] = {}
    by_month: dict[Any, list[int]] = {}
    total = [0, 0, 0, 0]
    for t in VisitTally.objects.filter(
        level=tree.depth(under.path) + 1, key__startswith=under.path
    ):
        for row, households, members in (
            (by_unit.setdefault(t.key, [0, 0, 0, 0]), t.households, t.members),
            (by_month.setdefault(t.month, [0, 0, 0, 0]), t.households_month, t.members_month),
            (total, t.households_above, t.members_above),
        ):
            row[0] += t.visits
            row[1] += t.confirmed
            row[2] += households
            row[3] += members
    return _Grouped(
        {k: tuple(r) for k, r in by_unit.items()},  # type: ignore[misc]
        {k: tuple(r) for k, r in by_month.items()},  # type: ignore[misc]
        tuple(total),  # type: ignore[arg-type]
    )


def _grouped_all(user: Any, under: Organization, date_from: Any, date_to: Any) -> _Grouped:
    """The figures by unit, by month and in total: from the stored totals (the city, a
    district) or the marks when they apply, else by DISTINCT over the visits joined to their
    visitors (a period, or a part of the subtree)."""
    if _by_firsts(user, under, date_from, date_to):
        if tree.depth(under.path) + 1 in TALLIED_LEVELS:
            return _grouped_by_tallies(under)
        return _grouped_by_firsts(under)
    counted = _counted(user, under, date_from, date_to)
    return _Grouped(
        _grouped(counted, Substr("org_path", 1, tree.child_length(under.path))),
        _grouped(counted, TruncMonth("visited_on")),
        _grouped(counted, None)[None],
    )


def _unit_rows(by_unit: dict[Any, Figures]) -> list[VisitCounts]:
    units = {
        path: (name, pk)
        for path, name, pk in Organization.objects.filter(path__in=list(by_unit)).values_list(
            "path", "name", "pk"
        )
    }
    return [
        VisitCounts(unit, *units.get(unit, ("", None)), *by_unit[unit]) for unit in sorted(by_unit)
    ]


def _month_rows(by_month: dict[Any, Figures]) -> list[VisitCounts]:
    return [
        VisitCounts(month, month.strftime("%Y-%m"), None, *by_month[month])
        for month in sorted(by_month)
    ]


def counts_by_unit(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> list[VisitCounts]:
    """Visits made by each unit one level below ``under`` (and by ``under`` itself) in the
    period: grouped queries on the path prefix, whatever the size of the subtree."""
    return _unit_rows(_grouped_all(user, under, date_from, date_to).by_unit)


def counts_by_month(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> list[VisitCounts]:
    """The same counts month by month over the subtree."""
    return _month_rows(_grouped_all(user, under, date_from, date_to).by_month)


def counts_total(
    user: Any, under: Organization, *, date_from: Any = None, date_to: Any = None
) -> VisitCounts:
    """The subtree's totals (distinct households and members are not the sum of the groups')."""
    total = _grouped_all(user, under, date_from, date_to).total
    return VisitCounts(under.path, under.name, under.pk, *total)


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
    level = tree.depth(under.path) + 1
    if (
        level in TALLIED_LEVELS
        and _by_firsts(user, under, date_from, date_to)
        and _sees_every_needy(user)
    ):
        return _categories_by_tallies(level, under)
    seen = NeedyPerson.objects.filter(outreach_q(user)).values("pk")
    visits = (
        _counted(user, under, date_from, date_to)
        .filter(target_kind=TargetKind.NEEDY, needy__in=seen)
        .values("id", "needy_id", "first_needy")
    )
    # The categories' table joined to the visits counted, without the person's row. A
    # household is counted once: by its visit marked first in the subtree (rules.py), else
    # with DISTINCT (a period, or a part of the subtree).
    whole = first_bit(tree.depth(under.path))
    households = (
        f"SUM(v.first_needy & {whole}) / {whole}"
        if _by_firsts(user, under, date_from, date_to)
        else "COUNT(DISTINCT v.needy_id)"
    )
    sql, params = visits.query.sql_with_params()
    through = NeedyPerson.categories.through._meta.db_table
    with connections[visits.db].cursor() as cursor:
        # Only Django's compiled SQL, a table name and a number are inlined; every value is a
        # parameter.
        cursor.execute(
            f"SELECT c.needycategory_id, COUNT(*), {households} FROM ({sql}) v "  # noqa: S608
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


def _sees_every_needy(user: Any) -> bool:
    """Whether the reader's outreach rights cover the whole tree (every root), so every needy
    person's categories are counted for them."""
    paths = {p for p in scope_of(user, Action.OUTREACH).paths if tree.depth(p) == 1}
    if not paths:  # no root in the scope: no query
        return False
    roots = Organization.objects.filter(depth=1).values_list("path", flat=True)
    return all(root in paths for root in roots)


def _categories_by_tallies(level: int, under: Organization) -> list[CategoryVisits]:
    """The counts by category of the city or a district from the stored totals of its units
    one level down (``VisitCategoryTally``)."""
    rows: dict[int, tuple[int, int]] = {
        r["category"]: (r["visits"], r["households"])
        for r in VisitCategoryTally.objects.filter(level=level, key__startswith=under.path)
        .values("category")
        .annotate(visits=Sum("visits"), households=Sum("households_above"))
        .order_by()
    }
    return [CategoryVisits(c, *rows.get(c.pk, (0, 0))) for c in NeedyCategory.objects.all()]


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
        grouped = _grouped_all(user, under, date_from, date_to)
        figures = VisitFigures(
            VisitCounts(under.path, under.name, under.pk, *grouped.total),
            _unit_rows(grouped.by_unit),
            _month_rows(grouped.by_month),
            counts_by_category(user, under, date_from=date_from, date_to=date_to),
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
