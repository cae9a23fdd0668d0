"""Every write to the member roll: register, update, place, reveal, and keeping the members'
copies of their units' paths in step when the organisation tree changes.

Each service checks the actor's scope, validates with Chinese messages, writes inside one
transaction and records an audit row. ID numbers and phones are stored encrypted with a
blind index; the audit log never holds their values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, generations
from jiceng.core.crypto import blind_index
from jiceng.core.idnumber import IdNumberError, mask_id_number, parse_id_number
from jiceng.core.models import AuditEvent
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.orgs import tallies
from jiceng.orgs.models import Organization

from .duplicates.models import DuplicateDismissal, MemberMerge
from .lost_contact.models import ContactRecord, LostContactCase
from .models import DatePrecision, Member, MemberCategory
from .phones import mask_phone, normalize_phone
from .placement.models import Placement
from .placement.rules import CURRENT_PERIOD, PLACEMENT_TYPES, PLAN_GENERATION, PlacementReason
from .transfers.models import Transfer
from .transfers.rules import OPEN_STATES

AUDITED_FIELDS = (
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "id_number",
    "education",
    "phone",
    "category",
    "joined_on",
    "full_member_on",
    "employment_status",
    "work_unit",
    "home_address",
    "street",
    "lng",
    "lat",
    "home_org",
    "participating_org",
    "entrusted",
)
SENSITIVE_FIELDS = ("id_number", "phone", "home_address")

ID_PURPOSE = "id_number"
PHONE_PURPOSE = "phone"


def id_number_index(value: str) -> str:
    return blind_index(value, purpose=ID_PURPOSE)


def phone_index(value: str) -> str:
    return blind_index(value, purpose=PHONE_PURPOSE)


def _snapshot(member: Member) -> dict:
    return audit.snapshot(member, AUDITED_FIELDS, masked=SENSITIVE_FIELDS)


# Both sides of a changed sensitive value mask to "******"; this marks the change so that it
# still reaches the audit log (without either value).
CHANGED_MASK = "******（已修改）"


def _mark_changed_secrets(before: dict[str, Any], member: Member, after: dict) -> None:
    for name in SENSITIVE_FIELDS:
        old, new = before[name], getattr(member, name)
        if old and new and old != new:
            after[name] = CHANGED_MASK


def require_change(actor: Actor, member: Member) -> None:
    """Only the home organisation's officers change a member's record (one who merely takes
    part in their subtree is visible to them, not theirs to change)."""
    require(actor, Action.CHANGE, member.home_path, _("无权修改该党员信息"))


def _require_unit(actor: Actor, participating_org: Organization | None) -> None:
    """The participating unit must be one the actor can see (as for ``member_place``)."""
    if participating_org is not None:
        require(actor, Action.VIEW, participating_org.path, _("无权使用该参加活动单位"))


def _apply_id_number(member: Member, raw: str) -> list[str]:
    """Validate and store the ID number; birth date and sex follow from it."""
    try:
        parsed = parse_id_number(raw)
    except IdNumberError as exc:
        raise ValidationError({"id_number": exc.message}) from exc
    index = id_number_index(parsed.value)
    clash = Member.objects.filter(id_number_index=index).exclude(pk=member.pk).first()
    if clash is not None:
        raise ValidationError(
            {
                "id_number": _(
                    "该公民身份号码已登记在党员名册中（不能重复登记），如需调整请办理组织关系转接"
                )
            }
        )
    member.id_number = parsed.value
    member.id_number_index = index
    member.id_number_masked = mask_id_number(parsed.value)
    member.birth_date = parsed.birth_date
    member.sex = parsed.sex
    return list(parsed.warnings)


def _apply_phone(member: Member, raw: str) -> None:
    try:
        e164 = normalize_phone(raw)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    member.phone = e164
    member.phone_index = phone_index(e164) if e164 else ""
    member.phone_masked = mask_phone(e164)


def _check_dates(member: Member) -> None:
    errors = member_date_errors(
        birth_date=member.birth_date,
        joined_on=member.joined_on,
        full_member_on=member.full_member_on,
        category=member.category,
        joined_precision=member.joined_on_precision,
        full_precision=member.full_member_on_precision,
    )
    if errors:
        raise ValidationError(errors)


def _set_orgs(
    member: Member, home_org: Organization, participating_org: Organization | None
) -> None:
    if home_org.is_abolished:
        raise ValidationError({"home_org": _("该组织已撤销，不能接收党员组织关系")})
    if participating_org is not None and participating_org.is_abolished:
        raise ValidationError({"participating_org": _("该组织已撤销")})
    member.home_org = home_org
    member.home_path = home_org.path
    member.participating_org = participating_org
    member.participating_path = participating_org.path if participating_org else ""


@transaction.atomic
def member_create(
    *,
    actor: Actor,
    home_org: Organization,
    id_number: str,
    phone: str = "",
    participating_org: Organization | None = None,
    **fields: Any,
) -> tuple[Member, list[str]]:
    """Register a member under ``home_org``. Returns the member and warnings for the officer
    (e.g. an area code missing from the historical table)."""
    require(actor, Action.CHANGE, home_org.path, _("无权在该组织登记党员"))
    _require_unit(actor, participating_org)
    fields.pop("birth_date", None)
    fields.pop("sex", None)
    member = Member(**fields)
    warnings = _apply_id_number(member, id_number)
    _apply_phone(member, phone)
    _set_orgs(member, home_org, participating_org)
    _check_dates(member)
    member.full_clean(exclude=["id_number_index", "home_path", "participating_path"])
    member.save()
    tallies.units_changed([member.home_org_id, member.participating_org_id])
    audit.record(
        actor=actor,
        verb="create",
        obj=member,
        org_path=member.home_path,
        after=_snapshot(member),
        note="；".join(warnings),
    )
    return member, warnings


@transaction.atomic
def member_update(*, actor: Actor, member: Member, **changes: Any) -> tuple[Member, list[str]]:
    """Change a member's fields. The home organisation changes only through a transfer, but
    an officer may correct it within their own subtree."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    require_change(actor, member)
    units_before = [member.home_org_id, member.participating_org_id]
    before = _snapshot(member)
    before_secrets = {name: getattr(member, name) for name in SENSITIVE_FIELDS}
    warnings: list[str] = []
    if "id_number" in changes:
        warnings = _apply_id_number(member, changes.pop("id_number"))
    if "phone" in changes:
        _apply_phone(member, changes.pop("phone"))
    home_org = changes.pop("home_org", member.home_org)
    participating_org = changes.pop("participating_org", member.participating_org)
    if home_org.pk != member.home_org_id:
        require(actor, Action.CHANGE, home_org.path, _("无权把党员登记到目标组织"))
        if member.transfers.filter(state__in=OPEN_STATES).exists():
            # The sending side stays responsible until the receipt (S16): the relationship
            # moves only through the open transfer, never behind its back.
            raise ValidationError(
                {
                    "home_org": _(
                        "该党员有进行中的组织关系转接，不能直接修改所在党组织；"
                        "请在转接完成或撤回后再修改"
                    )
                }
            )
    if participating_org is not None and participating_org.pk != member.participating_org_id:
        _require_unit(actor, participating_org)
    changes.pop("birth_date", None)
    changes.pop("sex", None)
    for day in ("joined_on", "full_member_on"):
        # a date entered anew is a whole date; one left as it was keeps its precision
        if day in changes and changes[day] != getattr(member, day):
            changes.setdefault(f"{day}_precision", DatePrecision.DAY)
    for key, value in changes.items():
        setattr(member, key, value)
    _set_orgs(member, home_org, participating_org)
    _check_dates(member)
    member.full_clean(exclude=["id_number_index", "home_path", "participating_path"])
    member.save()
    tallies.units_changed([*units_before, member.home_org_id, member.participating_org_id])
    after = _snapshot(member)
    _mark_changed_secrets(before_secrets, member, after)
    if before != after:
        audit.record(
            actor=actor,
            verb="update",
            obj=member,
            org_path=member.home_path,
            before=before,
            after=after,
            note="；".join(warnings),
        )
    return member, warnings


