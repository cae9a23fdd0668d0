"""Demo service programmes (S27): a property company's "special service for special groups" —
589 households with numbered special-service cards, 3 home safety checks (at least 90 days
apart) and 1 free cleaning a year, the year's tasks assigned to party members.

**Which unit.** The programme belongs to the branch of the demo accounts ``branch.secretary``
and ``member.self`` (the first branch of 黄浦's first street), which runs it with the
residential area's property company, so the secretary, the street officer and 黄浦's officer
see it, and ``member.self`` has tasks of their own on 我的服务任务. Its households are needy
people of that street of the target categories (elderly living alone, disabled, military and
martyrs' families, model workers): those the registry has, and as many more registered for it
(S27's 589 at demo and city scale, 30 in the tiny world) with the registry's own generator.

**Tasks.** The whole of 2005 is planned with ``programmes.services.programme_schedule``
(``optimize.schedule_visits``: one responsible member near each household, balanced, checks
at least 90 days apart, weekdays only). As of the demo's day (2005-09-20, ``outreach.last_day``)
about 88 % of the tasks due before it are done (0–6 days after the due date, a few late), the
rest are overdue; ``member.self`` keeps their two latest due tasks undone, so the bell and the
phone page show them.

**City scale.** Besides S27's programme every street and town runs one for all its active
needy people, served by 40 members of the street (the first by number), so that there is about
a year of tasks city-wide (87,000 households × 4 ≈ 350,000 tasks) for the overdue worklist's
benchmark. Written with bulk inserts; the schedule is the same service's.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction

from jiceng.accounts.models import RoleAssignment
from jiceng.core import audit
from jiceng.geo.models import Street
from jiceng.orgs.models import Organization, OrgType
from jiceng.outreach.programmes import services
from jiceng.outreach.programmes.models import ServiceProgramme, ServiceTask
from jiceng.outreach.programmes.rules import S27_COMMITMENTS, TaskState
from jiceng.outreach.registry.models import NeedyCategory
from jiceng.outreach.registry.rules import NeedyStatus

from .outreach import OutreachBuilder, _Street, last_day

Progress = Callable[[str, int, int], None]

S27_CARDS = {"tiny": 30, "demo": 589, "city": 589}
S27_CATEGORIES = ("elderly_alone", "disabled", "military_family", "model_worker")
YEAR = 2005
DONE_SHARE = 0.88
STREET_MEMBERS = 40  # members serving a street's programme at city scale


def is_built() -> bool:
    return ServiceProgramme.objects.exists()


def _commitments() -> list[services.CommitmentSpec]:
    return [services.CommitmentSpec(*c) for c in S27_COMMITMENTS]


def _owner() -> Organization:
    assignment = (
        RoleAssignment.objects.filter(user__username="branch.secretary")
        .select_related("organization")
        .first()
    )
    if assignment is not None:
        return assignment.organization
    huangpu = Organization.objects.get(code="310101")
    return (
        Organization.objects.filter(path__startswith=huangpu.path, org_type=OrgType.BRANCH)
        .order_by("path")
        .first()
    )


def _street_of(owner: Organization) -> Organization:
    return (
        Organization.objects.filter(
            path__in=[owner.path[:i] for i in range(4, len(owner.path) + 1, 4)],
            org_type__in=(OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE),
        )
        .order_by("-depth")
        .first()
        or owner
    )


def _register_households(
    scale: str, seed: int, progress: Progress, street_org: Organization, n: int
) -> None:
    """Register ``n`` more needy people of S27's categories in the street, with the
    registry's generator (names, ID numbers, phones, addresses, points near the street)."""
    if n <= 0:
        return
    gen = OutreachBuilder(scale, seed * 7 + 27, progress)
    street = _Street(street_org, Street.objects.filter(pk=street_org.street_id).first())
    targets = [gen.categories[c] for c in S27_CATEGORIES if c in gen.categories]
    people = []
    for _ in range(n):
        p = gen.person(street)
        p.obj.status = NeedyStatus.ACTIVE
        p.obj.status_since = p.registered_on
        p.history = p.history[:1]
        if not set(p.categories) & set(targets):
            p.categories = [gen.rng.choice(targets)]
        if gen.categories.get("elderly_alone") in p.categories:
            p.obj.household_size = 1  # living alone, as the registry's generator has it
        people.append(p)
    gen.save_people(people)


