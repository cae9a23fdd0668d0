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
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Concat, Substr, TruncMonth
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, generations, tree
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.members.models import Member
from jiceng.members.selectors import own_member
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from ..registry.rules import NeedyStatus
from .models import (
    NeedFollowUp,
    Visit,
    VisitCategoryTally,
    VisitNeed,
    VisitTally,
    VisitVisitor,
)
from .rules import (
    FIRST_LEVELS,
    NEED_TRANSITIONS,
    TALLIED_LEVELS,
    VISIT_TRANSITIONS,
    NeedKind,
    NeedState,
    TargetKind,
    VisitKind,
    VisitState,
    first_bit,
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
        VisitVisitor.objects.filter(visit__in=visits, member__user=user).values_list(
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
    VisitVisitor.objects.bulk_create(
        VisitVisitor(
            visit=visit,
            member=m,
            org_path=visit.org_path,
            visited_on=visit.visited_on,
            state=visit.state,
        )
        for m in visitors
    )
    counts_refresh(
        member_ids=[m.pk for m in visitors],
        needy_ids=[visit.needy_id],
        touched=[(visit.org_path, visit.visited_on)],
    )
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
    _copy_to_visitors(visit, marks=False)  # still counted: which rows are first does not change
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
    _copy_to_visitors(visit)
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
    was_on = visit.visited_on
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
    _copy_to_visitors(visit, was_on=was_on)
    _audit_change(actor, visit, before)
    return visit


# ----- what the counts read: copies on the visitor rows, and the first rows of each group ---


def _copy_to_visitors(visit: Visit, *, marks: bool = True, was_on: dt.date | None = None) -> None:
    """The visit's date and state onto its visitor rows, and what the counts read kept right:
    the first rows marked afresh (``marks``: the visit entered or left the counted ones, or
    changed month) and the stored totals of its group and month (and of ``was_on``'s)."""
    VisitVisitor.objects.filter(visit=visit).update(
        org_path=visit.org_path, visited_on=visit.visited_on, state=visit.state
    )
    touched = [(visit.org_path, visit.visited_on)]
    if was_on is not None:
        touched.append((visit.org_path, was_on))
    members: list[int] = []
    if marks:
        members = list(VisitVisitor.objects.filter(visit=visit).values_list("member", flat=True))
    counts_refresh(member_ids=members, needy_ids=[visit.needy_id] if marks else [], touched=touched)


def counts_refresh(
    *,
    member_ids: Iterable[int | None] = (),
    needy_ids: Iterable[int | None] = (),
    touched: Iterable[tuple[str, dt.date | None]] = (),
) -> None:
    """Keep what the counts read right after a write: the first rows of these members and
    households marked afresh, then the stored totals of every group and month where one of
    their rows lies, or that ``touched`` names (unit path, date), recomputed."""
    members = sorted({i for i in member_ids if i is not None})
    needy = sorted({i for i in needy_ids if i is not None})
    firsts_refresh(member_ids=members, needy_ids=needy)
    places = set(touched)
    if members:
        places |= set(
            VisitVisitor.objects.filter(member_id__in=members).values_list("org_path", "visited_on")
        )
    needy_places: set[str] = set()
    if needy:
        visited = set(
            Visit.objects.filter(needy_id__in=needy).values_list("org_path", "visited_on")
        )
        places |= visited
        needy_places = {p for p, _d in visited}
    tallies_refresh({(p, d) for p, d in places if d is not None})
    if needy_places:
        category_tallies_refresh(needy_places)


def category_tallies_refresh(paths: set[str] | None = None) -> None:
    """Recompute the stored totals by category of the groups where these visiting units'
    paths lie, at every tallied level (after visits to needy people changed, or their
    categories: ``needy_categories_changed``); ``None``: all of them."""
    for level in TALLIED_LEVELS:
        keys = None if paths is None else {p[: level * tree.STEP] for p in paths}
        above = first_bit(level - 1)
        visits = Visit.objects.exclude(state=VisitState.RETURNED).filter(
            target_kind=TargetKind.NEEDY, needy__isnull=False
        )
        old = VisitCategoryTally.objects.filter(level=level)
        if keys is not None:
            where = Q(pk__in=[])
            for key in keys:
                where |= Q(org_path__startswith=key)
            visits = visits.filter(where)
            old = old.filter(key__in=keys)
        fresh = [
            VisitCategoryTally(
                level=level,
                key=r["k"],
                category_id=r["cat"],
                visits=r["n"],
                households_above=(r["h"] or 0) // above,
            )
            for r in visits.annotate(
                k=Substr("org_path", 1, level * tree.STEP), cat=F("needy__categories")
            )
            .filter(cat__isnull=False)
            .values("k", "cat")
            .annotate(n=Count("id"), h=Sum(F("first_needy").bitand(above)))
            .order_by()
            if keys is None or r["k"] in keys
        ]
        old.delete()
        VisitCategoryTally.objects.bulk_create(fresh, batch_size=2000)


def needy_categories_changed(*, needy_ids: Iterable[int]) -> None:
    """A needy person's categories changed (the registry's services call this): the stored
    totals by category of the groups where they were visited are recomputed."""
    paths = set(
        Visit.objects.filter(needy_id__in=list(needy_ids)).values_list("org_path", flat=True)
    )
    if paths:
        category_tallies_refresh(paths)
        generations.bump(generations.VISITS)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def _tallies(level: int, where: Q | None) -> dict[tuple[str, dt.date], VisitTally]:
    """The stored totals of every group of units at ``level`` steps and month, counted from
    the marked rows (of the rows ``where`` selects, else all)."""
    own, above = first_bit(level), first_bit(level - 1)
    group = Substr("org_path", 1, level * tree.STEP)
    visits = Visit.objects.exclude(state=VisitState.RETURNED)
    visitors = VisitVisitor.objects.exclude(state=VisitState.RETURNED)
    if where is not None:
        visits, visitors = visits.filter(where), visitors.filter(where)
    out: dict[tuple[str, dt.date], VisitTally] = {}
    for r in (
        visits.annotate(k=group, m=TruncMonth("visited_on"))
        .values("k", "m")
        .annotate(
            n=Count("id"),
            c=Count("id", filter=Q(state=VisitState.CONFIRMED)),
            h=Sum(F("first_needy").bitand(own)),
            ha=Sum(F("first_needy").bitand(above)),
            hm=Sum(F("first_needy_month").bitand(above)),
        )
        .order_by()
    ):
        out[(r["k"], r["m"])] = VisitTally(
            level=level,
            key=r["k"],
            month=r["m"],
            visits=r["n"],
            confirmed=r["c"],
            households=(r["h"] or 0) // own,
            households_above=(r["ha"] or 0) // above,
            households_month=(r["hm"] or 0) // above,
        )
    for v in (
        visitors.annotate(k=group, m=TruncMonth("visited_on"))
        .values("k", "m")
        .annotate(
            p=Sum(F("first").bitand(own)),
            pa=Sum(F("first").bitand(above)),
            pm=Sum(F("first_month").bitand(above)),
        )
        .order_by()
    ):
        tally = out.get((v["k"], v["m"]))
        if tally is not None:  # a counted visitor row lies where its counted visit does
            tally.members = (v["p"] or 0) // own
            tally.members_above = (v["pa"] or 0) // above
            tally.members_month = (v["pm"] or 0) // above
    return out


def tallies_refresh(places: set[tuple[str, dt.date]] | None = None) -> None:
    """Recompute the stored totals of the groups and months where these (unit path, date)
    lie, at every tallied level; ``None``: all of them."""
    for level in TALLIED_LEVELS:
        if places is None:
            VisitTally.objects.filter(level=level).delete()
            VisitTally.objects.bulk_create(_tallies(level, None).values(), batch_size=2000)
            continue
        pairs = {(p[: level * tree.STEP], d.replace(day=1)) for p, d in places}
        if not pairs:
            continue
        where, stored = Q(pk__in=[]), Q(pk__in=[])
        for key, month in pairs:
            where |= Q(
                org_path__startswith=key, visited_on__gte=month, visited_on__lt=_next_month(month)
            )
            stored |= Q(key=key, month=month)
        fresh = _tallies(level, where)
        VisitTally.objects.filter(stored, level=level).delete()
        VisitTally.objects.bulk_create(t for pair, t in fresh.items() if pair in pairs)


def _month_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})"
    return f"strftime('%%Y-%%m', {column})"


