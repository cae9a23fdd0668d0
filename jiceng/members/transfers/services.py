"""Every write of a transfer of organisational relationship (组织关系转接).

One function per action of ``rules.TRANSITIONS``, all through ``_transition``, which
locks the row, checks the table and the actor's side, writes the new state, a
``TransferEvent`` and an audit row in one transaction. Only ``_complete`` changes the member
(``home_org``/``home_path``, or ``transferred_out_on`` for a move out of the city), so the
counts at both ends change on completion and not before; until then the sending
organisation stays responsible for the member.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, CharField, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.scoping import Action, Actor, actor_name, actor_user, can, require
from jiceng.members.models import Member
from jiceng.orgs import tallies
from jiceng.orgs.models import RECEIVING_TYPES, Organization

from .models import LetterCounter, Transfer, TransferEvent
from .rules import (
    LETTER_VALID_DAYS_IN_CITY,
    LETTER_VALID_DAYS_OUT_OF_CITY,
    USER_ACTIONS,
    NotYourSideError,
    Side,
    TransferAction,
    TransferError,
    TransferKind,
    TransferState,
    Transition,
    TransitionNotAllowedError,
    action_params,
    transitions_for,
)

CITY_DISTRICT_CODE = "310000"  # letters of units outside any district (sector committees)
AUDITED = (
    "state",
    "kind",
    "from_org",
    "to_org",
    "dest_org_name",
    "dest_region",
    "letter_no",
    "dues_paid_to",
    "valid_days",
    "valid_until",
    "received_on",
    "receipt_note",
    "closed_reason",
)
MEMBER_AUDITED = ("home_org", "participating_org", "transferred_out_on")
BULK_CHUNK = 2000


def _today() -> dt.date:
    return clock.today()


def _snapshot(t: Transfer) -> dict:
    return audit.snapshot(t, AUDITED)


def side_of(actor: Actor, t: Transfer, side: str) -> bool:
    """Whether ``actor`` acts for ``side`` of ``t`` (``None`` is the system: every side)."""
    if side == Side.SYSTEM:
        return actor is None
    if actor is None:
        return True
    path = t.from_path if side == Side.SENDING else t.to_path
    return bool(path) and can(actor, Action.CHANGE, path)


def check_transition(actor: Actor, t: Transfer, action: str) -> Transition:
    """The table row that lets ``actor`` do ``action`` on ``t`` now, or a typed error."""
    rows = transitions_for(action, t.state, t.kind)
    if not rows:
        raise TransitionNotAllowedError(action=action, state=t.state, kind=t.kind)
    for row in rows:
        if side_of(actor, t, row.side):
            return row
    raise NotYourSideError(action=action)


def available_actions(actor: Actor, t: Transfer) -> list[str]:
    """The actions ``actor`` may take on ``t`` now: the buttons of the pages and the
    ``actions`` of the API, decided by the same check the services make."""
    out = []
    for action in USER_ACTIONS:
        try:
            check_transition(actor, t, action)
        except (TransferError, NotYourSideError):
            continue
        out.append(str(action))
    return out


def require_sending_side(actor: Actor, member: Member) -> None:
    """Only the member's home organisation (the sending side) opens a transfer."""
    require(actor, Action.CHANGE, member.home_path, _("只有党员组织关系所在党组织可以申请转出"))


def _event(
    t: Transfer, action: str, from_state: str, actor: Actor, note: str = ""
) -> TransferEvent:
    return TransferEvent(
        transfer=t,
        action=action,
        from_state=from_state,
        to_state=t.state,
        actor=actor_user(actor),
        actor_repr=actor_name(actor)[:150],
        note=note[:200],
    )


def _transition(
    *, actor: Actor, transfer: Transfer, action: str, note: str = "", **updates: Any
) -> Transfer:
    t = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("to_org", "member")
        .get(pk=transfer.pk)
    )
    row = check_transition(actor, t, action)
    before = _snapshot(t)
    from_state = t.state
    for key, value in updates.items():
        setattr(t, key, value)
    t.state = row.target
    if row.target == TransferState.DONE:
        _complete(actor=actor, transfer=t)
    t.save()
    _event(t, action, from_state, actor, note).save()
    audit.record(
        actor=actor,
        verb="update",
        obj=t,
        object_repr=f"{t.member.name} 组织关系转接",
        org_path=t.to_path if row.side == Side.RECEIVING else t.from_path,
        before=before,
        after=_snapshot(t),
        note=f"{TransferAction(action).label}{'：' + note if note else ''}",
    )
    return t


