"""The importer of historical petitions (S21; issue 21 item 5): a petition office's register of
past cases (信访件登记表) read through the import engine (``jiceng.imports``), with the
engine's guarantees: the check lists every problem, change and skip in Chinese and writes
nothing; the rows are written in all-or-nothing batches only when the officer starts the
import; a re-run creates no duplicates.

Registered from ``PetitionsConfig.ready()`` (``imports.kinds.register``): imports sits below
petitions in the layers and never names this module.

The rules, each with its reason:

* The natural key is the office's own number (原编号) within the organisation imported into,
  which is the intake organisation of every row (the office whose register it is): a re-run
  finds the case it wrote before instead of registering it twice.
* Each row is written by ``services.petition_import``: the regulation in force on the received
  date (2005 or 2022) and its rules table give the deadlines and whether the reply came in
  time, as for a case registered by hand. Dates out of the order the steps happen in, a
  reply without acceptance, a closure without a reply or the petitioner's satisfaction are
  row problems (``services.past_case_problems``), said before anything is written.
* 责任单位 is an organisation code or full name of the import's subtree that the officer may
  change; one outside it is a row problem naming it.
* The petitioner's name is stored exactly as written (a Traditional form is a notice, not a
  change); the ID number and phone are encrypted with their blind index, as intake does, and
  stay encrypted while staged (the stage is a file).
* A case imported before is listed in the check: the columns the file would change, or that
  it is the same and will be skipped, or that it has been handled in the system since and
  the import will leave it as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.crypto import decrypt, encrypt
from jiceng.core.exports import FORMULA_PREFIXES
from jiceng.geo.models import Street
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
from jiceng.orgs.models import Organization

from . import rules, services
from .models import Petition, PetitionEvent
from .rules import Category, Channel, Satisfaction
from .services import PastCase, PastOutcome

if TYPE_CHECKING:
    from jiceng.imports.directory import OrgDirectory

# field → the column names it goes by (matched as ``imports.headers`` does: Simplified,
# without notes in brackets, spaces and punctuation; the first is the usual name).
PETITION_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("原编号", "信访件编号", "信访编号", "来信来访编号", "登记编号", "编号", "件号"),
    "received_on": ("收到日期", "来信来访日期", "信访日期", "登记日期", "收信日期", "来访日期"),
    "channel": ("信访形式", "信访方式", "来源", "形式"),
    "petitioner_name": ("信访人", "信访人姓名", "姓名", "来信来访人"),
    "id_number": MEMBER_COLUMNS["id_number"],
    "phone": MEMBER_COLUMNS["phone"],
    "people": ("人数", "来访人数", "信访人数"),
    "street": (
        "问题发生地街道（乡镇）",
        "问题发生地",
        "所在街道",
        "街道（乡镇）",
        "街道/乡镇",
        "所在街镇",
        "乡镇",
    ),
    "category": ("类别", "问题类别", "信访类别", "内容分类"),
    "subject": ("事由", "信访事由", "主要事由", "反映问题", "标题"),
    "content": ("主要内容", "反映内容", "内容"),
    "org": ("责任单位", "责任单位代码", "承办单位", "办理单位"),
    "routed_on": ("转送交办日期", "转送日期", "交办日期"),
    "accepted_on": ("受理日期", "受理时间"),
    "replied_on": ("答复日期", "书面答复日期", "答复时间"),
    "reply": ("处理意见", "答复意见", "办理结果"),
    "closed_on": ("办结日期", "办结时间", "结案日期"),
    "satisfaction": ("信访人满意度", "满意度", "信访人评价", "评价"),
}
LABELS = {f: aliases[0] for f, aliases in PETITION_COLUMNS.items()}
# ``PastCase``'s fields by the importer's column
CASE_FIELDS = {"street": "street_id", "org": "org_id"}
COLUMN_OF = {CASE_FIELDS.get(f, f): f for f in PETITION_COLUMNS}
DATE_FIELDS = ("received_on", "routed_on", "accepted_on", "replied_on", "closed_on")

CHANNELS: dict[str, str] = {
    **{str(c.label): c.value for c in Channel},
    "网上": Channel.WEB,
    "网信": Channel.WEB,
    "信件": Channel.LETTER,
    "电话": Channel.PHONE,
}
CATEGORIES: dict[str, str] = {str(c.label): c.value for c in Category}
SATISFACTIONS: dict[str, str] = {str(c.label): c.value for c in Satisfaction}
MAX_REFERENCE = 40
_STREET_SUFFIX = re.compile(r"(街道|镇|乡)$")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_FORMULA_START = frozenset(c for c in FORMULA_PREFIXES if c.strip())


def free_text(value: Any) -> str:
    """A free-text cell (subject, content, reply) as written: trimmed, invisible characters
    and the exports' quote before formula-like text taken off, no width folding."""
    if not isinstance(value, str):
        return cleaning.text(value)
    said = _INVISIBLE.sub("", value).strip()
    if said[:1] == "'" and said[1:2] in _FORMULA_START:
        return said[1:]
    return said


