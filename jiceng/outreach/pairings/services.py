"""Every write of double pairing (双结对, S26): a branch proposes or is proposed to pair with a
needy person, the pairing is confirmed (the person's ``paired_path`` becomes the branch's, so
the branch reads the person and its members record visits to them) and ended with a reason
(``paired_path`` cleared); the same lifecycle for an organisation paired with a residential
area or a two-new organisation; and ``pairings_from_plan``, the all-or-nothing bulk write of
a pairing plan (planning's page calls it). Keyword-only, atomic, audited, refused in Chinese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.models import AuditEvent
from jiceng.core.scoping import Action, Actor, actor_user, can, require, scope_of
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from ..registry.rules import NeedyStatus
from .models import Pairing, UnitPairing
from .rules import (
    OPEN_STATES,
    PAIRING_BRANCH_TYPES,
    PAIRING_TRANSITIONS,
    PairingSource,
    PairingState,
    partner_kind_of,
)

PAIRING_FIELDS = ("needy", "branch", "state", "started_on", "ended_on", "end_reason", "source")
UNIT_FIELDS = ("org", "partner", "partner_kind", "state", "started_on", "ended_on", "end_reason")
REASON_MAX = 200
# How many names a refusal of a plan lists before "等 N 人".
NAMES_SHOWN = 10


# ----- who may do what --------------------------------------------------------------------------


@dataclass(frozen=True)
class PairingRights:
    """What an actor may do with a pairing now: the pages show these buttons and the services
    refuse the rest with their own words."""

    confirm: bool
    end: bool


def _may_change(actor: Actor, *paths: str) -> bool:
    return actor is None or any(p and can(actor, Action.CHANGE, p) for p in paths)


def pairing_rights(actor: Actor, pairing: Pairing | UnitPairing) -> PairingRights:
    """Change rights over either side (the street or the branch; the organisation or its
    partner) confirm or end a pairing while its state allows."""
    other = pairing.branch_path if isinstance(pairing, Pairing) else pairing.partner_path
    may = _may_change(actor, pairing.path, other)
    return PairingRights(
        confirm=may and pairing.state in PAIRING_TRANSITIONS["confirm"],
        end=may and pairing.state in PAIRING_TRANSITIONS["end"],
    )


def _require_side(actor: Actor, pairing: Pairing | UnitPairing) -> None:
    other = pairing.branch_path if isinstance(pairing, Pairing) else pairing.partner_path
    if not _may_change(actor, pairing.path, other):
        require(actor, Action.CHANGE, pairing.path, _("无权确认或结束该结对"))


def _step(pairing: Pairing | UnitPairing, step: str) -> None:
    if pairing.state not in PAIRING_TRANSITIONS[step]:
        raise ValidationError(
            _("该结对当前为“%(state)s”，不能%(step)s")
            % {
                "state": pairing.get_state_display(),
                "step": _("确认") if step == "confirm" else _("结束"),
            }
        )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"end_reason": _("请填写结束结对的原因")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"end_reason": _("结束原因不能超过200个字")})
    return reason


# ----- a branch and a needy person ----------------------------------------------------------------


def _check_branch(actor: Actor, branch: Organization) -> None:
    if branch.org_type not in PAIRING_BRANCH_TYPES:
        raise ValidationError({"branch": _("请选择党支部（或联合支部）结对")})
    if branch.is_abolished:
        raise ValidationError({"branch": _("该党支部已撤销")})
    require(actor, Action.CHANGE, branch.path, _("无权为该党支部安排结对"))


def _check_needy(needy: NeedyPerson) -> None:
    if needy.status != NeedyStatus.ACTIVE or needy.merged_into_id:
        raise ValidationError(
            {"needy": _("%(name)s 不是在册帮扶对象，不能结对") % {"name": needy.name}}
        )
    if Pairing.objects.filter(needy=needy, state__in=OPEN_STATES).exists():
        raise ValidationError(
            {"needy": _("%(name)s 已有结对（待确认或已确认），不能重复结对") % {"name": needy.name}}
        )


def _set_paired_path(actor: Actor, needy: NeedyPerson, path: str, note: str) -> None:
    """The registry's field the pairing sets: written here, audited on the person."""
    before = needy.paired_path
    NeedyPerson.objects.filter(pk=needy.pk).update(paired_path=path)
    needy.paired_path = path
    audit.record(
        actor=actor,
        verb="update",
        obj=needy,
        org_path=needy.path,
        before={"paired_path": before},
        after={"paired_path": path},
        note=note,
    )