def _complete(*, actor: Actor, transfer: Transfer) -> None:
    """Move the member's relationship: the only place a transfer changes the member."""
    t = transfer
    member = Member.objects.select_for_update().get(pk=t.member_id)
    before = audit.snapshot(member, MEMBER_AUDITED)
    units_before = [member.home_org_id, member.participating_org_id]
    today = _today()
    t.received_on = t.received_on or today
    if t.kind == TransferKind.IN_CITY:
        target = Organization.objects.get(pk=t.to_org_id)
        if target.is_abolished:
            raise TransferError(_("接收党组织已撤销，请退回后重新申请转接"))
        old_home = member.home_org_id
        member.home_org = target
        member.home_path = target.path
        t.to_path = target.path
        # S10: a member takes part where the relationship lies unless placed elsewhere nearby.
        if member.participating_org_id in (None, old_home):
            member.participating_org = target
            member.participating_path = target.path
    else:
        member.transferred_out_on = t.received_on
        member.participating_org = None
        member.participating_path = ""
    member.save(
        update_fields=[
            "home_org",
            "home_path",
            "participating_org",
            "participating_path",
            "transferred_out_on",
            "updated_at",
        ]
    )
    tallies.units_changed([*units_before, member.home_org_id, member.participating_org_id])
    audit.record(
        actor=actor,
        verb="move",
        obj=member,
        org_path=t.from_path,
        before=before,
        after=audit.snapshot(member, MEMBER_AUDITED),
        note=f"组织关系转接完成（转接 {t.pk}）",
    )


# ----- request ------------------------------------------------------------------------------


def _check_target(member: Member, to_org: Organization) -> None:
    if to_org.is_abolished:
        raise ValidationError({"to_org": _("接收党组织已撤销")})
    if to_org.org_type not in RECEIVING_TYPES:
        raise ValidationError({"to_org": _("接收党组织须为党支部、联合支部或党总支")})
    if to_org.pk == member.home_org_id:
        raise ValidationError({"to_org": _("接收党组织与现组织关系所在党组织相同")})


def _check_member(member: Member) -> None:
    if member.transferred_out_on is not None:
        raise ValidationError(_("该党员的组织关系已转出本市"))
    if Transfer.objects.open().filter(member=member).exists():
        raise ValidationError(_("该党员已有未办结的组织关系转接"))


@transaction.atomic
def transfer_request(
    *,
    actor: Actor,
    member: Member,
    to_org: Organization | None = None,
    dest_org_name: str = "",
    dest_region: str = "",
    reason: str = "",
) -> Transfer:
    """Open a transfer of ``member``'s relationship: to ``to_org`` within the city, or to the
    named organisation outside it. Made by the sending side (the member's home organisation)."""
    member = (
        Member.objects.select_for_update(of=("self",)).select_related("home_org").get(pk=member.pk)
    )
    require_sending_side(actor, member)
    _check_member(member)
    if to_org is not None:
        _check_target(member, to_org)
        kind = TransferKind.IN_CITY
        dest_org_name = dest_region = ""
    else:
        dest_org_name, dest_region = dest_org_name.strip(), dest_region.strip()
        if not dest_org_name or not dest_region:
            raise ValidationError(
                {"dest_org_name": _("转出本市须填写接收党组织名称和所在省市（地区）")}
            )
        kind = TransferKind.OUT_OF_CITY
    t = Transfer(
        member=member,
        kind=kind,
        state=TransferState.REQUESTED,
        from_org=member.home_org,
        from_path=member.home_path,
        to_org=to_org,
        to_path=to_org.path if to_org else "",
        dest_org_name=dest_org_name,
        dest_region=dest_region,
        reason=reason.strip()[:200],
        requested_by=actor_user(actor),
    )
    t.full_clean(exclude=["member", "from_org", "to_org", "requested_by"])
    t.save()
    _event(t, TransferAction.REQUEST, "", actor, t.reason).save()
    audit.record(
        actor=actor,
        verb="create",
        obj=t,
        object_repr=f"{member.name} 组织关系转接",
        org_path=t.from_path,
        after=_snapshot(t),
        note=t.reason,
    )
    return t


# ----- transitions --------------------------------------------------------------------------


