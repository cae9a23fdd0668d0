"""Placement (S10, S16): every member has a unit where they take part in the campaign.

The rules, as named constants with their sources, and the suggestion of a unit for an
unplaced member (pure computation over the candidate units handed in, so the page, the API,
the bulk acceptance and the command all suggest the same unit).

* S10: "党员组织关系在哪里，就在哪里参加活动；在册不在岗、流动党员和组织关系托管的党员，
  就近就便参加所在社区或单位党组织的活动" — a member at post takes part in their own
  branch; members on the roll but not at post, mobile members and members whose relationship
  is entrusted (托管) take part in a nearby unit.
* S16/S17: dispersed members are placed at the nearest branch. The suggestion for the members
  of a district is the optimal capacitated assignment (``optimize.assign``: every member a
  unit with room, the total straight-line distance least; ``plan``), so no member is sent far
  because an earlier one of the worklist took the seat next door. ``suggest`` (nearest unit
  with room, one member after another) is the rule's fallback where the district's seats
  cannot hold its members (then someone must be left without a unit, and the worklist order
  says who).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.optimize import assign
from jiceng.optimize.exceptions import InfeasibleError
from jiceng.orgs import rules as org_rules
from jiceng.orgs.models import OrgType

# The campaign batch that placement is recorded for, a label on each line of the placement
# history (not a link to a campaign). Source: the report's subject, the second batch (第二批)
# of the campaign, launched city-wide on 2005-06-30 (S4).
CURRENT_PERIOD = "2005-第二批"

# Units that members take part in: branches, joint branches and general branches (a general
# branch holds members directly when it has no branches of its own). Committees do not.
PLACEMENT_TYPES = (OrgType.BRANCH, OrgType.JOINT_BRANCH, OrgType.GENERAL_BRANCH)

# How many members a unit can take part with: the size rules of the organisation statute
# (orgs/rules.py: a branch up to 50 members, a general branch up to 100).
CAPACITY: dict[str, int] = {
    OrgType.BRANCH: org_rules.BRANCH_MAX_MEMBERS,
    OrgType.JOINT_BRANCH: org_rules.BRANCH_MAX_MEMBERS,
    OrgType.GENERAL_BRANCH: org_rules.GENERAL_BRANCH_MAX_MEMBERS,
}

# Suggestions stay within the member's district unless an officer chooses otherwise: the
# district committee answers for the member (S10, "属地管理").
SAME_DISTRICT_ONLY = True

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

# The generation (``core.generations``) the cached district plans of suggestions carry: every
# write that places a member bumps it, so the next page computes the plan anew.
PLAN_GENERATION = "placement-plan"

# ``members.models.EmploymentStatus`` values, not imported: the member models import this
# module (through ``placement.models``).
AT_POST = "at_post"
MOBILE = "mobile"


class PlacementReason(models.TextChoices):
    HOME = "home", _("本支部（组织关系所在）")
    NEARBY = "nearby", _("就近（在册不在岗）")
    MOBILE = "mobile", _("就近（流动党员）")
    ENTRUSTED = "entrusted", _("就近（组织关系托管）")
    MANUAL = "manual", _("人工指定")


def default_reason(*, employment_status: str, entrusted: bool) -> str:
    """Why a member takes part where the rule puts them (S10): at post → home branch; entrusted,
    mobile and every other status off post → a nearby unit."""
    if entrusted:
        return PlacementReason.ENTRUSTED
    if employment_status == AT_POST:
        return PlacementReason.HOME
    if employment_status == MOBILE:
        return PlacementReason.MOBILE
    return PlacementReason.NEARBY


def capacity(org_type: str) -> int:
    return CAPACITY.get(org_type, 0)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine).

    >>> round(distance_km(31.2304, 121.4737, 31.1880, 121.4370), 2)  # 人民广场 → 徐家汇
    5.87
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


@dataclass
class Unit:
    """A candidate unit: where it is and how many more members it can take."""

    id: int
    name: str
    path: str
    lat: float | None
    lng: float | None
    room: int


@dataclass(frozen=True)
class Candidate:
    """An unplaced member as the suggestion needs them."""

    id: int
    home_org_id: int
    employment_status: str
    entrusted: bool
    lat: float | None  # home, else the street's centre, else the home unit's
    lng: float | None
    district_path: str


@dataclass(frozen=True)
class Suggestion:
    member_id: int
    unit: Unit | None
    reason: str
    distance_km: float | None = None
    problem: str = ""  # why there is no unit, and what to do

    @property
    def reason_label(self) -> str:
        return str(PlacementReason(self.reason).label)


NO_LOCATION = _("住址没有坐标，所在街道和党组织也没有坐标：请补全住址后再落实，或人工指定单位")
NO_ROOM = _(
    "本区县内没有尚有名额的党支部：请新建区域性党支部（或联合支部），或调整支部规模后再落实"
)


class Pool:
    """The candidate units, with their remaining room. Suggestions consume room, so the
    members of one page (or one bulk batch) never overfill a unit between them. Distances are
    computed with NumPy over all units of the member's district at once."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = {u.id: u for u in units}
        self._districts: dict[str, tuple[list[Unit], np.ndarray, np.ndarray]] = {}

    def _located(self, district_path: str) -> tuple[list[Unit], np.ndarray, np.ndarray]:
        if district_path not in self._districts:
            units = [
                u
                for u in self.units.values()
                if u.lat is not None
                and u.lng is not None
                and (not SAME_DISTRICT_ONLY or u.path.startswith(district_path))
            ]
            lat = np.radians(np.array([u.lat for u in units], dtype=float))
            lng = np.radians(np.array([u.lng for u in units], dtype=float))
            self._districts[district_path] = (units, lat, lng)
        return self._districts[district_path]

    def nearest_with_room(self, c: Candidate) -> tuple[Unit, float] | None:
        units, lat, lng = self._located(c.district_path)
        if not units:
            return None
        p1, l1 = math.radians(c.lat), math.radians(c.lng)  # type: ignore[arg-type]
        a = np.sin((lat - p1) / 2) ** 2 + math.cos(p1) * np.cos(lat) * np.sin((lng - l1) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, a)))
        for i in np.argsort(km, kind="stable"):
            unit = units[int(i)]
            if unit.room > 0:
                return unit, float(km[i])
        return None


