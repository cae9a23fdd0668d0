"""Every write of visits (S19: 33 branches made 5,698 visits focused on 1,500 needy families)
and of the needs raised at them: a visit recorded by a member (self-service) or their branch,
confirmed or returned by the branch, corrected and resubmitted; a need followed up until
resolved or closed with its reason. Keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, generations, tree
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.members.models import Member
from jiceng.members.selectors import own_member
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from ..registry.rules import NeedyStatus
from .models import NeedFollowUp, Visit, VisitNeed
from .rules import (
    NEED_TRANSITIONS,
    VISIT_TRANSITIONS,
    NeedKind,
    NeedState,
    TargetKind,
    VisitKind,
    VisitState,
)

# The findings are left out of the audit row: they may tell of a household's health or means.
VISIT_FIELDS = (
    "org",
    "target_kind",
    "needy",
    "target_org",
    "target_name",
    "visited_on",
    "kind",
    "state",
    "reason",
)
NEED_FIELDS = ("state", "closed_on")
NEED_TEXT_MAX = 300


# ----- who may do what with a visit ----------------------------------------------------------


def _is_visitor(actor: Actor, visit: Visit) -> bool:
    user = actor_user(actor)
    return user is not None and visit.visitors.filter(user=user).exists()


def _is_recorder(actor: Actor, visit: Visit) -> bool:
    user = actor_user(actor)
    return user is not None and visit.recorded_by_id == user.pk


@dataclass(frozen=True)
class VisitRights:
    """What an actor may do with a visit now: the pages show these buttons, and the services
    refuse the rest with their own words."""

    confirm: bool  # confirm or return (the branch, not one of the visitors)
    resubmit: bool  # correct and resubmit a returned visit (its recorder, or the branch)


def visit_rights(actor: Actor, visit: Visit, *, is_visitor: bool | None = None) -> VisitRights:
    """What ``actor`` may do with ``visit``; a page of visits passes ``is_visitor`` (from
    ``visits_with_visitor``) to save a query per row."""
    for_branch = actor is None or can(actor, Action.CHANGE, visit.org_path)
    if is_visitor is None:
        is_visitor = _is_visitor(actor, visit)
    confirm = visit.state in VISIT_TRANSITIONS["confirm"] and for_branch and not is_visitor
    resubmit = visit.state in VISIT_TRANSITIONS["resubmit"] and (
        for_branch or _is_recorder(actor, visit)
    )
    return VisitRights(confirm=confirm, resubmit=resubmit)


def visits_with_visitor(actor: Actor, visits: Sequence[Visit]) -> set[int]:
    """Which of ``visits`` the actor took part in (one query for a page of them)."""
    user = actor_user(actor)
    if user is None or not visits:
        return set()
    return set(
        Visit.visitors.through.objects.filter(visit__in=visits, member__user=user).values_list(
            "visit_id", flat=True
        )
    )


def need_may_follow_up(actor: Actor, need: VisitNeed) -> bool:
    """Whether ``actor`` may follow the need up now: change rights where it is placed (the
    street of a needy household, else the visiting unit) while it is still open."""
    open_now = any(need.state in sources for sources in NEED_TRANSITIONS.values())
    return open_now and (actor is None or can(actor, Action.CHANGE, need.path))


# ----- recording -------------------------------------------------------------------------------


def _self_service_member(actor: Actor, org: Organization) -> Member | None:
    """``None`` when the actor records for the branch (change rights over ``org``); else the
    actor's own member record, when ``org`` is their home or participating unit."""
    if actor is None or can(actor, Action.CHANGE, org.path):
        return None
    member = own_member(actor)
    if member is None or org.pk not in (member.home_org_id, member.participating_org_id):
        raise PermissionDenied(_("只能记录本人所在支部的走访，或由支部记录"))
    return member


def _check_visitors(org: Organization, visitors: list[Member]) -> None:
    for member in visitors:
        paths = (member.home_path, member.participating_path or "")
        if not any(tree.within(p, org.path) for p in paths if p):
            raise ValidationError(
                {"visitors": _("%(name)s 不是走访单位的党员") % {"name": member.name}}
            )


