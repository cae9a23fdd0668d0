"""Every write to the organisation tree: found, rename, move, merge, abolish, appoint, and the
organisation's health: designate weak and lax, plan, note, close, revoke, reopen (S11, S12).

Each service checks that the actor may change the units involved, validates, writes inside
one transaction and records an audit row. What a move, merge or abolition means for the rows
of the apps above (members' paths, their participation) is announced (``signals``) and kept
in step by those apps, with their own audit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, generations, tree
from jiceng.core.scoping import Action, Actor, actor_name, actor_user, can, require

from . import health, selectors, signals, tallies
from .models import (
    BRANCH_TYPES,
    COMPUTED_CRITERIA,
    Organization,
    OrgHealth,
    OrgType,
    Rectification,
    RectificationNote,
    RectificationState,
    RectificationStep,
    WeakCriterion,
    next_state,
)

AUDITED_FIELDS = (
    "code",
    "name",
    "org_type",
    "sector",
    "kind",
    "host_unit",
    "district",
    "street",
    "lng",
    "lat",
    "founded_on",
    "approved_on",
    "approval_no",
    "first_secretary",
    "abolished_on",
    "secretary",
    "secretary_vacant_since",
    "health",
    "is_pilot",
)

# Which types may sit directly under which: a branch cannot hold a committee.
ALLOWED_CHILDREN: dict[str, tuple[str, ...]] = {
    OrgType.CITY_COMMITTEE: (OrgType.DISTRICT_COMMITTEE, OrgType.SECTOR_COMMITTEE),
    OrgType.DISTRICT_COMMITTEE: (
        OrgType.STREET_COMMITTEE,
        OrgType.TOWN_COMMITTEE,
        OrgType.SECTOR_COMMITTEE,
        OrgType.PRIMARY_COMMITTEE,
        OrgType.GENERAL_BRANCH,
        OrgType.BRANCH,
        OrgType.JOINT_BRANCH,
    ),
    OrgType.STREET_COMMITTEE: (
        OrgType.PRIMARY_COMMITTEE,
        OrgType.GENERAL_BRANCH,
        OrgType.BRANCH,
        OrgType.JOINT_BRANCH,
    ),
    OrgType.TOWN_COMMITTEE: (
        OrgType.PRIMARY_COMMITTEE,
        OrgType.GENERAL_BRANCH,
        OrgType.BRANCH,
        OrgType.JOINT_BRANCH,
    ),
    OrgType.SECTOR_COMMITTEE: (
        OrgType.SECTOR_COMMITTEE,
        OrgType.PRIMARY_COMMITTEE,
        OrgType.GENERAL_BRANCH,
        OrgType.BRANCH,
        OrgType.JOINT_BRANCH,
    ),
    OrgType.PRIMARY_COMMITTEE: (
        OrgType.PRIMARY_COMMITTEE,
        OrgType.GENERAL_BRANCH,
        OrgType.BRANCH,
        OrgType.JOINT_BRANCH,
    ),
    OrgType.GENERAL_BRANCH: (OrgType.BRANCH, OrgType.JOINT_BRANCH),
    OrgType.BRANCH: (OrgType.GROUP,),
    OrgType.JOINT_BRANCH: (OrgType.GROUP,),
    OrgType.GROUP: (),
}


# What a user may do with one organisation, beyond seeing it: the pages show these actions and
# the services refuse the others.
CHANGE = "change"  # descriptive fields, founding below it, move, merge, abolish
SET_PILOT = "set_pilot"  # the parent organisation decides its pilots (S5)


def organization_permitted_actions(user: Any, org: Organization) -> frozenset[str]:
    """The actions ``user`` may take on ``org`` (``CHANGE``, ``SET_PILOT``).

    Rights over an organisation come from a role over its subtree; whether a unit is a pilot
    is decided one level up, so ``SET_PILOT`` needs rights over the parent: a branch
    secretary edits their branch but does not make it a pilot."""
    actions = set()
    if can(user, Action.CHANGE, org.path):
        actions.add(CHANGE)
    parent_path = tree.parent_path(org.path)
    if parent_path and can(user, Action.CHANGE, parent_path):
        actions.add(SET_PILOT)
    return frozenset(actions)


def _require(actor: Actor, org: Organization, message: str = "") -> None:
    require(actor, Action.CHANGE, org.path, message or _("无权修改该组织"))


def _check_child_type(parent: Organization, org_type: str) -> None:
    if org_type not in ALLOWED_CHILDREN.get(parent.org_type, ()):
        raise ValidationError(
            {
                "org_type": _("“%(parent)s”下不能设立“%(child)s”")
                % {"parent": OrgType(parent.org_type).label, "child": OrgType(org_type).label}
            }
        )


def _snapshot(org: Organization) -> dict:
    return audit.snapshot(org, AUDITED_FIELDS)


@transaction.atomic
def organization_found(
    *,
    actor: Actor,
    parent: Organization | None,
    code: str,
    name: str,
    org_type: str,
    founded_on: dt.date | None = None,
    audit_note: str = "",
    **fields: Any,
) -> Organization:
    """Found a new organisation under ``parent`` (the root city committee when ``parent`` is
    None). The actor must be able to change ``parent``'s subtree.

    The founding record (S11) is the founding date, the superior committee's approval
    (``approved_on``, ``approval_no`` 批准文号) and the first secretary: ``secretary`` when given
    here, otherwise the first one appointed (``organization_appoint_secretary``)."""
    org = Organization(code=code.strip(), name=name.strip(), org_type=org_type, **fields)
    org.founded_on = founded_on or clock.today()
    org.approval_no = (org.approval_no or "").strip()
    if org.approved_on and org.approved_on > org.founded_on:
        raise ValidationError({"approved_on": _("批准日期不能晚于成立日期")})
    if org.secretary_id is None:
        org.secretary_vacant_since = org.founded_on
    else:
        org.first_secretary_id = org.secretary_id
    if parent is not None:
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
        _require(actor, parent)
        if parent.is_abolished:
            raise ValidationError(_("上级组织已撤销，不能在其下设立组织"))
        _check_child_type(parent, org_type)
        if org.district_id is None:
            org.district_id = parent.district_id
    elif actor is not None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("只有系统管理员可以设立根组织"))
    org.full_clean(exclude=["path", "depth", "numchild"])
    org = (
        Organization.objects.add_child(parent, instance=org)
        if parent
        else Organization.objects.add_root(instance=org)
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=org,
        org_path=org.path,
        after=_snapshot(org),
        note=audit_note,
    )
    generations.bump(generations.ORG_TREE)
    return org


@transaction.atomic
def organization_update(*, actor: Actor, org: Organization, **changes: Any) -> Organization:
    """Change descriptive fields (name, host unit, sector, coordinates, health, …)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    before = _snapshot(org)
    if "health" in changes and changes["health"] != org.health:
        raise ValidationError({"health": _("组织状况随软弱涣散认定、整顿销号而变，不能直接修改")})
    changes.pop("health", None)
    if (
        actor is not None
        and "is_pilot" in changes
        and changes["is_pilot"] != org.is_pilot
        and SET_PILOT not in organization_permitted_actions(actor, org)
    ):
        raise PermissionDenied(_("是否试点单位由上级党组织确定"))
    forbidden = set(changes) - set(AUDITED_FIELDS) | ({"abolished_on"} & set(changes))
    if forbidden:
        raise ValidationError(
            _("不能用此操作修改：%(fields)s") % {"fields": ", ".join(sorted(forbidden))}
        )
    for key, value in changes.items():
        setattr(org, key, value)
    if "secretary" in changes:
        org.secretary_vacant_since = None if org.secretary_id else clock.today()
    org.full_clean(exclude=["path", "depth", "numchild"])
    org.save()
    after = _snapshot(org)
    if (before.get("sector"), before.get("org_type")) != (
        after.get("sector"),
        after.get("org_type"),
    ):
        tallies.units_changed([org.pk])  # its members' study mode and requirement (S9)
    if before != after:
        audit.record(
            actor=actor, verb="update", obj=org, org_path=org.path, before=before, after=after
        )
    generations.bump(generations.ORG_TREE)
    return org


