"""Demo study ledger (S9): the second batch's study period, class-hour and credit requirements,
and for the units of every district sessions with attendance and some self-study, so that the
study pages and the dashboard read like the city of the report (issue 17 item 6).

**Which period.** Completion is measured against the whole requirement of the period
(``jiceng.study.selectors``: done ≥ required, no staging). Were the period the batch's half
year (July to December) with a half year's requirement, at the demo's day, 2005-09-20, hardly
anyone could have met it and the rate would say nothing. The period is therefore the study
phase of the second batch (学习动员, S1, S4): from the city-wide launch on 30 June to the due
date of the phase's last step (``DEFAULT_STEPS`` of ``jiceng.campaigns.progress.rules``:
launch + 70 days, 2005-09-08) — the phase in which the members' concentrated study happened.
By the demo's day the phase has closed, so its completion rate is the figure an organisation
department would read: most members have met the requirement, units differ, a few lag. Once
the phase has ended no period covers the demo's day, and the study pages fall back to the
latest period, this one. The required amounts (24 class hours, 24 credits) are demo values;
the two modes follow S9 (``jiceng.study.rules.mode_for_sector``: credits in two-new
organisations, class hours elsewhere).

**How units differ.** A unit's schedule follows its place in the campaign (the second batch's
``CampaignUnit``, built before this): a unit that launched holds 8–10 sessions of 3–4 hours
after its own launch, about one a week; one that has not yet signed off the concentrated-study
step (集中学习培训) holds 5–7 and lags; one not launched holds two or three routine sessions.
Each district has its own zeal (``ZEALS``: its members' attendance is their habit times it)
and each member their own habit (``HABITS``: most come nearly always, some seldom, so the
"behind" lists have names). Confirmed self-study adds to the sessions. The demo member
account (``self_user``) keeps its self-study entries, the first one waiting for confirmation.
At demo scale (seed 2005) this gives a city-wide completion of about 75 %, districts between
about 60 % and 83 %.

**Which units.** At tiny and demo scale every unit where members study (their participating
unit, else their home unit; S10) keeps a ledger: about 28,000 members and some 230,000
attendance rows at demo scale. At city scale (2,000,000 members) that would be some
16,000,000 attendance rows, so the ledger covers a representative set: in every district its
first street or town (by path), Jiangning Road street (江宁路街道, where S9's two systems come
from), and the sector committees' first units; elsewhere members have no ledger rows, so city
and district rates at city scale are to be read per street. Rows are generated and inserted in
chunks (bulk inserts, no per-member queries). Nothing is dated after the site's day
(``core.clock``). Same seed, same ledger.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q

from jiceng.campaigns.models import CampaignUnit
from jiceng.campaigns.progress.rules import (
    DEFAULT_STEPS,
    SECOND_BATCH_LAUNCH,
    Batch,
    Phase,
)
from jiceng.core import clock, tree
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType
from jiceng.study import services
from jiceng.study.models import Attendance, SelfStudy, StudySession
from jiceng.study.rules import StudyMode, mode_for_sector

PERIOD_NAME = "第二批先进性教育活动学习动员阶段集中学习（2005年7月至9月）"
# S1, S4: the study phase runs from the launch to the due date of its last step.
PERIOD_START = SECOND_BATCH_LAUNCH
PERIOD_END = SECOND_BATCH_LAUNCH + dt.timedelta(
    days=max(s.days for s in DEFAULT_STEPS if s.phase == Phase.STUDY)
)
# The concentrated-study step (集中学习培训) is the phase's second step.
STUDY_STEP = 2
# Demo figures, not from the sources: what a member should reach in the phase.
DEMO_REQUIRED_CLASS_HOURS = Decimal(24)
DEMO_REQUIRED_CREDITS = Decimal(24)
# S9: the class-hour and credit systems of 江宁路街道; the required amounts are demo values.
DEMO_SOURCE_NOTE = "参照江宁路街道学课制、学分制的做法"
# Rows held in memory before they are written (city scale).
FLUSH_ROWS = 100_000

TOPICS = (
    "学习《保持共产党员先进性教育读本》",
    "学习党章：党员的义务和权利",
    "专题党课：新时期保持共产党员先进性的具体要求",
    "学习胡锦涛同志在新时期保持共产党员先进性专题报告会上的讲话",
    "观看先进典型事迹录像并交流",
    "讨论：本单位党员先进性的具体要求",
    "学习《江泽民论加强和改进执政党建设》",
    "形势政策报告会",
)
SELF_TOPICS = (
    "自学《保持共产党员先进性教育读本》并写心得",
    "阅读党报党刊有关先进性教育的文章",
    "收看远程教育课程",
    "自学党章并撰写学习笔记",
)
# Members' habits: the share of their unit's sessions each attends.
HABITS = (1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 0.9, 0.9, 0.8, 0.55)
# Districts' zeal: their members' attendance is their habit times this.
ZEALS = (0.88, 0.91, 0.94, 0.96, 0.98, 1.0, 1.0, 1.03)


def _district_key(path: str) -> str:
    """The path of the district (or sector committee) a unit is in."""
    return path[: tree.STEP * tree.DISTRICT_DEPTH]


def _last_day() -> dt.date:
    """The last day a record may carry: the period's end, or the site's today if earlier."""
    return min(PERIOD_END, max(PERIOD_START, clock.today()))


def _day(rng: random.Random, first: dt.date = PERIOD_START) -> dt.date:
    """A day of the period from ``first`` up to the site's today (the demo reads as of
    2005-09-20: nothing is recorded after it)."""
    last = _last_day()
    first = min(max(first, PERIOD_START), last)
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _roots(scale: str) -> list[str] | None:
    """The subtrees that keep a ledger; None: all of them (tiny and demo scale)."""
    if scale != "city":
        return None
    roots = list(
        Organization.objects.filter(
            org_type=OrgType.STREET_COMMITTEE, name__contains="江宁路"
        ).values_list("path", flat=True)
    )
    first_street: dict[str, str] = {}
    for path in (
        Organization.objects.filter(org_type__in=(OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE))
        .order_by("path")
        .values_list("path", flat=True)
    ):
        first_street.setdefault(_district_key(path), path)
    roots += first_street.values()
    # The sector committees' first units (S14–S16, S21–S24).
    for sector_path in Organization.objects.filter(org_type=OrgType.SECTOR_COMMITTEE).values_list(
        "path", flat=True
    ):
        first = (
            Organization.objects.filter(
                path__startswith=sector_path, org_type=OrgType.PRIMARY_COMMITTEE
            )
            .order_by("path")
            .values_list("path", flat=True)
            .first()
        )
        if first:
            roots.append(first)
    return sorted(set(roots))


def _study_units(scale: str) -> list[tuple[Organization, list[tuple[int, str]]]]:
    """Each unit where members study, in path order, with its members (id, home path)."""
    members = Member.objects.on_roll()
    roots = _roots(scale)
    if roots is not None:
        q = Q(pk__in=[])
        for path in roots:
            q |= Q(participating_path__startswith=path) | Q(
                participating_org__isnull=True, home_path__startswith=path
            )
        members = members.filter(q)
    by_unit: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, home_path, participating, home in (
        members.order_by("id")
        .values_list("id", "home_path", "participating_org_id", "home_org_id")
        .iterator(chunk_size=20_000)
    ):
        by_unit[participating or home].append((pk, home_path))
    units = Organization.objects.filter(pk__in=list(by_unit), abolished_on__isnull=True)
    return [(unit, by_unit[unit.pk]) for unit in units.order_by("path")]


def _campaign_profile() -> dict[int, tuple[dt.date | None, int]]:
    """Each grassroots organisation's launch day and signed steps in the second batch."""
    return {
        org_id: (launched_on, signed)
        for org_id, launched_on, signed in CampaignUnit.objects.filter(campaign__batch=Batch.SECOND)
        .order_by("campaign_id", "id")
        .values_list("org_id", "launched_on", "signed_steps")
    }