@transaction.atomic
def member_place(
    *,
    actor: Actor,
    member: Member,
    participating_org: Organization | None,
    reason: str = PlacementReason.MANUAL,
    distance_km: float | None = None,
    note: str = "",
) -> Member:
    """Set (or clear) the unit where the member takes part (S10), with a line in the
    placement history. The unit must be one members take part in and that the actor can see."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    require_change(actor, member)
    _require_unit(actor, participating_org)
    if participating_org is not None and participating_org.org_type not in PLACEMENT_TYPES:
        raise ValidationError(
            {"participating_org": _("党员只能在党支部、联合支部或党总支参加活动")}
        )
    before = {"participating_org": member.participating_org_id}
    _set_orgs(member, member.home_org, participating_org)
    member.save(update_fields=["participating_org", "participating_path", "updated_at"])
    tallies.units_changed(
        [before["participating_org"], member.home_org_id, member.participating_org_id]
    )
    Placement.objects.create(
        member=member,
        member_path=member.home_path,
        org=participating_org,
        org_path=member.participating_path,
        period=CURRENT_PERIOD,
        reason=reason,
        distance_km=distance_km,
        placed_by=actor_user(actor),
        note=note[:200],
    )
    generations.bump(PLAN_GENERATION)  # the worklist's suggestions are planned anew
    audit.record(
        actor=actor,
        verb="update",
        obj=member,
        org_path=member.home_path,
        before=before,
        after={"participating_org": member.participating_org_id, "reason": reason},
        note=note,
    )
    return member


REVEALABLE = {"id_number": "公民身份号码", "phone": "联系电话"}


def member_reveal(*, actor: Actor, member: Member, field: str) -> str:
    """Return a sensitive field in clear for a role allowed to REVEAL, and log who read what
    (never the value)."""
    if field not in REVEALABLE:
        raise ValidationError(_("不能查看该字段"))
    if not member.may_reveal(actor):
        raise PermissionDenied(_("您的角色无权查看完整的敏感信息"))
    audit.record(
        actor=actor,
        verb="reveal",
        obj=member,
        org_path=member.home_path,
        note=f"查看{REVEALABLE[field]}",
    )
    return revealed_value(member, field)


def revealed_value(member: Member, field: str) -> str:
    """A sensitive field as shown once revealed (the caller has checked and audited)."""
    value: str = getattr(member, field)
    if field == "phone":
        from .phones import display_phone

        return display_phone(value)
    return value


def member_date_errors(
    *,
    birth_date: dt.date | None,
    joined_on: dt.date | None,
    full_member_on: dt.date | None,
    category: str,
    joined_precision: str = DatePrecision.DAY,
    full_precision: str = DatePrecision.DAY,
) -> dict[str, str]:
    """The date rules of the roll, shared by the form, the API and bulk imports: joined at 18
    or older, not in the future; a full member joined since 1990 has a full-member date, not
    before joining. (Older records often lack it, so it is not required for them.)

    A date known to the month only (``DatePrecision.MONTH``) may be any day of that month: a
    rule fails only when it fails for every such day (born 1980-06-15, joined 1998年6月 is
    not under 18)."""
    errors: dict[str, str] = {}
    today = clock.today()
    if birth_date and joined_on:
        latest = _month_end(joined_on) if joined_precision == DatePrecision.MONTH else joined_on
        age = (
            latest.year
            - birth_date.year
            - ((latest.month, latest.day) < (birth_date.month, birth_date.day))
        )
        if age < 18:
            errors["joined_on"] = _("入党时年龄为 %(age)s 岁，不满 18 周岁，请核对入党日期") % {
                "age": age
            }
    if joined_on and joined_on > today:
        errors["joined_on"] = _("入党日期不能晚于今天")
    if (
        category == MemberCategory.FULL
        and full_member_on is None
        and joined_on
        and joined_on.year >= 1990
    ):
        errors["full_member_on"] = _("正式党员须填写转正日期")
    if full_member_on and joined_on:
        by_month = DatePrecision.MONTH in (joined_precision, full_precision)
        if (
            (full_member_on.year, full_member_on.month) < (joined_on.year, joined_on.month)
            if by_month
            else full_member_on < joined_on
        ):
            errors["full_member_on"] = _("转正日期不能早于入党日期")
    for field, day, precision in (
        ("joined_on", joined_on, joined_precision),
        ("full_member_on", full_member_on, full_precision),
    ):
        # a month is stored as its first day; another day would claim one nobody knows
        if precision == DatePrecision.MONTH and day is not None and day.day != 1:
            errors.setdefault(field, _("只知年月的日期请写该月1日（如 1998-06-01）"))
    return errors


def _month_end(day: dt.date) -> dt.date:
    following = day.replace(day=28) + dt.timedelta(days=4)
    return following - dt.timedelta(days=following.day)


# ----- following the organisation tree ------------------------------------------------------
# The tree announces a move, merge or abolition (``orgs.signals``); the roll keeps its copies of
# the units' paths in step here, with its own audit (``apps.MembersConfig.ready`` connects).

# The workflows' rows placed in the tree by copies of unit paths (their ``scope_path_fields``):
# they follow a moved subtree with the members.
PATH_COPIES: tuple[type[models.Model], ...] = (
    Transfer,
    Placement,
    ContactRecord,
    LostContactCase,
    DuplicateDismissal,
    MemberMerge,
)
AUDIT_CHUNK = 2000


def _repathed(column: str, old_prefix: str, new_prefix: str) -> Concat:
    return Concat(Value(new_prefix), Substr(F(column), len(old_prefix) + 1))


def _audit_members(
    actor: Actor,
    note: str,
    rows: Iterable[tuple[int, str, str, dict[str, Any], dict[str, Any]]],
) -> None:
    """One "update" audit row per member (id, name, org path, before, after), written in bulk:
    a district's move re-paths tens of thousands of members."""
    user = actor_user(actor)
    who = str(user or actor or "system")[:150]
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                actor=user,
                actor_repr=who,
                verb=AuditEvent.Verb.UPDATE,
                object_type=Member._meta.label_lower,
                object_id=str(pk),
                object_repr=name[:200],
                org_path=org_path,
                changes=audit.changes(before, after),
                note=note[:500],
            )
            for pk, name, org_path, before, after in rows
        ),
        batch_size=AUDIT_CHUNK,
    )


