"""Every write to the organisation tree: found, rename, move, merge, abolish, appoint.

Each service checks that the actor may change the units involved, validates, writes inside
one transaction and records an audit row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from jiceng.core import audit
from jiceng.core.scoping import Action, can

from .models import BRANCH_TYPES, Organization, OrgType

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


def _require(actor: Any, org: Organization, what: str = "") -> None:
    if actor is not None and not can(actor, Action.CHANGE, org.path):
        raise PermissionDenied(what or "无权修改该组织")


def _check_child_type(parent: Organization, org_type: str) -> None:
    if org_type not in ALLOWED_CHILDREN.get(parent.org_type, ()):
        raise ValidationError(
            {"org_type": f"“{OrgType(parent.org_type).label}”下不能设立“{OrgType(org_type).label}”"}
        )


def _snapshot(org: Organization) -> dict:
    return audit.snapshot(org, AUDITED_FIELDS)


@transaction.atomic
def organization_found(
    *,
    actor: Any,
    parent: Organization | None,
    code: str,
    name: str,
    org_type: str,
    founded_on: dt.date | None = None,
    audit_note: str = "",
    **fields: Any,
) -> Organization:
    """Found a new organisation under ``parent`` (the root city committee when ``parent`` is
    None). The actor must be able to change ``parent``'s subtree."""
    org = Organization(code=code.strip(), name=name.strip(), org_type=org_type, **fields)
    org.founded_on = founded_on or timezone.localdate()
    if org.secretary_id is None:
        org.secretary_vacant_since = org.founded_on
    if parent is not None:
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
        _require(actor, parent)
        if parent.is_abolished:
            raise ValidationError("上级组织已撤销，不能在其下设立组织")
        _check_child_type(parent, org_type)
        if org.district_id is None:
            org.district_id = parent.district_id
    elif actor is not None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("只有系统管理员可以设立根组织")
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
    return org


@transaction.atomic
def organization_update(*, actor: Any, org: Organization, **changes: Any) -> Organization:
    """Change descriptive fields (name, host unit, sector, coordinates, health, …)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    before = _snapshot(org)
    forbidden = set(changes) - set(AUDITED_FIELDS) | ({"abolished_on"} & set(changes))
    if forbidden:
        raise ValidationError(f"不能用此操作修改：{', '.join(sorted(forbidden))}")
    for key, value in changes.items():
        setattr(org, key, value)
    if "secretary" in changes:
        org.secretary_vacant_since = None if org.secretary_id else timezone.localdate()
    org.full_clean(exclude=["path", "depth", "numchild"])
    org.save()
    after = _snapshot(org)
    if before != after:
        audit.record(
            actor=actor, verb="update", obj=org, org_path=org.path, before=before, after=after
        )
    return org


def organization_rename(*, actor: Any, org: Organization, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "名称不能为空"})
    return organization_update(actor=actor, org=org, name=name)


def _repath_members(old_prefix: str, new_prefix: str) -> None:
    """Keep the copied paths of members and transfers in step after a subtree moved (one
    UPDATE per column)."""
    from django.apps import apps

    n = len(old_prefix)
    for model_name, columns in (
        ("Member", ("home_path", "participating_path")),
        ("Transfer", ("from_path", "to_path")),
    ):
        model = apps.get_model("members", model_name)
        for column in columns:
            model.objects.filter(**{f"{column}__startswith": old_prefix}).update(
                **{column: Concat(Value(new_prefix), Substr(F(column), n + 1))}
            )


@transaction.atomic
def organization_move(*, actor: Any, org: Organization, new_parent: Organization) -> Organization:
    """Move ``org`` with its whole subtree under ``new_parent``; members' paths follow."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
    _require(actor, org)
    _require(actor, new_parent, "无权把组织迁入目标上级组织")
    if new_parent.path.startswith(org.path):
        raise ValidationError("不能把组织迁到它自己或它的下级组织之下")
    if new_parent.is_abolished:
        raise ValidationError("目标上级组织已撤销")
    _check_child_type(new_parent, org.org_type)
    old_parent = Organization.objects.get_parent(org)
    old_path = org.path
    Organization.objects.move(org, new_parent, pos="last-child")
    org.refresh_from_db()
    _repath_members(old_path, org.path)
    audit.record(
        actor=actor,
        verb="move",
        obj=org,
        org_path=org.path,
        before={"parent": old_parent.pk if old_parent else None, "path": old_path},
        after={"parent": new_parent.pk, "path": org.path},
    )
    return org


