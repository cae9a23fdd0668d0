"""The member importer: validating and writing member rows in bulk.

A row becomes either a clean set of member fields or a list of (column, message) problems.
Rows are checked in forked worker processes for a large file, and prepared there as ready
``COPY`` lines. Writes happen per batch: existing members (same ID-number blind index) are
updated when something changed and left alone otherwise, new ones are inserted (PostgreSQL:
``COPY``), so running the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from jiceng.core import audit, tree
from jiceng.core.crypto import blind_index, decrypt, encrypt
from jiceng.core.idnumber import mask_id_number
from jiceng.core.scoping import Action, scope_of
from jiceng.core.text import to_simplified
from jiceng.members import education
from jiceng.members.models import Education, EmploymentStatus, Member, MemberCategory, Sex
from jiceng.members.phones import mask_phone, normalize_phone
from jiceng.members.services import ID_PURPOSE, PHONE_PURPOSE, member_date_errors
from jiceng.orgs import tallies

from . import cleaning
from .cleaning import CellError
from .directory import OrgDirectory, OrgRef
from .headers import MEMBER_COLUMNS
from .importer import BatchOutcome, CheckedRow, Chunk, Importer, Problems, ProblemSink
from .models import ImportJob, ImportRowError
from .parallel import map_chunks

if TYPE_CHECKING:
    from jiceng.accounts.models import User

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
# GB/T 4658-2006 codes and names and the names rosters use (``members.education``).
EDUCATION = education.names()
EDUCATION_LABELS = {value: str(label) for value, label in Education.choices}
EDUCATION_SHOWN = "、".join(str(label) for _, label in Education.choices) + (
    f"，或{education.STANDARD}的代码和名称，如 14、硕士研究生毕业"
)

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
    "joined_on_precision",
    "full_member_on",
    "full_member_on_precision",
    "employment_status",
    "work_unit",
    "home_address",
    "home_org_id",
    "participating_org_id",
)


@dataclass
class CleanRow:
    row_number: int
    values: dict[str, Any]
    warnings: Problems  # (column, message): shown to the officer, the row is imported


def clean_member_row(
    cells: list[Any], mapping: dict[int, str], orgs: OrgDirectory, row_number: int
) -> tuple[CleanRow | None, Problems]:
    """One row to member fields, or the problems found (every problem of the row, not only
    the first)."""
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    values: dict[str, Any] = {}
    warnings: Problems = []

    def take(fieldname: str, fn: Any) -> None:
        try:
            values[fieldname] = fn(raw.get(fieldname))
        except CellError as exc:
            problems.append((LABELS[fieldname], exc.message))

    take("name", cleaning.name)
    if "name" in values and not values["name"]:
        problems.append((LABELS["name"], "缺少姓名"))
    elif traditional := cleaning.traditional_characters(values.get("name", "")):
        shown = "、".join(f"“{t}”（简化字作“{s}”）" for t, s in traditional)
        warnings.append(
            (
                LABELS["name"],
                f"姓名含繁体字 {shown}，已按原样保存，未作改动；如系笔误请改正后重新导入",
            )
        )
    try:
        parsed = cleaning.id_number(raw.get("id_number"))
    except CellError as exc:
        problems.append((LABELS["id_number"], exc.message))
        parsed = None
    if parsed is not None:
        values["id_number"] = parsed.value
        values["birth_date"] = parsed.birth_date
        values["sex"] = parsed.sex
        warnings.extend((LABELS["id_number"], w) for w in parsed.warnings)
        if (raw_id := raw.get("id_number")) is not None and not isinstance(raw_id, int | float):
            notices = cleaning.id_number_notices(raw_id, parsed)
            warnings.extend((LABELS["id_number"], n) for n in notices)
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
        take(
            "education",
            lambda v: cleaning.choice(v, EDUCATION, label="学历", shown=EDUCATION_SHOWN),
        )
        written = to_simplified(cleaning.text(raw.get("education")))
        level = values.get("education")
        if level and written in education.APPROXIMATE:
            warnings.append(
                (LABELS["education"], f"学历“{written}”按“{EDUCATION_LABELS[level]}”登记")
            )
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
    take("joined_on", lambda v: cleaning.dated(v, label="入党日期"))
    values["joined_on"], values["joined_on_precision"] = values.get("joined_on") or (None, "")
    if values.get("joined_on") is None and not any(c == LABELS["joined_on"] for c, _ in problems):
        problems.append((LABELS["joined_on"], "缺少入党日期"))
    take("full_member_on", lambda v: cleaning.dated(v, label="转正日期"))
    values["full_member_on"], values["full_member_on_precision"] = values.get("full_member_on") or (
        None,
        "",
    )
    if raw.get("employment_status") not in (None, ""):
        take("employment_status", lambda v: cleaning.choice(v, STATUS, label="工作状态"))
    else:
        values["employment_status"] = EmploymentStatus.AT_POST
    values["work_unit"] = cleaning.text(raw.get("work_unit"))[:120]
    values["home_address"] = cleaning.text(raw.get("home_address"))[:200]
    take("home_org", orgs.find)
    if raw.get("participating_org") not in (None, ""):
        take("participating_org", orgs.find)
    elif values.get("employment_status") == EmploymentStatus.AT_POST:
        # S10: a member at post takes part where the relationship lies; everyone else is left
        # for the placement worklist (a nearby unit).
        values["participating_org"] = values.get("home_org")
    else:
        values["participating_org"] = None
    if not problems:
        for fieldname, message in member_date_errors(
            birth_date=values["birth_date"],
            joined_on=values["joined_on"],
            full_member_on=values["full_member_on"],
            category=values["category"],
            joined_precision=values["joined_on_precision"],
            full_precision=values["full_member_on_precision"],
        ).items():
            problems.append((LABELS[fieldname], message))
    if problems:
        return None, problems
    return CleanRow(row_number, values, warnings), []


class ReadyRow(NamedTuple):
    """A checked row, ready to write: its member columns as one line of PostgreSQL ``COPY``
    text (ID number and phone already encrypted, search keys and masks filled)."""

    row_number: int
    key: str  # the ID number's blind index: the natural key
    line: str
    existing: bool = False  # a member with this ID number existed when the file was checked
    # (column, message) shown to the officer; the row is imported as written
    notices: tuple[tuple[str, str], ...] = ()
    # the member with this ID number is registered under another name: written only when the
    # officer confirms the renames (``ImportJob.accept_renames``)
    rename: bool = False


# The member columns of a ready line, in order; the writer adds id, created_at, updated_at.
LINE_COLUMNS = (
    "name", "name_simplified", "name_initials", "name_pinyin", "sex", "ethnicity", "birth_date",
    "id_number", "id_number_index", "id_number_masked", "education", "phone", "phone_index",
    "phone_masked", "category", "joined_on", "full_member_on", "employment_status", "work_unit",
    "home_address", "coord_source", "home_org_id", "home_path", "participating_org_id",
    "participating_path", "entrusted", "joined_on_precision", "full_member_on_precision",
)  # fmt: skip
_POSITION = {c: i for i, c in enumerate(LINE_COLUMNS)}
_DATES = frozenset({"birth_date", "joined_on", "full_member_on"})
_INTS = frozenset({"home_org_id", "participating_org_id"})
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
_ESCAPED = re.compile(r"\\[\\tnr]")


def _copy_text(value: str) -> str:
    return value.translate(_ESCAPES)


def ready_row(row: CleanRow) -> ReadyRow:
    """A clean row as a ready line (the costly part of writing: pinyin, two keyed hashes, two
    encryptions), done while checking so that the write is little more than ``COPY``."""
    v = row.values
    name = v["name"]  # as written; only the search keys are Simplified
    id_number = v["id_number"]
    phone = v["phone"]
    home: OrgRef = v["home_org"]
    part: OrgRef | None = v["participating_org"]
    index = blind_index(id_number, purpose=ID_PURPOSE)
    full = v["full_member_on"]
    simplified, initials, pinyin = Member.search_keys(name)
    cells = (
        _copy_text(name),
        _copy_text(simplified),
        initials,
        pinyin,
        v["sex"],
        _copy_text(v["ethnicity"][:20]),
        v["birth_date"].isoformat(),
        encrypt(id_number),
        index,
        mask_id_number(id_number),
        v["education"],
        encrypt(phone) if phone else "",
        blind_index(phone, purpose=PHONE_PURPOSE) if phone else "",
        mask_phone(phone),
        v["category"],
        v["joined_on"].isoformat(),
        full.isoformat() if full else r"\N",
        v["employment_status"],
        _copy_text(v["work_unit"]),
        _copy_text(v["home_address"]),
        "",
        str(home.id),
        home.path,
        str(part.id) if part else r"\N",
        part.path if part else "",
        "f",
        v["joined_on_precision"] or "day",
        v["full_member_on_precision"] or "day",
    )
    return ReadyRow(row.row_number, index, "\t".join(cells), notices=tuple(row.warnings))


def line_name(line: str) -> str:
    """The name of a ready line, as written in the file."""
    return _ESCAPED.sub(lambda m: _UNESCAPES[m[0]], line.split("\t", 1)[0])


def line_values(line: str) -> dict[str, Any]:
    """A ready line back to typed column values (updates, and databases without COPY)."""
    values: dict[str, Any] = {}
    for column, cell in zip(LINE_COLUMNS, line.split("\t"), strict=True):
        if cell == r"\N":
            values[column] = None
        elif column in _DATES:
            values[column] = dt.date.fromisoformat(cell)
        elif column in _INTS:
            values[column] = int(cell)
        elif column == "entrusted":
            values[column] = cell == "t"
        else:
            values[column] = _ESCAPED.sub(lambda m: _UNESCAPES[m[0]], cell)
    return values


_CHECK_CONTEXT: tuple[dict[int, str], OrgDirectory] | None = None


def set_check_context(mapping: dict[int, str], orgs: OrgDirectory) -> None:
    """What ``check_chunk`` needs; set once per worker process (inherited by fork)."""
    global _CHECK_CONTEXT  # per-process state of a worker pool
    _CHECK_CONTEXT = (mapping, orgs)


def check_chunk(chunk: Chunk) -> list[CheckedRow[ReadyRow]]:
    """Check and prepare rows; pure computation (no database), so it runs in worker
    processes."""
    if _CHECK_CONTEXT is None:
        raise RuntimeError("set_check_context() first")
    mapping, orgs = _CHECK_CONTEXT
    out: list[CheckedRow[ReadyRow]] = []
    for row_number, cells in chunk:
        row, problems = clean_member_row(cells, mapping, orgs, row_number)
        out.append((row_number, ready_row(row) if row is not None else None, problems))
    return out


REFUSED_RENAME = "该身份证号已登记在另一姓名下，未确认更名，本行未导入"
REFUSED_FOREIGN = (
    "该身份证号已登记在本次导入范围以外的党组织，不能通过导入修改；如需调入请办理组织关系转接"
)


def existing_members(indexes: list[str]) -> dict[str, tuple[str, str]]:
    """Blind index → (home path, name) of the members that already exist among ``indexes``.

    On PostgreSQL the keys go as one array parameter (``= ANY(%s)``): building and sending
    an ``IN`` list of 5,000 placeholders cost more than the index probes themselves.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id_number_index, home_path, name FROM members_member "
                "WHERE id_number_index = ANY(%s)",
                [indexes],
            )
            return {key: (path, name) for key, path, name in cursor.fetchall()}
    found = Member.objects.filter(id_number_index__in=indexes).values_list(
        "id_number_index", "home_path", "name"
    )
    return {key: (path, name) for key, path, name in found}


