"""Every write of the needy-people registry (S26): register, change, status, reveal, merge, and
the categories table. Keyword-only, atomic, audited; sensitive values reach the audit log
masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, generations, tree
from jiceng.core.idnumber import IdNumberError, mask_id_number, parse_id_number
from jiceng.core.scoping import Action, Actor, actor_user, can, require, scope_of
from jiceng.members.phones import display_phone, mask_phone, normalize_phone
from jiceng.members.services import CHANGED_MASK, id_number_index, phone_index
from jiceng.orgs.models import Organization, OrgType

from .models import NeedyCategory, NeedyMerge, NeedyPerson, NeedyStatusChange
from .rules import MASK, SETTABLE_STATUSES, NeedyStatus

STREET_TYPES = (OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE)
AUDITED = (
    "name",
    "id_number",
    "phone",
    "address",
    "street_org",
    "household_size",
    "needs",
    "status",
    "lng",
    "lat",
)
SECRET = ("id_number", "phone")
# What a reveal may show, and the right it needs: the ID number and phone as for members
# (REVEAL), categories and health only with outreach rights (PIPL art. 28).
REVEALABLE = {
    "id_number": (Action.REVEAL, "公民身份号码"),
    "phone": (Action.REVEAL, "联系电话"),
    "sensitive": (Action.OUTREACH, "困难类别和健康状况"),
}


def _snapshot(person: NeedyPerson) -> dict:
    return audit.snapshot(person, AUDITED, masked=SECRET)


def may_see_sensitive(user: Actor, person: NeedyPerson) -> bool:
    """Whether ``user`` may read this person's categories and health: outreach rights over
    their street or over the branch paired with them (the system may)."""
    if user is None:
        return True
    return can(user, Action.OUTREACH, person.path) or bool(
        person.paired_path and can(user, Action.OUTREACH, person.paired_path)
    )


def _street_org(street_org: Organization) -> None:
    if street_org.org_type not in STREET_TYPES:
        raise ValidationError({"street_org": _("请选择居住地所在的街道党工委或镇党委")})
    if street_org.is_abolished:
        raise ValidationError({"street_org": _("该组织已撤销")})


def _apply_id_number(person: NeedyPerson, raw: str) -> None:
    raw = (raw or "").strip()
    if not raw:
        person.id_number = person.id_number_index = person.id_number_masked = ""
        return
    try:
        parsed = parse_id_number(raw)
    except IdNumberError as exc:
        raise ValidationError({"id_number": exc.message}) from exc
    index = id_number_index(parsed.value)
    clash = (
        NeedyPerson.objects.filter(id_number_index=index, merged_into__isnull=True)
        .exclude(pk=person.pk)
        .select_related("street_org")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "id_number": _("此人已在%(street)s登记为帮扶对象，不能重复登记")
                % {"street": clash.street_org.name}
            }
        )
    person.id_number = parsed.value
    person.id_number_index = index
    person.id_number_masked = mask_id_number(parsed.value)


def _apply_phone(person: NeedyPerson, raw: str) -> None:
    try:
        e164 = normalize_phone(raw or "")
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    person.phone = e164
    person.phone_index = phone_index(e164) if e164 else ""
    person.phone_masked = mask_phone(e164)


def _require_sensitive(actor: Actor, path: str) -> None:
    require(
        actor,
        Action.OUTREACH,
        path,
        _("您没有帮扶对象敏感信息的权限，不能登记或修改困难类别和健康状况"),
    )


def _categories(codes: Iterable[Any]) -> list[NeedyCategory]:
    wanted = [c.pk if isinstance(c, NeedyCategory) else c for c in codes]
    found = list(NeedyCategory.objects.filter(pk__in=[w for w in wanted if w]))
    if len(found) != len({w for w in wanted if w}):
        raise ValidationError({"categories": _("困难类别不存在")})
    return found


def likely_duplicates_of(person: NeedyPerson) -> list[NeedyPerson]:
    """Other registrations with the same name (either script) at the same address."""
    return list(
        NeedyPerson.objects.filter(
            name_simplified=person.name_simplified,
            address=person.address,
            merged_into__isnull=True,
        )
        .exclude(pk=person.pk)
        .select_related("street_org")
    )


@transaction.atomic
def needy_register(
    *,
    actor: Actor,
    street_org: Organization,
    name: str,
    address: str,
    id_number: str = "",
    phone: str = "",
    household_size: int = 1,
    categories: Iterable[Any] = (),
    health: str = "",
    needs: str = "",
    lng: float | None = None,
    lat: float | None = None,
) -> tuple[NeedyPerson, list[str]]:
    """Register a needy person in the street of their residence. Returns the person and
    warnings (a likely duplicate by name and address)."""
    require(actor, Action.CHANGE, street_org.path, _("无权在该街道（乡镇）登记帮扶对象"))
    _street_org(street_org)
    chosen = _categories(categories)
    if chosen or (health or "").strip():
        _require_sensitive(actor, street_org.path)
    person = NeedyPerson(
        name=name.strip(),
        address=address.strip(),
        street_org=street_org,
        path=street_org.path,
        street_id=street_org.street_id,
        household_size=household_size,
        health=(health or "").strip(),
        needs=(needs or "").strip(),
        lng=lng,
        lat=lat,
        status=NeedyStatus.ACTIVE,
        status_since=clock.today(),
        registered_by=actor_user(actor),
        registered_at=timezone.now(),
    )
    _apply_id_number(person, id_number)
    _apply_phone(person, phone)
    person.full_clean(exclude=["id_number_index", "path", "status_since", "registered_at"])
    person.save()
    person.categories.set(chosen)
    NeedyStatusChange.objects.create(
        person=person,
        status=NeedyStatus.ACTIVE,
        on=person.status_since,
        reason=_("登记"),
        recorded_by=actor_user(actor),
        recorded_at=person.registered_at,
    )
    after = _snapshot(person)
    if chosen:
        after["categories"] = MASK  # which categories is itself sensitive
    audit.record(actor=actor, verb="create", obj=person, org_path=person.path, after=after)
    warnings = [
        _("同一住址已登记同名帮扶对象（%(street)s），请核对是否重复登记")
        % {"street": other.street_org.name}
        for other in likely_duplicates_of(person)
    ]
    return person, warnings


def _visit_counts_follow(person: NeedyPerson) -> None:
    """The visit counts by category store totals of the person's visits (visits.services)."""
    from ..visits.services import needy_categories_changed

    needy_categories_changed(needy_ids=[person.pk])