@transaction.atomic
def transfer_approve(*, actor: Actor, transfer: Transfer, note: str = "") -> Transfer:
    """The sending side approves the request."""
    return _transition(actor=actor, transfer=transfer, action=TransferAction.APPROVE, note=note)


def letter_district_code(org: Organization) -> str:
    return org.district_id or CITY_DISTRICT_CODE


def next_letter_numbers(district_code: str, year: int, n: int = 1) -> list[str]:
    """``n`` new introduction-letter numbers, unique per district and year: the counter row
    is locked while the numbers are taken (call inside a transaction)."""
    LetterCounter.objects.get_or_create(district_code=district_code, year=year)
    counter = LetterCounter.objects.select_for_update().get(district_code=district_code, year=year)
    first = counter.last + 1
    counter.last += n
    counter.save(update_fields=["last"])
    return [format_letter_no(district_code, year, seq) for seq in range(first, first + n)]


def format_letter_no(district_code: str, year: int, seq: int) -> str:
    """The printed letter number: district code, year, sequence in the year.

    >>> format_letter_no("310101", 2005, 12)
    '310101-2005-00012'
    """
    return f"{district_code}-{year}-{seq:05d}"


def default_valid_days(kind: str) -> int:
    return (
        LETTER_VALID_DAYS_IN_CITY if kind == TransferKind.IN_CITY else LETTER_VALID_DAYS_OUT_OF_CITY
    )


def _letter_fields(
    kind: str, dues_paid_to: dt.date, valid_days: int | None, today: dt.date
) -> dict[str, Any]:
    days = valid_days or default_valid_days(kind)
    if not 1 <= days <= 180:
        raise ValidationError({"valid_days": _("有效期应在 1 至 180 天之间")})
    dues = dues_paid_to.replace(day=1)
    if dues > today:
        raise ValidationError({"dues_paid_to": _("党费交至月份不能晚于本月")})
    return {
        "dues_paid_to": dues,
        "valid_days": days,
        "issued_on": today,
        "valid_until": today + dt.timedelta(days=days),
    }


@transaction.atomic
def transfer_issue(
    *,
    actor: Actor,
    transfer: Transfer,
    dues_paid_to: dt.date | None = None,
    valid_days: int | None = None,
    note: str = "",
) -> Transfer:
    """The sending side issues the introduction letter: a new letter number (unique per
    district and year), dues paid up to a month (required), valid for ``valid_days``
    (default by kind)."""
    if dues_paid_to is None:
        raise ValidationError({"dues_paid_to": _("请填写党费交至年月")})
    t = Transfer.objects.select_related("from_org").get(pk=transfer.pk)
    check_transition(actor, t, TransferAction.ISSUE)
    today = _today()
    fields = _letter_fields(t.kind, dues_paid_to, valid_days, today)
    (letter_no,) = next_letter_numbers(letter_district_code(t.from_org), today.year)
    return _transition(
        actor=actor,
        transfer=t,
        action=TransferAction.ISSUE,
        note=note or letter_no,
        letter_no=letter_no,
        **fields,
    )


@transaction.atomic
def transfer_dispatch(*, actor: Actor, transfer: Transfer, note: str = "") -> Transfer:
    """The letter has left the sending side (handed to the member or sent)."""
    return _transition(actor=actor, transfer=transfer, action=TransferAction.DISPATCH, note=note)


@transaction.atomic
def transfer_confirm(*, actor: Actor, transfer: Transfer, note: str = "") -> Transfer:
    """The receiving side (within the city) confirms: the receipt goes back and the member's
    relationship moves now."""
    return _transition(
        actor=actor, transfer=transfer, action=TransferAction.CONFIRM, note=note, receipt_note=note
    )


@transaction.atomic
def transfer_record_receipt(
    *, actor: Actor, transfer: Transfer, received_on: dt.date | None = None, note: str = ""
) -> Transfer:
    """The sending side records the receipt of an organisation outside the city; the member is
    transferred out of the city now."""
    on = received_on or _today()
    if on > _today():
        raise ValidationError({"received_on": _("回执日期不能晚于今天")})
    return _transition(
        actor=actor,
        transfer=transfer,
        action=TransferAction.RECORD_RECEIPT,
        note=note,
        received_on=on,
        receipt_note=note,
    )