def may_change(user: User, job_root_path: str, home_path: str) -> bool:
    """Whether an import into ``job_root_path`` by ``user`` may update this member."""
    if not tree.within(home_path, job_root_path):
        return False
    return any(tree.within(home_path, p) for p in scope_of(user, Action.CHANGE).paths)


# Which compared fields a file column governs; a field whose column is absent from the file
# keeps its stored value (an export without addresses must not blank them on re-import).
FIELD_COLUMNS = {
    "ethnicity": "ethnicity",
    "education": "education",
    "phone_index": "phone",
    "category": "category",
    "full_member_on": "full_member_on",
    "full_member_on_precision": "full_member_on",
    "employment_status": "employment_status",
    "work_unit": "work_unit",
    "home_address": "home_address",
    "participating_org_id": "participating_org",
}


def write_batch(
    user: User,
    rows: list[ReadyRow],
    job_root_path: str,
    columns: set[str] | None = None,
    *,
    trust_new: bool = False,
    accept_renames: bool = False,
) -> BatchOutcome:
    """Upsert one batch (the caller holds the transaction). ``columns``: the fields present
    in the file; others keep their stored values on update. ``trust_new``: the batch held no
    existing member when the file was checked, so it is inserted without looking again (a
    member added meanwhile makes the insert fail on the unique blind index, and the caller
    retries with ``trust_new=False``). ``accept_renames``: the officer confirmed that members
    registered under another name take the file's name; without it such a row is refused
    (issue 15: a known ID with another name is never renamed in silence)."""
    outcome = BatchOutcome()
    if trust_new:
        outcome.created = insert_lines([r.line for r in rows])
        _units_changed(outcome.created, ())
        return outcome
    existing = {
        m.id_number_index: m
        for m in Member.objects.filter(id_number_index__in=[r.key for r in rows]).defer(
            "id_number", "phone"
        )
    }
    units_before = {u for m in existing.values() for u in (m.home_org_id, m.participating_org_id)}
    inserts: list[str] = []
    updates: list[Member] = []
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
    for row in rows:
        old = existing.get(row.key)
        if old is None:
            inserts.append(row.line)
            continue
        if not may_change(user, job_root_path, old.home_path):
            outcome.refused.append((row.row_number, REFUSED_FOREIGN))
            continue
        new = line_values(row.line)
        if old.name != new["name"] and not accept_renames:
            outcome.refused.append((row.row_number, REFUSED_RENAME))
            continue
        diff = {
            f: [str(getattr(old, f)), str(new[f])] for f in compared if getattr(old, f) != new[f]
        }
        if not diff:
            outcome.unchanged += 1
            continue
        for f in written:
            if f == "phone":
                old.phone = decrypt(new["phone"]) if new["phone"] else ""
            else:
                setattr(old, f, new[f])
        if diff.pop("phone_index", None) is not None:
            diff["phone"] = ["******", "******"]
        if "home_address" in diff:
            diff["home_address"] = ["******", "******"]
        outcome.updated[old.pk] = diff
        updates.append(old)
    if inserts:
        outcome.created = insert_lines(inserts)
    if updates:
        now = timezone.now()
        for m in updates:
            m.updated_at = now
        Member.objects.bulk_update(updates, [*written, "updated_at"], batch_size=500)
    _units_changed(outcome.created, units_before)
    return outcome