@dataclass
class PetitionRow:
    """A checked row ready to write; the ID number and phone encrypted while staged."""

    row_number: int
    key: str  # the office's number (原编号)
    channel: str
    received_on: dt.date
    petitioner_name: str
    subject: str
    category: str
    id_number: str = ""  # encrypted
    phone: str = ""  # encrypted E.164
    content: str = ""
    people: int = 1
    street_id: str | None = None
    org_id: int | None = None
    routed_on: dt.date | None = None
    accepted_on: dt.date | None = None
    replied_on: dt.date | None = None
    reply: str = ""
    closed_on: dt.date | None = None
    satisfaction: str = ""
    notices: tuple[tuple[str, str], ...] = field(default=())

    def case(self) -> PastCase:
        """The row as the service takes it (ID number and phone in clear)."""
        return PastCase(
            reference=self.key,
            channel=self.channel,
            received_on=self.received_on,
            petitioner_name=self.petitioner_name,
            subject=self.subject,
            category=self.category,
            id_number=decrypt(self.id_number) if self.id_number else "",
            phone=decrypt(self.phone) if self.phone else "",
            content=self.content,
            people=self.people,
            street_id=self.street_id,
            org_id=self.org_id,
            routed_on=self.routed_on,
            accepted_on=self.accepted_on,
            replied_on=self.replied_on,
            reply=self.reply,
            closed_on=self.closed_on,
            satisfaction=self.satisfaction,
        )


@dataclass
class StreetDirectory:
    """The streets and towns a row may name (``geo.Street``, the problem's place): by code,
    by name, and by name without 街道/镇/乡; a name found in several districts is taken in
    the district of the organisation imported into, else it must be given by code."""

    by_code: set[str] = field(default_factory=set)
    by_name: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # → (code, district)
    home: str | None = None

    @classmethod
    def for_job(cls, job: ImportJob) -> StreetDirectory:
        d = cls(home=job.organization.district_id)
        for code, name, district in Street.objects.values_list("code", "name", "district_id"):
            d.by_code.add(code)
            key = cleaning.name_key(name)
            for k in {key, _STREET_SUFFIX.sub("", key)} - {""}:
                d.by_name.setdefault(k, []).append((code, district))
        return d

    def find(self, value: Any) -> str | None:
        raw = cleaning.text(value)
        if not raw:
            return None
        if raw in self.by_code:
            return raw
        key = cleaning.name_key(raw)
        found = self.by_name.get(key) or self.by_name.get(_STREET_SUFFIX.sub("", key)) or []
        codes = list(dict.fromkeys(code for code, _district in found))
        if len(codes) > 1:
            codes = list(dict.fromkeys(c for c, d in found if d == self.home)) or codes
        if len(codes) == 1:
            return codes[0]
        if codes:
            raise CellError(f"有多个街道（乡镇）名为“{raw}”，请改填街道（乡镇）代码")
        raise CellError(f"找不到街道（乡镇）“{raw}”（请填写街道、镇、乡的名称或代码）")


def find_org(orgs: OrgDirectory, value: Any, job: ImportJob) -> int | None:
    """The responsible organisation of a row: by code or full name in the import's subtree
    and the officer's change scope (``OrgDirectory``); one elsewhere is refused naming it."""
    raw = cleaning.text(value)
    if not raw:
        return None
    try:
        return orgs.find(raw).id
    except CellError:
        pass
    other = (
        Organization.objects.filter(code__iexact=raw).first()
        or Organization.objects.filter(name_simplified=cleaning.name_key(raw)).first()
    )
    if other is None:
        raise CellError(f"找不到责任单位“{raw}”（请填写组织代码或全称）")
    if other.is_abolished:
        raise CellError(f"责任单位“{other.name}”已撤销")
    raise CellError(
        f"责任单位“{other.name}”不在您的管辖范围内（本次导入到{job.organization.name}及下级），"
        "不能导入"
    )


def _day(raw: Any, label: str) -> dt.date | None:
    day, precision = cleaning.dated(raw, label=label)
    if day is not None and precision != cleaning.DAY:
        raise CellError(f"{label}须写到日（期限按日计算），如 2005-06-30")
    return day


