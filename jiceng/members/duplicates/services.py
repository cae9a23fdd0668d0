"""Merging likely duplicate member records, and undoing a merge (issue 4, item 5).

Two records of one person (the ID number typed with a wrong digit, an old 15-digit number
converted differently, or entered twice by two streets) become one: every row that points at
the dropped record is re-pointed to the kept one — found generically from
``Member._meta.related_objects``, so models added later are covered — the officer chooses per
field which value survives, and the dropped row is removed. ``MemberMerge`` keeps the dropped
row exactly as stored (encrypted columns as ciphertext), the kept row before the merge, the
re-pointed rows and any related rows removed, so ``member_merge_undo`` restores all of it.
Audit rows name the merge and carry masked values only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import UniqueConstraint
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.members.models import Member
from jiceng.members.services import REVEALABLE, revealed_value
from jiceng.members.transfers.models import Transfer
from jiceng.members.transfers.rules import OPEN_STATES
from jiceng.orgs import tallies

from .models import DuplicateDismissal, MemberMerge

# Fields an officer chooses between (ID number and phone carry their index and mask along).
CHOOSABLE = (
    "name",
    "id_number",
    "ethnicity",
    "education",
    "phone",
    "category",
    "joined_on",
    "full_member_on",
    "employment_status",
    "work_unit",
    "home_address",
)
# Stored columns that travel with a chosen field.
COMPANIONS = {
    "name": ("name_simplified", "name_initials", "name_pinyin"),
    "id_number": ("id_number_index", "id_number_masked", "birth_date", "sex"),
    "phone": ("phone_index", "phone_masked"),
}
SENSITIVE = ("id_number", "phone", "home_address")
# Related rows that are not re-pointed but removed with the dropped record (and restored by
# an undo): a "not a duplicate" judgement about the dropped record means nothing any more.
REMOVED_WITH_DROPPED = ("members.DuplicateDismissal",)


def _raw_row(model: type[models.Model], pk: Any) -> dict[str, Any]:
    """A row as stored: column → database value (ciphertext stays ciphertext)."""
    table = connection.ops.quote_name(model._meta.db_table)
    key = connection.ops.quote_name(model._meta.pk.column or "id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE {key} = %s", [pk])  # noqa: S608
        columns = [c[0] for c in cursor.description]
        row = cursor.fetchone()
    return {c: _jsonable(v) for c, v in zip(columns, row, strict=True)}


def _jsonable(value: Any) -> Any:
    """A database value as JSON keeps it: dates and times in full ISO form."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _insert_raw(table: str, row: dict[str, Any]) -> None:
    cols = ", ".join(connection.ops.quote_name(c) for c in row)
    holes = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({holes})",  # noqa: S608
            list(row.values()),
        )


def _update_raw(table: str, pk: Any, row: dict[str, Any]) -> None:
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in row if c != "id")
    values = [v for c, v in row.items() if c != "id"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(table)} SET {sets} WHERE id = %s",  # noqa: S608
            [*values, pk],
        )