def _mark_progress(programme: ServiceProgramme, rng: random.Random, until: dt.date) -> int:
    """Tasks due before ``until`` done (most within days, a few late) or left overdue;
    ``member.self``'s two latest due ones stay undone."""
    due = list(
        ServiceTask.objects.filter(programme=programme, due_on__lt=until)
        .select_related("responsible")
        .order_by("due_on", "id")
    )
    own = [t for t in due if t.responsible.user_id is not None]
    keep_open = {t.pk for t in own[-2:]}
    done = []
    for t in due:
        if t.pk in keep_open or rng.random() > DONE_SHARE:
            continue
        late = rng.choice((0, 0, 0, 0, 0, 1, 2, 3, 6, 12))
        t.state = TaskState.DONE
        t.done_on = min(t.due_on + dt.timedelta(days=late), until)
        t.note = rng.choice(
            ("检查燃气、电线，正常", "更换老化插座一个", "提醒关好燃气阀门", "打扫厨房和卫生间", "")
        )
        done.append(t)
    ServiceTask.objects.bulk_update(done, ["state", "done_on", "note"], batch_size=2000)
    return len(done)


def _s27(scale: str, seed: int, progress: Progress) -> dict[str, int]:
    owner = _owner()
    street = _street_of(owner)
    categories = list(NeedyCategory.objects.filter(code__in=S27_CATEGORIES))
    programme = services.programme_create(
        actor=None,
        owner=owner,
        name="“特殊群体”特色服务（与物业公司共建）",
        year=YEAR,
        card_prefix="TS2005",
        commitments=_commitments(),
        categories=categories,
        description="为小区内的老劳模、军烈属、独居老人和残疾人发放特色服务卡，"
        "党员每年上门安全检查3次、免费保洁1次。",
        hotline="021-63281234",
    )
    wanted = S27_CARDS.get(scale, 30)
    candidates = services.enrolable(None, programme)
    _register_households(scale, seed, progress, street, wanted - candidates.count())
    households = list(services.enrolable(None, programme).order_by("id")[:wanted])
    cards = services.cards_enrol(
        actor=None, programme=programme, households=households, issued_on=dt.date(YEAR, 1, 4)
    )
    services.programme_activate(actor=None, programme=programme)
    result = services.programme_schedule(
        actor=None, programme=programme, seed=seed, from_day=dt.date(YEAR, 1, 1)
    )
    done = _mark_progress(programme, random.Random(seed * 27), last_day())
    progress("service programmes", 1, 1)
    return {"service cards": len(cards), "service tasks": result.tasks, "tasks done": done}


def _street_programmes(
    seed: int, progress: Progress, limit: int | None = None, skip: str = ""
) -> dict[str, int]:
    """One programme per street for all its active needy people (city scale: ~350,000 tasks)."""
    streets = list(
        Organization.objects.filter(
            org_type__in=(OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE),
            abolished_on__isnull=True,
        )
        .exclude(path=skip)
        .order_by("path")[:limit]
    )
    rng = random.Random(seed * 29)
    counts = {"street programmes": 0, "street cards": 0, "street tasks": 0}
    for i, street in enumerate(streets, 1):
        programme = services.programme_create(
            actor=None,
            owner=street,
            name=f"{street.name}困难群众定期上门服务",
            year=YEAR,
            card_prefix=f"S{street.code}"[-12:],
            commitments=_commitments(),
            hotline="12345",
        )
        people = list(services.enrolable(None, programme).order_by("id"))
        if people and services.serving_members(street, 1):
            cards = services.cards_enrol(
                actor=None, programme=programme, households=people, issued_on=dt.date(YEAR, 1, 4)
            )
            services.programme_activate(actor=None, programme=programme)
            result = services.programme_schedule(
                actor=None,
                programme=programme,
                seed=seed + i,
                from_day=dt.date(YEAR, 1, 1),
                max_members=STREET_MEMBERS,
            )
            _mark_progress(programme, rng, last_day())
            counts["street cards"] += len(cards)
            counts["street tasks"] += result.tasks
        counts["street programmes"] += 1
        progress("street service programmes", i, len(streets))
    return counts


@transaction.atomic
def build_programmes(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """S27's programme (and at city scale one per street), in one transaction; refuses to run
    when programmes are already there. Returns what it made, by kind."""
    if is_built():
        raise RuntimeError("service programmes already exist")
    report = progress or (lambda *_: None)
    counts = _s27(scale, seed, report)
    if scale == "city":
        counts.update(_street_programmes(seed, report, skip=_street_of(_owner()).path))
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id="programmes",
        object_repr=f"scenario programmes {scale} seed {seed}",
        org_path=root.first() or "",
        note=", ".join(f"{n} {what}" for what, n in counts.items()),
    )
    return counts
