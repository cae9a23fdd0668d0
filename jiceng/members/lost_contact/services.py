"""Writes for lost-contact cases (S13): contacts recorded, cases opened, search attempts, and
the outcomes (found and re-linked, found and transferred, membership stopped, restored,
cancelled). Every write is checked against ``rules`` and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, Actor, actor_name, actor_user, can, require
from jiceng.members.models import Member
from jiceng.members.transfers import services as transfer_services
from jiceng.orgs.models import Organization

from .models import ContactRecord, LastContact, LostContactAttempt, LostContactCase
from .rules import (
    ACTIVE_STATES,
    CaseAction,
    CaseError,
    CaseState,
    CaseTransitionError,
    ContactChannel,
    candidate_cutoff,
    restore_allowed_until,
    stop_allowed_from,
    transition_for,
)

CASE_FIELDS = ("state", "found_on", "stopped_on", "decision_no", "restored_on", "outcome_note")


def _today() -> dt.date:
    return clock.today()


def _require(actor: Actor, member: Member) -> None:
    require(actor, Action.CHANGE, member.home_path, _("无权办理该党员的失联查找"))


def may_attach(actor: Actor, case: LostContactCase) -> bool:
    """Photos and papers of a case's visits: whoever may work the case."""
    return can(actor, Action.CHANGE, case.member_path)


@transaction.atomic
def contact_record(
    *, actor: Actor, member: Member, on: dt.date, channel: str, note: str = ""
) -> ContactRecord:
    """Record a contact (organisational life, dues, check-in); keeps ``LastContact``."""
    _require(actor, member)
    if on > _today():
        raise CaseError({"on": _("联系日期不能晚于今天")})
    record = ContactRecord.objects.create(
        member=member,
        member_path=member.home_path,
        on=on,
        channel=channel,
        recorded_by=actor_user(actor),
        note=note[:200],
    )
    last = LastContact.objects.select_for_update().filter(member=member).first()
    if last is None:
        LastContact.objects.create(member=member, on=on, channel=channel)
    elif on >= last.on:
        last.on, last.channel = on, channel
        last.save(update_fields=["on", "channel"])
    audit.record(
        actor=actor,
        verb="create",
        obj=record,
        org_path=member.home_path,
        after={"member": member.pk, "on": on.isoformat(), "channel": channel},
    )
    return record


def last_contact_of(member: Member) -> dt.date:
    """The member's last recorded contact; with none recorded, their registration on the
    platform (so a roll imported today does not show everyone as lost)."""
    last = LastContact.objects.filter(member=member).values_list("on", flat=True).first()
    if last is not None:
        return last
    return timezone.localdate(member.created_at) if member.created_at else _today()


@transaction.atomic
def cases_open(
    *, actor: Actor, members: Sequence[Member], note: str = "", today: dt.date | None = None
) -> list[LostContactCase]:
    """Open a case for each member, all or nothing: every member must be in the actor's
    scope, on the roll, without a case under way, and out of contact for six months."""
    today = today or _today()
    cutoff = candidate_cutoff(today)
    ids = [m.pk for m in members]
    locked = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=ids)}
    busy = set(
        LostContactCase.objects.filter(member_id__in=ids, state__in=ACTIVE_STATES).values_list(
            "member_id", flat=True
        )
    )
    errors: list[str] = []
    cases = []
    for pk in ids:
        m = locked[pk]
        _require(actor, m)
        last = last_contact_of(m)
        if m.transferred_out_on is not None:
            errors.append(_("%(name)s：组织关系已转出本市") % {"name": mark_name(m.name)})
        elif pk in busy:
            errors.append(
                _("%(name)s：已有正在查找或已停止党籍的案件") % {"name": mark_name(m.name)}
            )
        elif last >= cutoff:
            errors.append(
                _("%(name)s：最近联系日期 %(last)s，未满六个月")
                % {"name": mark_name(m.name), "last": last}
            )
        else:
            cases.append(
                LostContactCase(
                    member=m,
                    member_path=m.home_path,
                    last_contact_on=last,
                    opened_on=today,
                    opened_by=actor_user(actor),
                    outcome_note=note[:300],
                )
            )
    if errors:
        raise CaseError(errors[:20])
    LostContactCase.objects.bulk_create(cases)
    for case in cases:
        audit.record(
            actor=actor,
            verb="create",
            obj=case,
            org_path=case.member_path,
            after={"member": case.member_id, "last_contact_on": str(case.last_contact_on)},
            note="失联党员立案查找",
        )
    return cases