def organization_rename(*, actor: Actor, org: Organization, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("名称不能为空")})
    return organization_update(actor=actor, org=org, name=name)


@transaction.atomic
def organization_move(*, actor: Actor, org: Organization, new_parent: Organization) -> Organization:
    """Move ``org`` with its whole subtree under ``new_parent``; the move is announced
    (``signals.subtree_moved``) so that members' paths follow."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
    _require(actor, org)
    _require(actor, new_parent, _("无权把组织迁入目标上级组织"))
    if new_parent.path.startswith(org.path):
        raise ValidationError(_("不能把组织迁到它自己或它的下级组织之下"))
    if new_parent.is_abolished:
        raise ValidationError(_("目标上级组织已撤销"))
    _check_child_type(new_parent, org.org_type)
    old_parent = Organization.objects.get_parent(org)
    old_path = org.path
    Organization.objects.move(org, new_parent, pos="last-child")
    org.refresh_from_db()
    tallies.subtree_moved(old_path, org.path)  # the stored totals' copies of paths (issue 22)
    signals.subtree_moved.send(
        sender=Organization,
        old_path=old_path,
        new_path=org.path,
        actor=actor,
        reason=f"组织迁移：{org.name} 迁至 {new_parent.name} 之下",
    )
    audit.record(
        actor=actor,
        verb="move",
        obj=org,
        org_path=org.path,
        before={"parent": old_parent.pk if old_parent else None, "path": old_path},
        after={"parent": new_parent.pk, "path": org.path},
    )
    generations.bump(generations.ORG_TREE)
    return org


@transaction.atomic
def organization_abolish(
    *, actor: Actor, org: Organization, on: dt.date | None = None, reason: str = ""
) -> Organization:
    """Abolish an organisation that no longer holds members or active sub-units; members taking
    part there are let go (``signals.organization_abolished``)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    if org.is_abolished:
        raise ValidationError(_("该组织已撤销"))
    if Organization.objects.get_descendants(org).filter(abolished_on__isnull=True).exists():
        raise ValidationError(_("该组织还有未撤销的下级组织，请先迁移或撤销"))
    held = org.home_members.filter(transferred_out_on__isnull=True).count()
    if held:
        raise ValidationError(_("该组织还有 %(n)s 名党员的组织关系，请先转出") % {"n": held})
    before = _snapshot(org)
    org.abolished_on = on or clock.today()
    org.save(update_fields=["abolished_on", "updated_at"])
    signals.organization_abolished.send(
        sender=Organization, org=org, actor=actor, reason=f"组织撤销：{org.name}"
    )
    audit.record(
        actor=actor,
        verb="abolish",
        obj=org,
        org_path=org.path,
        before=before,
        after=_snapshot(org),
        note=reason,
    )
    generations.bump(generations.ORG_TREE)
    return org