def firsts_sql(table: str, key: str, counted: str, where: str, levels: int = FIRST_LEVELS) -> str:
    """One UPDATE marking, for every row of ``table`` selected by ``where`` (all the rows of
    the households or members concerned), the first counted row of its ``key`` in each group
    of paths agreeing in k steps, k = 1 … ``FIRST_LEVELS`` (``first*``), and in each group and
    month (``*_month``): see rules.py. Only rows whose marks change are written."""
    first, first_month = (
        ("first_needy", "first_needy_month")
        if table == Visit._meta.db_table
        else ("first", "first_month")
    )
    month = _month_sql("visited_on")

    def marks(by_month: bool) -> str:
        bits = []
        for k in range(1, FIRST_LEVELS + 1):
            # above the deepest path present every group is a single path: the same marks
            steps = min(k, levels) * tree.STEP
            extra = f", {month}" if by_month else ""
            bits.append(
                f"CASE WHEN row_number() OVER (PARTITION BY {key}, c, substr(org_path, 1, {steps})"
                f"{extra} ORDER BY id) = 1 THEN {1 << k} ELSE 0 END"
            )
        return "CASE WHEN c = 1 THEN " + " + ".join(bits) + " ELSE 0 END"

    # Only Django's table and column names are inlined; the callers' values are parameters.
    return (
        f"UPDATE {table} SET {first} = s.f, {first_month} = s.fm FROM ("  # noqa: S608
        f"SELECT id, {marks(False)} AS f, {marks(True)} AS fm FROM ("
        f"SELECT id, {key}, org_path, visited_on, CASE WHEN {counted} THEN 1 ELSE 0 END AS c "
        f"FROM {table} WHERE {where}) r) s "
        f"WHERE {table}.id = s.id AND ({table}.{first} <> s.f OR {table}.{first_month} <> s.fm)"
    )


