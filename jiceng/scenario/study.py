"""Demo study ledger (S9): the second batch's study period, class-hour and credit
requirements, sessions with attendance and some self-study, so the study pages are alive.

At tiny scale every branch takes part; at demo and city scale the branches of Jiangning Road
street (江宁路街道, where S9's two systems come from) and of 黄浦's first street (where the demo
accounts work). Same seed, same ledger.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Q

from jiceng.core import clock
from jiceng.members.models import Member
from jiceng.orgs.models import BRANCH_TYPES, Organization, OrgType
from jiceng.study import services
from jiceng.study.models import Attendance, SelfStudy, StudySession
from jiceng.study.rules import StudyMode, mode_for_sector

PERIOD_NAME = "第二批先进性教育活动学习（2005年下半年）"
PERIOD_START = dt.date(2005, 7, 1)  # S4: the second batch starts after the 30 June launch
PERIOD_END = dt.date(2005, 12, 31)
# Demo figures, not from the sources: what a member should reach in the half year.
DEMO_REQUIRED_CLASS_HOURS = Decimal(24)
DEMO_REQUIRED_CREDITS = Decimal(24)
# S9: the class-hour and credit systems of 江宁路街道; the required amounts are demo values.
DEMO_SOURCE_NOTE = "参照江宁路街道学课制、学分制的做法"

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


def _units(scale: str) -> list[Organization]:
    branches = Organization.objects.filter(org_type__in=BRANCH_TYPES, abolished_on__isnull=True)
    if scale != "tiny":
        roots = list(
            Organization.objects.filter(
                org_type=OrgType.STREET_COMMITTEE, name__contains="江宁路"
            ).values_list("path", flat=True)
        )
        huangpu = Organization.objects.filter(code="310101").first()
        if huangpu is not None:
            first = (
                Organization.objects.filter(path__startswith=huangpu.path, depth=huangpu.depth + 1)
                .order_by("path")
                .values_list("path", flat=True)
                .first()
            )
            if first:
                roots.append(first)
        q = Q(pk__in=[])
        for path in roots:
            q |= Q(path__startswith=path)
        branches = branches.filter(q)
    return list(branches.order_by("path"))


def _day(rng: random.Random) -> dt.date:
    """A day of the period up to the site's today (the demo reads as of 2005-09-20: no
    session is recorded after it)."""
    last = min(PERIOD_END, max(PERIOD_START, clock.today()))
    return PERIOD_START + dt.timedelta(days=rng.randint(0, (last - PERIOD_START).days))


def build_study(scale: str, seed: int) -> int:
    """The period, its requirements and a ledger for the demo units; returns the sessions."""
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
    plan: list[tuple[StudySession, list[tuple[int, str, bool]]]] = []
    entries: list[SelfStudy] = []
    for unit in _units(scale):
        mode = mode_for_sector(unit.sector)
        members = list(
            Member.objects.on_roll()
            .filter(Q(participating_org=unit) | Q(participating_org__isnull=True, home_org=unit))
            .order_by("id")
            .values_list("id", "home_path")
        )
        if not members:
            continue
        # Each member's own habit: most come nearly always, a few seldom.
        habit = {m: rng.choice((1.0, 0.95, 0.95, 0.9, 0.85, 0.5)) for m, _p in members}
        for held_on in sorted(_day(rng) for _ in range(rng.randint(8, 11))):
            session = StudySession(
                period=period,
                org=unit,
                org_path=unit.path,
                held_on=held_on,
                topic=rng.choice(TOPICS),
                mode=mode,
                amount=Decimal(rng.choice((2, 3, 4))),
                evidence="签到表、学习笔记已存档",
                evidence_file=f"{unit.code}-{held_on:%Y%m%d}-签到表.pdf",
            )
            rows = [(m, p, rng.random() < habit[m]) for m, p in members]
            plan.append((session, rows))
        for m, path in members:
            count = rng.choice((0, 1, 1, 2, 3)) or (1 if m == self_user else 0)
            for k in range(count):
                studied_on = _day(rng)
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
                        amount=Decimal(rng.choice((1, 2, 3))),
                        evidence="学习笔记",
                        confirmed_at=(
                            dt.datetime.combine(
                                studied_on + dt.timedelta(days=3), dt.time(10), tzinfo=dt.UTC
                            )
                            if confirmed
                            else None
                        ),
                    )
                )
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
    return len(sessions)