@transaction.atomic
def case_attempt(
    *,
    actor: Actor,
    case: LostContactCase,
    on: dt.date,
    channel: str,
    result: str,
    leads: str = "",
) -> LostContactAttempt:
    """Record a search attempt on a case under way."""
    case = LostContactCase.objects.select_for_update().select_related("member").get(pk=case.pk)
    _require(actor, case.member)
    if case.state != CaseState.SEARCHING:
        raise CaseError(_("该案件已不在查找中，不能再登记查找记录"))
    if on > _today() or on < case.opened_on:
        raise CaseError({"on": _("查找日期应在立案日期与今天之间")})
    attempt = LostContactAttempt.objects.create(
        case=case,
        on=on,
        channel=channel,
        result=result,
        leads=leads[:300],
        actor=actor_user(actor),
        actor_repr=actor_name(actor)[:150],
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=attempt,
        org_path=case.member_path,
        after={"case": case.pk, "on": on.isoformat(), "channel": channel, "result": result},
    )
    return attempt


@transaction.atomic
def case_act(
    *,
    actor: Actor,
    case: LostContactCase,
    action: str,
    on: dt.date | None = None,
    note: str = "",
    decision_no: str = "",
    to_org: Organization | None = None,
    dest_org_name: str = "",
    dest_region: str = "",
) -> LostContactCase:
    """Move a case along ``rules.TRANSITIONS``; refused transitions raise
    ``CaseTransitionError`` (a Chinese message, never a 500)."""
    case = LostContactCase.objects.select_for_update().select_related("member").get(pk=case.pk)
    member = case.member
    _require(actor, member)
    rule = transition_for(action, case.state)
    if rule is None:
        raise CaseTransitionError(action=action, state=case.state)
    today = _today()
    on = on or today
    if on > today:
        raise CaseError({"on": _("日期不能晚于今天")})
    before = audit.snapshot(case, CASE_FIELDS)
    if action in (CaseAction.RELINK, CaseAction.TRANSFER):
        case.found_on = on
        if action == CaseAction.RELINK:
            contact_record(
                actor=actor, member=member, on=on, channel=ContactChannel.RELINKED, note=note
            )
        else:
            case.transfer = transfer_services.transfer_request(
                actor=actor,
                member=member,
                to_org=to_org,
                dest_org_name=dest_org_name,
                dest_region=dest_region,
                reason=note or "失联党员找到后转接组织关系",
            )
            contact_record(
                actor=actor, member=member, on=on, channel=ContactChannel.RELINKED, note=note
            )
    elif action == CaseAction.STOP:
        first = stop_allowed_from(case.opened_on)
        if on < first:
            raise CaseError(
                _("查找满六个月后（%(first)s 起）方可作出停止党籍的处置") % {"first": first}
            )
        if not decision_no.strip():
            raise CaseError({"decision_no": _("请填写处置决定文号")})
        case.stopped_on, case.decision_no = on, decision_no.strip()[:60]
    elif action == CaseAction.RESTORE:
        last = restore_allowed_until(case.stopped_on or on)
        if on > last:
            raise CaseError(_("停止党籍已超过两年（至 %(last)s），不能恢复党籍") % {"last": last})
        case.restored_on = on
        contact_record(
            actor=actor, member=member, on=on, channel=ContactChannel.RELINKED, note=note
        )
    elif action == CaseAction.CANCEL and not note.strip():
        raise CaseError({"note": _("请说明撤销立案的原因")})
    case.state = rule.target
    if note:
        case.outcome_note = note[:300]
    case.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=case,
        org_path=case.member_path,
        before=before,
        after=audit.snapshot(case, CASE_FIELDS),
        note=str(CaseAction(action).label),
    )
    return case