@transaction.atomic
def organization_merge(
    *, actor: Actor, source: Organization, target: Organization, on: dt.date | None = None
) -> Organization:
    """Merge ``source`` into ``target``: its members (``signals.organizations_merged``) and
    sub-units move to ``target``, then ``source`` is abolished. Both must be in the actor's
    scope."""
    source = Organization.objects.select_for_update().get(pk=source.pk)
    target = Organization.objects.select_for_update().get(pk=target.pk)
    _require(actor, source)
    _require(actor, target, _("无权并入目标组织"))
    if source.pk == target.pk or target.path.startswith(source.path):
        raise ValidationError(_("不能把组织并入它自己或它的下级组织"))
    if target.is_abolished or source.is_abolished:
        raise ValidationError(_("已撤销的组织不能合并"))
    if source.is_branch and not target.is_branch and target.org_type != OrgType.GENERAL_BRANCH:
        raise ValidationError(_("支部只能并入支部、联合支部或党总支"))
    moved = source.home_members.count()
    signals.organizations_merged.send(
        sender=Organization,
        source=source,
        target=target,
        actor=actor,
        reason=f"组织合并：{source.name} 并入 {target.name}",
    )
    for child in list(Organization.objects.get_children(source).filter(abolished_on__isnull=True)):
        organization_move(actor=actor, org=child, new_parent=target)
    source.refresh_from_db()
    before = _snapshot(source)
    source.abolished_on = on or clock.today()
    source.save(update_fields=["abolished_on", "updated_at"])
    audit.record(
        actor=actor,
        verb="merge",
        obj=source,
        org_path=source.path,
        before=before,
        after={**_snapshot(source), "merged_into": target.pk, "members_moved": moved},
    )
    generations.bump(generations.ORG_TREE)
    return target


