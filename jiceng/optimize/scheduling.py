"""A year's service tasks for registered households, balanced over a branch's members (S27).

S27 (a 2005 Shanghai report): a property company's "special service for special groups" —
for every registered household (old model workers, military and martyrs' families, elderly
people living alone, disabled people) party members make three home safety checks a year and
one free cleaning; 589 households got special service cards. ``schedule_visits`` turns such
commitments into dated tasks:

1. **Continuity of care.** Every household gets one responsible member, who does all its
   tasks. The choice is a capacitated assignment minimising the total home-to-household
   distance with balanced load: each member is responsible for ``floor(h/M)`` or
   ``ceil(h/M)`` households. ``assign`` (an exact min-cost flow) with capacity ``ceil(h/M)``
   is the relaxation; when it leaves a member below ``floor(h/M)``, a min-cost flow with that
   lower bound (OR-Tools) gives the balanced optimum.
2. **Dates.** Each household's ``times`` tasks of a kind are spread evenly over the span
   (spacing ``span/times``, at least ``min_gap_days``), with a per-household phase so that one
   member's households are staggered across the year, and the kinds of one household fall on
   different days. Each task is then placed on the allowed day (Monday–Friday when
   ``weekdays_only``) nearest its ideal date that keeps the gap to the household's previous
   task of that kind, leaves room for the remaining ones before the end of the span, and
   gives the member at most ``max_per_member_day`` tasks that day.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from ._geo import as_points, chord_to_metres, great_circle, unit_vectors
from .assignment import assign
from .exceptions import InfeasibleError, InputError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Commitment:
    """A promised service: ``times`` tasks of ``kind`` per household per year.

    Attributes
    ----------
    kind : str
        What is done, e.g. ``"safety_check"`` or ``"cleaning"``.
    times : int
        Tasks per household per year (at least 1).
    min_gap_days : int
        The least number of days between two tasks of this kind for the same household.

    Examples
    --------
    >>> Commitment("safety_check", 3, min_gap_days=90)
    Commitment(kind='safety_check', times=3, min_gap_days=90)
    >>> Commitment("cleaning", 0)
    Traceback (most recent call last):
    ...
    jiceng.optimize.exceptions.InputError: commitment 'cleaning': times must be a whole number >= 1
    """

    kind: str
    times: int
    min_gap_days: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise InputError("commitment: kind must be a non-empty string")
        if isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 1:
            raise InputError(f"commitment {self.kind!r}: times must be a whole number >= 1")
        gap = self.min_gap_days
        if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
            raise InputError(f"commitment {self.kind!r}: min_gap_days must be a whole number >= 0")


@dataclass(frozen=True)
class ServiceTask:
    """One dated task: ``member`` serves ``household`` (indices into the inputs).

    ``sequence`` runs 1..``times`` within the span for that household and kind.
    """

    household: int
    member: int
    kind: str
    sequence: int
    due: datetime.date


@dataclass(frozen=True)
class Schedule:
    """The result of ``schedule_visits``.

    Attributes
    ----------
    tasks : tuple of ServiceTask
        Every task, sorted by (due, member, household, kind).
    member_of : ndarray of int, shape (h,)
        The responsible member of each household.
    load : ndarray of int, shape (M,)
        Tasks per member.
    distance : ndarray of float, shape (h,)
        Great-circle metres from each household to its member's home.
    households_per_member : ndarray of int, shape (M,)
        Households each member is responsible for (``floor(h/M)`` or ``ceil(h/M)``).
    busiest_day_load : ndarray of int, shape (M,)
        The most tasks any one day holds for each member.
    start, end : datetime.date
        The span the tasks lie in (both days included).
    """

    tasks: tuple[ServiceTask, ...]
    member_of: IntArray
    load: IntArray
    distance: FloatArray
    households_per_member: IntArray
    busiest_day_load: IntArray
    start: datetime.date
    end: datetime.date

    @property
    def total_distance(self) -> float:
        """Metres summed over households (the objective of the member choice)."""
        return float(self.distance.sum())

    def tasks_of(self, member: int) -> tuple[ServiceTask, ...]:
        """The tasks of one member, in date order."""
        return tuple(t for t in self.tasks if t.member == member)


def schedule_visits(
    households: npt.ArrayLike,
    members: npt.ArrayLike,
    commitments: Sequence[Commitment],
    year: int,
    *,
    seed: int = 0,
    weekdays_only: bool = True,
    max_per_member_day: int = 2,
    max_distance: float | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Schedule:
    """Plan a year's service tasks: one responsible member per household, balanced, dated.

    Parameters
    ----------
    households, members : array_like, shape (h, 2) and (M, 2)
        (latitude, longitude) in degrees of the households and of the members' homes.
    commitments : sequence of Commitment
        What every household is promised; kinds must differ.
    year : int
        The year planned; the span defaults to 1 January .. 31 December of it.
    seed : int
        Seeds the phases that stagger a member's households over the span.
    weekdays_only : bool
        Tasks fall on Monday–Friday only.
    max_per_member_day : int
        No member gets more tasks than this on one day.
    max_distance : float, optional
        No household is given a member living farther than this many metres.
    start, end : datetime.date, optional
        The span (both days included), instead of the whole ``year``.

    Returns
    -------
    Schedule

    Raises
    ------
    InputError
        On malformed input, or when a commitment's tasks cannot be ``min_gap_days`` apart
        within the span.
    InfeasibleError
        When ``max_distance`` leaves households without a member within reach or makes the
        balanced load impossible, or when ``max_per_member_day`` leaves too few day slots.

    Examples
    --------
    Four households, two members; three safety checks at least 90 days apart and one
    cleaning each:

    >>> homes = [(31.230, 121.470), (31.231, 121.471), (31.250, 121.500), (31.251, 121.501)]
    >>> party = [(31.230, 121.471), (31.250, 121.501)]
    >>> promised = [Commitment("safety_check", 3, min_gap_days=90), Commitment("cleaning", 1)]
    >>> plan = schedule_visits(homes, party, promised, 2005)
    >>> plan.member_of.tolist(), plan.load.tolist(), len(plan.tasks)
    ([0, 0, 1, 1], [8, 8], 16)
    >>> [(t.kind, t.sequence, t.due.isoformat()) for t in plan.tasks if t.household == 0]
    [('safety_check', 1, '2005-01-17'), ('safety_check', 2, '2005-05-19'), \
('cleaning', 1, '2005-08-22'), ('safety_check', 3, '2005-09-19')]
    >>> schedule_visits(homes, party, [Commitment("safety_check", 5, min_gap_days=100)], 2005)
    Traceback (most recent call last):
    ...
    jiceng.optimize.exceptions.InputError: commitment 'safety_check': 5 tasks at least 100 \