def suggest(candidates: Sequence[Candidate], pool: Pool) -> list[Suggestion]:
    """One suggestion per member, in order, consuming room in ``pool`` as it goes.

    A member whom the rule places at home gets their home unit whether it is full or not
    (they belong there; an oversize branch is the health worklist's business, S12). Everyone
    else gets the nearest unit with room in their district (S10, S16).
    """
    out: list[Suggestion] = []
    for c in candidates:
        reason = default_reason(employment_status=c.employment_status, entrusted=c.entrusted)
        home = pool.units.get(c.home_org_id)
        if reason == PlacementReason.HOME and home is not None:
            home.room -= 1
            out.append(Suggestion(c.id, home, reason, 0.0))
            continue
        if reason == PlacementReason.HOME:
            reason = PlacementReason.NEARBY  # the home unit is not one members take part in
        if c.lat is None or c.lng is None:
            out.append(Suggestion(c.id, None, reason, problem=str(NO_LOCATION)))
            continue
        found = pool.nearest_with_room(c)
        if found is None:
            out.append(Suggestion(c.id, None, reason, problem=str(NO_ROOM)))
            continue
        unit, km = found
        unit.room -= 1
        out.append(Suggestion(c.id, unit, reason, round(km, 2)))
    return out


def _home_or_nearby(c: Candidate, pool: Pool) -> tuple[str, Unit | None]:
    """The rule's reason for ``c`` and, when the rule places them at home, their home unit."""
    reason = default_reason(employment_status=c.employment_status, entrusted=c.entrusted)
    home = pool.units.get(c.home_org_id)
    if reason == PlacementReason.HOME:
        if home is not None:
            return reason, home
        reason = PlacementReason.NEARBY  # the home unit is not one members take part in
    return reason, None


def plan(candidates: Sequence[Candidate], pool: Pool) -> list[Suggestion]:
    """The suggestions for a whole worklist, consuming room in ``pool``: members the rule
    places at home go home (full or not, as in ``suggest``); the others of each district are
    assigned together by ``optimize.assign`` to the district's units with room, the total
    home-to-unit distance least (S10 "就近", S17). A member without a point gets the rule's
    answer (``NO_LOCATION``); a district whose seats cannot hold its members falls back to
    ``suggest`` (nearest with room in worklist order, the rest ``NO_ROOM``). One suggestion per
    candidate, in the order given."""
    out: dict[int, Suggestion] = {}
    nearby: dict[str, list[tuple[Candidate, str]]] = {}
    for c in candidates:
        reason, home = _home_or_nearby(c, pool)
        if home is not None:
            home.room -= 1
            out[c.id] = Suggestion(c.id, home, reason, 0.0)
        elif c.lat is None or c.lng is None:
            out[c.id] = Suggestion(c.id, None, reason, problem=str(NO_LOCATION))
        else:
            nearby.setdefault(c.district_path, []).append((c, reason))
    for district, rows in nearby.items():
        units, _lat, _lng = pool._located(district)
        open_units = [u for u in units if u.room > 0]
        seats = sum(u.room for u in open_units)
        if not open_units or seats < len(rows):
            for s in suggest([c for c, _r in rows], pool):
                out[s.member_id] = s
            continue
        try:
            result = assign(
                np.array([(c.lat, c.lng) for c, _r in rows], dtype=float),
                np.array([(u.lat, u.lng) for u in open_units], dtype=float),
                [u.room for u in open_units],
            )
        except InfeasibleError:  # pragma: no cover - seats were counted above
            for s in suggest([c for c, _r in rows], pool):
                out[s.member_id] = s
            continue
        for (c, reason), j, metres in zip(
            rows, result.branch.tolist(), result.distance.tolist(), strict=True
        ):
            unit = open_units[j]
            unit.room -= 1
            out[c.id] = Suggestion(c.id, unit, reason, round(metres / 1000, 2))
    return [out[c.id] for c in candidates]


def total_km(suggestions: Iterable[Suggestion]) -> float:
    """The total distance of the suggestions that found a unit away from home."""
    return sum(s.distance_km or 0.0 for s in suggestions if s.unit is not None)