@transaction.atomic
def organization_appoint_secretary(
    *, actor: Actor, org: Organization, member: Any | None
) -> Organization:
    """Appoint ``member`` secretary of ``org`` (S11), or vacate the post when ``member`` is
    None (the vacancy then counts from today). The secretary must be a full member registered
    in the organisation's subtree (a probationary member cannot hold the post)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    if org.is_abolished:
        raise ValidationError(_("该组织已撤销"))
    if member is not None:
        if not member.home_path.startswith(org.path):
            raise ValidationError(_("书记须从本组织（含下级）的党员中产生"))
        if member.category != "full":
            raise ValidationError(_("预备党员不能担任书记"))
    before = _snapshot(org)
    org.secretary = member
    org.secretary_vacant_since = None if member is not None else clock.today()
    if member is not None and org.first_secretary_id is None:
        org.first_secretary = member
    org.save(update_fields=["secretary", "secretary_vacant_since", "first_secretary", "updated_at"])
    audit.record(
        actor=actor,
        verb="update",
        obj=org,
        org_path=org.path,
        before=before,
        after=_snapshot(org),
        note="任命书记" if member is not None else "书记空缺",
    )
    return org


# ----- Weak and lax organisations and their rectification (S12) --------------------------------

RECTIFICATION_FIELDS = (
    "state",
    "criteria",
    "designated_on",
    "note",
    "measures",
    "owner",
    "deadline",
    "closed_on",
    "criteria_at_close",
    "result",
)
ENTERED_CRITERIA = tuple(c for c in WeakCriterion.values if c not in COMPUTED_CRITERIA)


def _rect_snapshot(rect: Rectification) -> dict:
    return audit.snapshot(rect, RECTIFICATION_FIELDS)


def _criteria_state(org: Organization, entered: dict[str, str], today: dt.date) -> dict:
    """Computed criteria from the data, plus the officer's entered ones (each with a note)."""
    unknown = sorted(set(entered) - set(ENTERED_CRITERIA))
    if unknown:
        raise ValidationError(
            {
                "criteria": _("这些情形由系统根据数据判定，不能手工勾选：%(codes)s")
                % {"codes": "、".join(unknown)}
            }
        )
    missing = [str(WeakCriterion(c).label) for c, note in entered.items() if not note.strip()]
    if missing:
        raise ValidationError(
            {
                "criteria": _("请为手工认定的情形填写依据说明：%(labels)s")
                % {"labels": "、".join(missing)}
            }
        )
    state = health.assess(org, full_members=selectors.full_member_count(org), today=today)
    for code in ENTERED_CRITERIA:
        note = entered.get(code, "").strip()
        state[code] = {"met": bool(note), "entered": True, "detail": "", "note": note}
    return state


def _met_labels(state: dict) -> list[str]:
    return [str(c.label) for c in WeakCriterion if state.get(c.value, {}).get("met")]


def _set_health(actor: Actor, org: Organization, value: str, note: str) -> None:
    if org.health == value:
        return
    before = _snapshot(org)
    org.health = value
    org.save(update_fields=["health", "updated_at"])
    audit.record(
        actor=actor,
        verb="update",
        obj=org,
        org_path=org.path,
        before=before,
        after=_snapshot(org),
        note=note,
    )