days apart do not fit in 2005-01-01..2005-12-31 (365 days, weekdays only)
    """
    hh = as_points(households, "households")
    mem = as_points(members, "members")
    kinds = _commitments(commitments)
    first, last = _span(year, start, end)
    if isinstance(max_per_member_day, bool) or not isinstance(max_per_member_day, int):
        raise InputError("max_per_member_day must be a whole number >= 1")
    if max_per_member_day < 1:
        raise InputError("max_per_member_day must be a whole number >= 1")
    days = (last - first).days + 1
    allowed = np.ones(days, dtype=bool)
    if weekdays_only:
        allowed = (first.weekday() + np.arange(days)) % 7 < 5
    calendar = _Calendar(allowed)
    where = f"{first.isoformat()}..{last.isoformat()} ({days} days"
    where += ", weekdays only)" if weekdays_only else ")"
    latest = [calendar.latest(c, where) for c in kinds]

    h, m = len(hh), len(mem)
    if h and not m:
        raise InfeasibleError(missing=h, unreachable=np.arange(h, dtype=np.int64), what="schedule")
    member_of = _balanced_members(hh, mem, max_distance) if h else np.zeros(0, dtype=np.int64)

    rng = np.random.default_rng(seed)
    tasks: list[ServiceTask] = []
    busiest = np.zeros(m, dtype=np.int64)
    unplaced = 0
    for j in range(m):
        mine = np.flatnonzero(member_of == j)
        order = mine[rng.permutation(len(mine))]
        offset = float(rng.random())
        phase = {int(i): (q + offset) / len(order) for q, i in enumerate(order.tolist())}
        placed, missed, per_day = _place(j, phase, kinds, latest, calendar, max_per_member_day)
        tasks.extend(
            ServiceTask(i, j, kinds[c].kind, k + 1, first + datetime.timedelta(days=d))
            for i, c, k, d in placed
        )
        unplaced += missed
        busiest[j] = per_day
    if unplaced:
        raise InfeasibleError(
            missing=unplaced,
            what=f"schedule (at most {max_per_member_day} task(s) per member a day)",
        )
    tasks.sort(key=lambda t: (t.due, t.member, t.household, t.kind))
    per_member = np.bincount(member_of, minlength=m).astype(np.int64)
    distance = great_circle(hh, mem[member_of]) if h else np.zeros(0, dtype=np.float64)
    return Schedule(
        tasks=tuple(tasks),
        member_of=member_of,
        load=per_member * sum(c.times for c in kinds),
        distance=distance,
        households_per_member=per_member,
        busiest_day_load=busiest,
        start=first,
        end=last,
    )


def _commitments(commitments: Sequence[Commitment]) -> list[Commitment]:
    kinds = list(commitments)
    if not kinds:
        raise InputError("commitments: at least one commitment expected")
    if not all(isinstance(c, Commitment) for c in kinds):
        raise InputError("commitments: Commitment objects expected")
    names = [c.kind for c in kinds]
    if len(set(names)) != len(names):
        raise InputError("commitments: each kind at most once")
    return kinds


def _span(
    year: int, start: datetime.date | None, end: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    try:
        first = start if start is not None else datetime.date(year, 1, 1)
        last = end if end is not None else datetime.date(year, 12, 31)
    except (TypeError, ValueError) as exc:
        raise InputError(f"year: {exc}") from None
    if not isinstance(first, datetime.date) or not isinstance(last, datetime.date):
        raise InputError("start and end must be dates")
    if isinstance(first, datetime.datetime) or isinstance(last, datetime.datetime):
        raise InputError("start and end must be dates, not datetimes")
    if first > last:
        raise InputError(f"span: start {first.isoformat()} is after end {last.isoformat()}")
    return first, last


class _Calendar:
    """The allowed days of the span (offsets from its first day) and look-ups over them."""

    def __init__(self, allowed: npt.NDArray[np.bool_]) -> None:
        self.days = len(allowed)
        self.allowed = allowed.tolist()
        idx = np.arange(self.days)
        # next allowed day >= x (``days`` when none), previous allowed day <= x (-1 when none)
        nxt = np.where(allowed, idx, self.days)
        self.next = np.minimum.accumulate(nxt[::-1])[::-1].tolist()
        prv = np.where(allowed, idx, -1)
        self.prev = np.maximum.accumulate(prv).tolist()

    def after(self, x: int) -> int:
        """The first allowed day >= ``x`` (``days`` when none)."""
        return self.days if x >= self.days else int(self.next[max(x, 0)])

    def latest(self, c: Commitment, where: str) -> list[int]:
        """The last day each of ``c``'s tasks may fall on so that the rest still fit."""
        d = self.after(0)
        for _ in range(c.times - 1):
            if d >= self.days:
                break
            d = self.after(d + c.min_gap_days)
        if d >= self.days:
            raise InputError(
                f"commitment {c.kind!r}: {c.times} tasks at least {c.min_gap_days} days apart "
                f"do not fit in {where}"
            )
        out = [int(self.prev[self.days - 1])]
        for _ in range(c.times - 1):
            out.append(int(self.prev[out[-1] - c.min_gap_days]))
        return out[::-1]