@transaction.atomic
def needy_update(*, actor: Actor, person: NeedyPerson, **changes: Any) -> NeedyPerson:
    """Change a registration; categories and health need outreach rights."""
    person = NeedyPerson.objects.select_for_update().get(pk=person.pk)
    require(actor, Action.CHANGE, person.path, _("无权修改该帮扶对象的登记信息"))
    if person.status == NeedyStatus.MERGED:
        raise ValidationError(_("该记录已合并到其他记录，请修改保留的记录"))
    before = _snapshot(person)
    sensitive_changed = False
    if "categories" in changes:
        chosen = _categories(changes.pop("categories"))
        if {c.pk for c in chosen} != set(person.categories.values_list("pk", flat=True)):
            _require_sensitive(actor, person.path)
            person.categories.set(chosen)
            sensitive_changed = True
            _visit_counts_follow(person)
    if "health" in changes:
        health = (changes.pop("health") or "").strip()
        if health != person.health:
            _require_sensitive(actor, person.path)
            person.health = health
            sensitive_changed = True
    if "street_org" in changes:
        street_org = changes.pop("street_org")
        if street_org.pk != person.street_org_id:
            require(actor, Action.CHANGE, street_org.path, _("无权把帮扶对象登记到该街道（乡镇）"))
            _street_org(street_org)
            person.street_org = street_org
            person.path = street_org.path
            person.street_id = street_org.street_id
    changed_secrets = set()
    if "id_number" in changes:
        raw = (changes.pop("id_number") or "").strip().upper()
        if raw != person.id_number:
            _apply_id_number(person, raw)
            changed_secrets.add("id_number")
    if "phone" in changes:
        raw = changes.pop("phone")
        try:
            same = normalize_phone(raw or "") == person.phone
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
        if not same:
            _apply_phone(person, raw)
            changed_secrets.add("phone")
    for field, value in changes.items():
        if field not in ("name", "address", "household_size", "needs", "lng", "lat"):
            raise ValidationError(_("不能修改该项：%(f)s") % {"f": field})
        setattr(person, field, value.strip() if isinstance(value, str) else value)
    person.full_clean(exclude=["id_number_index", "path"])
    person.save()
    after = _snapshot(person)
    for name in SECRET:  # both sides mask alike; the change still reaches the log, unread
        if before[name] != after[name] or (before[name] and name in changed_secrets):
            after[name] = CHANGED_MASK
    if sensitive_changed:
        after["categories_or_health"] = _("（已修改）")
    audit.record(
        actor=actor, verb="update", obj=person, org_path=person.path, before=before, after=after
    )
    return person


