"""The needy-people importer (S26, issue 20): a street's or a district's 帮扶对象名册 read through
the import engine (``jiceng.imports``), with the engine's guarantees: a dry run lists every
problem in Chinese and writes nothing, the rows are written in all-or-nothing batches only
when the officer starts the import, and a re-run creates no duplicates.

Registered from ``OutreachConfig.ready()`` (``imports.kinds.register``): imports sits below
outreach in the layers and never names this module.

The rules, each with its reason:

* The natural key is the ID number's blind index, as for members: a row without a valid ID
  number is a problem (the registry cannot tell one household from another without it).
* 所在街道 names a street or town committee inside the import's subtree that the officer may
  change (by code, full name, or the name without 党工委/党委); a street of another district is
  a row problem, nothing is written there. Into one street committee the column may be left
  out.
* 困难类别 and 健康状况 are sensitive (个人信息保护法 art. 28, ``rules``): a row that fills
  them needs outreach rights over its street, else those cells are row problems (never
  dropped in silence); the audit rows show ``＊＊＊`` instead of the categories.
* An existing person (same ID number) is updated only inside the import's subtree, only in
  the columns the file has and only where a cell is filled: an empty cell never erases what
  is stored (erasing is done on the person's page). The check lists each change, by column
  and without the values, before anything is written; a different name is a name conflict
  the officer confirms (``ImportJob.accept_renames``), as for members.
* Names are stored exactly as written (``cleaning.name``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, tree
from jiceng.core.crypto import decrypt, encrypt
from jiceng.core.exports import FORMULA_PREFIXES
from jiceng.core.scoping import Action, can
from jiceng.imports import cleaning
from jiceng.imports.cleaning import CellError
from jiceng.imports.headers import MEMBER_COLUMNS
from jiceng.imports.importer import (
    BatchOutcome,
    CheckedRow,
    Chunk,
    Importer,
    Problems,
    ProblemSink,
)
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.members.phones import normalize_phone
from jiceng.members.services import id_number_index
from jiceng.orgs.models import Organization

from . import services
from .models import NeedyCategory, NeedyPerson
from .rules import MASK

if TYPE_CHECKING:
    from jiceng.imports.directory import OrgDirectory

# field → the column names it goes by (matched as ``imports.headers`` does: Simplified,
# without notes in brackets, spaces and punctuation; the first is the usual name).
NEEDY_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "帮扶对象姓名", "名字"),
    "id_number": MEMBER_COLUMNS["id_number"],
    "phone": MEMBER_COLUMNS["phone"],
    "address": ("住址", "家庭住址", "现住址", "居住地址", "家庭地址", "现居住地"),
    "street_org": (
        "所在街道",
        "街道（乡镇）",
        "所在街道（乡镇）",
        "街道/乡镇",
        "所在乡镇",
        "所在街镇",
        "居住地街道（乡镇）",
        "街道",
        "乡镇",
    ),
    "household_size": ("家庭人口", "家庭人口数", "家庭成员人数", "家庭人数", "户人口"),
    "categories": ("困难类别", "帮扶类别", "困难类型", "类别"),
    "health": ("健康状况", "身体状况", "身体健康状况"),
    "needs": ("主要困难和需求", "主要困难及需求", "困难和需求", "主要困难", "帮扶需求"),
    "lng": ("经度",),
    "lat": ("纬度",),
}
LABELS = {f: aliases[0] for f, aliases in NEEDY_COLUMNS.items()}
SENSITIVE = ("categories", "health")
UPDATABLE = (
    "name", "phone", "address", "street_org", "household_size", "categories", "health", "needs",
    "lng", "lat",
)  # fmt: skip

REFUSED_FOREIGN = "该身份证号已作为帮扶对象登记在本次导入范围以外，不能通过导入修改"
REFUSED_RENAME = "该身份证号已登记在另一姓名下，未确认更名，本行未导入"
REFUSED_SENSITIVE = (
    "您没有帮扶对象敏感信息（困难类别、健康状况）的权限，不能导入此列；"
    "请清空此列或由有联系服务群众权限的同志导入"
)
_STREET_SUFFIX = re.compile(r"(党工委|党委|工委)$")
_SEPARATORS = re.compile(r"[、，,；;／/]+|\s+")


@dataclass
class NeedyRow:
    """A checked row ready to write. ``None``: the cell was empty (nothing to set); the ID
    number, phone and health are kept encrypted while staged (the stage is a file)."""

    row_number: int
    key: str  # the ID number's blind index
    name: str
    id_number: str  # encrypted
    street_org_id: int | None
    street_path: str
    phone: str | None = None  # encrypted E.164
    address: str | None = None
    household_size: int | None = None
    categories: tuple[int, ...] | None = None
    health: str | None = None  # encrypted
    needs: str | None = None
    lng: float | None = None
    lat: float | None = None
    notices: tuple[tuple[str, str], ...] = ()
    existing: int | None = None  # the person's pk when the file was checked
    rename: bool = False
    changes: tuple[str, ...] = field(default=())


@dataclass
class StreetDirectory:
    """The street and town committees rows may name: active, in the import's subtree, and
    changeable by the officer; by code, by full name and by name without 党工委/党委."""

    by_key: dict[str, Organization | None] = field(default_factory=dict)  # None: ambiguous
    default: Organization | None = None

    @classmethod
    def for_job(cls, job: ImportJob) -> StreetDirectory:
        d = cls()
        streets = (
            Organization.objects.visible_to(job.created_by, Action.CHANGE)
            .filter(
                path__startswith=job.org_path,
                org_type__in=services.STREET_TYPES,
                abolished_on__isnull=True,
            )
            .select_related("street")
        )
        for org in streets:
            keys = {org.code, org.code.upper(), cleaning.name_key(org.name)}
            keys.add(_STREET_SUFFIX.sub("", cleaning.name_key(org.name)))
            if org.street is not None:
                keys.add(cleaning.name_key(org.street.name))
            for key in keys - {""}:
                d.by_key[key] = None if key in d.by_key and d.by_key[key] != org else org
        if job.organization.org_type in services.STREET_TYPES and job.org_path in {
            o.path for o in d.by_key.values() if o is not None
        }:
            d.default = job.organization
        return d

    def find(self, value: Any) -> Organization:
        raw = cleaning.text(value)
        if not raw:
            if self.default is not None:
                return self.default
            raise CellError("缺少所在街道（乡镇）")
        key = cleaning.name_key(raw)
        for candidate in (raw, raw.upper(), key, _STREET_SUFFIX.sub("", key)):
            if candidate in self.by_key:
                found = self.by_key[candidate]
                if found is None:
                    raise CellError(f"有多个街道（乡镇）党组织名为“{raw}”，请改填组织代码")
                return found
        raise CellError(
            f"找不到街道（乡镇）“{raw}”（请填写街道党工委或镇党委的名称或组织代码），"
            "或它不在本次导入范围内"
        )


_FORMULA_START = frozenset(c for c in FORMULA_PREFIXES if c.strip())
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


def free_text(value: Any) -> str:
    """A free-text cell (address, health, needs) as written: trimmed, invisible characters
    and the exports' quote before formula-like text taken off, but no width folding (a
    full-width ，stays one), so that what the page stored imports back unchanged."""
    if not isinstance(value, str):
        return cleaning.text(value)
    said = _INVISIBLE.sub("", value).strip()
    if said[:1] == "'" and said[1:2] in _FORMULA_START:
        return said[1:]
    return said


def category_lookup() -> dict[str, int]:
    """Category name (Simplified) or code → pk; switched-off categories too (kept on the
    people already registered)."""
    out: dict[str, int] = {}
    for pk, code, name in NeedyCategory.objects.values_list("pk", "code", "name"):
        out[cleaning.name_key(name)] = pk
        out[code] = pk
    return out


def _number(raw: Any, label: str, low: float, high: float) -> float | None:
    said = cleaning.text(raw)
    if not said:
        return None
    try:
        value = float(said)
    except ValueError:
        raise CellError(f"{label}“{said}”不是数字") from None
    if not low <= value <= high:
        raise CellError(f"{label}应在 {low:g} 至 {high:g} 之间")
    return round(value, 6)


def clean_needy_row(
    cells: list[Any],
    mapping: dict[int, str],
    streets: StreetDirectory,
    categories: dict[str, int],
    job: ImportJob,
    row_number: int,
) -> tuple[NeedyRow | None, Problems]:
    """One row to registry fields, or every problem of the row."""
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    notices: Problems = []
    name = cleaning.name(raw.get("name"))
    if not name:
        problems.append((LABELS["name"], "缺少姓名"))
    elif len(name) > 50:
        problems.append((LABELS["name"], "姓名超过 50 个字"))
    elif traditional := cleaning.traditional_characters(name):
        shown = "、".join(f"“{t}”（简化字作“{s}”）" for t, s in traditional)
        notices.append(
            (
                LABELS["name"],
                f"姓名含繁体字 {shown}，已按原样保存，未作改动；如系笔误请改正后重新导入",
            )
        )
    id_value = key = ""
    try:
        parsed = cleaning.id_number(raw.get("id_number"))
    except CellError as exc:
        problems.append((LABELS["id_number"], exc.message))
    else:
        id_value, key = parsed.value, id_number_index(parsed.value)
        notices.extend((LABELS["id_number"], w) for w in parsed.warnings)
    street: Organization | None = None
    try:
        street = streets.find(raw.get("street_org"))
    except CellError as exc:
        problems.append((LABELS["street_org"], exc.message))
    row: dict[str, Any] = {}
    phone = cleaning.text(raw.get("phone"))
    if phone:
        try:
            row["phone"] = encrypt(normalize_phone(phone))
        except ValidationError as exc:
            problems.append((LABELS["phone"], "；".join(exc.messages)))
    if address := free_text(raw.get("address")):
        if len(address) > 200:
            problems.append((LABELS["address"], "住址超过 200 个字"))
        row["address"] = address
    elif "address" in mapping.values():
        problems.append((LABELS["address"], "缺少住址"))
    if size := cleaning.text(raw.get("household_size")):
        if not re.fullmatch(r"\d{1,2}(\.0+)?", size) or not 1 <= int(float(size)) <= 99:
            problems.append((LABELS["household_size"], f"家庭人口“{size}”应为 1 至 99 的整数"))
        else:
            row["household_size"] = int(float(size))
    if said := cleaning.text(raw.get("categories")):
        chosen: list[int] = []
        for part in (p for p in _SEPARATORS.split(said) if p):
            pk = categories.get(cleaning.name_key(part)) or categories.get(part)
            if pk is None:
                names = "、".join(
                    NeedyCategory.objects.filter(active=True).values_list("name", flat=True)
                )
                problems.append((LABELS["categories"], f"找不到困难类别“{part}”（可选：{names}）"))
            elif pk not in chosen:
                chosen.append(pk)
        row["categories"] = tuple(sorted(chosen))
    if health := free_text(raw.get("health")):
        row["health"] = encrypt(health)
    if needs := free_text(raw.get("needs")):
        if len(needs) > 300:
            problems.append((LABELS["needs"], "主要困难和需求超过 300 个字"))
        row["needs"] = needs
    for fieldname, label, low, high in (("lng", "经度", -180, 180), ("lat", "纬度", -90, 90)):
        try:
            row[fieldname] = _number(raw.get(fieldname), label, low, high)
        except CellError as exc:
            problems.append((LABELS[fieldname], exc.message))
    if street is not None and not can(job.created_by, Action.OUTREACH, street.path):
        for fieldname in SENSITIVE:  # PIPL art. 28: refused, said, never dropped in silence
            if fieldname in row:
                problems.append((LABELS[fieldname], REFUSED_SENSITIVE))
    if problems or street is None:
        return None, problems
    return (
        NeedyRow(
            row_number=row_number,
            key=key,
            name=name,
            id_number=encrypt(id_value),
            street_org_id=street.pk,
            street_path=street.path,
            notices=tuple(notices),
            **row,
        ),
        [],
    )


def _stored(person: NeedyPerson) -> dict[str, Any]:
    """The updatable values of a stored person, in a staged row's terms (clear text)."""
    return {
        "name": person.name,
        "phone": person.phone,
        "address": person.address,
        "street_org": person.street_org_id,
        "household_size": person.household_size,
        "categories": tuple(sorted(c.pk for c in person.categories.all())),
        "health": person.health,
        "needs": person.needs,
        "lng": None if person.lng is None else round(person.lng, 6),
        "lat": None if person.lat is None else round(person.lat, 6),
    }