def _lock(actor: Actor, rectification: Rectification, step: str) -> tuple[Rectification, str]:
    """Lock the row, check the actor's scope and the transition table; the next state."""
    rect = Rectification.objects.select_for_update().select_related("org").get(pk=rectification.pk)
    _require(actor, rect.org, _("无权处理该组织的整顿"))
    return rect, next_state(rect.state, step)


def _record(actor: Actor, rect: Rectification, verb: str, before: dict | None, note: str) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=rect,
        org_path=rect.org.path,
        before=before,
        after=_rect_snapshot(rect),
        note=note,
    )


def _day(on: dt.date | None, not_before: dt.date, what: str) -> dt.date:
    day = on or clock.today()
    if day > clock.today():
        raise ValidationError({"on": _("%(what)s不能晚于今天") % {"what": what}})
    if day < not_before:
        raise ValidationError(
            {"on": _("%(what)s不能早于认定日期 %(day)s") % {"what": what, "day": not_before}}
        )
    return day


@transaction.atomic
def rectification_designate(
    *,
    actor: Actor,
    org: Organization,
    entered: dict[str, str] | None = None,
    note: str = "",
    on: dt.date | None = None,
) -> Rectification:
    """Designate ``org`` weak and lax (软弱涣散, S12) with the criteria that apply.

    The computed criteria (secretary vacant over 3 months, too few full members) are taken
    from the data; ``entered`` holds the officer's criteria (organisational life, petitions,
    satisfaction, leadership), each with the note that supports it. At least one criterion
    must apply. The organisation's health becomes ``WEAK``; both writes are audited."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    if org.is_abolished:
        raise ValidationError(_("该组织已撤销"))
    if org.org_type == OrgType.GROUP:
        raise ValidationError(_("党小组不单独认定软弱涣散"))
    if Rectification.objects.filter(org=org).open().exists():
        raise ValidationError(_("该组织已被认定为软弱涣散，正在整顿中"))
    day = on or clock.today()
    if day > clock.today():
        raise ValidationError({"on": _("认定日期不能晚于今天")})
    criteria = _criteria_state(org, entered or {}, day)
    met = _met_labels(criteria)
    if not met:
        raise ValidationError({"criteria": _("未符合任何软弱涣散情形，不能认定")})
    rect = Rectification(
        org=org,
        state=RectificationState.DESIGNATED,
        criteria=criteria,
        designated_on=day,
        designated_by=actor_user(actor),
        note=note.strip(),
    )
    rect.full_clean()
    rect.save()
    _record(actor, rect, "create", None, "认定软弱涣散：" + "、".join(met))
    _set_health(actor, org, OrgHealth.WEAK, "认定为软弱涣散")
    return rect


@transaction.atomic
def rectification_plan(
    *,
    actor: Actor,
    rectification: Rectification,
    measures: str,
    owner: str,
    deadline: dt.date,
) -> Rectification:
    """Set (or revise) the rectification plan: measures (one a line), owner and deadline."""
    rect, state = _lock(actor, rectification, RectificationStep.PLAN)
    lines = [line.strip() for line in measures.splitlines() if line.strip()]
    errors = {}
    if not lines:
        errors["measures"] = _("请填写整顿措施（每行一条）")
    if not owner.strip():
        errors["owner"] = _("请填写责任人")
    if deadline is None:
        errors["deadline"] = _("请填写整顿期限")
    elif deadline < rect.designated_on:
        errors["deadline"] = _("整顿期限不能早于认定日期")
    if errors:
        raise ValidationError(errors)
    before = _rect_snapshot(rect)
    rect.measures = "\n".join(lines)
    rect.owner = owner.strip()
    rect.deadline = deadline
    rect.state = state
    rect.save()
    _record(actor, rect, "update", before, "修改整顿方案" if before["measures"] else "制定整顿方案")
    return rect


@transaction.atomic
def rectification_add_note(
    *, actor: Actor, rectification: Rectification, text: str, on: dt.date | None = None
) -> RectificationNote:
    """Add a dated progress note (who, when, what) to a rectification under way."""
    rect, _state = _lock(actor, rectification, RectificationStep.NOTE)
    if not text.strip():
        raise ValidationError({"text": _("请填写进展情况")})
    day = _day(on, rect.designated_on, _("进展日期"))
    note = RectificationNote.objects.create(
        rectification=rect,
        on=day,
        author=actor_user(actor),
        author_name=actor_name(actor)[:150],
        text=text.strip(),
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=note,
        org_path=rect.org.path,
        after={"rectification": rect.pk, "on": str(day), "text": note.text},
        note="记录整顿进展",
        object_repr=f"{rect.org} 整顿进展 {day}",
    )
    return note


@transaction.atomic
def rectification_close(
    *,
    actor: Actor,
    rectification: Rectification,
    result: str,
    still_met: dict[str, str] | None = None,
    on: dt.date | None = None,
) -> Rectification:
    """Close a rectification (销号) with its before/after record: the criteria state now
    (computed again from the data; ``still_met`` holds entered criteria that still apply, with
    a note) against the state at designation, and the result in words. A criterion that still
    applies blocks closing; the organisation's health returns to normal."""
    rect, state = _lock(actor, rectification, RectificationStep.CLOSE)
    day = _day(on, rect.designated_on, _("销号日期"))
    after = _criteria_state(rect.org, still_met or {}, day)
    errors = {}
    if not result.strip():
        errors["result"] = _("请填写整顿成效")
    met = _met_labels(after)
    if met:
        errors["criteria"] = _("仍符合以下情形，不能销号：%(labels)s") % {"labels": "、".join(met)}
    if errors:
        raise ValidationError(errors)
    before = _rect_snapshot(rect)
    rect.state = state
    rect.criteria_at_close = after
    rect.result = result.strip()
    rect.closed_on = day
    rect.closed_by = actor_user(actor)
    rect.save()
    _record(actor, rect, "update", before, "整顿销号")
    _set_health(actor, rect.org, OrgHealth.NORMAL, "整顿销号，恢复正常")
    return rect