@transaction.atomic
def needy_status_set(
    *, actor: Actor, person: NeedyPerson, status: str, on: dt.date, reason: str = ""
) -> NeedyPerson:
    """A dated change of status (moved away, deceased, no longer in need, active again), with
    its reason; the registration is never deleted."""
    person = NeedyPerson.objects.select_for_update().get(pk=person.pk)
    require(actor, Action.CHANGE, person.path, _("无权变更该帮扶对象的状态"))
    if status not in SETTABLE_STATUSES:
        raise ValidationError({"status": _("不能设为该状态")})
    if person.status == NeedyStatus.MERGED:
        raise ValidationError(_("该记录已合并到其他记录"))
    if status == person.status:
        raise ValidationError({"status": _("状态没有变化")})
    if on > clock.today():
        raise ValidationError({"on": _("日期不能晚于今天")})
    if on < person.status_since:
        raise ValidationError(
            {"on": _("日期不能早于上一次状态变化（%(d)s）") % {"d": person.status_since}}
        )
    if status != NeedyStatus.ACTIVE and not reason.strip():
        raise ValidationError({"reason": _("请说明原因")})
    before = person.status
    person.status = status
    person.status_since = on
    person.save(update_fields=["status", "status_since"])
    NeedyStatusChange.objects.create(
        person=person,
        status=status,
        on=on,
        reason=reason.strip(),
        recorded_by=actor_user(actor),
        recorded_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        verb="update",
        obj=person,
        org_path=person.path,
        before={"status": before},
        after={"status": status, "on": on.isoformat()},
        note=reason.strip(),
    )
    if status != NeedyStatus.ACTIVE:
        _end_pairings(actor, person, str(NeedyStatus(status).label), reason)
    return person


def _end_pairings(actor: Actor, person: NeedyPerson, what: str, reason: str) -> None:
    """A person who leaves the active register leaves their pairing too (S26). Imported here:
    the pairings workflow builds on the registry, not the other way round."""
    from ..pairings.services import pairings_end_for_person

    note = f"{what}：{reason.strip()}" if reason.strip() else str(what)
    pairings_end_for_person(actor=actor, person=person, reason=note)


def needy_reveal(*, actor: Actor, person: NeedyPerson, field: str) -> Any:
    """A sensitive value in clear for a role allowed to see it, and an audit row naming what
    was read (never the value). ``sensitive`` returns the categories' names and the health
    note."""
    if field not in REVEALABLE:
        raise ValidationError(_("不能查看该字段"))
    action, label = REVEALABLE[field]
    if action == Action.OUTREACH:
        if not may_see_sensitive(actor, person):
            raise PermissionDenied(_("您没有帮扶对象敏感信息的权限"))
    else:
        require(actor, action, person.path, _("您的角色无权查看完整的敏感信息"))
    audit.record(actor=actor, verb="reveal", obj=person, org_path=person.path, note=f"查看{label}")
    if field == "sensitive":
        return {
            "categories": [c.name for c in person.categories.all()],
            "health": person.health,
        }
    if field == "phone":
        return display_phone(person.phone)
    return person.id_number