def clean_petition_row(
    cells: list[Any],
    mapping: dict[int, str],
    orgs: OrgDirectory,
    streets: StreetDirectory,
    job: ImportJob,
    row_number: int,
) -> tuple[PetitionRow | None, Problems]:
    """One row to a past case, or every problem of the row."""
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    notices: Problems = []
    values: dict[str, Any] = {}

    key = cleaning.text(raw.get("reference"))
    if not key:
        problems.append((LABELS["reference"], "缺少原编号"))
    elif len(key) > MAX_REFERENCE:
        problems.append((LABELS["reference"], f"原编号超过 {MAX_REFERENCE} 个字符"))
    for name in DATE_FIELDS:
        try:
            values[name] = _day(raw.get(name), LABELS[name])
        except CellError as exc:
            problems.append((LABELS[name], exc.message))
    if "received_on" in values and values["received_on"] is None:
        problems.append((LABELS["received_on"], "缺少收到日期"))
    for name, choices in (
        ("channel", CHANNELS),
        ("category", CATEGORIES),
        ("satisfaction", SATISFACTIONS),
    ):
        said = cleaning.text(raw.get(name))
        if not said:
            if name != "satisfaction":
                problems.append((LABELS[name], f"缺少{LABELS[name]}"))
            values[name] = ""
            continue
        try:
            values[name] = cleaning.choice(said, choices, label=LABELS[name])
        except CellError as exc:
            problems.append((LABELS[name], exc.message))
    person = cleaning.name(raw.get("petitioner_name"))
    if not person:
        problems.append((LABELS["petitioner_name"], "缺少信访人姓名"))
    elif len(person) > 50:
        problems.append((LABELS["petitioner_name"], "信访人姓名超过 50 个字"))
    elif traditional := cleaning.traditional_characters(person):
        shown = "、".join(f"“{t}”（简化字作“{s}”）" for t, s in traditional)
        notices.append((LABELS["petitioner_name"], f"姓名含繁体字 {shown}，已按原样保存，未作改动"))
    subject = free_text(raw.get("subject"))
    if not subject:
        problems.append((LABELS["subject"], "缺少事由"))
    elif len(subject) > 200:
        problems.append((LABELS["subject"], "事由超过 200 个字"))
    id_number = ""
    if cleaning.text(raw.get("id_number")):
        try:
            parsed = cleaning.id_number(raw.get("id_number"))
        except CellError as exc:
            problems.append((LABELS["id_number"], exc.message))
        else:
            id_number = encrypt(parsed.value)
            notices.extend(
                (LABELS["id_number"], n)
                for n in cleaning.id_number_notices(raw.get("id_number"), parsed)
            )
    phone = ""
    if said := cleaning.text(raw.get("phone")):
        try:
            phone = encrypt(normalize_phone(said))
        except ValidationError as exc:
            problems.append((LABELS["phone"], "；".join(exc.messages)))
    people = 1
    if said := cleaning.text(raw.get("people")):
        if not re.fullmatch(r"\d{1,4}(\.0+)?", said) or int(float(said)) < 1:
            problems.append((LABELS["people"], f"人数“{said}”应为 1 至 9999 的整数"))
        else:
            people = int(float(said))
            if people >= rules.JOINT_VISIT_PEOPLE:
                notices.append(
                    (
                        LABELS["people"],
                        f"{people}人集体访，将标为集体访（{rules.JOINT_VISIT_ARTICLE}）",
                    )
                )
    street_id = org_id = None
    try:
        street_id = streets.find(raw.get("street"))
    except CellError as exc:
        problems.append((LABELS["street"], exc.message))
    try:
        org_id = find_org(orgs, raw.get("org"), job)
    except CellError as exc:
        problems.append((LABELS["org"], exc.message))
    if problems:
        return None, problems
    row = PetitionRow(
        row_number=row_number,
        key=key,
        channel=values["channel"],
        received_on=values["received_on"],
        petitioner_name=person,
        subject=subject,
        category=values["category"],
        id_number=id_number,
        phone=phone,
        content=free_text(raw.get("content")),
        people=people,
        street_id=street_id,
        org_id=org_id,
        routed_on=values["routed_on"],
        accepted_on=values["accepted_on"],
        replied_on=values["replied_on"],
        reply=free_text(raw.get("reply")),
        closed_on=values["closed_on"],
        satisfaction=values["satisfaction"],
        notices=tuple(notices),
    )
    # dates out of order, a step without the one it needs: the service's own rule
    case_problems = services.past_case_problems(row.case())
    if case_problems:
        return None, [(LABELS[COLUMN_OF[f]], m) for f, m in case_problems]
    return row, []


