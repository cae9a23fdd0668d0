"""The importer of membership development records (发展党员, issue 23): each applicant's stage
dates from a branch's or a committee's spreadsheet, read through the import engine
(``jiceng.imports``) with its guarantees: the check lists, for every row, what will be
created, added, skipped or refused, in Chinese, and writes nothing; the rows are written in
all-or-nothing batches only when the officer starts the import; a re-run creates no
duplicates.

Registered from ``DevelopmentConfig.ready()`` (``imports.kinds.register``): imports sits below
development in the layers and never names this module.

The rules, each with its reason:

* One row per applicant; the natural key is the ID number's blind index at the branch
  (所在党支部), the key ``development_register`` refuses a second open case by.
* A column per step of the 2014 table (``rules.PIPELINE_2014``), named by the step's label
  (递交入党申请书日期, 确定发展对象日期, …) or a usual synonym (申请日期, 列为发展对象日期, …);
  取消预备党员资格 is a decision taken in the system and has no column. A repeating step
  (培养教育考察, 继续教育考察) may hold several dates in its cell.
* Each row is checked by ``services.import_plan``, through the same engine the services use:
  the steps in date order, each by ``Pipeline.check`` (out of order, too early, after today,
  late without the row's 逾期原因: a problem citing the article), under 18 on the day of
  application (第五条), a step of the committee above that the importer may not take.
* Each row is written by ``services.development_import_row``: the case as registered by hand,
  its steps as ``development_step`` records them, the member on the roll on admission.
* A case already present is only added to: a step recorded on the same day is skipped, on
  another day it is a problem (an import never changes a step taken).
* The name is stored exactly as written (a Traditional form is a notice, not a change); the
  ID number and phone are encrypted with their blind index, and stay encrypted while staged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from jiceng.core import audit, clock
from jiceng.core.crypto import decrypt, encrypt
from jiceng.core.stages import Record, Records
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
from jiceng.members.models import Member
from jiceng.members.phones import normalize_phone
from jiceng.members.services import id_number_index
from jiceng.orgs.models import RECEIVING_TYPES, Organization

from . import rules, services
from .models import Development, DevelopmentStep
from .rules import By
from .services import ImportedCase, ImportedStep, ImportOutcome, ImportPlan

if TYPE_CHECKING:
    from jiceng.imports.directory import OrgDirectory, OrgRef

_BRACKETS = re.compile(r"（[^）]*）")

# step code → the other names its date column goes by (the first name is the step's label
# followed by 日期, without the note in brackets: 培养教育考察日期)
STEP_SYNONYMS: dict[str, tuple[str, ...]] = {
    "apply": ("申请日期", "申请入党日期", "入党申请日期", "递交申请书日期", "申请入党时间"),
    "talk": ("谈话日期", "派人谈话日期", "入党申请人谈话日期"),
    "activist": (
        "确定入党积极分子日期",
        "列为入党积极分子日期",
        "确定为入党积极分子日期",
        "确定积极分子日期",
        "列为积极分子日期",
        "积极分子日期",
    ),
    "activist_filed": ("入党积极分子备案日期", "积极分子备案日期"),
    "contacts": ("培养联系人日期", "确定培养联系人日期"),
    "assess": ("考察日期", "培养考察日期"),
    "candidate": ("列为发展对象日期", "确定为发展对象日期", "发展对象日期"),
    "candidate_filed": ("发展对象备案日期",),
    "introducers": ("入党介绍人日期",),
    "political_review": ("政治审查日期", "政审日期"),
    "training": ("集中培训日期", "培训日期"),
    "committee_review": ("支委会审查日期",),
    "pre_review": ("预审日期",),
    "form_filled": ("入党志愿书填写日期",),
    "general_meeting": (
        "支部大会讨论接收日期",
        "支部大会通过日期",
        "支部大会日期",
        "接收预备党员支部大会日期",
    ),
    "upper_talk": ("上级党委谈话日期",),
    "approval": (
        "党委审批日期",
        "审批日期",
        "批准日期",
        "接收为预备党员日期",
        "批准为预备党员日期",
    ),
    "approval_filed": ("审批备案日期",),
    "grouped": ("编入党小组日期", "编入支部日期"),
    "oath": ("宣誓日期",),
    "education": ("预备期考察日期", "预备党员考察日期"),
    "extend": ("延长预备期决定日期",),
    "full_request": ("转正申请日期", "递交转正申请日期"),
    "full_meeting": ("转正支部大会日期",),
    "full_approval": ("转正审批日期", "批准转正日期", "转正日期"),
    "archive": ("归档日期",),
}
NO_COLUMN = (rules.CANCEL_STEP,)  # a decision taken in the system, not imported
STEP_FIELDS: tuple[str, ...] = tuple(
    s.code for s in rules.PIPELINE_2014.steps if s.code not in NO_COLUMN
)
with translation.override(None):  # the headers are Chinese whatever the page's language
    STEP_LABELS: dict[str, str] = {
        s.code: _BRACKETS.sub("", str(s.label)) for s in rules.PIPELINE_2014.steps
    }

DEVELOPMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "申请人姓名", "名字"),
    "id_number": MEMBER_COLUMNS["id_number"],
    "phone": MEMBER_COLUMNS["phone"],
    "org": (
        "所在党支部",
        "所在支部",
        "党支部",
        "所属党支部",
        "所属支部",
        "党支部名称",
        "支部名称",
        "支部代码",
        "党支部代码",
        "所在党组织",
    ),
    "work_unit": MEMBER_COLUMNS["work_unit"],
    **{code: (f"{STEP_LABELS[code]}日期", *STEP_SYNONYMS[code]) for code in STEP_FIELDS},
    "extend_months": ("延长预备期月数", "延长月数"),
    "application_form_no": ("入党志愿书编号", "志愿书编号"),
    "reason": ("逾期原因", "逾期办理原因", "逾期说明"),
}
LABELS = {f: aliases[0] for f, aliases in DEVELOPMENT_COLUMNS.items()}
MAX_NAME = 50
MAX_REASON = 300
MAX_FORM_NO = 30
_SEVERAL = re.compile(r"[、;；,，\n]+")
LISTED_STEPS = 4  # a notice lists this many steps, else the first and last


@dataclass
class DevelopmentRow:
    """A checked row ready to write; the ID number and phone encrypted while staged."""

    row_number: int
    key: str  # the branch and the ID number's blind index
    org_id: int
    org_path: str
    name: str
    id_number: str  # encrypted
    id_index: str
    birth_date: dt.date | None
    steps: tuple[ImportedStep, ...]
    phone: str = ""  # encrypted E.164
    work_unit: str = ""
    reason: str = ""
    application_form_no: str = ""
    notices: tuple[tuple[str, str], ...] = field(default=())

    def imported(self) -> ImportedCase:
        """The row as the service takes it (ID number and phone in clear)."""
        return ImportedCase(
            name=self.name,
            id_number=decrypt(self.id_number),
            steps=self.steps,
            phone=decrypt(self.phone) if self.phone else "",
            work_unit=self.work_unit,
            reason=self.reason,
            application_form_no=self.application_form_no,
        )


def import_key(org_id: int, index: str) -> str:
    return f"{org_id}:{index}"


class BranchFinder:
    """The branch a row names: by code or full name in the import's subtree and the
    officer's change scope (``OrgDirectory``); a branch elsewhere, or a unit that is not a
    branch, is a problem naming it."""

    def __init__(self, job: ImportJob, orgs: OrgDirectory) -> None:
        self.job = job
        self.orgs = orgs
        self.types: dict[int, str] = {}

    def find(self, value: Any) -> OrgRef:
        raw = cleaning.text(value)
        try:
            ref = self.orgs.find(raw)
        except CellError as exc:
            if not raw:
                raise CellError("缺少所在党支部（请填写党支部的组织代码或全称）") from exc
            if "多个" in exc.message:
                raise
            raise self._elsewhere(raw) from exc
        if ref.id not in self.types:
            self.types[ref.id] = (
                Organization.objects.filter(pk=ref.id).values_list("org_type", flat=True).get()
            )
        if self.types[ref.id] not in RECEIVING_TYPES:
            raise CellError(
                f"“{raw}”不是党支部（党总支）：入党申请书应向工作、学习所在单位的党支部递交"
            )
        return ref

    def _elsewhere(self, raw: str) -> CellError:
        other = (
            Organization.objects.filter(code__iexact=raw).first()
            or Organization.objects.filter(name_simplified=cleaning.name_key(raw)).first()
        )
        if other is None:
            return CellError(f"找不到党支部“{raw}”（请填写组织代码或全称）")
        if other.is_abolished:
            return CellError(f"党支部“{other.name}”已撤销")
        return CellError(
            f"党支部“{other.name}”不在您的管辖范围内"
            f"（本次导入到{self.job.organization.name}及下级），不能导入"
        )


def _days(raw: Any, code: str) -> list[dt.date]:
    """The dates of a step's cell: one, or several for a repeating step (2003-09-01、
    2004-03-01); each written to the day (the time limits count days)."""
    label = LABELS[code]
    if raw is None or isinstance(raw, dt.date | int | float):
        parts: list[Any] = [raw]
    else:
        said = cleaning.text(raw)
        parts = [p for p in _SEVERAL.split(said) if p] if said else []
        if len(parts) > 1 and not rules.PIPELINE_2014.step(code).repeats:
            raise CellError(f"{label}只能填写一个日期（“{said}”）")
    out: list[dt.date] = []
    for part in parts:
        day, precision = cleaning.dated(part, label=label)
        if day is None:
            continue
        if precision != cleaning.DAY:
            raise CellError(f"{label}须写到日（期限按日计算），如 2005-06-30")
        if day not in out:
            out.append(day)
    return out


def _months(raw: Any) -> int | None:
    said = cleaning.text(raw)
    if not said:
        return None
    said = re.sub(r"(个月|月)$", "", said)
    if not re.fullmatch(r"\d{1,2}(\.0+)?", said):
        raise CellError(f"延长预备期月数“{said}”应为 6 至 12 的整数")
    return int(float(said))


def clean_development_row(
    cells: list[Any],
    mapping: dict[int, str],
    branches: BranchFinder,
    row_number: int,
) -> tuple[DevelopmentRow | None, Problems]:
    """One row to an applicant with the dates of their steps, or every problem of its cells
    (the order of the steps is checked against the stored case by ``look_up``)."""
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    notices: Problems = []

    person = cleaning.name(raw.get("name"))
    if not person:
        problems.append((LABELS["name"], "缺少姓名"))
    elif len(person) > MAX_NAME:
        problems.append((LABELS["name"], f"姓名超过 {MAX_NAME} 个字"))
    elif traditional := cleaning.traditional_characters(person):
        shown = "、".join(f"“{t}”（简化字作“{s}”）" for t, s in traditional)
        notices.append((LABELS["name"], f"姓名含繁体字 {shown}，已按原样保存，未作改动"))
    id_number = index = ""
    birth_date = None
    try:
        parsed = cleaning.id_number(raw.get("id_number"))
    except CellError as exc:
        problems.append((LABELS["id_number"], exc.message))
    else:
        id_number = encrypt(parsed.value)
        index = id_number_index(parsed.value)
        birth_date = parsed.birth_date
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
    ref = None
    try:
        ref = branches.find(raw.get("org"))
    except CellError as exc:
        problems.append((LABELS["org"], exc.message))
    steps: list[ImportedStep] = []
    months = None
    try:
        months = _months(raw.get("extend_months"))
    except CellError as exc:
        problems.append((LABELS["extend_months"], exc.message))
    for code in STEP_FIELDS:
        try:
            days = _days(raw.get(code), code)
        except CellError as exc:
            problems.append((LABELS[code], exc.message))
            continue
        value = months if code == rules.EXTEND_STEP else None
        steps.extend(ImportedStep(code, day, value) for day in days)
    if months is not None and not any(s.step == rules.EXTEND_STEP for s in steps):
        problems.append((LABELS["extend_months"], f"填写了延长月数，但没有{LABELS['extend']}"))
    if not steps and not any(c in STEP_FIELDS for c, _m in problems):
        problems.append(("", "没有填写任何环节的日期"))
    reason = cleaning.text(raw.get("reason"))
    if len(reason) > MAX_REASON:
        problems.append((LABELS["reason"], f"逾期原因超过 {MAX_REASON} 个字"))
    form_no = cleaning.text(raw.get("application_form_no"))
    if len(form_no) > MAX_FORM_NO:
        problems.append((LABELS["application_form_no"], f"入党志愿书编号超过 {MAX_FORM_NO} 个字符"))
    work_unit = cleaning.text(raw.get("work_unit"))[:120]
    if problems or ref is None:
        return None, problems
    return (
        DevelopmentRow(
            row_number=row_number,
            key=import_key(ref.id, index),
            org_id=ref.id,
            org_path=ref.path,
            name=person,
            id_number=id_number,
            id_index=index,
            birth_date=birth_date,
            steps=tuple(steps),
            phone=phone,
            work_unit=work_unit,
            reason=reason,
            application_form_no=form_no,
            notices=tuple(notices),
        ),
        [],
    )


def _listed(steps: Iterable[ImportedStep]) -> str:
    steps = list(steps)
    said = [f"{STEP_LABELS[s.step]} {s.on}" for s in steps]
    if len(said) <= LISTED_STEPS:
        return "、".join(said)
    return f"{said[0]} … {said[-1]}"


def _preview(row: DevelopmentRow, plan: ImportPlan, existing: Development | None,
             records: list[Record]) -> list[tuple[str, str]]:  # fmt: skip
    """What the import will do with a row that passed, in the officer's words."""
    p = services.pipeline_of(existing) if existing else rules.pipeline_on(plan.new[0][0].on)
    after = Records([*records, *(Record(st.step, st.on, st.value) for st, _l in plan.new)])
    stage = str(rules.DevelopmentStage(p.stage(after)).label)
    said: list[tuple[str, str]] = []
    new = [st for st, _late in plan.new]
    if existing is None:
        said.append(
            ("", f"将新建发展党员记录，记录 {len(new)} 个环节（{_listed(new)}），阶段：{stage}")
        )
    elif new:
        said.append(
            ("", f"已有发展党员记录，将增加 {len(new)} 个环节（{_listed(new)}），阶段：{stage}")
        )
    elif plan.form_no:
        said.append(("", "已有发展党员记录，将补记入党志愿书编号"))
    if plan.same:
        if existing is not None and not plan.changes:
            n = len(plan.same)
            said.append(("", f"已有发展党员记录，文件中的 {n} 个环节均已记录、日期相同，将跳过"))
        else:
            said.append(("", f"已记录、日期相同，将跳过：{_listed(plan.same)}"))
    late = [st for st, was_late in plan.new if was_late]
    if late:
        said.append((LABELS["reason"], f"逾期办理：{_listed(late)}，原因按“{row.reason}”记录"))
    if any(st.step == rules.ADMIT_STEP for st in new):
        said.append(("", "上级党委审批后将作为预备党员登记入党员名册"))
    if existing is not None and existing.name != row.name:
        said.append((LABELS["name"], f"已有记录的姓名为“{existing.name}”，导入不修改姓名"))
    return said