@transaction.atomic
def members_follow_move(*, actor: Actor, old_path: str, new_path: str, note: str) -> int:
    """A subtree moved from ``old_path`` to ``new_path``: the home and participating paths of
    the members registered or taking part in it follow (one UPDATE per column, never a save
    per member), with one audit row per member, and so do the paths the workflows' rows copy
    (``PATH_COPIES``). Returns how many members' paths changed."""
    inside = Q(home_path__startswith=old_path) | Q(participating_path__startswith=old_path)
    members = list(
        Member.objects.select_for_update()
        .filter(inside)
        .values_list("pk", "name", "home_path", "participating_path")
    )
    now = timezone.now()
    for column in ("home_path", "participating_path"):
        Member.objects.filter(**{f"{column}__startswith": old_path}).update(
            **{column: _repathed(column, old_path, new_path)}, updated_at=now
        )
    for model in PATH_COPIES:
        for column in getattr(model, "scope_path_fields", ()):
            model._base_manager.filter(**{f"{column}__startswith": old_path}).update(
                **{column: _repathed(column, old_path, new_path)}
            )

    def moved(path: str) -> str:
        return new_path + path[len(old_path) :] if path.startswith(old_path) else path

    def changed(home: str, part: str) -> tuple[dict[str, Any], dict[str, Any]]:
        before = {"home_path": home, "participating_path": part}
        after = {"home_path": moved(home), "participating_path": moved(part)}
        return before, after

    _audit_members(
        actor,
        note,
        ((pk, name, moved(home), *changed(home, part)) for pk, name, home, part in members),
    )
    return len(members)