@transaction.atomic
def rectification_revoke(
    *, actor: Actor, rectification: Rectification, reason: str
) -> Rectification:
    """Withdraw a designation made in error; the organisation's health returns to normal."""
    rect, state = _lock(actor, rectification, RectificationStep.REVOKE)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤销认定的原因")})
    before = _rect_snapshot(rect)
    rect.state = state
    rect.save()
    _record(actor, rect, "update", before, f"撤销认定：{reason.strip()}"[:500])
    _set_health(actor, rect.org, OrgHealth.NORMAL, "撤销软弱涣散认定")
    return rect


@transaction.atomic
def rectification_reopen(
    *, actor: Actor, rectification: Rectification, reason: str
) -> Rectification:
    """Reopen a closed rectification when a later check finds the organisation weak again; the
    closing record stays in the audit log."""
    rect, state = _lock(actor, rectification, RectificationStep.REOPEN)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写重新整顿的原因")})
    if Rectification.objects.filter(org=rect.org).open().exists():
        raise ValidationError(_("该组织已有一项进行中的整顿"))
    before = _rect_snapshot(rect)
    rect.state = state
    rect.closed_on = None
    rect.closed_by = None
    rect.criteria_at_close = {}
    rect.result = ""
    rect.save()
    _record(actor, rect, "update", before, f"重新整顿：{reason.strip()}"[:500])
    _set_health(actor, rect.org, OrgHealth.WEAK, "重新整顿")
    return rect


def organization_types_below(org: Organization) -> tuple[str, ...]:
    return ALLOWED_CHILDREN.get(org.org_type, ())


__all__ = [
    "BRANCH_TYPES",
    "organization_abolish",
    "organization_appoint_secretary",
    "organization_found",
    "organization_merge",
    "organization_move",
    "organization_rename",
    "organization_update",
    "rectification_add_note",
    "rectification_close",
    "rectification_designate",
    "rectification_plan",
    "rectification_reopen",
    "rectification_revoke",
]
