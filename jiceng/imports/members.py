"""Validating and writing member rows in bulk.

A row becomes either a clean set of member fields or a list of (column, message) problems.
Writes happen per batch: existing members (same ID-number blind index) are updated when
something changed and left alone otherwise, new ones are inserted (PostgreSQL: ``COPY``), so
running the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from jiceng.core.crypto import blind_index, encrypt
from jiceng.core.idnumber import mask_id_number
from jiceng.core.scoping import Action, scope_of
from jiceng.members.models import Education, EmploymentStatus, Member, MemberCategory, Sex
from jiceng.members.phones import mask_phone, normalize_phone
from jiceng.members.services import ID_PURPOSE, PHONE_PURPOSE, member_date_errors
from jiceng.orgs.models import Organization

from . import cleaning
from .cleaning import CellError
from .headers import MEMBER_COLUMNS

LABELS = {f: aliases[0] for f, aliases in MEMBER_COLUMNS.items()}

SEX = {"男": Sex.MALE, "女": Sex.FEMALE, "男性": Sex.MALE, "女性": Sex.FEMALE}
CATEGORY = {
    "正式党员": MemberCategory.FULL,
    "正式": MemberCategory.FULL,
    "预备党员": MemberCategory.PROBATIONARY,
    "预备": MemberCategory.PROBATIONARY,
}
STATUS = {str(label): value for value, label in EmploymentStatus.choices} | {
    "在职": EmploymentStatus.AT_POST,
    "退休": EmploymentStatus.RETIRED,
    "离休": EmploymentStatus.RETIRED,
    "在册不在岗党员": EmploymentStatus.ON_ROLL_NOT_AT_POST,
    "流动": EmploymentStatus.MOBILE,
    "学生党员": EmploymentStatus.STUDENT,
    "农民": EmploymentStatus.FARMER,
}
EDUCATION = {str(label): value for value, label in Education.choices} | {
    "研究生": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
    "硕士": Education.POSTGRADUATE,
    "本科": Education.UNIVERSITY,
    "大学": Education.UNIVERSITY,
    "大专": Education.COLLEGE,
    "专科": Education.COLLEGE,
    "中专": Education.SECONDARY,
    "中技": Education.SECONDARY,
    "高中": Education.HIGH_SCHOOL,
    "初中": Education.MIDDLE_SCHOOL,
    "小学": Education.PRIMARY,
}

# Fields compared to decide whether an existing member changed (the encrypted columns are
# compared through their blind indexes).
COMPARED = (
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "education",
    "phone_index",
    "category",
    "joined_on",
    "full_member_on",
    "employment_status",
    "work_unit",
    "home_address",
    "home_org_id",
    "participating_org_id",
)


@dataclass(frozen=True)
class OrgRef:
    id: int
    path: str


@dataclass
class OrgDirectory:
    """The organisations rows may name, by code and by unique Simplified name: the active units
    of the import's subtree that the importer may change."""

    by_code: dict[str, OrgRef] = field(default_factory=dict)
    by_name: dict[str, OrgRef | None] = field(default_factory=dict)  # None: ambiguous

    @classmethod
    def for_subtree(cls, user: Any, root: Organization) -> OrgDirectory:
        d = cls()
        rows = (
            Organization.objects.visible_to(user, Action.CHANGE)
            .filter(path__startswith=root.path, abolished_on__isnull=True)
            .values_list("id", "path", "code", "name_simplified")
        )
        for pk, path, code, name in rows.iterator(chunk_size=5000):
            ref = OrgRef(pk, path)
            d.by_code[code] = ref
            d.by_name[name] = None if name in d.by_name else ref
        return d

    def find(self, value: Any) -> OrgRef:
        raw = cleaning.text(value)
        if not raw:
            raise CellError("缺少党组织")
        ref = self.by_code.get(raw) or self.by_code.get(raw.upper())
        if ref:
            return ref
        name = cleaning.name(raw)
        if name in self.by_name:
            found = self.by_name[name]
            if found is None:
                raise CellError(f"有多个党组织名为“{name}”，请改填组织代码")
            return found
        raise CellError(f"找不到党组织“{raw}”（请填写组织代码或全称），或它不在本次导入范围内")


@dataclass
class CleanRow:
    row_number: int
    values: dict[str, Any]
    warnings: list[str]


Problems = list[tuple[str, str]]


