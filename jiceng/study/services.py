"""Every write of the study ledger (S9): periods and requirements, a session with its
attendance (all or nothing), one more attendance, self-study entered by the member or an
officer, and its confirmation by the branch. Pages, the API, the commands and the demo data
call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, generations
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.members.models import Member
from jiceng.members.selectors import is_own
from jiceng.orgs.models import Organization

from . import totals
from .models import Attendance, SelfStudy, StudyPeriod, StudyRequirement, StudySession
from .rules import (
    AMOUNT_PLACES,
    MAX_AMOUNT,
    MIN_AMOUNT,
    StudyMode,
    in_unit_q,
    mode_expression,
    mode_for_sector,
)

SESSION_FIELDS = ("period", "org", "held_on", "topic", "mode", "amount", "evidence_file")
SELF_FIELDS = ("period", "member", "org", "studied_on", "topic", "mode", "amount")


# ----- helpers ----------------------------------------------------------------------------------
def member_study_unit(member: Member) -> Organization:
    """Where the member studies: the participating unit, else the home unit (S9, S10)."""
    return member.participating_org or member.home_org


def member_mode(member: Member) -> StudyMode:
    """The member's study mode, from the sector of their study unit (S9)."""
    return mode_for_sector(member_study_unit(member).sector)


def _city_path() -> str:
    root = Organization.objects.filter(depth=1).order_by("path").first()
    return root.path if root else ""


def may_set_reference(actor: Actor) -> bool:
    """Whether ``actor`` may set study periods and requirements (what ``_require_city``
    enforces): those who may change the city committee."""
    return actor is None or can(actor, Action.CHANGE, _city_path())


def _require_city(actor: Actor) -> None:
    """Periods and requirements are city-wide reference data: set by those who may change
    the city committee (before the tree exists, ``""`` is in no one's scope but the system's)."""
    require(actor, Action.CHANGE, _city_path(), _("学习周期和学习要求由市委组织部设定"))