def _place(
    member: int,
    phase: dict[int, float],
    kinds: list[Commitment],
    latest: list[list[int]],
    calendar: _Calendar,
    cap: int,
) -> tuple[list[tuple[int, int, int, int]], int, int]:
    """Date one member's tasks: ``(household, commitment, k, day)`` rows, tasks not placed,
    and the busiest day's load."""
    span = calendar.days
    n_kinds = len(kinds)
    ideal: list[tuple[float, int, int, int]] = []
    for i, p in phase.items():
        for c, kind in enumerate(kinds):
            spacing = max(span / kind.times, float(kind.min_gap_days))
            room = span - (kind.times - 1) * spacing  # the range of the first task's day
            start = ((p + c / n_kinds) % 1.0) * room
            ideal.extend((start + k * spacing, i, c, k) for k in range(kind.times))
    ideal.sort()
    count = [0] * span
    busy: dict[int, set[int]] = {i: set() for i in phase}
    previous: dict[tuple[int, int], int] = {}
    placed: list[tuple[int, int, int, int]] = []
    missed = 0
    for want, i, c, k in ideal:
        gap = kinds[c].min_gap_days
        lo = calendar.after(previous[i, c] + gap) if k else calendar.after(0)
        hi = latest[c][k]
        day = _nearest(want, lo, hi, calendar, count, cap, busy[i])
        if day is None:
            day = _nearest(want, lo, hi, calendar, count, cap, set())
        if day is None:
            missed += 1
            previous[i, c] = lo  # keep the chain going so every missing task is counted
            continue
        count[day] += 1
        busy[i].add(day)
        previous[i, c] = day
        placed.append((i, c, k, day))
    return placed, missed, max(count, default=0)