class DevelopmentImporter(Importer[DevelopmentRow]):
    """Membership development records, keyed by the ID number's blind index at the branch:
    new cases registered with their steps, cases present added to with the steps they lack,
    rows the engine refuses named with the rule and its article before anything is written."""

    columns = DEVELOPMENT_COLUMNS
    required = ("name", "id_number")
    key_field = "id_number"
    key_name = "公民身份号码"

    def sheet_note(self, job: ImportJob, fields: set[str]) -> str:
        read = [f for f in STEP_FIELDS if f in fields]
        said = f"读取 {len(read)} 个环节的日期列；未列出的环节按未办理处理"
        if rules.APPLY_STEP not in fields:
            said += f"。没有“{LABELS[rules.APPLY_STEP]}”列：只能为已有发展党员记录的申请人补记环节"
        return said

    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[DevelopmentRow]]:
        """Inline (a district's applicants are thousands of rows, not millions)."""
        mapping = {int(k): v for k, v in job.mapping.items()}
        branches = BranchFinder(job, orgs)
        for chunk in chunks:
            for row_number, cells in chunk:
                row, problems = clean_development_row(cells, mapping, branches, row_number)
                yield row_number, row, problems

    def look_up(
        self, job: ImportJob, rows: list[DevelopmentRow], log: ProblemSink
    ) -> list[DevelopmentRow]:
        """Each row against its case (if any) through ``services.import_plan``: a row the
        engine refuses is logged with its problems and not staged; every other row says
        what the import will do with it."""
        if not rows:
            return rows
        actor = job.created_by
        today = clock.today()
        found: dict[str, list[Development]] = {}
        for d in Development.objects.filter(
            org_id__in={r.org_id for r in rows}, id_number_index__in={r.id_index for r in rows}
        ):
            found.setdefault(import_key(d.org_id, d.id_number_index), []).append(d)
        cases = {key: services.import_case_of(ds) for key, ds in found.items()}
        records: dict[int, list[Record]] = {}
        steps = DevelopmentStep.objects.filter(
            development_id__in=[d.pk for d in cases.values() if d is not None]
        ).values_list("development_id", "step", "on", "value")
        for pk, step, on, value in steps:
            records.setdefault(pk, []).append(Record(step, on, value))
        on_roll = set(
            Member.objects.filter(id_number_index__in={r.id_index for r in rows}).values_list(
                "id_number_index", flat=True
            )
        )
        numbers = {r.application_form_no for r in rows if r.application_form_no}
        forms = set(
            Development.objects.filter(application_form_no__in=numbers).values_list(
                "form_committee_path", "application_form_no", "pk"
            )
        )
        above: dict[str, tuple[str, str | None]] = {}  # branch path → (committee, refusal)
        in_file: dict[tuple[str, str], int] = {}
        staged = []
        for row in rows:
            if row.org_path not in above:
                above[row.org_path] = (
                    services.taker_path_at(row.org_path, By.ABOVE),
                    services.refusal_at(actor, row.org_path, By.ABOVE),
                )
            committee, refusal = above[row.org_path]
            existing = cases.get(row.key)
            had = records.get(existing.pk, []) if existing else []
            form = (committee, row.application_form_no)
            taken = any(
                (c, n) == form and pk != (existing.pk if existing else None) for c, n, pk in forms
            )
            plan = services.import_plan(
                row.imported(),
                existing=existing,
                records=had,
                birth_date=row.birth_date,
                today=today,
                above_refusal=refusal,
                on_roll=row.id_index in on_roll,
                form_taken=taken,
            )
            problems = [(LABELS.get(f, f), m) for f, m in plan.problems]
            if not problems and plan.form_no and form in in_file:
                said = f"入党志愿书编号与{job.row_label(in_file[form])}重复"
                problems.append((LABELS["application_form_no"], said))
            if problems:
                log.add(row.row_number, problems)
                continue
            if plan.form_no:
                in_file[form] = row.row_number
            job.notice_count += 1
            notices = [*row.notices, *_preview(row, plan, existing, had)]
            log.add(row.row_number, notices, ImportRowError.Level.NOTICE)
            staged.append(row)
        return staged

    def write(self, job: ImportJob, rows: list[DevelopmentRow], *, trust_new: bool) -> BatchOutcome:
        """Each row through ``services.development_import_row`` (each case audited there),
        then one audit row for the batch; a row the service refuses (the records changed
        since the check) is reported with its reason."""
        outcome = BatchOutcome()
        branches = Organization.objects.in_bulk({r.org_id for r in rows})
        for row in rows:
            try:
                with transaction.atomic():
                    d, did = services.development_import_row(
                        actor=job.created_by, org=branches[row.org_id], imported=row.imported()
                    )
            except (ValidationError, PermissionDenied) as exc:
                said = "；".join(getattr(exc, "messages", None) or [str(exc)])
                outcome.refused.append((row.row_number, _("未导入：%(why)s") % {"why": said}))
                continue
            if d is None or did == ImportOutcome.UNCHANGED:
                outcome.unchanged += 1
            elif did == ImportOutcome.CREATED:
                outcome.created.append(d.pk)
            else:
                outcome.updated[d.pk] = {}
        if outcome.created or outcome.updated:
            audit.record(
                actor=job.created_by,
                verb="create",
                object_type="imports.importjob",
                object_id=str(job.pk),
                object_repr=f"导入发展党员记录 {job.original_name} 第 {job.batches_done + 1} 批",
                org_path=job.org_path,
                after={"created": outcome.created, "updated": list(outcome.updated)},
                note=f"新建 {len(outcome.created)}，增加环节 {len(outcome.updated)}，"
                f"未变 {outcome.unchanged}",
            )
        return outcome