def _units_changed(created: list[int], units_before: Iterable[int | None]) -> None:
    """The stored totals kept per unit (issue 22) recount the units members joined or left."""
    after = Member.objects.filter(pk__in=created).values_list("home_org_id", "participating_org_id")
    tallies.units_changed({*units_before, *(u for pair in after for u in pair)})


def insert_lines(lines: list[str]) -> list[int]:
    """Insert new members from ready lines; on PostgreSQL through ``COPY`` with primary keys
    drawn from the sequence beforehand (no read-back), elsewhere with ``executemany``.
    Returns the new primary keys."""
    now = timezone.now()
    columns = ", ".join(("id", "created_at", "updated_at", *LINE_COLUMNS))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('members_member', 'id')) "
                "FROM generate_series(1, %s)",
                [len(lines)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            stamp = now.isoformat()
            with (
                connection.wrap_database_errors,  # psycopg's errors as Django's (IntegrityError)
                cursor.cursor.copy(f"COPY members_member ({columns}) FROM STDIN") as copy,
            ):
                prefixed = zip(ids, lines, strict=True)
                copy.write("".join(f"{pk}\t{stamp}\t{stamp}\t{line}\n" for pk, line in prefixed))
            return ids
        ops = connection.ops
        adapted = ops.adapt_datetimefield_value(now)
        params = []
        for line in lines:
            v = line_values(line)
            for c in _DATES:
                v[c] = ops.adapt_datefield_value(v[c])
            params.append([adapted, adapted, *(v[c] for c in LINE_COLUMNS)])
        holes = ", ".join(["%s"] * (len(LINE_COLUMNS) + 2))
        insert = f"INSERT INTO members_member ({columns[4:]}) VALUES ({holes})"  # noqa: S608
        cursor.executemany(insert, params)
    indexes = [line.split("\t", _POSITION["id_number_index"] + 1)[-2] for line in lines]
    return list(Member.objects.filter(id_number_index__in=indexes).values_list("id", flat=True))


class MemberImporter(Importer[ReadyRow]):
    """Members, matched by ID number: new ones inserted, those of the import's subtree
    updated, renamed only when the officer confirms; members registered outside it refused
    (moving a member is a transfer, not an import)."""

    columns = MEMBER_COLUMNS
    required = ("name", "id_number", "joined_on", "home_org")
    key_field = "id_number"

    def required_for(self, job: ImportJob) -> tuple[str, ...]:
        """Into one branch (a unit with no active sub-units) a roster needs no column for the
        home organisation: every member's relationship lies in that branch."""
        if OrgDirectory.is_leaf(job.organization):
            return tuple(f for f in self.required if f != "home_org")
        return self.required

    def sheet_note(self, job: ImportJob, fields: set[str]) -> str:
        if "home_org" in fields:
            return ""
        return f"表中没有“组织关系所在党组织”列：各行党员的组织关系登记在{job.organization.name}"

    key_name = "身份证号"

    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[ReadyRow]]:
        mapping = {int(k): v for k, v in job.mapping.items()}
        return map_chunks(
            check_chunk,
            chunks,
            workers=workers,
            initializer=set_check_context,
            initargs=(mapping, orgs),
        )

    def look_up(self, job: ImportJob, rows: list[ReadyRow], log: ProblemSink) -> list[ReadyRow]:
        """A member registered outside the import's subtree is refused; one inside is marked
        for update, and listed as a name conflict when registered under another name; the
        rest are new. Notices are listed for every row."""
        found = existing_members([r.key for r in rows]) if rows else {}
        staged: list[ReadyRow] = []
        for row in rows:
            home_path, stored_name = found.get(row.key, ("", ""))
            if row.notices:
                job.notice_count += 1
                log.add(row.row_number, row.notices, ImportRowError.Level.NOTICE)
            if not home_path:
                staged.append(row)
            elif may_change(job.created_by, job.org_path, home_path):
                rename = stored_name != (file_name := line_name(row.line))
                if rename:
                    job.rename_count += 1
                    message = f"已登记姓名“{stored_name}”，文件中为“{file_name}”"
                    log.add(
                        row.row_number, [(LABELS["name"], message)], ImportRowError.Level.RENAME
                    )
                staged.append(row._replace(existing=True, rename=rename))
            else:
                log.add(row.row_number, [(LABELS["id_number"], REFUSED_FOREIGN)])
        return staged

    def all_new(self, rows: list[ReadyRow]) -> bool:
        return not any(r.existing for r in rows)

    def write(self, job: ImportJob, rows: list[ReadyRow], *, trust_new: bool) -> BatchOutcome:
        if not job.accept_renames:  # the officer chose to skip the name conflicts
            rows = [r for r in rows if not r.rename]
        outcome = write_batch(
            job.created_by,
            rows,
            job.org_path,
            set(job.mapping.values()),
            trust_new=trust_new,
            accept_renames=job.accept_renames,
        )
        if outcome.created or outcome.updated:
            renamed = sum("name" in d for d in outcome.updated.values())
            audit.record(
                actor=job.created_by,
                verb="create",
                object_type="imports.importjob",
                object_id=str(job.pk),
                object_repr=f"导入 {job.original_name} 第 {job.batches_done + 1} 批",
                org_path=job.org_path,
                after={"created": outcome.created, "updated": outcome.updated},
                note=f"新建 {len(outcome.created)}，更新 {len(outcome.updated)}，"
                f"未变 {outcome.unchanged}" + (f"，经确认更名 {renamed}" if renamed else ""),
            )
        return outcome