@transaction.atomic
def needy_merge(
    *, actor: Actor, kept: NeedyPerson, dropped: NeedyPerson, reason: str
) -> NeedyMerge:
    """Merge a duplicate registration into the one kept: its visits follow, its categories
    join the kept record's, it leaves every list (status MERGED, pointing at the kept one) and
    a merge record keeps it as it was (masked) for the audit trail."""
    if kept.pk == dropped.pk:
        raise ValidationError(_("不能与自身合并"))
    locked = {
        p.pk: p
        for p in NeedyPerson.objects.select_for_update().filter(pk__in=[kept.pk, dropped.pk])
    }
    kept, dropped = locked[kept.pk], locked[dropped.pk]
    for person in (kept, dropped):
        require(actor, Action.CHANGE, person.path, _("无权合并不在您管辖范围内的帮扶对象"))
        if person.status == NeedyStatus.MERGED:
            raise ValidationError(_("%(name)s 的记录已合并过") % {"name": person.name})
    if not reason.strip():
        raise ValidationError({"reason": _("请说明合并原因")})
    moved_categories = set(dropped.categories.all()) - set(kept.categories.all())
    if moved_categories or (dropped.health and not kept.health):
        _require_sensitive(actor, kept.path)
    kept.categories.add(*moved_categories)
    if moved_categories:
        _visit_counts_follow(kept)
    if dropped.health and not kept.health:
        kept.health = dropped.health
    for field in ("id_number", "phone"):
        if not getattr(kept, field) and getattr(dropped, field):
            for suffix in ("", "_index", "_masked"):
                setattr(kept, field + suffix, getattr(dropped, field + suffix))
                setattr(dropped, field + suffix, "")
    snapshot = _snapshot(dropped)
    dropped.status = NeedyStatus.MERGED
    dropped.status_since = clock.today()
    dropped.merged_into = kept
    dropped.save()
    kept.save()
    moved_visits = dropped.visits.update(needy=kept, target_path=kept.path)
    if moved_visits:
        # the kept household's first visits (what the visit counts count) are marked afresh
        from ..visits.services import counts_refresh

        counts_refresh(needy_ids=[kept.pk])
        generations.bump(generations.VISITS)
    merge = NeedyMerge.objects.create(
        kept=kept,
        dropped=dropped,
        dropped_snapshot=snapshot,
        reason=reason.strip(),
        merged_by=actor_user(actor),
        merged_at=timezone.now(),
    )
    NeedyStatusChange.objects.create(
        person=dropped,
        status=NeedyStatus.MERGED,
        on=dropped.status_since,
        reason=_("并入 %(name)s（编号 %(pk)s）") % {"name": kept.name, "pk": kept.pk},
        recorded_by=actor_user(actor),
        recorded_at=merge.merged_at,
    )
    _end_pairings(actor, dropped, str(NeedyStatus.MERGED.label), reason)
    for person in (kept, dropped):
        audit.record(
            actor=actor,
            verb="merge",
            obj=person,
            org_path=person.path,
            after={"kept": kept.pk, "dropped": dropped.pk, "visits_moved": moved_visits},
            note=reason.strip(),
        )
    return merge


@transaction.atomic
def category_create(*, actor: Actor, code: str, name: str, sort: int = 100) -> NeedyCategory:
    """The city extends the categories (city-level change rights)."""
    _require_city(actor)
    category = NeedyCategory(code=code.strip(), name=name.strip(), sort=sort)
    category.full_clean()
    category.save()
    audit.record(actor=actor, verb="create", obj=category, after={"code": code, "name": name})
    return category


@transaction.atomic
def category_set_active(*, actor: Actor, category: NeedyCategory, active: bool) -> NeedyCategory:
    """A category no longer used is switched off (kept on the people already registered)."""
    _require_city(actor)
    category.active = active
    category.save(update_fields=["active"])
    audit.record(actor=actor, verb="update", obj=category, after={"active": active})
    return category


def may_change_categories(actor: Actor) -> bool:
    """City-level change rights (an assignment over a root of the tree): the categories are
    the city's one table."""
    return actor is None or any(
        tree.depth(path) == 1 for path in scope_of(actor, Action.CHANGE).paths
    )


def _require_city(actor: Actor) -> None:
    if not may_change_categories(actor):
        raise PermissionDenied(_("困难类别由市委组织部统一维护"))