@transaction.atomic
def pairing_propose(
    *,
    actor: Actor,
    needy: NeedyPerson,
    branch: Organization,
    distance_m: float | None = None,
    note: str = "",
) -> Pairing:
    """Propose pairing ``branch`` with ``needy`` (S26): the street officer (change rights over
    the person's street) and the branch (change rights over it) agree by confirming it."""
    require(actor, Action.CHANGE, needy.path, _("无权为该街道（乡镇）的帮扶对象安排结对"))
    _check_branch(actor, branch)
    NeedyPerson.objects.select_for_update().filter(pk=needy.pk).first()
    _check_needy(needy)
    now = timezone.now()
    pairing = Pairing(
        needy=needy,
        branch=branch,
        path=needy.path,
        branch_path=branch.path,
        distance_m=distance_m,
        state=PairingState.PROPOSED,
        source=PairingSource.MANUAL,
        note=(note or "").strip()[:200],
        created_by=actor_user(actor),
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError as exc:  # a concurrent proposal for the same person
        raise ValidationError(
            {"needy": _("%(name)s 已有结对，不能重复结对") % {"name": needy.name}}
        ) from exc
    audit.record(
        actor=actor,
        verb="create",
        obj=pairing,
        org_path=pairing.path,
        after=audit.snapshot(pairing, PAIRING_FIELDS),
    )
    return pairing


PairingT = TypeVar("PairingT", Pairing, UnitPairing)


def _move(actor: Actor, pairing: PairingT, step: str, note: str, **changes: Any) -> PairingT:
    """One step of either kind of pairing (``PAIRING_TRANSITIONS``): checked, saved with
    ``changes`` and audited with its before and after."""
    _require_side(actor, pairing)
    _step(pairing, step)
    fields = PAIRING_FIELDS if isinstance(pairing, Pairing) else UNIT_FIELDS
    before = audit.snapshot(pairing, fields)
    for name, value in changes.items():
        setattr(pairing, name, value)
    pairing.updated_at = timezone.now()
    pairing.save(update_fields=[*changes, "updated_at"])
    audit.record(
        actor=actor,
        verb="update",
        obj=pairing,
        org_path=pairing.path,
        before=before,
        after=audit.snapshot(pairing, fields),
        note=note,
    )
    return pairing


def _end(actor: Actor, pairing: PairingT, reason: str, on: dt.date | None) -> PairingT:
    """End either kind with its reason (the rights and the state are checked before the
    reason, so an outsider is told they may not, not that a reason is missing)."""
    _require_side(actor, pairing)
    _step(pairing, "end")
    reason = _reason(reason)
    return _move(
        actor,
        pairing,
        "end",
        reason,
        state=PairingState.ENDED,
        ended_on=on or clock.today(),
        end_reason=reason,
    )


@transaction.atomic
def pairing_confirm(*, actor: Actor, pairing: Pairing, on: dt.date | None = None) -> Pairing:
    """Confirm a proposed pairing: it starts, and the branch may now read the person and its
    members record visits to them (``paired_path``)."""
    _move(
        actor,
        pairing,
        "confirm",
        _("确认结对"),
        state=PairingState.CONFIRMED,
        started_on=on or clock.today(),
    )
    _set_paired_path(actor, pairing.needy, pairing.branch_path, _("结对确认"))
    return pairing


@transaction.atomic
def pairing_end(
    *, actor: Actor, pairing: Pairing, reason: str, on: dt.date | None = None
) -> Pairing:
    """End a pairing (or drop a proposed one) with its reason; the branch no longer reads the
    person through it."""
    was_confirmed = pairing.state == PairingState.CONFIRMED
    reason = _end(actor, pairing, reason, on).end_reason
    if was_confirmed and pairing.needy.paired_path == pairing.branch_path:
        _set_paired_path(actor, pairing.needy, "", _("结对结束：%(reason)s") % {"reason": reason})
    return pairing


def pairings_end_for_person(*, actor: Actor, person: NeedyPerson, reason: str) -> int:
    """End the person's open pairings (proposed or confirmed) when they leave the active
    register (moved away, deceased, no longer in need, merged into another record); called by
    the registry's services in their transaction. Returns how many ended."""
    ended = 0
    for pairing in Pairing.objects.filter(needy=person, state__in=OPEN_STATES).select_related(
        "needy"
    ):
        pairing_end(actor=actor, pairing=pairing, reason=reason)
        ended += 1
    return ended


# ----- a pairing plan's rows, all or nothing ----------------------------------------------------


def _names(people: list[str]) -> str:
    shown = "、".join(people[:NAMES_SHOWN])
    if len(people) > NAMES_SHOWN:
        shown += _("等%(n)d人") % {"n": len(people)}
    return shown


def _within(paths: tuple[str, ...], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


@transaction.atomic
def pairings_from_plan(
    *,
    actor: Actor,
    rows: Sequence[tuple[int, int, float | None]],
    plan_id: int,
    note: str = "",
) -> int:
    """Create the CONFIRMED pairings of a pairing plan (S26): rows of (needy person id, branch
    id, distance in metres). All or nothing: refused, naming the people, when any person is
    not an active registration, already has an open pairing or lies outside the actor's change
    scope, or any branch is not a branch in that scope. Sets each person's ``paired_path``.
    One summary audit row and one per pairing, written in bulk. Returns the number created."""
    rows = list(rows)
    if not rows:
        return 0
    needy_ids = [int(r[0]) for r in rows]
    if len(set(needy_ids)) != len(needy_ids):
        raise ValidationError(_("结对方案中同一帮扶对象出现了多次"))
    scope = scope_of(actor, Action.CHANGE).paths if actor is not None else ("",)
    people: dict[int, tuple[str, str, str, int | None]] = {}
    for chunk in _chunks(needy_ids):
        for pk, name, path, status, merged in (
            NeedyPerson.objects.select_for_update()
            .filter(pk__in=chunk)
            .values_list("pk", "name", "path", "status", "merged_into_id")
        ):
            people[pk] = (name, path, status, merged)
    missing = [pk for pk in needy_ids if pk not in people]
    if missing:
        raise ValidationError(
            _("找不到编号为 %(ids)s 的帮扶对象") % {"ids": "、".join(map(str, missing[:10]))}
        )
    outside = [people[pk][0] for pk in needy_ids if not _within(scope, people[pk][1])]
    if outside:
        raise ValidationError(
            _("无权为以下帮扶对象安排结对：%(names)s") % {"names": _names(outside)}
        )
    inactive = [
        people[pk][0]
        for pk in needy_ids
        if people[pk][2] != NeedyStatus.ACTIVE or people[pk][3] is not None
    ]
    if inactive:
        raise ValidationError(
            _("以下人员不是在册帮扶对象，不能结对：%(names)s") % {"names": _names(inactive)}
        )
    taken: set[int] = set()
    for chunk in _chunks(needy_ids):
        taken.update(
            Pairing.objects.filter(needy_id__in=chunk, state__in=OPEN_STATES).values_list(
                "needy_id", flat=True
            )
        )
    if taken:
        raise ValidationError(
            _("以下帮扶对象已有结对，不能重复结对：%(names)s")
            % {"names": _names([people[pk][0] for pk in needy_ids if pk in taken])}
        )
    branch_ids = sorted({int(r[1]) for r in rows})
    branches: dict[int, str] = {}
    for chunk in _chunks(branch_ids):
        branches.update(
            Organization.objects.filter(
                pk__in=chunk, org_type__in=PAIRING_BRANCH_TYPES, abolished_on__isnull=True
            ).values_list("pk", "path")
        )
    bad = [pk for pk in branch_ids if pk not in branches or not _within(scope, branches[pk])]
    if bad:
        raise ValidationError(
            _("以下编号不是您范围内的党支部：%(ids)s") % {"ids": "、".join(map(str, bad[:10]))}
        )
    now, today, user = timezone.now(), clock.today(), actor_user(actor)
    note = (note or "").strip()[:200]
    pairings = [
        Pairing(
            needy_id=needy,
            branch_id=branch,
            distance_m=distance,
            path=people[needy][1],
            branch_path=branches[branch],
            state=PairingState.CONFIRMED,
            source=PairingSource.PLAN,
            plan_id=plan_id,
            started_on=today,
            note=note,
            created_by=user,
            created_at=now,
            updated_at=now,
        )
        for needy, branch, distance in ((int(r[0]), int(r[1]), r[2]) for r in rows)
    ]
    try:
        with transaction.atomic():
            Pairing.objects.bulk_create(pairings, batch_size=2000)
    except IntegrityError as exc:  # a concurrent write paired one of them meanwhile
        raise ValidationError(_("部分帮扶对象刚刚已被结对，请重新生成结对方案")) from exc
    created = Pairing.objects.filter(plan_id=plan_id, created_at=now)
    set_paired_paths(created)
    _audit_bulk(actor, created, note=_("结对方案 %(plan)s") % {"plan": plan_id})
    audit.record(
        actor=actor,
        verb="create",
        object_type=Pairing._meta.label_lower,
        object_id=str(plan_id),
        object_repr=_("结对方案 %(plan)s：%(n)d 对") % {"plan": plan_id, "n": len(pairings)},
        org_path=tree.common_path(people[pk][1] for pk in needy_ids),
        note=note or _("按结对方案确认结对"),
    )
    return len(pairings)


def _chunks(ids: Sequence[int], size: int = 5000) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


def set_paired_paths(pairings: QuerySet[Pairing]) -> int:
    """Set the ``paired_path`` of the people of ``pairings`` (confirmed ones) to their
    confirmed pairing's branch: one UPDATE, whatever their number (a plan, the demo data)."""
    branch_path = Pairing.objects.filter(needy=OuterRef("pk"), state=PairingState.CONFIRMED).values(
        "branch_path"
    )[:1]
    return NeedyPerson.objects.filter(
        pk__in=pairings.filter(state=PairingState.CONFIRMED).values("needy_id")
    ).update(paired_path=Subquery(branch_path))


def _audit_bulk(actor: Actor, pairings: QuerySet[Pairing], *, note: str) -> None:
    """One audit row per created pairing, in bulk (``audit.record`` writes one at a time)."""
    user = actor_user(actor)
    label = Pairing._meta.label_lower
    rows = [
        AuditEvent(
            actor=user,
            actor_repr=str(user or actor or "system")[:150],
            verb="create",
            object_type=label,
            object_id=str(pk),
            object_repr=f"{needy_id}→{branch_id}",
            org_path=path,
            changes={
                "needy": [None, needy_id],
                "branch": [None, branch_id],
                "state": [None, PairingState.CONFIRMED],
                "paired_path": [None, branch_path],
            },
            note=note[:500],
        )
        for pk, needy_id, branch_id, path, branch_path in pairings.values_list(
            "pk", "needy_id", "branch_id", "path", "branch_path"
        ).iterator(chunk_size=5000)
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=2000)


# ----- an organisation and a residential area or two-new organisation ----------------------


def _check_unit_pair(actor: Actor, org: Organization, partner: Organization) -> str:
    require(actor, Action.CHANGE, org.path, _("无权为该党组织安排结对"))
    if org.pk == partner.pk:
        raise ValidationError({"partner": _("不能与本组织结对")})
    if org.is_abolished:
        raise ValidationError({"org": _("该党组织已撤销")})
    if partner.is_abolished:
        raise ValidationError({"partner": _("结对对象已撤销")})
    kind = partner_kind_of(partner.sector)
    if kind is None:
        raise ValidationError(
            {"partner": _("结对对象应为居民区党组织或两新组织（非公有制企业、新社会组织）")}
        )
    if UnitPairing.objects.filter(org=org, partner=partner, state__in=OPEN_STATES).exists():
        raise ValidationError({"partner": _("这两个组织已有结对，不能重复结对")})
    return kind


@transaction.atomic
def unit_pairing_propose(
    *, actor: Actor, org: Organization, partner: Organization, note: str = ""
) -> UnitPairing:
    """Propose pairing a unit's party organisation with a residential area's organisation or a
    two-new organisation (S26); either side confirms."""
    kind = _check_unit_pair(actor, org, partner)
    now = timezone.now()
    pairing = UnitPairing(
        org=org,
        partner=partner,
        partner_kind=kind,
        path=org.path,
        partner_path=partner.path,
        state=PairingState.PROPOSED,
        source=PairingSource.MANUAL,
        note=(note or "").strip()[:200],
        created_by=actor_user(actor),
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError as exc:
        raise ValidationError({"partner": _("这两个组织已有结对，不能重复结对")}) from exc
    audit.record(
        actor=actor,
        verb="create",
        obj=pairing,
        org_path=pairing.path,
        after=audit.snapshot(pairing, UNIT_FIELDS),
    )
    return pairing


@transaction.atomic
def unit_pairing_confirm(
    *, actor: Actor, pairing: UnitPairing, on: dt.date | None = None
) -> UnitPairing:
    return _move(
        actor,
        pairing,
        "confirm",
        _("确认结对"),
        state=PairingState.CONFIRMED,
        started_on=on or clock.today(),
    )


@transaction.atomic
def unit_pairing_end(
    *, actor: Actor, pairing: UnitPairing, reason: str, on: dt.date | None = None
) -> UnitPairing:
    return _end(actor, pairing, reason, on)