def _nearest(
    want: float,
    lo: int,
    hi: int,
    calendar: _Calendar,
    count: list[int],
    cap: int,
    taken: set[int],
) -> int | None:
    """The allowed day in ``[lo, hi]`` nearest ``want`` (later first on ties) with room."""
    if lo > hi:
        return None
    centre = min(max(round(want), lo), hi)
    for day in _outwards(centre, lo, hi):
        if calendar.allowed[day] and count[day] < cap and day not in taken:
            return day
    return None


def _outwards(centre: int, lo: int, hi: int) -> Iterator[int]:
    yield centre
    for d in range(1, max(centre - lo, hi - centre) + 1):
        if centre + d <= hi:
            yield centre + d
        if centre - d >= lo:
            yield centre - d


def _balanced_members(hh: FloatArray, mem: FloatArray, max_distance: float | None) -> IntArray:
    """The responsible member of each household: least total distance, ``floor(h/M)`` or
    ``ceil(h/M)`` households each."""
    h, m = len(hh), len(mem)
    low, extra = divmod(h, m)
    try:
        relaxed = assign(hh, mem, math.ceil(h / m), max_distance=max_distance)
    except InfeasibleError as exc:
        raise InfeasibleError(
            missing=exc.missing,
            shortages=exc.shortages,
            unreachable=exc.unreachable,
            what="schedule",
        ) from None
    if int(relaxed.load.min()) >= low:
        return relaxed.branch  # optimal for the relaxation, and balanced: optimal
    return _lower_bounded(hh, mem, low, extra, max_distance)


def _lower_bounded(
    hh: FloatArray, mem: FloatArray, low: int, extra: int, max_distance: float | None
) -> IntArray:
    """Min-cost flow where each member takes ``low`` households, ``extra`` of them one more.

    Households (supply 1) → members (demand ``low``) → a slack node (demand ``extra``) over
    arcs of capacity 1: the flow is exactly a balanced assignment.
    """
    h, m = len(hh), len(mem)
    dot = np.clip(unit_vectors(hh) @ unit_vectors(mem).T, -1.0, 1.0)
    metres = chord_to_metres(np.sqrt(np.maximum(2.0 - 2.0 * dot, 0.0)))
    ok = np.ones((h, m), dtype=bool) if max_distance is None else metres <= max_distance
    ii, jj = np.nonzero(ok)
    flow = min_cost_flow.SimpleMinCostFlow()
    slack = h + m
    tails = np.concatenate((ii, h + np.arange(m))).astype(np.int32)
    heads = np.concatenate((h + jj, np.full(m, slack))).astype(np.int32)
    costs = np.concatenate((np.rint(metres[ii, jj]), np.zeros(m))).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(len(tails), np.int64), costs)
    supplies = np.concatenate((np.ones(h), np.full(m, -low), [-extra])).astype(np.int64)
    flow.set_nodes_supplies(np.arange(h + m + 1, dtype=np.int32), supplies)
    if flow.solve() != flow.OPTIMAL:
        flow.solve_max_flow_with_min_cost()
        raise InfeasibleError(missing=max(h - int(flow.maximum_flow()), 1), what="schedule")
    used = np.asarray(flow.flows(np.arange(len(ii), dtype=np.int32))) > 0
    out = np.full(h, -1, dtype=np.int64)
    out[ii[used]] = jj[used]
    return out
