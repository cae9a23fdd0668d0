"""The officer's dashboard (issue 22 item 2): the figures of every app for a subtree, grouped
as the apps are, each a link to its rows, and the map of the subtree's districts or streets
coloured by a figure the officer chooses.

Every number is a figure of ``figures.FIGURES`` over the current batch's window, so the
dashboard, the summary reports and the rows pages count alike. A group's figures are counted
by child unit in one grouped query each (``Figure.by_child``): their sum is the subtree's
figure, their parts colour the map. The counts are cached for ``CACHE_SECONDS`` per group,
subtree and window, keyed by the generations (``core.generations``) of the writes that change
them; which figures may be older than that is in docs/reports.md ("Dashboards and map").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.cache import cache as django_cache
from django.db.models import Count
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.appraisal.services import default_campaign
from jiceng.campaigns.models import Campaign
from jiceng.core import clock, generations, tree
from jiceng.core.scoping import Action, scope_of
from jiceng.geo.models import District, DivisionChange
from jiceng.orgs.models import Organization, OrgType

from .figures import BY_KEY, Figure, Window, campaign_window

CACHE_SECONDS = 300
OUTLINES_SECONDS = 3600


@dataclass(frozen=True)
class Tile:
    """A number of the panel: the count of ``figure`` (a link to its rows), with its share of
    ``of`` when given (落实率, 按期办结率 …)."""

    figure: str
    of: str = ""
    share_label: Promise | str = ""


@dataclass(frozen=True)
class Group:
    """Figures of one app, counted, cached and shown together; ``changed_by`` names the
    generations whose bump makes the cached counts stale (besides the tree's)."""

    key: str
    label: Promise
    tiles: tuple[Tile, ...]
    changed_by: Callable[[Window], tuple[str, ...]] = lambda w: ()

    @property
    def figures(self) -> tuple[str, ...]:
        keys = [t.figure for t in self.tiles] + [t.of for t in self.tiles if t.of]
        return tuple(dict.fromkeys(keys))


def _campaign_changes(w: Window) -> tuple[str, ...]:
    return (generations.campaign_progress(w.campaign_id),) if w.campaign_id else ()


GROUPS: tuple[Group, ...] = (
    Group(
        "members",
        _("党员与落实"),
        (Tile("members.on_roll"), Tile("members.placed", "members.on_roll", _("落实率"))),
    ),
    Group(
        "campaign",
        _("活动进度"),
        (Tile("campaign.units"), Tile("campaign.completed", "campaign.units", _("完成率"))),
        _campaign_changes,
    ),
    Group(
        "study",
        _("学习"),
        (Tile("study.sessions"), Tile("study.attendance")),
        lambda w: (generations.MEMBER_ACTIVITY,),
    ),
    Group(
        "outreach",
        _("帮扶"),
        (
            Tile("outreach.visits"),
            Tile("outreach.households"),
            Tile("outreach.paired_people"),
            Tile("outreach.cards"),
        ),
        lambda w: (generations.VISITS,),
    ),
    Group(
        "voice",
        _("民意"),
        (
            Tile("petitions.received"),
            Tile("petitions.on_time", "petitions.closed", _("按期办结率")),
            Tile("satisfaction.responses"),
            Tile("satisfaction.satisfied", "satisfaction.responses", _("满意率")),
        ),
    ),
)


@dataclass(frozen=True)
class Measure:
    """What the map may be coloured by: a figure's count, or its share of another."""

    key: str
    figure: str
    of: str = ""
    label: Promise | None = None

    @property
    def title(self) -> Any:
        return self.label or BY_KEY[self.figure].label

    @property
    def unit(self) -> str:
        return "%" if self.of else BY_KEY[self.figure].unit

    def value(self, counts: dict[str, int]) -> float | int | None:
        n = counts.get(self.figure, 0)
        if not self.of:
            return n
        den = counts.get(self.of, 0)
        return round(100 * n / den, 1) if den else None


MEASURES: tuple[Measure, ...] = (
    Measure("placed_share", "members.placed", "members.on_roll", _("党员落实率")),
    Measure("members.on_roll", "members.on_roll"),
    Measure("completed_share", "campaign.completed", "campaign.units", _("活动完成率")),
    Measure("study.attendance", "study.attendance"),
    Measure("outreach.visits", "outreach.visits"),
    Measure("outreach.households", "outreach.households"),
    Measure("outreach.paired_people", "outreach.paired_people"),
    Measure("petitions.received", "petitions.received"),
    Measure("on_time_share", "petitions.on_time", "petitions.closed", _("信访按期办结率")),
    Measure("satisfied_share", "satisfaction.satisfied", "satisfaction.responses", _("满意率")),
)
DEFAULT_MEASURES = ("placed_share", "outreach.visits")


# —— where the dashboard looks ——


def roots(user: Any) -> list[Organization]:
    """The user's top units (the narrowest paths of their scope), first by path; none for a
    member using self-service."""
    paths = scope_of(user, Action.VIEW).paths
    if not paths:
        return []
    return list(
        Organization.objects.filter(path__in=paths).select_related("district").order_by("path")
    )


def under_get(user: Any, raw: Any) -> Organization:
    """The unit of ``?under=`` (an organisation id) if the user may see it, else their first
    top unit; 404 for another district's unit, a missing one, or a user with no scope."""
    if raw in (None, ""):
        found = roots(user)
        if not found:
            raise Http404
        return found[0]
    try:
        return Organization.objects.visible_to(user).select_related("district").get(pk=int(raw))
    except (Organization.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def trail(user: Any, under: Organization) -> list[Organization]:
    """The units from the user's top unit down to ``under`` (each one theirs to see)."""
    return list(
        Organization.objects.visible_to(user)
        .filter(path__in=tree.ancestor_paths(under.path, include_self=True))
        .order_by("depth")
    )


def current_window() -> tuple[Window, Campaign | None]:
    """The current batch's window (the latest city-wide batch, from its launch to its
    reference date); without any batch, the year so far."""
    campaign = default_campaign()
    if campaign is not None:
        return campaign_window(campaign), campaign
    today = clock.today()
    return Window(start=dt.date(today.year, 1, 1), end=today), None


# —— the counts ——


def group_counts(
    group: Group, window: Window, path: str
) -> tuple[dict[str, dict[str, int]], dt.datetime]:
    """The group's figures over the subtree at ``path``, each by child path (one grouped
    query per figure), and when they were counted; cached for ``CACHE_SECONDS`` under the
    tree's generation and the group's own."""
    gens = [generations.generation(g) for g in (generations.ORG_TREE, *group.changed_by(window))]
    key = generations.cache_key(
        "dashboard", group.key, *gens, window.start, window.end, window.campaign_id, path
    )
    cached = django_cache.get(key)
    if cached is not None:
        return cached
    result = (count_by_child(group.figures, window, path), timezone.now())
    django_cache.set(key, result, CACHE_SECONDS)
    return result


def count_by_child(keys: Iterable[str], window: Window, path: str) -> dict[str, dict[str, int]]:
    """Each figure's counts by child path, as ``Figure.by_child`` gives them; figures of one
    model placed by one path column whose rows need no join (members on the roll and placed;
    petitions received, closed and on time) are counted together, one filtered COUNT each in
    one scan (a join could drop or repeat the others' rows, so such a figure counts alone)."""
    cut = tree.child_length(path)
    out: dict[str, dict[str, int]] = {}
    together: dict[tuple[Any, str], list[Figure]] = {}
    for key in keys:
        fig = BY_KEY[key]
        if fig.needs_campaign and window.campaign_id is None:
            out[key] = {}
        elif fig.annotate(window) or " JOIN " in str(fig.rows(window, path).query):
            out[key] = fig.by_child(window, path, cut)
        else:
            together.setdefault((fig.model, fig.path), []).append(fig)
    for (model, column), figs in together.items():
        if len(figs) == 1:
            out[figs[0].key] = figs[0].by_child(window, path, cut)
            continue
        grouped = (
            model._default_manager.filter(**{f"{column}__startswith": path})
            .annotate(_child=Substr(column, 1, cut))
            .values("_child")
            .annotate(**{f"_n{i}": Count("pk", filter=f.where(window)) for i, f in enumerate(figs)})
            .order_by()
        )
        parts: dict[str, dict[str, int]] = {f.key: {} for f in figs}
        for g in grouped:
            for i, f in enumerate(figs):
                if g[f"_n{i}"]:
                    parts[f.key][g["_child"]] = g[f"_n{i}"]
        out |= parts
    return out


@dataclass
class ShownTile:
    key: str
    label: Any
    unit: str
    value: int
    href: str
    share: float | None = None
    share_label: Any = ""


@dataclass
class ShownGroup:
    key: str
    label: Any
    tiles: list[ShownTile]


@dataclass
class Child:
    """A sub-unit's values of the shown measures, each with the link to its rows."""

    org: Organization
    href: str
    cells: list[tuple[Any, str, str]]  # value, link to its rows, "%" for a share


@dataclass
class Panel:
    under: Organization
    window: Window
    campaign: Campaign | None
    groups: list[ShownGroup]
    measures: list[Measure]
    default: str
    children: list[Child]
    map: dict[str, Any] | None
    computed_at: dt.datetime | None


def rows_href(figure: str, org: Organization) -> str:
    return f"{reverse('reports:figure-rows', args=[figure])}?under={org.pk}"


def page_href(org: Organization) -> str:
    return f"{reverse('reports:dashboard')}?under={org.pk}"


def panel(under: Organization) -> Panel:
    """The dashboard of the subtree at ``under`` (the caller has read ``under`` through
    ``visible_to``: whoever sees a unit sees its whole subtree): the groups with data, the
    measures the map may show, the sub-units' values and the map's data."""
    window, campaign = current_window()
    by_child: dict[str, dict[str, int]] = {}
    shown: list[ShownGroup] = []
    times = []
    for group in GROUPS:
        counts, at = group_counts(group, window, under.path)
        times.append(at)
        by_child |= counts
        totals = {f: sum(parts.values()) for f, parts in counts.items()}
        if not any(totals.values()):
            continue  # a group without data is not shown
        tiles = []
        for t in group.tiles:
            fig = BY_KEY[t.figure]
            share = Measure(t.figure, t.figure, t.of).value(totals) if t.of else None
            tiles.append(
                ShownTile(
                    key=t.figure,
                    label=fig.label,
                    unit=fig.unit,
                    value=totals[t.figure],
                    href=rows_href(t.figure, under),
                    share=share,
                    share_label=t.share_label,
                )
            )
        shown.append(ShownGroup(group.key, group.label, tiles))
    shown_figures = {t.figure for g in GROUPS if g.key in {s.key for s in shown} for t in g.tiles}
    measures = [m for m in MEASURES if m.figure in shown_figures]
    keys = [m.key for m in measures]
    default = next((k for k in DEFAULT_MEASURES if k in keys), keys[0] if keys else "")
    children = _children(under)
    values = {c.path: {f: parts.get(c.path, 0) for f, parts in by_child.items()} for c in children}
    rows = [
        Child(
            org=c,
            href=page_href(c),
            cells=[
                (m.value(values[c.path]), rows_href(m.figure, c), "%" if m.of else "")
                for m in measures
            ],
        )
        for c in children
    ]
    return Panel(
        under=under,
        window=window,
        campaign=campaign,
        groups=shown,
        measures=measures,
        default=default,
        children=rows,
        map=_map(under, children, values, measures) if measures else None,
        computed_at=min(times) if times else None,
    )


def _children(under: Organization) -> list[Organization]:
    """The unit's active sub-units, with their places; kept under the tree's generation (at
    the city, finding the few dozen districts among all units is a scan of the tree)."""
    key = generations.cache_key(
        "dashboard-children", generations.generation(generations.ORG_TREE), under.path
    )
    cached: list[Organization] | None = django_cache.get(key)
    if cached is None:
        cached = list(
            Organization.objects.filter(
                path__startswith=under.path, depth=under.depth + 1, abolished_on__isnull=True
            )
            .select_related("district", "street")
            .order_by("path")
        )
        django_cache.set(key, cached, CACHE_SECONDS)
    return cached


# —— the map ——

OUTLINE = ("geo", "static/geo/shanghai.geojson")


@cache
def outline_features() -> tuple[tuple[str, str], ...]:
    """(code, name) of each district outline in the map's GeoJSON, in its order (today's 16
    districts; 崇明区 without a code)."""
    app, rel = OUTLINE
    data = json.loads((Path(apps.get_app_config(app).path) / rel).read_text(encoding="utf-8"))
    return tuple(
        (str(f["properties"].get("code") or ""), str(f["properties"].get("name") or ""))
        for f in data["features"]
    )


def district_outlines() -> dict[str, tuple[int, bool]]:
    """For each 2005 district or county (by code): the index of the outline it lies in, and
    whether that outline is its own. The gazetteer's changes lead to today's division: 崇明县
    became 崇明区 (its own outline); 卢湾, 闸北 and 南汇 merged into 黄浦, 静安 and 浦东, so their
    outline is another district's and the map shows them as a point. The gazetteer changes
    only when it is loaded again, so this is kept for an hour."""
    key = generations.cache_key("dashboard-outlines")
    cached: dict[str, tuple[int, bool]] | None = django_cache.get(key)
    if cached is not None:
        return cached
    features = outline_features()
    changes = list(DivisionChange.objects.order_by("date", "pk"))
    out: dict[str, tuple[int, bool]] = {}
    for d in District.objects.all():
        code, name, own = d.code, d.name, True
        for ch in changes:
            if ch.from_code == code:
                own = own and ch.event != "merge"
                code, name = ch.to_code, ch.to_name
        for i, (f_code, f_name) in enumerate(features):
            if (f_code and f_code == code) or f_name == name:
                out[d.code] = (i, own)
                break
    django_cache.set(key, out, OUTLINES_SECONDS)
    return out


def _coords(org: Organization) -> list[float] | None:
    if org.lng is not None and org.lat is not None:
        return [org.lng, org.lat]
    place = org.street or org.district
    return [place.lng, place.lat] if place is not None else None


def _district_of(under: Organization) -> District | None:
    """The district whose outline frames ``under``'s map: none above a district, and none
    under a sector committee (its units lie all over the city)."""
    if under.depth < tree.DISTRICT_DEPTH:
        return None
    top: Organization | None = under
    if under.depth > tree.DISTRICT_DEPTH:
        top = (
            Organization.objects.filter(path=tree.district_path(under.path))
            .select_related("district")
            .first()
        )
    if top is None or top.org_type != OrgType.DISTRICT_COMMITTEE:
        return None
    return top.district


def _map(
    under: Organization,
    children: list[Organization],
    values: dict[str, dict[str, int]],
    measures: list[Measure],
) -> dict[str, Any] | None:
    """The map's data: at the city, each district's outline coloured by its values (a
    district merged since 2005 a point at its centre); below, the district's outline with its
    sub-units as points. Sector committees (their units lie all over the city) and sub-units
    without a place are left to the table."""
    outlines = district_outlines()
    n_features = len(outline_features())
    keys = [""] * n_features
    for code, (index, own) in outlines.items():
        if own:
            keys[index] = code
    areas, points = [], []
    city = under.depth < tree.DISTRICT_DEPTH
    for c in children:
        item = {
            "label": c.name,
            "href": page_href(c),
            "values": {m.key: m.value(values[c.path]) for m in measures},
        }
        if city:
            # districts only: a sector committee's units lie all over the city
            if c.org_type != OrgType.DISTRICT_COMMITTEE or c.district is None:
                continue
            place = outlines.get(c.district.code)
            if place and place[1]:
                areas.append({"name": c.district.code, **item})
                continue
        coord = _coords(c)
        if coord is not None:
            points.append({"coord": coord, **item})
    if not areas and not points:
        return None
    district = None if city else _district_of(under)
    focus = outlines.get(district.code) if district else None
    return {
        "level": "city" if city else "district",
        "features": keys,
        "focus": focus[0] if focus else None,
        "measures": [
            {"key": m.key, "label": str(m.title), "unit": m.unit, "share": bool(m.of)}
            for m in measures
        ],
        "areas": areas,
        "points": points,
    }


# —— the home page ——


def home_figures(user: Any) -> dict[str, Any]:
    """The home page's dashboard slot (``core.home``): the user's top units; the panel
    itself is loaded after the page (``dashboard_views.dashboard_panel``). Nothing for a
    member using self-service."""
    found = roots(user)
    return {"dashboard_roots": found} if found else {}