@transaction.atomic
def members_follow_merge(
    *, actor: Actor, source: Organization, target: Organization, note: str
) -> int:
    """``source`` was merged into ``target``: the members registered there and those taking
    part there move to ``target`` (its sub-units move on their own, ``members_follow_move``),
    one audit row per member. Returns how many members' relationship moved."""
    members = list(
        Member.objects.select_for_update()
        .filter(Q(home_org=source) | Q(participating_org=source))
        .values_list("pk", "name", "home_path", "home_org_id", "participating_org_id")
    )
    now = timezone.now()
    moved = Member.objects.filter(home_org=source).update(
        home_org=target, home_path=target.path, updated_at=now
    )
    Member.objects.filter(participating_org=source).update(
        participating_org=target, participating_path=target.path, updated_at=now
    )
    tallies.units_changed([source.pk, target.pk])

    def changed(home_org: int, part_org: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
        before = {"home_org": home_org, "participating_org": part_org}
        after = {
            "home_org": target.pk if home_org == source.pk else home_org,
            "participating_org": target.pk if part_org == source.pk else part_org,
        }
        return before, after

    _audit_members(
        actor,
        note,
        (
            (pk, name, target.path if home_org == source.pk else home, *changed(home_org, part))
            for pk, name, home, home_org, part in members
        ),
    )
    return moved


@transaction.atomic
def members_leave_abolished(*, actor: Actor, org: Organization, note: str) -> int:
    """``org`` was abolished: the members taking part there take part nowhere until placed
    again (S10: they return to the unplaced worklist), one audit row per member."""
    members = list(
        Member.objects.select_for_update()
        .filter(participating_org=org)
        .values_list("pk", "name", "home_path")
    )
    homes = set(Member.objects.filter(participating_org=org).values_list("home_org_id", flat=True))
    Member.objects.filter(participating_org=org).update(
        participating_org=None, participating_path="", updated_at=timezone.now()
    )
    tallies.units_changed([org.pk, *homes])
    _audit_members(
        actor,
        note,
        (
            (pk, name, home, {"participating_org": org.pk}, {"participating_org": None})
            for pk, name, home in members
        ),
    )
    return len(members)