def _amount(value: Any, field: str = "amount", *, bounded: bool = True) -> Decimal:
    """A positive amount with at most one decimal; a session or entry within the bounds."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("请填写数字，例如 2 或 1.5")}) from exc
    if not amount.is_finite():
        raise ValidationError({field: _("请填写数字，例如 2 或 1.5")})
    if amount != amount.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)):
        raise ValidationError({field: _("最多保留一位小数，例如 1.5")})
    if amount < MIN_AMOUNT or (bounded and amount > MAX_AMOUNT):
        message = _("数量应在 %(low)s 至 %(high)s") if bounded else _("数量应在 %(low)s 以上")
        raise ValidationError({field: message % {"low": MIN_AMOUNT, "high": MAX_AMOUNT}})
    return amount


def _in_period(period: StudyPeriod, day: dt.date, field: str) -> None:
    if not period.covers(day):
        raise ValidationError(
            {
                field: _("日期应在学习周期“%(name)s”之内（%(start)s 至 %(end)s）")
                % {
                    "name": period.name,
                    "start": f"{period.starts_on:%Y-%m-%d}",
                    "end": f"{period.ends_on:%Y-%m-%d}",
                }
            }
        )


# ----- periods and requirements -----------------------------------------------------------------
@transaction.atomic
def period_create(*, actor: Actor, name: str, starts_on: dt.date, ends_on: dt.date) -> StudyPeriod:
    """A new study period (city-wide reference data)."""
    _require_city(actor)
    period = StudyPeriod(name=(name or "").strip(), starts_on=starts_on, ends_on=ends_on)
    period.full_clean()
    period.save()
    totals.recount_period(period)  # every member counts in a period (issue 22)
    audit.record(
        actor=actor,
        verb="create",
        obj=period,
        after=audit.snapshot(period, ("name", "starts_on", "ends_on")),
    )
    return period


@transaction.atomic
def requirement_set(
    *,
    actor: Actor,
    period: StudyPeriod,
    mode: str,
    required_amount: Decimal | str | int,
    source_note: str,
    sector: str = "",
    org_type: str = "",
) -> StudyRequirement:
    """Set (create or change) the requirement of ``period`` for one mode and scope."""
    _require_city(actor)
    if mode not in StudyMode.values:
        raise ValidationError({"mode": _("请选择学课制或学分制")})
    row = StudyRequirement.objects.filter(
        period=period, mode=mode, sector=sector, org_type=org_type
    ).first()
    before = audit.snapshot(row, ("required_amount", "source_note")) if row else None
    if row is None:
        row = StudyRequirement(period=period, mode=mode, sector=sector, org_type=org_type)
    row.required_amount = _amount(required_amount, "required_amount", bounded=False)
    row.source_note = (source_note or "").strip()
    row.full_clean()
    row.save()
    totals.recount_period(period)
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=row,
        before=before,
        after=audit.snapshot(row, ("required_amount", "source_note")),
    )
    return row


# ----- sessions and attendance ------------------------------------------------------------------
def _attendance_pairs(attendance: Iterable[Any]) -> list[tuple[int, bool]]:
    """Normalise ``[(member_id, present), …]`` (or dicts with those keys); reject repeats."""
    pairs: list[tuple[int, bool]] = []
    seen: set[int] = set()
    raw_id: Any
    for item in attendance:
        if isinstance(item, dict):
            raw_id, present = item.get("member_id"), item.get("present", True)
        else:
            raw_id, present = item
        try:
            member_id = int(raw_id)
        except (TypeError, ValueError) as exc:
            message = _("党员编号“%(id)s”无效") % {"id": raw_id}
            raise ValidationError({"attendance": message}) from exc
        if member_id in seen:
            raise ValidationError(
                {"attendance": _("党员（编号 %(id)s）重复登记") % {"id": member_id}}
            )
        seen.add(member_id)
        pairs.append((member_id, bool(present)))
    if not pairs:
        raise ValidationError({"attendance": _("请登记本次学习的出勤（至少一名党员）")})
    if not any(p for _m, p in pairs):
        raise ValidationError({"attendance": _("没有党员出席：请至少勾选一名出席的党员")})
    return pairs


def _attendees(org: Organization, mode: str, ids: list[int]) -> dict[int, Member]:
    """The unit's members among ``ids``; refuses anyone else, naming them."""
    rows = (
        Member.objects.on_roll()
        .filter(in_unit_q(org.path), pk__in=ids)
        .annotate(study_mode=mode_expression())
        .only("id", "name", "home_path")
    )
    found = {m.pk: m for m in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        shown = "、".join(str(i) for i in missing[:10])
        raise ValidationError(
            {
                "attendance": _("以下党员不在%(unit)s参加学习，不能登记出勤：编号 %(ids)s")
                % {"unit": org.name, "ids": shown}
            }
        )
    other = [mark_name(m.name) for m in found.values() if m.study_mode != mode]  # type: ignore[attr-defined]
    if other:
        label = StudyMode(mode).label
        raise ValidationError(
            {
                "attendance": _("以下党员不按%(mode)s计量，请在其所在单位登记：%(names)s")
                % {"mode": label, "names": "、".join(other[:10])}
            }
        )
    return found


@transaction.atomic
def session_record(
    *,
    actor: Actor,
    period: StudyPeriod,
    org: Organization,
    held_on: dt.date,
    topic: str,
    amount: Decimal | str | int,
    attendance: Iterable[Any],
    evidence: str = "",
    evidence_file: str = "",
) -> StudySession:
    """Record a session of ``org`` with the attendance of its members, all or nothing.

    ``attendance`` is ``[(member_id, present), …]`` (or ``{"member_id", "present"}`` dicts);
    every member must study in the unit's subtree under the unit's mode (S9); a member listed
    twice, an outsider, or no one present refuses the whole session.
    """
    require(actor, Action.CHANGE, org.path, _("无权为该组织登记学习"))
    session = StudySession(
        period=period,
        org=org,
        org_path=org.path,
        held_on=held_on,
        topic=(topic or "").strip(),
        mode=mode_for_sector(org.sector),
        amount=_amount(amount),
        evidence=(evidence or "").strip(),
        evidence_file=(evidence_file or "").strip(),
        recorded_by=actor_user(actor),
    )
    session.full_clean(exclude=["org_path", "recorded_by"])
    _in_period(period, held_on, "held_on")
    pairs = _attendance_pairs(attendance)
    members = _attendees(org, session.mode, [m for m, _p in pairs])
    session.save()
    Attendance.objects.bulk_create(
        Attendance(session=session, member_id=m, member_path=members[m].home_path, present=p)
        for m, p in pairs
    )
    totals.members_changed(m for m, _p in pairs)
    present = [m for m, p in pairs if p]
    after = audit.snapshot(session, SESSION_FIELDS)
    after.update(present=present, absent=[m for m, p in pairs if not p])
    audit.record(
        actor=actor,
        verb="create",
        obj=session,
        org_path=session.org_path,
        after=after,
        note=f"出席 {len(present)} 人，缺席 {len(pairs) - len(present)} 人",
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return session


@transaction.atomic
def attendance_add(
    *, actor: Actor, session: StudySession, member: Member, present: bool = True
) -> Attendance:
    """Add one member's attendance to a recorded session; a second row for the same member
    is refused."""
    require(actor, Action.CHANGE, session.org_path, _("无权为该组织登记学习"))
    _attendees(session.org, session.mode, [member.pk])
    row = Attendance(session=session, member=member, member_path=member.home_path, present=present)
    row.full_clean(exclude=["member_path"])
    row.save()
    totals.members_changed([member.pk])
    audit.record(
        actor=actor,
        verb="create",
        obj=row,
        org_path=session.org_path,
        after={"session": session.pk, "member": member.pk, "present": present},
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return row


# ----- self-study -------------------------------------------------------------------------------
@transaction.atomic
def selfstudy_record(
    *,
    actor: Actor,
    member: Member,
    period: StudyPeriod,
    studied_on: dt.date,
    topic: str,
    amount: Decimal | str | int,
    evidence: str = "",
) -> SelfStudy:
    """A self-study entry, by the member themselves or by an officer of their unit. An
    officer who may confirm it (the branch) confirms it in the same step; the member's own
    entry waits for the branch."""
    unit = member_study_unit(member)
    if not is_own(actor, member):
        require(actor, Action.CHANGE, unit.path, _("无权为该党员登记自学"))
    if member.transferred_out_on is not None:
        raise ValidationError(_("该党员的组织关系已转出本市"))
    entry = SelfStudy(
        period=period,
        member=member,
        member_path=member.home_path,
        org=unit,
        org_path=unit.path,
        studied_on=studied_on,
        topic=(topic or "").strip(),
        mode=mode_for_sector(unit.sector),
        amount=_amount(amount),
        evidence=(evidence or "").strip(),
        recorded_by=actor_user(actor),
    )
    entry.full_clean(exclude=["member_path", "org_path", "recorded_by", "confirmed_by"])
    _in_period(period, studied_on, "studied_on")
    if studied_on > clock.today():
        raise ValidationError({"studied_on": _("不能登记今后日期的自学")})
    confirm = not is_own(actor, member) and (actor is None or can(actor, Action.CHANGE, unit.path))
    if confirm:
        entry.confirmed_by = entry.recorded_by
        entry.confirmed_at = timezone.now()
    entry.save()
    if confirm:
        totals.members_changed([member.pk])
    audit.record(
        actor=actor,
        verb="create",
        obj=entry,
        org_path=entry.org_path,
        after=audit.snapshot(entry, SELF_FIELDS),
        note="本人登记，待支部确认" if not confirm else "支部登记并确认",
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return entry


@transaction.atomic
def selfstudy_confirm(*, actor: Actor, entry: SelfStudy) -> SelfStudy:
    """The branch confirms a member's self-study; only then does it count."""
    entry = SelfStudy.objects.select_for_update().select_related("member").get(pk=entry.pk)
    require(actor, Action.CHANGE, entry.org_path, _("只有党员所在支部可以确认自学记录"))
    if is_own(actor, entry.member):
        raise PermissionDenied(_("不能确认本人的自学记录"))
    if entry.confirmed_at is not None:
        raise ValidationError(_("该自学记录已确认"))
    entry.confirmed_by = actor_user(actor)
    entry.confirmed_at = timezone.now()
    entry.save(update_fields=["confirmed_by", "confirmed_at"])
    totals.members_changed([entry.member_id])
    audit.record(
        actor=actor,
        verb="update",
        obj=entry,
        org_path=entry.org_path,
        before={"confirmed": False},
        after={"confirmed": True},
        note="确认自学记录",
    )
    generations.bump(generations.MEMBER_ACTIVITY)
    return entry
