"""Every write of service programmes (S27: a property company gave 589 households numbered
special-service cards, with 3 home safety checks and 1 free cleaning a year): a programme
drafted, activated and closed; households enrolled with consecutive card numbers; a card
withdrawn; the year's tasks scheduled over the owner's members (``optimize.schedule_visits``);
a task done (by its member, self-service, or by the branch) or missed. Keyword-only, atomic,
audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.progress import ProgressWriter
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.members.models import Member
from jiceng.optimize import Commitment as PlannedCommitment
from jiceng.optimize import schedule_visits
from jiceng.optimize.exceptions import InfeasibleError, InputError
from jiceng.orgs.models import Organization

from ..registry.models import NeedyCategory, NeedyPerson
from ..registry.rules import NeedyStatus
from .models import Commitment, ScheduleRun, ServiceCard, ServiceProgramme, ServiceTask
from .rules import (
    CARD_PREFIX_MAX,
    MAX_ENROL,
    MAX_TIMES,
    PROGRAMME_TRANSITIONS,
    RUN_BUSY,
    RUN_STALE_AFTER,
    TASK_TRANSITIONS,
    CardState,
    ProgrammeState,
    RunState,
    TaskState,
)

PROGRAMME_FIELDS = ("owner", "name", "year", "hotline", "card_prefix", "state")
CARD_FIELDS = ("programme", "household", "number", "state", "reason")
TASK_FIELDS = ("due_on", "responsible", "state", "done_on")

# A report of progress: the stage (a key of ``rules.RUN_STAGES``) and the fraction done.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class CommitmentSpec:
    """A commitment as the form gives it: code, label, times a year, least gap in days."""

    code: str
    label: str
    times: int
    min_gap_days: int = 0


def _check_state(programme: ServiceProgramme, action: str, message: str) -> None:
    if programme.state not in PROGRAMME_TRANSITIONS[action]:
        raise ValidationError(message % {"state": programme.get_state_display()})


def clean_commitments(specs: Iterable[CommitmentSpec], year: int) -> list[CommitmentSpec]:
    """Commitments checked as the schedule needs them: codes differ, 1..12 times a year, and
    the times fit in the year at the gap (3 checks ≥ 90 days apart fit; 5 ≥ 100 do not)."""
    out: list[CommitmentSpec] = []
    for spec in specs:
        code = (spec.code or "").strip()
        label = (spec.label or "").strip()
        if not label:
            continue
        if not code:
            code = f"c{len(out) + 1}"
        if any(c.code == code or c.label == label for c in out):
            raise ValidationError({"commitments": _("同一项服务只能承诺一次：%s") % label})
        if not 1 <= spec.times <= MAX_TIMES:
            raise ValidationError({"commitments": _("“%s”的每年次数须在1到12次之间") % label})
        if spec.min_gap_days < 0 or (spec.times - 1) * spec.min_gap_days > 364:
            raise ValidationError(
                {
                    "commitments": _(
                        "“%(label)s”一年%(times)s次、间隔不少于%(gap)s天，一年内排不下"
                    )
                    % {"label": label, "times": spec.times, "gap": spec.min_gap_days}
                }
            )
        out.append(CommitmentSpec(code, label, spec.times, spec.min_gap_days))
    if not out:
        raise ValidationError({"commitments": _("请至少填写一项服务承诺")})
    return out


def _clean_prefix(prefix: str) -> str:
    prefix = (prefix or "").strip().upper()
    if not prefix or len(prefix) > CARD_PREFIX_MAX or not prefix.replace("-", "").isalnum():
        raise ValidationError({"card_prefix": _("卡号前缀请填写1到12位字母或数字")})
    return prefix


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("年度不正确")})


def _save_commitments(programme: ServiceProgramme, specs: Sequence[CommitmentSpec]) -> None:
    programme.commitments.all().delete()
    Commitment.objects.bulk_create(
        Commitment(
            programme=programme,
            code=s.code,
            label=s.label,
            times=s.times,
            min_gap_days=s.min_gap_days,
        )
        for s in specs
    )


def _after(programme: ServiceProgramme) -> dict[str, Any]:
    after = audit.snapshot(programme, PROGRAMME_FIELDS)
    after["commitments"] = [
        f"{c.label}×{c.times}/{c.min_gap_days}" for c in programme.commitments.all()
    ]
    after["categories"] = sorted(programme.categories.values_list("code", flat=True))
    return after


@transaction.atomic
def programme_create(
    *,
    actor: Actor,
    owner: Organization,
    name: str,
    year: int,
    card_prefix: str,
    commitments: Sequence[CommitmentSpec],
    categories: Iterable[NeedyCategory] = (),
    description: str = "",
    hotline: str = "",
) -> ServiceProgramme:
    """Draft a programme of ``owner`` (S27: a property company's special service, 3 safety
    checks and 1 cleaning a year)."""
    require(actor, Action.CHANGE, owner.path, _("无权为该单位设立特色服务项目"))
    if owner.is_abolished:
        raise ValidationError({"owner": _("该组织已撤销")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写服务项目名称")})
    _check_year(year)
    specs = clean_commitments(commitments, year)
    programme = ServiceProgramme(
        owner=owner,
        path=owner.path,
        name=name,
        year=year,
        card_prefix=_clean_prefix(card_prefix),
        description=(description or "").strip(),
        hotline=(hotline or "").strip(),
        state=ProgrammeState.DRAFT,
        created_by=actor_user(actor),
    )
    programme.full_clean(exclude=["path", "created_by"])
    programme.save()
    programme.categories.set(list(categories))
    _save_commitments(programme, specs)
    audit.record(
        actor=actor, verb="create", obj=programme, org_path=programme.path, after=_after(programme)
    )
    return programme


@transaction.atomic
def programme_update(
    *,
    actor: Actor,
    programme: ServiceProgramme,
    name: str,
    year: int,
    card_prefix: str,
    commitments: Sequence[CommitmentSpec],
    categories: Iterable[NeedyCategory] = (),
    description: str = "",
    hotline: str = "",
) -> ServiceProgramme:
    """Edit a programme; its year, card prefix and commitments only while it is a draft (the
    cards and the schedule rest on them)."""
    programme = ServiceProgramme.objects.select_for_update().get(pk=programme.pk)
    require(actor, Action.CHANGE, programme.path, _("无权修改该特色服务项目"))
    _check_state(programme, "edit", _("该项目%(state)s，不能再修改"))
    before = _after(programme)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写服务项目名称")})
    programme.name = name
    programme.description = (description or "").strip()
    programme.hotline = (hotline or "").strip()
    if programme.state == ProgrammeState.DRAFT:
        _check_year(year)
        programme.year = year
        programme.card_prefix = _clean_prefix(card_prefix)
        if programme.cards.exists() and programme.card_prefix != before["card_prefix"]:
            raise ValidationError({"card_prefix": _("已发卡的项目不能修改卡号前缀")})
        _save_commitments(programme, clean_commitments(commitments, year))
    programme.save()
    programme.categories.set(list(categories))
    audit.record(
        actor=actor,
        verb="update",
        obj=programme,
        org_path=programme.path,
        before=before,
        after=_after(programme),
    )
    return programme


def _transition(
    actor: Actor, programme: ServiceProgramme, action: str, state: str, message: str
) -> ServiceProgramme:
    programme = ServiceProgramme.objects.select_for_update().get(pk=programme.pk)
    require(actor, Action.CHANGE, programme.path, _("无权变更该特色服务项目的状态"))
    _check_state(programme, action, message)
    before = audit.snapshot(programme, PROGRAMME_FIELDS)
    programme.state = state
    programme.save(update_fields=["state"])
    audit.record(
        actor=actor,
        verb="update",
        obj=programme,
        org_path=programme.path,
        before=before,
        after=audit.snapshot(programme, PROGRAMME_FIELDS),
    )
    return programme


@transaction.atomic
def programme_activate(*, actor: Actor, programme: ServiceProgramme) -> ServiceProgramme:
    """Start the programme: its cards may be scheduled and served."""
    return _transition(
        actor, programme, "activate", ProgrammeState.ACTIVE, _("该项目%(state)s，不能启动")
    )


@transaction.atomic
def programme_close(*, actor: Actor, programme: ServiceProgramme) -> ServiceProgramme:
    """End the programme: planned future tasks are dropped; what was done stays."""
    programme = _transition(
        actor, programme, "close", ProgrammeState.CLOSED, _("该项目%(state)s，不能结束")
    )
    ServiceTask.objects.filter(
        programme=programme, state=TaskState.PLANNED, due_on__gte=clock.today()
    ).delete()
    return programme


# ----- cards -----------------------------------------------------------------------------------


def area_q(owner: Organization) -> Q:
    """Needy people of the owner's area: registered by a street above it (a branch serves
    the households of its street) or by a street inside its subtree."""
    return Q(path__startswith=owner.path) | Q(
        path__in=tree.ancestor_paths(owner.path, include_self=True)
    )


def enrolable(actor: Actor, programme: ServiceProgramme) -> Any:
    """The households the actor may enrol: active, of the owner's area, of the target
    categories, inside the actor's outreach scope (choosing by category reads it)."""
    people = NeedyPerson.objects.filter(
        area_q(programme.owner), status=NeedyStatus.ACTIVE, merged_into__isnull=True
    )
    if actor is not None:
        people = people.filter(pk__in=NeedyPerson.objects.visible_to(actor, Action.OUTREACH))
    category_ids = list(programme.categories.values_list("pk", flat=True))
    if category_ids:
        people = people.filter(
            pk__in=NeedyPerson.categories.through.objects.filter(
                needycategory_id__in=category_ids
            ).values("needyperson_id")
        )
    return people