@transaction.atomic
def transfer_reject(*, actor: Actor, transfer: Transfer, reason: str) -> Transfer:
    """Either side sends the transfer back (with a reason); the member stays where they are."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因")})
    return _transition(
        actor=actor,
        transfer=transfer,
        action=TransferAction.REJECT,
        note=reason,
        closed_reason=reason,
    )


@transaction.atomic
def transfer_withdraw(*, actor: Actor, transfer: Transfer, reason: str = "") -> Transfer:
    """The sending side withdraws the transfer before the receipt."""
    return _transition(
        actor=actor,
        transfer=transfer,
        action=TransferAction.WITHDRAW,
        note=reason,
        closed_reason=reason.strip(),
    )


_HANDLERS: dict[str, Callable[..., Transfer]] = {
    TransferAction.APPROVE: transfer_approve,
    TransferAction.ISSUE: transfer_issue,
    TransferAction.DISPATCH: transfer_dispatch,
    TransferAction.CONFIRM: transfer_confirm,
    TransferAction.RECORD_RECEIPT: transfer_record_receipt,
    TransferAction.REJECT: transfer_reject,
    TransferAction.WITHDRAW: transfer_withdraw,
}


def transfer_act(*, actor: Actor, transfer: Transfer, action: str, **given: Any) -> Transfer:
    """Run one officer's action by name (pages and API), with the parameters it takes
    (``rules.ACTION_PARAMS``; the rest of ``given`` is ignored). Errors are typed alike."""
    handler = _HANDLERS.get(action)
    if handler is None:
        raise TransitionNotAllowedError(action=action, state=transfer.state, kind=transfer.kind)
    return handler(actor=actor, transfer=transfer, **action_params(action, given))


# ----- expiry -------------------------------------------------------------------------------


@transaction.atomic
def transfers_expire(*, today: dt.date | None = None) -> int:
    """Close every letter whose validity has passed (run daily: ``manage.py
    expire_transfers``). The member stays with the sending organisation."""
    today = today or _today()
    rows = list(
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(state__in=(TransferState.LETTER_ISSUED, TransferState.IN_TRANSIT))
        .filter(valid_until__lt=today)
    )
    for t in rows:
        _transition(actor=None, transfer=t, action=TransferAction.EXPIRE, note=str(t.valid_until))
    return len(rows)


# ----- bulk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    batch: uuid.UUID
    count: int
    completed: bool


def _chunks(seq: Sequence[Any], n: int = BULK_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _bulk_errors(
    actor: Actor, moves: Sequence[tuple[Member, Organization]], complete: bool
) -> list[str]:
    errors: list[str] = []
    ids = [m.pk for m, _t in moves]
    dup = {pk for pk, n in Counter(ids).items() if n > 1}
    busy: set[int] = set()
    for chunk in _chunks(ids):
        busy |= set(
            Transfer.objects.open().filter(member_id__in=chunk).values_list("member_id", flat=True)
        )
    for member, target in moves:
        names = {"member": f"{member.name}（{member.pk}）", "target": target.name}
        if member.pk in dup:
            errors.append(_("%(member)s：名单中重复出现") % names)
        elif member.pk in busy:
            errors.append(_("%(member)s：已有未办结的组织关系转接") % names)
        elif member.transferred_out_on is not None:
            errors.append(_("%(member)s：组织关系已转出本市") % names)
        elif actor is not None and not can(actor, Action.CHANGE, member.home_path):
            errors.append(_("%(member)s：不在您的管理范围内") % names)
        elif target.is_abolished or target.org_type not in RECEIVING_TYPES:
            errors.append(_("%(member)s：接收党组织 %(target)s 不能接收组织关系") % names)
        elif target.pk == member.home_org_id:
            errors.append(_("%(member)s：接收党组织与现所在党组织相同") % names)
        elif complete and actor is not None and not can(actor, Action.CHANGE, target.path):
            errors.append(
                _("%(member)s：接收党组织 %(target)s 不在您的管理范围内，不能直接完成") % names
            )
    return errors


@transaction.atomic
def transfer_bulk(
    *,
    actor: Actor,
    moves: Sequence[tuple[Member, Organization]],
    reason: str = "",
    complete: bool = False,
    dues_paid_to: dt.date | None = None,
) -> BulkResult:
    """Transfer many members, each to its target, as one audited all-or-nothing operation
    (S17: entrusted members' relationships moved to the nearest branch).

    Every member is checked first; one problem refuses the whole list. With ``complete`` the
    actor holds both sides (e.g. a city or district adjustment) and the relationships move at
    once; otherwise the actor approves and issues the letters as the sending side and each
    transfer waits for its receiving side to confirm. No per-row queries: bulk inserts and
    updates in chunks.
    """
    if not moves:
        raise ValidationError(_("名单为空"))
    errors = _bulk_errors(actor, moves, complete)
    if errors:
        more = _("（另有 %(n)s 条）") % {"n": len(errors) - 20} if len(errors) > 20 else ""
        raise ValidationError([*errors[:20], *([more] if more else [])])
    today = _today()
    batch = uuid.uuid4()
    user, who = actor_user(actor), actor_name(actor)[:150]
    reason = reason.strip()[:200]
    letter: dict[str, Any] = {}
    numbers: dict[str, list[str]] = {}
    if not complete:
        letter = _letter_fields(
            TransferKind.IN_CITY, dues_paid_to or today.replace(day=1), None, today
        )
        per_district = Counter(letter_district_code(m.home_org) for m, _t in moves)
        numbers = {
            code: next_letter_numbers(code, today.year, n) for code, n in per_district.items()
        }
    state = TransferState.DONE if complete else TransferState.LETTER_ISSUED
    transfers = []
    for member, target in moves:
        t = Transfer(
            member=member,
            kind=TransferKind.IN_CITY,
            state=state,
            from_org_id=member.home_org_id,
            from_path=member.home_path,
            to_org=target,
            to_path=target.path,
            reason=reason,
            batch=batch,
            requested_by=user,
            received_on=today if complete else None,
            **letter,
        )
        if not complete:
            t.letter_no = numbers[letter_district_code(member.home_org)].pop(0)
        transfers.append(t)
    Transfer.objects.bulk_create(transfers, batch_size=BULK_CHUNK)  # sets pks (RETURNING)
    steps = [
        (TransferAction.REQUEST, "", TransferState.REQUESTED),
        (TransferAction.APPROVE, TransferState.REQUESTED, TransferState.APPROVED),
    ] + (
        [(TransferAction.CONFIRM, TransferState.APPROVED, TransferState.DONE)]
        if complete
        else [(TransferAction.ISSUE, TransferState.APPROVED, TransferState.LETTER_ISSUED)]
    )
    note = f"批量转接 {batch}"
    TransferEvent.objects.bulk_create(
        (
            TransferEvent(
                transfer_id=t.pk,
                action=action,
                from_state=src,
                to_state=dst,
                actor=user,
                actor_repr=who,
                note=note,
            )
            for t in transfers
            for action, src, dst in steps
        ),
        batch_size=BULK_CHUNK,
    )
    if complete:
        _move_members(moves)
    targets = Counter(target.name for _m, target in moves)
    audit.record(
        actor=actor,
        verb="move" if complete else "create",
        object_type="members.transferbatch",
        object_id=str(batch),
        object_repr=f"批量组织关系转接 {len(moves)} 人",
        org_path=tree.common_path([m.home_path for m, _t in moves]),
        after={
            "count": len(moves),
            "state": state,
            "targets": dict(targets.most_common(50)),
        },
        note=reason,
    )
    return BulkResult(batch=batch, count=len(moves), completed=complete)


def _move_members(moves: Sequence[tuple[Member, Organization]]) -> None:
    """Move members to their targets: one UPDATE per target (and chunk of ids), never per row.
    As in ``_complete``, a member taking part at the old home (or nowhere) takes part at the
    new one; SQL evaluates every SET expression on the row's old values."""
    ids_by_target: dict[int, list[int]] = {}
    targets: dict[int, Organization] = {}
    for member, target in moves:
        ids_by_target.setdefault(target.pk, []).append(member.pk)
        targets[target.pk] = target
    follows_home = Q(participating_org__isnull=True) | Q(participating_org=F("home_org"))
    now = timezone.now()
    for pk, ids in ids_by_target.items():
        target = targets[pk]
        for chunk in _chunks(ids):
            Member.objects.filter(pk__in=chunk).update(
                participating_org=Case(
                    When(follows_home, then=Value(target.pk)),
                    default=F("participating_org"),
                    output_field=IntegerField(),
                ),
                participating_path=Case(
                    When(follows_home, then=Value(target.path)),
                    default=F("participating_path"),
                    output_field=CharField(),
                ),
                home_org=target,
                home_path=target.path,
                updated_at=now,
            )
    tallies.units_changed(
        {pk for m, t in moves for pk in (m.home_org_id, m.participating_org_id, t.pk)}
    )