def clean_member_row(
    cells: list[Any], mapping: dict[int, str], orgs: OrgDirectory, row_number: int
) -> tuple[CleanRow | None, Problems]:
    """One row to member fields, or the problems found (every problem of the row, not only
    the first)."""
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    values: dict[str, Any] = {}
    warnings: list[str] = []

    def take(fieldname: str, fn: Any) -> None:
        try:
            values[fieldname] = fn(raw.get(fieldname))
        except CellError as exc:
            problems.append((LABELS[fieldname], exc.message))

    take("name", cleaning.name)
    if "name" in values and not values["name"]:
        problems.append((LABELS["name"], "缺少姓名"))
    try:
        parsed = cleaning.id_number(raw.get("id_number"))
    except CellError as exc:
        problems.append((LABELS["id_number"], exc.message))
        parsed = None
    if parsed is not None:
        values["id_number"] = parsed.value
        values["birth_date"] = parsed.birth_date
        values["sex"] = parsed.sex
        warnings.extend(parsed.warnings)
        if raw.get("birth_date") not in (None, ""):
            try:
                given = cleaning.date(raw["birth_date"], label="出生日期")
            except CellError as exc:
                problems.append((LABELS["birth_date"], exc.message))
            else:
                if given and (given.year, given.month) != (
                    parsed.birth_date.year,
                    parsed.birth_date.month,
                ):
                    problems.append(
                        (LABELS["birth_date"], f"与身份证号中的出生日期 {parsed.birth_date} 不一致")
                    )
        if raw.get("sex") not in (None, ""):
            try:
                given_sex = cleaning.choice(raw["sex"], SEX, label="性别")
            except CellError as exc:
                problems.append((LABELS["sex"], exc.message))
            else:
                if given_sex != parsed.sex:
                    problems.append((LABELS["sex"], "与身份证号中的性别不一致"))
    values["ethnicity"] = cleaning.text(raw.get("ethnicity")) or "汉族"
    if raw.get("education") not in (None, ""):
        take("education", lambda v: cleaning.choice(v, EDUCATION, label="学历"))
    else:
        values["education"] = ""
    try:
        values["phone"] = normalize_phone(cleaning.text(raw.get("phone")))
    except ValidationError as exc:
        problems.append((LABELS["phone"], "；".join(exc.messages)))
    if raw.get("category") not in (None, ""):
        take("category", lambda v: cleaning.choice(v, CATEGORY, label="党员类别"))
    else:
        values["category"] = MemberCategory.FULL
    take("joined_on", lambda v: cleaning.date(v, label="入党日期"))
    if values.get("joined_on") is None and not any(c == LABELS["joined_on"] for c, _ in problems):
        problems.append((LABELS["joined_on"], "缺少入党日期"))
    take("full_member_on", lambda v: cleaning.date(v, label="转正日期"))
    if raw.get("employment_status") not in (None, ""):
        take("employment_status", lambda v: cleaning.choice(v, STATUS, label="工作状态"))
    else:
        values["employment_status"] = EmploymentStatus.AT_POST
    values["work_unit"] = cleaning.text(raw.get("work_unit"))[:120]
    values["home_address"] = cleaning.text(raw.get("home_address"))[:200]
    take("home_org", orgs.find)
    if raw.get("participating_org") not in (None, ""):
        take("participating_org", orgs.find)
    else:
        values["participating_org"] = None
    if not problems:
        for fieldname, message in member_date_errors(
            birth_date=values["birth_date"],
            joined_on=values["joined_on"],
            full_member_on=values["full_member_on"],
            category=values["category"],
        ).items():
            problems.append((LABELS[fieldname], message))
    if problems:
        return None, problems
    return CleanRow(row_number, values, warnings), []


def to_member(row: CleanRow) -> Member:
    """A ``Member`` ready for insertion (search keys, masks, indexes and ciphertexts set)."""
    v = row.values
    home: OrgRef = v["home_org"]
    part: OrgRef | None = v["participating_org"]
    phone = v["phone"]
    m = Member(
        name=v["name"],
        sex=v["sex"],
        ethnicity=v["ethnicity"][:20],
        birth_date=v["birth_date"],
        id_number=v["id_number"],
        id_number_index=blind_index(v["id_number"], purpose=ID_PURPOSE),
        id_number_masked=mask_id_number(v["id_number"]),
        education=v["education"],
        phone=phone,
        phone_index=blind_index(phone, purpose=PHONE_PURPOSE) if phone else "",
        phone_masked=mask_phone(phone),
        category=v["category"],
        joined_on=v["joined_on"],
        full_member_on=v["full_member_on"],
        employment_status=v["employment_status"],
        work_unit=v["work_unit"],
        home_address=v["home_address"],
        home_org_id=home.id,
        home_path=home.path,
        participating_org_id=part.id if part else None,
        participating_path=part.path if part else "",
    )
    m.fill_search_keys()
    return m


@dataclass
class BatchOutcome:
    created: list[int] = field(default_factory=list)
    updated: dict[int, dict[str, list[Any]]] = field(default_factory=dict)
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)