def card_number(programme: ServiceProgramme, seq: int) -> str:
    """``<prefix>-0001``: four digits, more when a programme has more than 9,999 cards."""
    return f"{programme.card_prefix}-{seq:04d}"


@transaction.atomic
def cards_enrol(
    *,
    actor: Actor,
    programme: ServiceProgramme,
    households: Sequence[NeedyPerson],
    issued_on: dt.date | None = None,
) -> list[ServiceCard]:
    """Give households numbered cards, consecutively after the programme's last: all or
    nothing (one household out of reach refuses the lot), and re-runnable (a household that
    already holds an active card is skipped, not given another)."""
    programme = ServiceProgramme.objects.select_for_update().get(pk=programme.pk)
    require(actor, Action.CHANGE, programme.path, _("无权为该项目发放服务卡"))
    _check_state(programme, "enrol", _("该项目%(state)s，不能再发卡"))
    wanted = list(dict.fromkeys(h.pk for h in households))
    if not wanted:
        raise ValidationError({"households": _("请选择要发卡的服务对象")})
    if len(wanted) > MAX_ENROL:
        raise ValidationError({"households": _("一次最多为2000户发卡")})
    allowed = set(enrolable(actor, programme).filter(pk__in=wanted).values_list("pk", flat=True))
    refused = [pk for pk in wanted if pk not in allowed]
    if refused:
        names = NeedyPerson.objects.filter(pk__in=refused[:5]).values_list("name", flat=True)
        raise ValidationError(
            {
                "households": _("以下对象不在本项目的服务范围内，未发放任何服务卡：%s")
                % "、".join(names)
            }
        )
    holding = set(
        programme.cards.filter(state=CardState.ACTIVE, household_id__in=wanted).values_list(
            "household_id", flat=True
        )
    )
    new = [pk for pk in wanted if pk not in holding]
    last = programme.cards.aggregate(m=Max("seq"))["m"] or 0
    day = issued_on or clock.today()
    cards = [
        ServiceCard(
            programme=programme,
            path=programme.path,
            household_id=pk,
            seq=last + i,
            number=card_number(programme, last + i),
            issued_on=day,
            state=CardState.ACTIVE,
        )
        for i, pk in enumerate(new, 1)
    ]
    ServiceCard.objects.bulk_create(cards)
    if cards:
        audit.record(
            actor=actor,
            verb="create",
            obj=programme,
            org_path=programme.path,
            after={"cards": [c.number for c in cards], "households": new},
            note=_("发放服务卡 %(n)s 张") % {"n": len(cards)},
        )
    return cards


