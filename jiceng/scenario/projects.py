"""Demo support projects (S28): the Chongming vegetable station's "help a village, pair with a
farm household, serve the growers", and projects like it across the city.

**Which and how many.** The first project is S28's own: the 崇明蔬菜站 organisation's orchard
land-use project for a village, with two experienced members assigned (lead and member). The
others are run by branches of town committees (rural, where villages and farm households are)
and of sector committees and two-new organisations (enterprises), one for every ``PER_BRANCH``
of those branches, at least ``MINIMUM[scale]`` and at most ``MAXIMUM[scale]``: 6 in the tiny
world, about 40 at demo scale and 300 at city scale. Each has 1–3 goals from its kind's table
(income in 万元, households or people helped, acreage), two or three members of the running
branch (one lead), and dated progress: about every five weeks for a project that has started,
most notes with a value per goal moving from the baseline towards the target (some projects
reach it, some fall short). States: a seventh still planned, most active, a quarter completed
with a note, a few closed with the reason. ``member.self`` is assigned to a project of their
branch, and ``branch.secretary``'s branch runs it, so the demo's self-service page and the
branch's buttons have something to show.

Dates run up to the site's day, capped at the demo's day (``outreach.last_day``). Generated in
memory with its own random stream and written with bulk inserts (projects, goals, members,
progress, measurements); the audit gets one row for the part.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiceng.core import audit
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType, Sector
from jiceng.outreach.projects.models import (
    ProjectGoal,
    ProjectMeasurement,
    ProjectMember,
    ProjectProgress,
    SupportProject,
)
from jiceng.outreach.projects.rules import BeneficiaryKind, ProjectRole, ProjectState

from .outreach import last_day

Progress = Callable[[str, int, int], None]

PER_BRANCH = 250
MINIMUM = {"tiny": 6, "demo": 40, "city": 300}
MAXIMUM = {"tiny": 6, "demo": 40, "city": 300}
CHUNK = 2000

VILLAGES = "三双 新河 竖河 堡镇 合作 向化 陈家 港西 建设 中兴 绿华 长兴 横沙 庙镇".split()
SURNAMES = "张 王 李 陈 沈 顾 陆 黄 施 朱 徐 吴 倪 龚".split()
FIRMS = "绿园 金穗 瀛洲 东滩 丰收 申农 明珠 长江 前卫 瑞丰".split()

# Goals by beneficiary kind: (what is measured, unit, baseline range, target factor range).
GOALS: dict[str, tuple[tuple[str, str, tuple[float, float], tuple[float, float]], ...]] = {
    BeneficiaryKind.VILLAGE: (
        ("村集体经济收入", "万元", (20, 80), (1.3, 1.8)),
        ("果园亩均收入", "万元", (0.5, 1.2), (1.4, 2.0)),
        ("带动种植户", "户", (0, 10), (3.0, 6.0)),
        ("培训农民", "人", (0, 20), (4.0, 8.0)),
    ),
    BeneficiaryKind.HOUSEHOLD: (
        ("家庭年收入", "万元", (0.6, 1.5), (1.3, 1.8)),
        ("种植面积", "亩", (2, 8), (1.5, 2.5)),
    ),
    BeneficiaryKind.ENTERPRISE: (
        ("销售收入", "万元", (50, 300), (1.2, 1.6)),
        ("吸纳就业", "人", (5, 30), (1.3, 2.0)),
        ("服务种植户", "户", (10, 40), (1.5, 2.5)),
    ),
    BeneficiaryKind.OTHER: (("服务群众", "人", (0, 50), (3.0, 5.0)),),
}
TITLES: dict[str, tuple[str, ...]] = {
    BeneficiaryKind.VILLAGE: ("帮助{name}发展果园", "{name}土地利用帮扶", "{name}特色种植帮扶"),
    BeneficiaryKind.HOUSEHOLD: ("结对帮扶{name}户", "帮助{name}户增收"),
    BeneficiaryKind.ENTERPRISE: ("服务{name}种植户", "帮助{name}拓展销路"),
    BeneficiaryKind.OTHER: ("为{name}办实事",),
}
NOTES = (
    "组织党员上门了解情况，商定帮扶措施",
    "请农技人员现场指导修剪和施肥",
    "联系超市和批发市场，落实收购渠道",
    "组织种植户参加技术培训",
    "走访结对户，了解生产和生活情况",
    "协调解决灌溉用水问题",
    "帮助申请农业补贴",
)
CLOSE_NOTES = ("村里另有安排，项目停止", "结对户外出务工，改由所在村帮扶")
COMPLETE_NOTE = "项目按计划完成，达到预期成效"


def is_built() -> bool:
    return SupportProject.objects.exists()


def _kind(rng: random.Random, org_type_sector: str) -> str:
    pairs: list[tuple[str, int]] = (
        [(BeneficiaryKind.VILLAGE, 45), (BeneficiaryKind.HOUSEHOLD, 40)]
        if org_type_sector == "town"
        else [(BeneficiaryKind.ENTERPRISE, 50), (BeneficiaryKind.HOUSEHOLD, 20)]
    )
    pairs.append((BeneficiaryKind.OTHER, 5))
    return rng.choices([k for k, _ in pairs], [w for _, w in pairs])[0]


def _beneficiary(rng: random.Random, kind: str) -> tuple[str, str]:
    village = rng.choice(VILLAGES)
    if kind == BeneficiaryKind.VILLAGE:
        return f"{village}村", f"崇明县{village}镇"
    if kind == BeneficiaryKind.HOUSEHOLD:
        return f"{rng.choice(SURNAMES)}{rng.choice('建国 阿根 金娣 永林 秀英'.split())}", (
            f"崇明县{village}镇{village}村"
        )
    if kind == BeneficiaryKind.ENTERPRISE:
        return f"{rng.choice(FIRMS)}蔬果专业合作社", f"崇明县{village}镇"
    return f"{village}社区", f"{village}镇"


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(local, timezone.get_default_timezone())


def _owners(scale: str, rng: random.Random) -> list[Organization]:
    """S28's vegetable station first, then branches of towns, sectors and two-new units."""
    station = Organization.objects.filter(name__contains="崇明蔬菜站").order_by("path").first()
    branches = list(
        Organization.objects.filter(
            org_type__in=[OrgType.BRANCH, OrgType.JOINT_BRANCH],
            abolished_on__isnull=True,
            sector__in=[Sector.TOWN, Sector.AGRICULTURE, Sector.NEW_ECONOMIC],
        )
        .order_by("path")
        .only("id", "path", "name", "sector")
    )
    wanted = min(MAXIMUM[scale], max(MINIMUM[scale], len(branches) // PER_BRANCH))
    pool = [b for b in branches if station is None or b.pk != station.pk]
    rng.shuffle(pool)
    return ([station] if station else []) + pool[: max(0, wanted - (1 if station else 0))]


@transaction.atomic
def build_projects(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """The demo's support projects, in one transaction; refuses to run twice."""
    if is_built():
        raise RuntimeError("support projects already exist")
    report = progress or (lambda *_: None)
    rng = random.Random(seed * 28 + 28)
    today = last_day()
    owners = _owners(scale, rng)
    me = Member.objects.filter(user__username="member.self").first()
    if me is not None and me.home_org_id not in {o.pk for o in owners}:
        home = Organization.objects.filter(pk=me.home_org_id).first()
        if home is not None and len(owners) > 1:
            owners[1] = home
    members_of: dict[int, list[int]] = {}
    for pk, org_id in (
        Member.objects.on_roll()
        .filter(home_org_id__in=[o.pk for o in owners])
        .order_by("home_org_id", "id")
        .values_list("pk", "home_org_id")
    ):
        members_of.setdefault(org_id, []).append(pk)
    for owner in owners:  # a committee (the station) draws on the members of its subtree
        if owner.pk not in members_of:
            members_of[owner.pk] = list(
                Member.objects.on_roll()
                .filter(home_path__startswith=owner.path)
                .order_by("id")
                .values_list("pk", flat=True)[:20]
            )

    projects: list[SupportProject] = []
    plans: list[dict[str, Any]] = []
    for i, owner in enumerate(owners):
        is_station = i == 0 and "蔬菜站" in owner.name
        sector = "town" if is_station or owner.sector == "town" else "other"
        kind = BeneficiaryKind.VILLAGE if is_station else _kind(rng, sector)
        name, place = _beneficiary(rng, kind)
        title = "果园土地利用帮扶" if is_station else rng.choice(TITLES[kind]).format(name=name)
        starts = today - dt.timedelta(days=rng.randint(30, 420))
        ends = starts + dt.timedelta(days=rng.choice((180, 270, 365, 540)))
        state = rng.choices(
            [
                ProjectState.PLANNED,
                ProjectState.ACTIVE,
                ProjectState.COMPLETED,
                ProjectState.CLOSED,
            ],
            [14, 56, 25, 5],
        )[0]
        if is_station or (me is not None and owner.pk == me.home_org_id):
            state = ProjectState.ACTIVE
        if state == ProjectState.PLANNED:
            starts = today + dt.timedelta(days=rng.randint(5, 60))
            ends = starts + dt.timedelta(days=365)
        ended = None
        note = ""
        if state in (ProjectState.COMPLETED, ProjectState.CLOSED):
            ended = min(today, max(starts + dt.timedelta(days=60), ends))
            note = COMPLETE_NOTE if state == ProjectState.COMPLETED else rng.choice(CLOSE_NOTES)
        projects.append(
            SupportProject(
                owner=owner,
                path=owner.path,
                title=title,
                beneficiary_kind=kind,
                beneficiary_name=name,
                beneficiary_place=place,
                starts_on=starts,
                ends_on=ends,
                state=state,
                ended_on=ended,
                closing_note=note,
                created_at=_moment(min(starts, today), rng),
            )
        )
        plans.append({"owner": owner, "kind": kind, "station": is_station})
    SupportProject.objects.bulk_create(projects, batch_size=CHUNK)
    report("support projects", len(projects), len(projects))

    goals: list[ProjectGoal] = []
    goal_plan: list[tuple[int, float]] = []  # project index, how far it gets (share of the way)
    assignments: list[ProjectMember] = []
    for i, (project, plan) in enumerate(zip(projects, plans, strict=True)):
        table = GOALS[plan["kind"]]
        chosen = (
            table[:2] if plan["station"] else rng.sample(table, rng.randint(1, min(3, len(table))))
        )
        reach = rng.uniform(0.4, 1.2) if project.state != ProjectState.COMPLETED else 1.05
        for measure, unit, (low, high), (f_low, f_high) in chosen:
            base = Decimal(str(round(rng.uniform(low, high), 1)))
            factor = rng.uniform(f_low, f_high)
            target = (base * Decimal(str(round(factor, 2)))).quantize(Decimal("0.1"))
            if target == base or base == 0:
                target = base + Decimal(rng.randint(5, 20))
            goals.append(
                ProjectGoal(
                    project=project,
                    measure=measure,
                    unit=unit,
                    baseline=base,
                    target=target,
                    target_on=project.ends_on,
                )
            )
            goal_plan.append((i, reach))
        pool = list(members_of.get(plan["owner"].pk, []))
        rng.shuffle(pool)
        team = pool[: 2 if plan["station"] else rng.randint(2, 3)]
        if me is not None and plan["owner"].pk == me.home_org_id and me.pk not in team:
            team = [me.pk, *team[:1]]
        for j, member_id in enumerate(team):
            assignments.append(
                ProjectMember(
                    project=project,
                    member_id=member_id,
                    role=ProjectRole.LEAD if j == 0 else ProjectRole.MEMBER,
                    since=project.starts_on,
                )
            )
    ProjectGoal.objects.bulk_create(goals, batch_size=CHUNK)
    ProjectMember.objects.bulk_create(assignments, batch_size=CHUNK)

    goals_of: dict[int, list[tuple[ProjectGoal, float]]] = {}
    for goal, (i, reach) in zip(goals, goal_plan, strict=True):
        goals_of.setdefault(i, []).append((goal, reach))
    notes: list[ProjectProgress] = []
    values: list[tuple[int, list[tuple[ProjectGoal, Decimal]]]] = []
    for i, project in enumerate(projects):
        if project.state == ProjectState.PLANNED:
            continue
        last = project.ended_on or today
        span = max(1, (last - project.starts_on).days)
        day = project.starts_on + dt.timedelta(days=rng.randint(7, 30))
        while day <= last:
            share = (day - project.starts_on).days / span
            measured = []
            if rng.random() < 0.75:
                for goal, reach in goals_of.get(i, []):
                    way = goal.target - goal.baseline
                    noise = Decimal(str(round(rng.uniform(-0.05, 0.05), 3)))
                    value = goal.baseline + way * (Decimal(str(round(share * reach, 3))) + noise)
                    measured.append((goal, value.quantize(Decimal("0.1"))))
            notes.append(
                ProjectProgress(
                    project=project,
                    noted_on=day,
                    note=rng.choice(NOTES),
                    at=_moment(day, rng),
                )
            )
            values.append((len(notes) - 1, measured))
            day += dt.timedelta(days=rng.randint(25, 45))
    ProjectProgress.objects.bulk_create(notes, batch_size=CHUNK)
    measurements = [
        ProjectMeasurement(progress=notes[n], goal=goal, value=value, measured_on=notes[n].noted_on)
        for n, measured in values
        for goal, value in measured
    ]
    ProjectMeasurement.objects.bulk_create(measurements, batch_size=CHUNK)
    counts = {
        "support projects": len(projects),
        "project goals": len(goals),
        "project members": len(assignments),
        "progress notes": len(notes),
        "measurements": len(measurements),
    }
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id="projects",
        object_repr=f"scenario projects {scale} seed {seed}",
        org_path=root.first() or "",
        note=", ".join(f"{n} {what}" for what, n in counts.items()),
    )
    return counts