def relations() -> list[Any]:
    """Every foreign key and one-to-one pointing at ``Member``, hidden ones included
    (``related_name="+"``, e.g. an organisation's secretary)."""
    return [
        f
        for f in Member._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def _after_repointed(model: Any, member_ids: list[int]) -> None:
    """A model whose rows keep figures derived from their member (the visitors' rows of
    outreach keep which row counts each member) says so with ``after_member_repointed``."""
    hook = getattr(model, "after_member_repointed", None)
    if hook is not None:
        hook(member_ids)


def _unique_partners(model: Any, field: str) -> list[tuple[str, ...]]:
    """The other columns of each unconditional unique constraint that includes ``field``."""
    sets = [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and c.condition is None and field in c.fields
    ]
    sets += [tuple(u) for u in model._meta.unique_together if field in u]
    return [tuple(f for f in s if f != field) for s in sets if len(s) > 1]


def default_choices(keep: Member, drop: Member) -> dict[str, str]:
    """Per field, which record's value survives: the kept one's, unless it is empty and the
    dropped one's is not."""
    out = {}
    for f in CHOOSABLE:
        kept_value, dropped_value = getattr(keep, f), getattr(drop, f)
        out[f] = "drop" if kept_value in ("", None) and dropped_value not in ("", None) else "keep"
    return out


def differing_fields(keep: Member, drop: Member) -> list[str]:
    return [f for f in CHOOSABLE if getattr(keep, f) != getattr(drop, f)]


# The SENSITIVE fields as the comparison names them when it reveals both records together.
REVEAL_LABELS = {**REVEALABLE, "home_address": "家庭住址"}


@transaction.atomic
def pair_reveal(*, actor: Actor, keep: Member, drop: Member) -> dict[str, tuple[str, str]]:
    """The sensitive fields in which two likely duplicates differ (ID number, phone, home
    address: shown masked, the masks often alike), both records in clear side by side, read
    by one audited action that leaves a row in each member's audit trail."""
    fields = [f for f in differing_fields(keep, drop) if f in SENSITIVE]
    if not fields:
        return {}
    for m in (keep, drop):
        if not m.may_reveal(actor):
            raise PermissionDenied(_("您的角色无权查看完整的敏感信息"))
    shown = "、".join(REVEAL_LABELS[f] for f in fields)
    for m, other in ((keep, drop), (drop, keep)):
        audit.record(
            actor=actor,
            verb="reveal",
            obj=m,
            org_path=m.home_path,
            note=f"核对疑似重复记录（与 {other.pk} 比较）：查看{shown}",
        )
    return {f: (revealed_value(keep, f), revealed_value(drop, f)) for f in fields}


def _check(actor: Actor, keep: Member, drop: Member) -> None:
    if keep.pk == drop.pk:
        raise ValidationError(_("不能把一条记录与自身合并"))
    for m in (keep, drop):
        require(actor, Action.CHANGE, m.home_path, _("无权合并不在您管辖范围内的党员记录"))
        if m.transferred_out_on is not None:
            raise ValidationError(
                _("%(name)s（%(pk)s）的组织关系已转出本市，不能合并")
                % {"name": mark_name(m.name), "pk": m.pk}
            )
    if Transfer.objects.filter(member__in=[keep, drop], state__in=OPEN_STATES).exists():
        raise ValidationError(_("有未办结的组织关系转接，请办结或撤回后再合并"))
    if keep.user_id and drop.user_id:
        raise ValidationError(_("两条记录都绑定了登录账号：请先停用其中一个账号，再合并"))


@transaction.atomic
def member_merge(
    *, actor: Actor, keep: Member, drop: Member, choices: dict[str, str] | None = None
) -> MemberMerge:
    """Merge ``drop`` into ``keep`` (see the module docstring). ``choices``: field →
    ``"keep"`` or ``"drop"`` for the fields in ``CHOOSABLE``; unspecified fields default as
    ``default_choices`` says."""
    keep = Member.objects.select_for_update().get(pk=keep.pk)
    drop = Member.objects.select_for_update().get(pk=drop.pk)
    _check(actor, keep, drop)
    picked = {**default_choices(keep, drop), **(choices or {})}
    if any(v not in ("keep", "drop") for v in picked.values()):
        raise ValidationError(_("合并选项无效"))
    dropped_row = _raw_row(Member, drop.pk)
    kept_before = _raw_row(Member, keep.pk)
    repointed: list[list[Any]] = []
    removed: list[list[Any]] = []
    for rel in relations():
        model = rel.related_model
        field = rel.field.name
        rows = model._base_manager.filter(**{field: drop})
        if model._meta.label in REMOVED_WITH_DROPPED:
            for pk in rows.values_list("pk", flat=True):
                removed.append([model._meta.db_table, _raw_row(model, pk)])
            rows.delete()
            continue
        if rel.one_to_one and model._base_manager.filter(**{field: keep}).exists():
            # both records have one (e.g. the latest contact): the kept record's stays, the
            # dropped record's is removed and kept for an undo
            for pk in rows.values_list("pk", flat=True):
                removed.append([model._meta.db_table, _raw_row(model, pk)])
            rows.delete()
            continue
        for others in _unique_partners(model, field):
            # Unique with other columns (e.g. one assignment per member and plan): where the
            # kept record already has the row, the dropped record's goes, kept for an undo.
            taken = set(model._base_manager.filter(**{field: keep}).values_list(*others))
            for pk, *values in rows.values_list("pk", *others):
                if tuple(values) in taken:
                    removed.append([model._meta.db_table, _raw_row(model, pk)])
                    model._base_manager.filter(pk=pk).delete()
        has_path = any(f.name == "member_path" for f in model._meta.concrete_fields)
        for pk, path in rows.values_list("pk", "member_path" if has_path else "pk"):
            repointed.append([model._meta.label, pk, field, path if has_path else None])
        update: dict[str, Any] = {field: keep}
        if has_path:
            update["member_path"] = keep.home_path
        rows.update(**update)
        _after_repointed(model, [keep.pk])
    # The dropped row goes before the kept one takes its values (the ID number is unique).
    Member._base_manager.filter(pk=drop.pk).delete()
    changed: list[str] = []
    for f in CHOOSABLE:
        if picked[f] == "drop" and getattr(keep, f) != getattr(drop, f):
            changed.append(f)
            for name in (f, *COMPANIONS.get(f, ())):
                setattr(keep, name, getattr(drop, name))
    if changed:
        keep.save()
    tallies.units_changed(
        [keep.home_org_id, keep.participating_org_id, drop.home_org_id, drop.participating_org_id]
    )
    merge = MemberMerge.objects.create(
        kept=keep,
        dropped_id=drop.pk,
        dropped_name=drop.name,
        member_path=keep.home_path,
        dropped_row=dropped_row,
        kept_before=kept_before,
        repointed=repointed,
        removed=removed,
        merged_by=actor_user(actor),
    )
    audit.record(
        actor=actor,
        verb="merge",
        obj=merge,
        org_path=keep.home_path,
        before={"dropped": f"{drop.name}（{drop.pk}，{drop.id_number_masked}）"},
        after={
            "kept": f"{keep.name}（{keep.pk}，{keep.id_number_masked}）",
            "fields_from_dropped": [f if f not in SENSITIVE else f"{f}（已脱敏）" for f in changed],
            "rows_repointed": len(repointed),
            "rows_removed": len(removed),
        },
        note="合并重复党员记录（可在合并记录中撤销）",
    )
    return merge


@transaction.atomic
def member_merge_undo(*, actor: Actor, merge: MemberMerge) -> Member:
    """Restore the dropped record with its original id and values, the kept record's previous
    values, and point the re-pointed rows back. Refused when something changed since that
    makes it unsafe."""
    merge = MemberMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError(_("该合并已撤销"))
    keep = Member.objects.select_for_update().get(pk=merge.kept_id)
    require(actor, Action.CHANGE, keep.home_path, _("无权撤销该合并"))
    if keep.home_path != merge.member_path or keep.transferred_out_on is not None:
        raise ValidationError(_("保留的记录合并后已转接组织关系，不能撤销合并"))
    if Transfer.objects.filter(member=keep, state__in=OPEN_STATES).exists():
        raise ValidationError(_("保留的记录有未办结的组织关系转接，请办结或撤回后再撤销合并"))
    if Member._base_manager.filter(pk=merge.dropped_id).exists():
        raise ValidationError(_("被合并记录的编号已被占用，不能撤销"))
    missing = [
        (label, pk)
        for label, pk, field, _path in merge.repointed
        if not apps.get_model(label)._base_manager.filter(pk=pk, **{field: keep}).exists()
    ]
    if missing:
        raise ValidationError(
            _("合并后有 %(n)s 条相关记录已删除或改动，不能撤销") % {"n": len(missing)}
        )
    # The kept record's previous values first (frees the dropped ID number's unique index
    # if the kept record took it), then the dropped record as it was stored.
    _update_raw(Member._meta.db_table, keep.pk, merge.kept_before)
    _insert_raw(Member._meta.db_table, merge.dropped_row)
    for label, pk, field, path in merge.repointed:
        update: dict[str, Any] = {f"{field}_id": merge.dropped_id}
        if path is not None:
            update["member_path"] = path
        apps.get_model(label)._base_manager.filter(pk=pk).update(**update)
    for table, row in merge.removed:
        _insert_raw(table, row)
    for rel in relations():
        _after_repointed(rel.related_model, [keep.pk, merge.dropped_id])
    restored = Member.objects.filter(pk__in=[keep.pk, merge.dropped_id])
    tallies.units_changed(
        {pk for pair in restored.values_list("home_org_id", "participating_org_id") for pk in pair}
        | {keep.home_org_id, keep.participating_org_id}
    )
    merge.undone_at = timezone.now()
    merge.undone_by = actor_user(actor)
    merge.save(update_fields=["undone_at", "undone_by"])
    dropped = Member.objects.get(pk=merge.dropped_id)
    audit.record(
        actor=actor,
        verb="update",
        obj=merge,
        org_path=keep.home_path,
        after={"undone": True, "restored": f"{dropped.name}（{dropped.pk}）"},
        note="撤销党员记录合并",
    )
    return dropped


@transaction.atomic
def duplicate_dismiss(*, actor: Actor, a: Member, b: Member) -> DuplicateDismissal:
    """Record that two listed members are two people; the pair leaves the worklist."""
    if a.pk == b.pk:
        raise ValidationError(_("请选择两条不同的党员记录"))
    for m in (a, b):
        require(actor, Action.CHANGE, m.home_path, _("无权处理不在您管辖范围内的党员记录"))
    first, second = sorted((a, b), key=lambda m: m.pk)
    dismissal, _created = DuplicateDismissal.objects.get_or_create(
        member_a=first,
        member_b=second,
        defaults={
            "member_path": first.home_path,
            "dismissed_by": actor_user(actor),
        },
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=dismissal,
        org_path=first.home_path,
        after={"pair": [first.pk, second.pk]},
        note="确认不是重复记录",
    )
    return dismissal


@transaction.atomic
def duplicate_dismissal_undo(*, actor: Actor, dismissal: DuplicateDismissal) -> None:
    """Withdraw a "not a duplicate" judgement; the pair is listed again."""
    require(actor, Action.CHANGE, dismissal.member_path, _("无权撤销"))
    audit.record(
        actor=actor,
        verb="delete",
        obj=dismissal,
        org_path=dismissal.member_path,
        before={"pair": [dismissal.member_a_id, dismissal.member_b_id]},
        note="撤销“不是重复记录”的判断",
    )
    dismissal.delete()