def _existing(job: ImportJob, keys: list[str]) -> dict[str, Petition]:
    found = Petition.objects.filter(intake_org=job.organization, reference__in=keys)
    return {p.reference: p for p in found}


def _handled(cases: list[Petition]) -> set[int]:
    """The cases among ``cases`` with a step taken in the system since their import
    (``services.handled_since_import`` for many at once)."""
    since: dict[int, dt.datetime] = {p.pk: p.imported_at for p in cases if p.imported_at}
    handled = {p.pk for p in cases if p.pk not in since}
    if since:
        events = PetitionEvent.objects.filter(petition__in=list(since))
        later = events.values_list("petition_id", "at")
        handled |= {pk for pk, at in later if at > since[pk]}
    return handled


class PetitionImporter(Importer[PetitionRow]):
    """Past petition cases, keyed by the office's number within the organisation imported
    into: new ones registered with their history, ones imported before updated when the
    file differs, skipped when it does not or when they have been handled since."""

    columns = PETITION_COLUMNS
    required = ("reference", "received_on", "channel", "petitioner_name", "category", "subject")
    key_field = "reference"
    key_name = "原编号"

    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[PetitionRow]]:
        """Inline (an office's register is thousands of rows, not millions)."""
        mapping = {int(k): v for k, v in job.mapping.items()}
        streets = StreetDirectory.for_job(job)
        for chunk in chunks:
            for row_number, cells in chunk:
                row, problems = clean_petition_row(cells, mapping, orgs, streets, job, row_number)
                yield row_number, row, problems

    def look_up(
        self, job: ImportJob, rows: list[PetitionRow], log: ProblemSink
    ) -> list[PetitionRow]:
        """Every row is staged; one whose case was imported before says, before anything is
        written, what the import will do with it: update these columns, skip it (the same),
        or leave it (handled in the system since)."""
        found = _existing(job, [r.key for r in rows]) if rows else {}
        handled = _handled(list(found.values()))
        for row in rows:
            notices = list(row.notices)
            p = found.get(row.key)
            if p is not None:
                changes = services.past_case_changes(p, row.case())
                if not changes:
                    notices.append(("", f"已于此前导入（{p.number}），内容相同，将跳过"))
                elif p.pk in handled:
                    columns = "、".join(LABELS[COLUMN_OF[f]] for f in changes)
                    notices.append(
                        (
                            "",
                            f"已导入的 {p.number} 此后已在系统中继续办理，导入不作修改，"
                            f"将跳过（文件与系统不同的列：{columns}）",
                        )
                    )
                else:
                    columns = "、".join(LABELS[COLUMN_OF[f]] for f in changes)
                    notices.append(("", f"已于此前导入（{p.number}），将更新：{columns}"))
            if notices:
                job.notice_count += 1
                log.add(row.row_number, notices, ImportRowError.Level.NOTICE)
        return rows

    def write(self, job: ImportJob, rows: list[PetitionRow], *, trust_new: bool) -> BatchOutcome:
        """Each row through ``services.petition_import`` (each case audited there), then one
        audit row for the batch; a row the service refuses is reported with its reason."""
        outcome = BatchOutcome()
        for row in rows:
            try:
                with transaction.atomic():
                    p, did = services.petition_import(
                        actor=job.created_by, intake_org=job.organization, case=row.case()
                    )
            except (ValidationError, PermissionDenied) as exc:
                said = "；".join(getattr(exc, "messages", None) or [str(exc)])
                outcome.refused.append((row.row_number, _("未导入：%(why)s") % {"why": said}))
                continue
            if p is None or did in (PastOutcome.UNCHANGED, PastOutcome.KEPT):
                outcome.unchanged += 1
            elif did == PastOutcome.CREATED:
                outcome.created.append(p.pk)
            else:
                outcome.updated[p.pk] = {}
        if outcome.created or outcome.updated:
            audit.record(
                actor=job.created_by,
                verb="create",
                object_type="imports.importjob",
                object_id=str(job.pk),
                object_repr=f"导入历史信访件 {job.original_name} 第 {job.batches_done + 1} 批",
                org_path=job.org_path,
                after={"created": outcome.created, "updated": list(outcome.updated)},
                note=f"新建 {len(outcome.created)}，更新 {len(outcome.updated)}，"
                f"未变 {outcome.unchanged}",
            )
        return outcome