def _zeal(units: Iterable[Organization], rng: random.Random) -> dict[str, float]:
    """Each district's zeal (by path prefix of depth 2): how much its members' attendance
    shifts from their habit. Drawn in path order, so the same seed gives the same figures."""
    keys = sorted({_district_key(u.path) for u in units})
    return {k: rng.choice(ZEALS) for k in keys}


def _schedule(
    rng: random.Random, profile: tuple[dt.date | None, int] | None
) -> tuple[dt.date, int]:
    """A unit's first possible session day and how many sessions it held in the phase."""
    launched, signed = profile if profile else (PERIOD_START, STUDY_STEP)
    if launched is None:  # not launched: a couple of routine sessions
        return PERIOD_START, rng.randint(2, 3)
    if signed < STUDY_STEP:  # behind in the campaign: behind in study
        return launched, rng.randint(5, 7)
    return launched, rng.randint(8, 10)


def build_study(scale: str, seed: int) -> int:
    """The period, its requirements and a ledger for the units; returns the sessions."""
    rng = random.Random(seed * 31 + 9)
    period = services.period_create(
        actor=None, name=PERIOD_NAME, starts_on=PERIOD_START, ends_on=PERIOD_END
    )
    for mode, amount in (
        (StudyMode.CLASS_HOURS, DEMO_REQUIRED_CLASS_HOURS),
        (StudyMode.CREDITS, DEMO_REQUIRED_CREDITS),
    ):
        services.requirement_set(
            actor=None,
            period=period,
            mode=mode,
            required_amount=amount,
            source_note=DEMO_SOURCE_NOTE,
        )
    self_user = Member.objects.filter(user__isnull=False).values_list("pk", flat=True).first()
    units = _study_units(scale)
    profiles = _campaign_profile()
    zeal = _zeal((u for u, _m in units), rng)
    confirm_by = max(_last_day(), clock.today())
    plan: list[tuple[StudySession, list[tuple[int, str, bool]]]] = []
    entries: list[SelfStudy] = []
    pending = 0
    total = 0

    def flush() -> None:
        nonlocal plan, entries, pending, total
        sessions = StudySession.objects.bulk_create([s for s, _rows in plan], batch_size=2000)
        Attendance.objects.bulk_create(
            (
                Attendance(session=s, member_id=m, member_path=p, present=present)
                for s, (_s, rows) in zip(sessions, plan, strict=True)
                for m, p, present in rows
            ),
            batch_size=5000,
        )
        SelfStudy.objects.bulk_create(entries, batch_size=5000)
        total += len(sessions)
        plan, entries, pending = [], [], 0

    for unit, members in units:
        mode = mode_for_sector(unit.sector)
        keen = zeal[_district_key(unit.path)]
        first, count = _schedule(rng, profiles.get(unit.pk))
        habit = {m: min(1.0, rng.choice(HABITS) * keen) for m, _p in members}
        for held_on in sorted(_day(rng, first) for _ in range(count)):
            session = StudySession(
                period=period,
                org=unit,
                org_path=unit.path,
                held_on=held_on,
                topic=rng.choice(TOPICS),
                mode=mode,
                amount=Decimal(rng.choice((3, 4, 4))),
                evidence="签到表、学习笔记已存档",
                evidence_file=f"{unit.code}-{held_on:%Y%m%d}-签到表.pdf",
            )
            rows = [(m, p, rng.random() < habit[m]) for m, p in members]
            plan.append((session, rows))
            pending += len(rows)
        for m, path in members:
            n = rng.choice((0, 0, 1, 1, 2)) or (1 if m == self_user else 0)
            for k in range(n):
                studied_on = _day(rng, first)
                confirmed = rng.random() < 0.8 and not (m == self_user and k == 0)
                entries.append(
                    SelfStudy(
                        period=period,
                        member_id=m,
                        member_path=path,
                        org=unit,
                        org_path=unit.path,
                        studied_on=studied_on,
                        topic=rng.choice(SELF_TOPICS),
                        mode=mode,
                        amount=Decimal(rng.choice((1, 2, 2, 3))),
                        evidence="学习笔记",
                        confirmed_at=(
                            dt.datetime.combine(
                                min(studied_on + dt.timedelta(days=3), confirm_by),
                                dt.time(10),
                                tzinfo=dt.UTC,
                            )
                            if confirmed
                            else None
                        ),
                    )
                )
        if pending >= FLUSH_ROWS:
            flush()
    flush()
    return total