@transaction.atomic
def card_withdraw(*, actor: Actor, card: ServiceCard, reason: str) -> ServiceCard:
    """Withdraw a card (moved away, deceased, declined), with the reason; its planned future
    tasks are dropped."""
    card = ServiceCard.objects.select_for_update().get(pk=card.pk)
    require(actor, Action.CHANGE, card.path, _("无权收回该服务卡"))
    if card.state != CardState.ACTIVE:
        raise ValidationError(_("该服务卡已收回"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写收回原因")})
    before = audit.snapshot(card, CARD_FIELDS)
    card.state = CardState.WITHDRAWN
    card.reason = reason[:200]
    card.withdrawn_on = clock.today()
    card.save(update_fields=["state", "reason", "withdrawn_on"])
    card.tasks.filter(state=TaskState.PLANNED, due_on__gte=clock.today()).delete()
    audit.record(
        actor=actor,
        verb="update",
        obj=card,
        org_path=card.path,
        before=before,
        after=audit.snapshot(card, CARD_FIELDS),
        note=reason,
    )
    return card


# ----- the schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleResult:
    households: int
    members: int
    tasks: int
    kept: int
    start: dt.date
    end: dt.date
    max_per_member: int
    min_per_member: int


def serving_members(owner: Organization, limit: int | None = None) -> list[Member]:
    """Members registered or taking part under the owner, with a home on the map."""
    return list(
        Member.objects.on_roll()
        .filter(
            Q(home_path__startswith=owner.path) | Q(participating_path__startswith=owner.path),
            lat__isnull=False,
            lng__isnull=False,
        )
        .order_by("id")[:limit]
    )


def _daily_cap(
    households: int, members: int, commitments: list[Commitment], start: dt.date, end: dt.date
) -> int:
    """Tasks a member may get on one day: two, or more when a few members serve many
    households in a short span (half the weekdays' room left free)."""
    busiest = -(-households // members) * sum(c.times for c in commitments)
    weekdays = max(1, ((end - start).days + 1) * 5 // 7)
    return max(2, -(-busiest * 2 // weekdays))


def _no_progress(stage: str, fraction: float) -> None:
    """The default progress report: nobody is watching (the page's own call, the tests)."""


@dataclass(frozen=True)
class _Prepared:
    """What the schedule was computed from, checked again under the lock before writing."""

    programme: ServiceProgramme
    start: dt.date
    today: dt.date
    cards: list[ServiceCard]
    commitments: list[Commitment]
    members: list[Member]

    def signature(self) -> tuple[list[int], list[tuple[int, str, int, int]]]:
        return [c.pk for c in self.cards], _commitment_signature(self.commitments)


def _commitment_signature(commitments: Iterable[Commitment]) -> list[tuple[int, str, int, int]]:
    return [(c.pk, c.code, c.times, c.min_gap_days) for c in commitments]


def _active_cards(programme: ServiceProgramme) -> Any:
    return programme.cards.filter(state=CardState.ACTIVE).order_by("seq")


def _schedule_prepare(
    actor: Actor,
    programme: ServiceProgramme,
    from_day: dt.date | None,
    max_members: int | None,
) -> _Prepared:
    """The checks and the reads of a schedule, before anything is computed or written."""
    programme = ServiceProgramme.objects.select_related("owner").get(pk=programme.pk)
    require(actor, Action.CHANGE, programme.path, _("无权为该项目排定服务任务"))
    _check_state(programme, "schedule", _("该项目%(state)s，不能排定服务任务"))
    today = from_day or clock.today()
    start = max(dt.date(programme.year, 1, 1), today)
    if start > dt.date(programme.year, 12, 31):
        raise ValidationError(_("该项目的年度已过，不能再排定服务任务"))
    cards = list(_active_cards(programme).select_related("household"))
    if not cards:
        raise ValidationError(_("该项目还没有有效的服务卡，请先发卡"))
    members = serving_members(programme.owner, max_members)
    if not members:
        raise ValidationError(_("实施单位没有登记住址坐标的党员，无法排定服务任务"))
    return _Prepared(programme, start, today, cards, list(programme.commitments.all()), members)


def _schedule_solve(prepared: _Prepared, seed: int) -> Any:
    """``optimize.schedule_visits`` over the prepared cards and members (no writes)."""
    cards, members, commitments = prepared.cards, prepared.members, prepared.commitments
    end = dt.date(prepared.programme.year, 12, 31)
    lat0 = sum(float(m.lat or 0) for m in members) / len(members)
    lng0 = sum(float(m.lng or 0) for m in members) / len(members)
    points = [
        (c.household.lat, c.household.lng)
        if c.household.lat is not None and c.household.lng is not None
        else (lat0, lng0)
        for c in cards
    ]
    try:
        return schedule_visits(
            points,
            [(float(m.lat or 0), float(m.lng or 0)) for m in members],
            [PlannedCommitment(c.code, c.times, min_gap_days=c.min_gap_days) for c in commitments],
            prepared.programme.year,
            seed=seed,
            start=prepared.start,
            end=end,
            max_per_member_day=_daily_cap(
                len(cards), len(members), commitments, prepared.start, end
            ),
        )
    except InputError as exc:
        raise ValidationError(
            _("本年度剩余的日子排不下所承诺的服务次数，请调整服务承诺或明年再排")
        ) from exc
    except InfeasibleError as exc:
        raise ValidationError(_("实施单位的党员人数不足，无法在本年度内排定全部服务任务")) from exc


def programme_schedule(
    *,
    actor: Actor,
    programme: ServiceProgramme,
    seed: int = 0,
    from_day: dt.date | None = None,
    max_members: int | None = None,
    progress: Progress | None = None,
    in_run: bool = False,
) -> ScheduleResult:
    """Plan the rest of the programme's year (``optimize.schedule_visits``): each household
    one responsible member near it, members' loads balanced (households per member differ by
    at most one), a commitment's tasks at least its gap apart, weekdays only. Re-running
    replaces only the planned tasks from today on; a household's tasks already done, missed
    or due before today are kept and count against what it is promised. ``from_day`` (the
    demo builder's 1 January) stands for today; ``max_members`` keeps the nearest-numbered
    members only (a street's programme served by its first branches).

    All or nothing: the schedule is computed first, then written in one transaction under
    the programme's lock, after checking that its cards and commitments did not change
    meanwhile. ``progress(stage, fraction)`` hears of the stages (``rules.RUN_STAGES``)
    outside that transaction, so a page polling a background run sees them. Called other
    than by its background run (``in_run``: the API, the demo), it is refused while such a
    run is queued or running, so two schedules never race."""
    if not in_run and schedule_busy(programme).exists():
        raise ValidationError(_("该项目正在排定服务任务，请等待完成后再试"))
    report = progress or _no_progress
    report("read", 0.05)
    prepared = _schedule_prepare(actor, programme, from_day, max_members)
    report("solve", 0.2)
    plan = _schedule_solve(prepared, seed)
    report("write", 0.8)
    with transaction.atomic():
        result = _schedule_write(actor, prepared, plan)
    report("done", 1.0)
    return result


def _schedule_write(actor: Actor, prepared: _Prepared, plan: Any) -> ScheduleResult:
    """The computed schedule written: planned future tasks replaced, audited (inside the
    caller's transaction)."""
    programme = ServiceProgramme.objects.select_for_update().get(pk=prepared.programme.pk)
    require(actor, Action.CHANGE, programme.path, _("无权为该项目排定服务任务"))
    _check_state(programme, "schedule", _("该项目%(state)s，不能排定服务任务"))
    now = (
        list(_active_cards(programme).values_list("pk", flat=True)),
        _commitment_signature(programme.commitments.all()),
    )
    if now != prepared.signature():
        raise ValidationError(_("排定期间服务卡或服务承诺有变动，未写入任何任务，请重新排定"))
    cards, members, today = prepared.cards, prepared.members, prepared.today
    ServiceTask.objects.filter(
        programme=programme, state=TaskState.PLANNED, due_on__gte=today
    ).delete()
    kept: dict[tuple[int, int], int] = {}
    for card_id, commitment_id in ServiceTask.objects.filter(programme=programme).values_list(
        "card_id", "commitment_id"
    ):
        kept[card_id, commitment_id] = kept.get((card_id, commitment_id), 0) + 1
    by_code = {c.code: c for c in prepared.commitments}
    tasks: list[ServiceTask] = []
    depth = tree.depth(programme.path)
    for t in plan.tasks:
        card = cards[t.household]
        commitment = by_code[t.kind]
        if t.sequence <= kept.get((card.pk, commitment.pk), 0):
            continue  # already served (or due) this year
        tasks.append(
            ServiceTask(
                card=card,
                programme=programme,
                commitment=commitment,
                path=programme.path,
                depth=depth,
                sequence=t.sequence,
                due_on=t.due,
                responsible=members[t.member],
                state=TaskState.PLANNED,
            )
        )
    ServiceTask.objects.bulk_create(tasks, batch_size=2000)
    per_member = plan.households_per_member.tolist()
    result = ScheduleResult(
        households=len(cards),
        members=len(members),
        tasks=len(tasks),
        kept=sum(kept.values()),
        start=prepared.start,
        end=dt.date(programme.year, 12, 31),
        max_per_member=max(per_member),
        min_per_member=min(per_member),
    )
    audit.record(
        actor=actor,
        verb="update",
        obj=programme,
        org_path=programme.path,
        after={
            "scheduled": len(tasks),
            "households": len(cards),
            "members": len(members),
            "from": prepared.start.isoformat(),
        },
        note=_("排定服务任务"),
    )
    return result


# ----- scheduling in the background --------------------------------------------------------------


def schedule_busy(programme: ServiceProgramme) -> QuerySet[ScheduleRun]:
    """The programme's run still queued or running (at most one), stale ones aside."""
    return ScheduleRun.objects.filter(
        programme=programme,
        state__in=RUN_BUSY,
        created_at__gte=timezone.now() - RUN_STALE_AFTER,
    )


@transaction.atomic
def schedule_queue(*, actor: Actor, programme: ServiceProgramme) -> ScheduleRun:
    """Ask for the programme's year to be scheduled in the background; the caller enqueues
    ``tasks.run_schedule`` once this is committed. Refused while a run is queued or running
    (a second click), or when the programme may not be scheduled at all. A run left busy
    longer than ``RUN_STALE_AFTER`` (its worker restarted) is closed as failed first."""
    programme = ServiceProgramme.objects.select_for_update().get(pk=programme.pk)
    require(actor, Action.CHANGE, programme.path, _("无权为该项目排定服务任务"))
    _check_state(programme, "schedule", _("该项目%(state)s，不能排定服务任务"))
    if dt.date(programme.year, 12, 31) < clock.today():
        raise ValidationError(_("该项目的年度已过，不能再排定服务任务"))
    if schedule_busy(programme).exists():
        raise ValidationError(_("该项目正在排定服务任务，请等待完成后再试"))
    ScheduleRun.objects.filter(programme=programme, state__in=RUN_BUSY).update(
        state=RunState.FAILED,
        message=_("排定超时未完成，未写入任何任务"),
        finished_at=timezone.now(),
    )
    return ScheduleRun.objects.create(
        programme=programme,
        path=programme.path,
        state=RunState.QUEUED,
        stage="queued",
        requested_by=actor_user(actor),
    )


def schedule_run(*, run_id: int, progress: Progress | None = None) -> ScheduleRun:
    """Compute and write a queued run's schedule (the task body; the command runs it
    in-process) through ``programme_schedule``, as the officer who asked. A refusal ends
    ``failed`` with its reason in Chinese and writes no task; a fault too, and is raised
    again for the worker's log. A run found ``running`` is one whose worker died and that
    ``core.task_recovery`` queued again: computed afresh (nothing of it was written)."""
    run = ScheduleRun.objects.select_related("programme", "requested_by").get(pk=run_id)
    if run.state not in RUN_BUSY:
        return run
    ScheduleRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, started_at=timezone.now(), progress=0.02, stage="read"
    )
    throttle = ProgressWriter(ScheduleRun.objects.filter(pk=run.pk), stage_length=20)

    def report(stage: str, fraction: float) -> None:
        throttle(stage, fraction)
        if progress is not None:
            progress(stage, fraction)

    try:
        result = programme_schedule(
            actor=run.requested_by, programme=run.programme, progress=report, in_run=True
        )
    except (ValidationError, PermissionDenied) as exc:
        return _run_end(run, RunState.FAILED, message=_error(exc))
    except Exception:
        _run_end(
            run,
            RunState.FAILED,
            message=_("排定服务任务时出错，未写入任何任务；请稍后重试，如仍出错请联系系统管理员"),
        )
        raise
    figures = {**asdict(result), "start": result.start.isoformat(), "end": result.end.isoformat()}
    return _run_end(run, RunState.DONE, result=figures)


def _error(exc: Exception) -> str:
    return "；".join(getattr(exc, "messages", None) or [str(exc)])


def _run_end(run: ScheduleRun, state: str, **fields: Any) -> ScheduleRun:
    ScheduleRun.objects.filter(pk=run.pk).update(
        state=state,
        progress=1.0 if state == RunState.DONE else run.progress,
        stage="done" if state == RunState.DONE else "",
        finished_at=timezone.now(),
        **fields,
    )
    run.refresh_from_db()
    return run


# ----- tasks -----------------------------------------------------------------------------------


def is_responsible(actor: Actor, task: ServiceTask) -> bool:
    user = actor_user(actor)
    return user is not None and Member.objects.filter(pk=task.responsible_id, user=user).exists()


def may_mark(actor: Actor, task: ServiceTask) -> bool:
    """Whether the actor may mark the task done: its responsible member, or the branch."""
    return actor is None or can(actor, Action.CHANGE, task.path) or is_responsible(actor, task)


@transaction.atomic
def task_done(
    *, actor: Actor, task: ServiceTask, note: str = "", done_on: dt.date | None = None
) -> ServiceTask:
    """The service was given: by the responsible member (self-service, on a phone) or
    recorded by the branch or the officer, with what was done."""
    task = ServiceTask.objects.select_for_update().get(pk=task.pk)
    if not may_mark(actor, task):
        raise PermissionDenied(_("只有负责该服务的党员或实施单位可以登记完成"))
    if task.state not in TASK_TRANSITIONS["done"]:
        raise ValidationError(_("该服务任务%s，不能再登记完成") % task.get_state_display())
    day = done_on or clock.today()
    if day > clock.today():
        raise ValidationError({"done_on": _("完成日期不能晚于今天")})
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("服务情况请不超过300字")})
    before = audit.snapshot(task, TASK_FIELDS)
    task.state = TaskState.DONE
    task.done_on = day
    task.note = note
    task.done_by = actor_user(actor)
    task.save(update_fields=["state", "done_on", "note", "done_by"])
    audit.record(
        actor=actor,
        verb="update",
        obj=task,
        org_path=task.path,
        before=before,
        after=audit.snapshot(task, TASK_FIELDS),
        note=note,
    )
    return task


@transaction.atomic
def task_missed(*, actor: Actor, task: ServiceTask, note: str = "") -> ServiceTask:
    """The branch records that a past task was not given (the household away, declined)."""
    task = ServiceTask.objects.select_for_update().get(pk=task.pk)
    require(actor, Action.CHANGE, task.path, _("只有实施单位可以登记未完成"))
    if task.state not in TASK_TRANSITIONS["missed"]:
        raise ValidationError(_("该服务任务%s，不能登记未完成") % task.get_state_display())
    if task.due_on >= clock.today():
        raise ValidationError(_("计划日期未到，不能登记未完成"))
    before = audit.snapshot(task, TASK_FIELDS)
    task.state = TaskState.MISSED
    task.note = (note or "").strip()[:300]
    task.done_by = actor_user(actor)
    task.save(update_fields=["state", "note", "done_by"])
    audit.record(
        actor=actor,
        verb="update",
        obj=task,
        org_path=task.path,
        before=before,
        after=audit.snapshot(task, TASK_FIELDS),
        note=task.note,
    )
    return task