@transaction.atomic
def organization_abolish(
    *, actor: Any, org: Organization, on: dt.date | None = None, reason: str = ""
) -> Organization:
    """Abolish an organisation that no longer holds members or active sub-units."""
    from django.apps import apps

    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    if org.is_abolished:
        raise ValidationError("该组织已撤销")
    if Organization.objects.get_descendants(org).filter(abolished_on__isnull=True).exists():
        raise ValidationError("该组织还有未撤销的下级组织，请先迁移或撤销")
    member_model = apps.get_model("members", "Member")
    held = member_model.objects.filter(home_org=org, transferred_out_on__isnull=True).count()
    if held:
        raise ValidationError(f"该组织还有 {held} 名党员的组织关系，请先转出")
    before = _snapshot(org)
    org.abolished_on = on or timezone.localdate()
    org.save(update_fields=["abolished_on", "updated_at"])
    member_model.objects.filter(participating_org=org).update(
        participating_org=None, participating_path=""
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
    return org


@transaction.atomic
def organization_merge(
    *, actor: Any, source: Organization, target: Organization, on: dt.date | None = None
) -> Organization:
    """Merge ``source`` into ``target``: its members and sub-units move to ``target``, then
    ``source`` is abolished. Both must be in the actor's scope."""
    from django.apps import apps

    source = Organization.objects.select_for_update().get(pk=source.pk)
    target = Organization.objects.select_for_update().get(pk=target.pk)
    _require(actor, source)
    _require(actor, target, "无权并入目标组织")
    if source.pk == target.pk or target.path.startswith(source.path):
        raise ValidationError("不能把组织并入它自己或它的下级组织")
    if target.is_abolished or source.is_abolished:
        raise ValidationError("已撤销的组织不能合并")
    if source.is_branch and not target.is_branch and target.org_type != OrgType.GENERAL_BRANCH:
        raise ValidationError("支部只能并入支部、联合支部或党总支")
    member_model = apps.get_model("members", "Member")
    moved = member_model.objects.filter(home_org=source).update(
        home_org=target, home_path=target.path
    )
    member_model.objects.filter(participating_org=source).update(
        participating_org=target, participating_path=target.path
    )
    for child in list(Organization.objects.get_children(source).filter(abolished_on__isnull=True)):
        organization_move(actor=actor, org=child, new_parent=target)
    source.refresh_from_db()
    before = _snapshot(source)
    source.abolished_on = on or timezone.localdate()
    source.save(update_fields=["abolished_on", "updated_at"])
    audit.record(
        actor=actor,
        verb="merge",
        obj=source,
        org_path=source.path,
        before=before,
        after={**_snapshot(source), "merged_into": target.pk, "members_moved": moved},
    )
    return target


@transaction.atomic
def organization_appoint_secretary(
    *, actor: Any, org: Organization, member: Any | None
) -> Organization:
    """Appoint ``member`` secretary of ``org`` (S11), or vacate the post when ``member`` is
    None (the vacancy then counts from today). The secretary must be a full member registered
    in the organisation's subtree (a probationary member cannot hold the post)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _require(actor, org)
    if org.is_abolished:
        raise ValidationError("该组织已撤销")
    if member is not None:
        if not member.home_path.startswith(org.path):
            raise ValidationError("书记须从本组织（含下级）的党员中产生")
        if member.category != "full":
            raise ValidationError("预备党员不能担任书记")
    before = _snapshot(org)
    org.secretary = member
    org.secretary_vacant_since = None if member is not None else timezone.localdate()
    org.save(update_fields=["secretary", "secretary_vacant_since", "updated_at"])
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
]