def _marked() -> tuple[tuple[str, str, str], ...]:
    """(table, the key counted once, which rows are counted) of the two marked tables."""
    return (
        (VisitVisitor._meta.db_table, "member_id", f"state <> '{VisitState.RETURNED}'"),
        (
            Visit._meta.db_table,
            "needy_id",
            f"state <> '{VisitState.RETURNED}' AND target_kind = '{TargetKind.NEEDY}'",
        ),
    )


def firsts_refresh(
    *, member_ids: Iterable[int | None] = (), needy_ids: Iterable[int | None] = ()
) -> None:
    """Mark afresh the first counted visitor rows of these members and the first counted
    visits to these needy people (after a visit is recorded, returned, resubmitted or moved,
    or rows are pointed at another member or household)."""
    for (table, key, counted), ids in zip(_marked(), (member_ids, needy_ids), strict=True):
        wanted = sorted({i for i in ids if i is not None})
        if wanted:
            where = f"{key} IN ({', '.join(['%s'] * len(wanted))})"
            with connection.cursor() as cursor:
                cursor.execute(firsts_sql(table, key, counted, where), wanted)


def firsts_refresh_all() -> None:
    """Mark every first row afresh and recompute every stored total (after the scenario's
    bulk inserts); windows only down to the deepest path present (below it, every group is
    one path)."""
    paths = Visit.objects.values_list("org_path", flat=True).distinct()
    longest = max((len(p) for p in paths), default=0)
    if not longest:
        return
    levels = max(1, -(-longest // tree.STEP))
    for table, key, counted in _marked():
        with connection.cursor() as cursor:
            # empty parameters: the SQL's escaped ``%%`` reaches the database as ``%``
            cursor.execute(firsts_sql(table, key, counted, "1 = 1", levels), [])
    tallies_refresh()
    category_tallies_refresh()


@transaction.atomic
def visits_follow_move(*, actor: Actor, old_path: str, new_path: str, note: str) -> int:
    """A subtree moved from ``old_path`` to ``new_path`` (``orgs.signals.subtree_moved``):
    the paths the visits copy follow (the visiting unit's, the visited street's, the needs'
    and the visitor rows'), one UPDATE per column, and the first rows of the members and
    households concerned are marked afresh. One audit row for the move; returns how many
    visits were made inside the moved subtree."""

    def repathed(column: str) -> Concat:
        return Concat(Value(new_path), Substr(F(column), len(old_path) + 1))

    made = Visit.objects.filter(org_path__startswith=old_path).update(org_path=repathed("org_path"))
    Visit.objects.filter(target_path__startswith=old_path).update(
        target_path=repathed("target_path")
    )
    VisitNeed.objects.filter(path__startswith=old_path).update(path=repathed("path"))
    VisitVisitor.objects.filter(org_path__startswith=old_path).update(org_path=repathed("org_path"))
    if made:
        for table, key, counted in _marked():
            # every row of the members and households with a visit in the moved subtree
            where = f"{key} IN (SELECT {key} FROM {table} WHERE org_path LIKE %s)"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(firsts_sql(table, key, counted, where), [new_path + "%"])
        tallies_refresh()  # groups changed their members: every stored total afresh
        category_tallies_refresh()
        audit.record(
            actor=actor,
            verb="update",
            object_type=Visit._meta.label_lower,
            object_repr=note[:200],
            org_path=new_path,
            before={"path": old_path},
            after={"path": new_path, "visits": made},
            note=note,
        )
        generations.bump(generations.VISITS)
    return made


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