def _given(row: NeedyRow) -> dict[str, Any]:
    """The values a row sets (its filled cells), in clear text."""
    given = {
        "name": row.name,
        "phone": decrypt(row.phone) if row.phone is not None else None,
        "address": row.address,
        "street_org": row.street_org_id,
        "household_size": row.household_size,
        "categories": row.categories,
        "health": decrypt(row.health) if row.health is not None else None,
        "needs": row.needs,
        "lng": row.lng,
        "lat": row.lat,
    }
    return {f: v for f, v in given.items() if v is not None}


def changed_fields(person: NeedyPerson, row: NeedyRow) -> dict[str, Any]:
    """What the row would change on the stored person: field → the file's value."""
    stored = _stored(person)
    return {f: v for f, v in _given(row).items() if stored[f] != v}


def may_change(job: ImportJob, path: str) -> bool:
    return tree.within(path, job.org_path) and can(job.created_by, Action.CHANGE, path)


def _existing(keys: list[str]) -> dict[str, NeedyPerson]:
    people = NeedyPerson.objects.filter(
        id_number_index__in=keys, merged_into__isnull=True
    ).prefetch_related("categories")
    return {p.id_number_index: p for p in people}


def _masked_diff(person: NeedyPerson, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """The audit's view of a change: the ID-like and sensitive values never in clear."""
    stored = _stored(person)
    return {
        f: [MASK, MASK] if f in (*SENSITIVE, "phone") else [str(stored[f]), str(v)]
        for f, v in changes.items()
    }


class NeedyImporter(Importer[NeedyRow]):
    """Needy people, matched by ID number: new ones registered through ``needy_register``,
    those of the import's subtree updated through ``needy_update`` (both audited, the
    categories masked), renamed only when the officer confirms; people registered outside
    the subtree refused."""

    columns = NEEDY_COLUMNS
    required = ("name", "id_number", "address", "street_org")
    key_field = "id_number"
    key_name = "身份证号"

    def required_for(self, job: ImportJob) -> tuple[str, ...]:
        """Into one street (or town) committee the street column may be left out."""
        if job.organization.org_type in services.STREET_TYPES:
            return tuple(f for f in self.required if f != "street_org")
        return self.required

    def sheet_note(self, job: ImportJob, fields: set[str]) -> str:
        if "street_org" in fields:
            return ""
        return f"表中没有“所在街道”列：各行帮扶对象登记在{job.organization.name}"

    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[NeedyRow]]:
        """Inline (a registry is thousands of rows, not millions)."""
        mapping = {int(k): v for k, v in job.mapping.items()}
        streets = StreetDirectory.for_job(job)
        categories = category_lookup()
        for chunk in chunks:
            for row_number, cells in chunk:
                row, problems = clean_needy_row(
                    cells, mapping, streets, categories, job, row_number
                )
                yield row_number, row, problems

    def look_up(self, job: ImportJob, rows: list[NeedyRow], log: ProblemSink) -> list[NeedyRow]:
        """People registered outside the import's subtree are refused; those inside are
        staged with the list of their changes shown to the officer (columns only, never the
        values), and a name conflict when the name differs; the rest are new."""
        found = _existing([r.key for r in rows]) if rows else {}
        staged: list[NeedyRow] = []
        for row in rows:
            notices = list(row.notices)
            person = found.get(row.key)
            if person is None:
                staged.append(row)
            elif not may_change(job, person.path):
                log.add(row.row_number, [(LABELS["id_number"], REFUSED_FOREIGN)])
                continue
            else:
                changes = changed_fields(person, row)
                sensitive = [f for f in SENSITIVE if f in changes]
                if sensitive and not services.may_see_sensitive(job.created_by, person):
                    log.add(row.row_number, [(LABELS[f], REFUSED_SENSITIVE) for f in sensitive])
                    continue
                rename = "name" in changes
                if rename:
                    job.rename_count += 1
                    message = f"已登记姓名“{person.name}”，文件中为“{row.name}”"
                    log.add(
                        row.row_number, [(LABELS["name"], message)], ImportRowError.Level.RENAME
                    )
                others = [LABELS[f] for f in UPDATABLE if f in changes and f != "name"]
                if others:
                    notices.append(("", "已登记的帮扶对象，导入将更新：" + "、".join(others)))
                staged.append(
                    replace(row, existing=person.pk, rename=rename, changes=tuple(changes))
                )
            if notices:
                job.notice_count += 1
                log.add(row.row_number, notices, ImportRowError.Level.NOTICE)
        return staged

    def write(self, job: ImportJob, rows: list[NeedyRow], *, trust_new: bool) -> BatchOutcome:
        """Each row through the registry's services (each audited there, categories masked),
        then one audit row for the batch; a row the services refuse is reported, the rest
        of the batch is written."""
        outcome = BatchOutcome()
        found = _existing([r.key for r in rows])
        streets = {
            o.pk: o for o in Organization.objects.filter(pk__in={r.street_org_id for r in rows})
        }
        updated_diffs: dict[int, dict[str, list[Any]]] = {}
        for row in rows:
            person = found.get(row.key)
            try:
                with transaction.atomic():
                    if person is None:
                        created, _warnings = services.needy_register(
                            actor=job.created_by,
                            street_org=streets[row.street_org_id],
                            name=row.name,
                            address=row.address or "",
                            id_number=decrypt(row.id_number),
                            phone=decrypt(row.phone) if row.phone else "",
                            household_size=row.household_size or 1,
                            categories=row.categories or (),
                            health=decrypt(row.health) if row.health else "",
                            needs=row.needs or "",
                            lng=row.lng,
                            lat=row.lat,
                        )
                        outcome.created.append(created.pk)
                        continue
                    if not may_change(job, person.path):
                        outcome.refused.append((row.row_number, REFUSED_FOREIGN))
                        continue
                    changes = changed_fields(person, row)
                    if "name" in changes and not job.accept_renames:
                        outcome.refused.append((row.row_number, REFUSED_RENAME))
                        continue
                    if not changes:
                        outcome.unchanged += 1
                        continue
                    diff = _masked_diff(person, changes)
                    if "street_org" in changes:
                        changes["street_org"] = streets[row.street_org_id]
                    services.needy_update(actor=job.created_by, person=person, **changes)
                    updated_diffs[person.pk] = diff
            except (ValidationError, PermissionDenied) as exc:
                said = "；".join(getattr(exc, "messages", None) or [str(exc)])
                outcome.refused.append((row.row_number, _("未导入：%(why)s") % {"why": said}))
        outcome.updated = updated_diffs
        if outcome.created or outcome.updated:
            audit.record(
                actor=job.created_by,
                verb="create",
                object_type="imports.importjob",
                object_id=str(job.pk),
                object_repr=f"导入帮扶对象 {job.original_name} 第 {job.batches_done + 1} 批",
                org_path=job.org_path,
                after={"created": outcome.created, "updated": outcome.updated},
                note=f"新建 {len(outcome.created)}，更新 {len(outcome.updated)}，"
                f"未变 {outcome.unchanged}",
            )
        return outcome