def existing_for(indexes: Iterable[str]) -> dict[str, Member]:
    return {
        m.id_number_index: m
        for m in Member.objects.filter(id_number_index__in=list(indexes)).defer(
            "id_number", "phone"
        )
    }


def out_of_scope(user: Any, member: Member) -> bool:
    paths = scope_of(user, Action.CHANGE).paths
    return not any(member.home_path.startswith(p) for p in paths)


REFUSED_FOREIGN = (
    "该身份证号已登记在本次导入范围以外的党组织，不能通过导入修改；如需调入请办理组织关系转接"
)


# Which compared fields a file column governs; a field whose column is absent from the file
# keeps its stored value (an export without addresses must not blank them on re-import).
FIELD_COLUMNS = {
    "ethnicity": "ethnicity",
    "education": "education",
    "phone_index": "phone",
    "category": "category",
    "full_member_on": "full_member_on",
    "employment_status": "employment_status",
    "work_unit": "work_unit",
    "home_address": "home_address",
    "participating_org_id": "participating_org",
}


def write_batch(
    user: Any, rows: list[CleanRow], job_root_path: str, columns: set[str] | None = None
) -> BatchOutcome:
    """Upsert one batch (the caller holds the transaction). ``columns``: the fields present
    in the file; others keep their stored values on update."""
    outcome = BatchOutcome()
    compared = tuple(
        f
        for f in COMPARED
        if columns is None or FIELD_COLUMNS.get(f, f) in columns or f not in FIELD_COLUMNS
    )
    written = [*compared, "home_path", "name_simplified", "name_initials", "name_pinyin"]
    if "phone_index" in compared:
        written += ["phone", "phone_masked"]
    if "participating_org_id" in compared:
        written.append("participating_path")
    fresh = [(r, to_member(r)) for r in rows]
    existing = existing_for(m.id_number_index for _, m in fresh)
    inserts: list[Member] = []
    updates: list[Member] = []
    for row, new in fresh:
        old = existing.get(new.id_number_index)
        if old is None:
            inserts.append(new)
            continue
        if not old.home_path.startswith(job_root_path) or out_of_scope(user, old):
            outcome.refused.append((row.row_number, REFUSED_FOREIGN))
            continue
        diff = {
            f: [str(getattr(old, f)), str(getattr(new, f))]
            for f in compared
            if getattr(old, f) != getattr(new, f)
        }
        if not diff:
            outcome.unchanged += 1
            continue
        for f in (
            *COMPARED,
            "phone",
            "phone_masked",
            "home_path",
            "participating_path",
            "name_simplified",
            "name_initials",
            "name_pinyin",
        ):
            setattr(old, f, getattr(new, f))
        if diff.pop("phone_index", None) is not None:
            diff["phone"] = ["******", "******"]
        if "home_address" in diff:
            diff["home_address"] = ["******", "******"]
        outcome.updated[old.pk] = diff
        updates.append(old)
    if inserts:
        outcome.created = insert_members(inserts)
    if updates:
        now = timezone.now()
        for m in updates:
            m.updated_at = now
        Member.objects.bulk_update(updates, [*written, "updated_at"], batch_size=500)
    return outcome


INSERT_COLUMNS = (
    "name", "name_simplified", "name_initials", "name_pinyin", "sex", "ethnicity", "birth_date",
    "id_number", "id_number_index", "id_number_masked", "education", "phone", "phone_index",
    "phone_masked", "category", "joined_on", "full_member_on", "employment_status", "work_unit",
    "home_address", "coord_source", "home_org_id", "home_path", "participating_org_id",
    "participating_path", "entrusted", "created_at", "updated_at",
)  # fmt: skip


def insert_members(members: list[Member]) -> list[int]:
    """Insert new members; on PostgreSQL through ``COPY`` (the fast path), elsewhere with
    ``bulk_create``. Returns the new primary keys."""
    if connection.vendor != "postgresql":
        created = Member.objects.bulk_create(members, batch_size=500)
        return [m.pk for m in created]
    now = timezone.now()
    encrypted = {"id_number", "phone"}
    buffer = io.StringIO()
    for m in members:
        m.created_at = m.updated_at = now
        cells = []
        for col in INSERT_COLUMNS:
            value = getattr(m, col)
            if col in encrypted:
                value = encrypt(value) if value else ""
            cells.append(_copy_text(value))
        buffer.write("\t".join(cells) + "\n")
    indexes = [m.id_number_index for m in members]
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY members_member ({', '.join(INSERT_COLUMNS)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
    return list(Member.objects.filter(id_number_index__in=indexes).values_list("id", flat=True))


def _copy_text(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