def _check_needy(actor: Actor, needy: NeedyPerson, org: Organization, self_service: bool) -> None:
    if needy.status == NeedyStatus.MERGED:
        raise ValidationError({"needy": _("该帮扶对象的记录已合并，请选择保留的记录")})
    if actor is None:
        return
    if self_service:
        # a member visits the needy people paired with their branch
        seen = bool(needy.paired_path) and tree.within(needy.paired_path, org.path)
    else:
        seen = NeedyPerson.objects.visible_to(actor).filter(pk=needy.pk).exists()
    if not seen:
        raise ValidationError({"needy": _("找不到该帮扶对象，或不在您的走访范围内")})


def _clean_needs(needs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for kind, text in needs:
        text = (text or "").strip()
        if not text:
            continue
        if kind not in NeedKind.values:
            raise ValidationError({"needs": _("需求类别不正确")})
        if len(text) > NEED_TEXT_MAX:
            raise ValidationError({"needs": _("每条需求请不超过300字")})
        out.append((kind, text))
    return out


def _check_date(visited_on: dt.date) -> None:
    if visited_on > clock.today():
        raise ValidationError({"visited_on": _("走访日期不能晚于今天")})


@transaction.atomic
def visit_record(
    *,
    actor: Actor,
    org: Organization,
    target_kind: str,
    visited_on: dt.date,
    kind: str,
    findings: str = "",
    needy: NeedyPerson | None = None,
    target_org: Organization | None = None,
    target_name: str = "",
    visitors: Sequence[Member] = (),
    needs: Iterable[tuple[str, str]] = (),
) -> Visit:
    """Record a visit of ``org``'s members (S19): by a member for themselves (self-service,
    their home or participating unit; they are among the visitors) or by the branch. A needy
    target places the visit at their street too (``target_path``), so the street sees it; each
    need raised becomes a ``VisitNeed`` to follow up."""
    member = _self_service_member(actor, org)
    if org.is_abolished:
        raise ValidationError({"org": _("该组织已撤销")})
    visitors = list(dict.fromkeys(visitors))
    if member is not None and member not in visitors:
        visitors.insert(0, member)
    _check_visitors(org, visitors)
    _check_date(visited_on)
    target_name = (target_name or "").strip()
    target_path = ""
    if target_kind == TargetKind.NEEDY:
        if needy is None:
            raise ValidationError({"needy": _("请选择走访的帮扶对象")})
        _check_needy(actor, needy, org, member is not None)
        target_org, target_name, target_path = None, "", needy.path
    elif target_kind == TargetKind.UNIT:
        if target_org is None and not target_name:
            raise ValidationError({"target_name": _("请填写走访的单位")})
        needy = None
    elif target_kind == TargetKind.WORKER:
        if not target_name:
            raise ValidationError({"target_name": _("请填写走访对象的姓名")})
        needy, target_org = None, None
    else:
        raise ValidationError({"target_kind": _("走访对象类型不正确")})
    chosen_needs = _clean_needs(needs)
    now = clock.now()
    visit = Visit(
        org=org,
        org_path=org.path,
        target_kind=target_kind,
        needy=needy,
        target_org=target_org,
        target_name=target_name,
        target_path=target_path,
        visited_on=visited_on,
        kind=kind,
        findings=(findings or "").strip(),
        state=VisitState.RECORDED,
        recorded_by=actor_user(actor),
        recorded_at=now,
    )
    if kind not in VisitKind.values:
        raise ValidationError({"kind": _("走访形式不正确")})
    visit.full_clean(exclude=["org_path", "target_path", "recorded_by"])
    visit.save()
    visit.visitors.set(visitors)
    VisitNeed.objects.bulk_create(
        VisitNeed(
            visit=visit,
            path=target_path or org.path,
            kind=need_kind,
            text=text,
            state=NeedState.OPEN,
            raised_on=visited_on,
        )
        for need_kind, text in chosen_needs
    )
    after = audit.snapshot(visit, VISIT_FIELDS)
    after["visitors"] = [m.pk for m in visitors]
    after["needs"] = len(chosen_needs)
    audit.record(actor=actor, verb="create", obj=visit, org_path=visit.org_path, after=after)
    generations.bump(generations.VISITS)
    return visit


# ----- confirming, returning, resubmitting ----------------------------------------------------


def _locked(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().get(pk=visit.pk)


def _audit_change(actor: Actor, visit: Visit, before: dict[str, Any], note: str = "") -> None:
    audit.record(
        actor=actor,
        verb="update",
        obj=visit,
        org_path=visit.org_path,
        before=before,
        after=audit.snapshot(visit, VISIT_FIELDS),
        note=note,
    )
    generations.bump(generations.VISITS)  # the counts change (state, date)


def _check_confirm(actor: Actor, visit: Visit, action: str) -> None:
    require(actor, Action.CHANGE, visit.org_path, _("只有走访单位（支部）可以确认或退回走访记录"))
    if _is_visitor(actor, visit):
        raise PermissionDenied(_("本人参加的走访须由支部其他负责人确认"))
    if visit.state not in VISIT_TRANSITIONS[action]:
        raise ValidationError(
            _("该走访记录%(state)s，不能再确认或退回") % {"state": visit.get_state_display()}
        )


@transaction.atomic
def visit_confirm(*, actor: Actor, visit: Visit) -> Visit:
    """The branch confirms a recorded visit (never one of its own visitors)."""
    visit = _locked(visit)
    _check_confirm(actor, visit, "confirm")
    before = audit.snapshot(visit, VISIT_FIELDS)
    visit.state = VisitState.CONFIRMED
    visit.reason = ""
    visit.confirmed_by = actor_user(actor)
    visit.confirmed_at = clock.now()
    visit.save(update_fields=["state", "reason", "confirmed_by", "confirmed_at"])
    _audit_change(actor, visit, before)
    return visit


@transaction.atomic
def visit_return(*, actor: Actor, visit: Visit, reason: str) -> Visit:
    """The branch returns a recorded visit to its recorder, saying what to correct."""
    visit = _locked(visit)
    _check_confirm(actor, visit, "return")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因")})
    before = audit.snapshot(visit, VISIT_FIELDS)
    visit.state = VisitState.RETURNED
    visit.reason = reason[:200]
    visit.save(update_fields=["state", "reason"])
    _audit_change(actor, visit, before, note=visit.reason)
    return visit


@transaction.atomic
def visit_resubmit(
    *,
    actor: Actor,
    visit: Visit,
    visited_on: dt.date | None = None,
    kind: str | None = None,
    findings: str | None = None,
) -> Visit:
    """The recorder (or the branch) corrects a returned visit and submits it again; it waits
    for the branch's confirmation anew."""
    visit = _locked(visit)
    if not (
        actor is None or _is_recorder(actor, visit) or can(actor, Action.CHANGE, visit.org_path)
    ):
        raise PermissionDenied(_("只有记录人或走访单位（支部）可以修改后重新提交"))
    if visit.state not in VISIT_TRANSITIONS["resubmit"]:
        raise ValidationError(_("只有被退回的走访记录可以修改后重新提交"))
    before = audit.snapshot(visit, VISIT_FIELDS)
    if visited_on is not None:
        _check_date(visited_on)
        visit.visited_on = visited_on
    if kind:
        if kind not in VisitKind.values:
            raise ValidationError({"kind": _("走访形式不正确")})
        visit.kind = kind
    if findings is not None:
        visit.findings = findings.strip()
    visit.state = VisitState.RECORDED
    visit.reason = ""
    visit.save(update_fields=["visited_on", "kind", "findings", "state", "reason"])
    _audit_change(actor, visit, before)
    return visit


# ----- following a need up ---------------------------------------------------------------------


@transaction.atomic
def need_follow_up(*, actor: Actor, need: VisitNeed, note: str, state: str) -> NeedFollowUp:
    """Record what was done about a need and where it stands: in progress, resolved, or closed
    as unresolvable (the note says why, and the household is told). Closing dates it."""
    need = VisitNeed.objects.select_for_update().get(pk=need.pk)
    require(actor, Action.CHANGE, need.path, _("无权跟进该需求：需由需求所在的街道或支部跟进"))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写跟进情况")})
    if state not in NEED_TRANSITIONS:
        raise ValidationError({"state": _("跟进后状态不正确")})
    if need.state not in NEED_TRANSITIONS[state]:
        raise ValidationError(
            _("该需求%(state)s，不能再跟进") % {"state": need.get_state_display()}
        )
    before = audit.snapshot(need, NEED_FIELDS)
    need.state = state
    closes = state in (NeedState.RESOLVED, NeedState.UNRESOLVABLE)
    need.closed_on = clock.today() if closes else None
    need.save(update_fields=["state", "closed_on"])
    follow_up = NeedFollowUp(need=need, note=note, state=state, by=actor_user(actor))
    follow_up.at = clock.now()
    follow_up.full_clean(exclude=["by"])
    follow_up.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=need,
        org_path=need.path,
        before=before,
        after=audit.snapshot(need, NEED_FIELDS),
        note=note,
    )
    return follow_up
