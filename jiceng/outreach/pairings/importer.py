"""The pairings importer (S26, issue 20 item 2): existing branch ↔ needy-person pairings (a
street's 结对帮扶台账) read through the import engine (``jiceng.imports``), shaped like the
needy registry's importer: a dry run lists every problem in Chinese and writes nothing, rows
are written through the pairing services (each audited) in the engine's batches, and a re-run
creates nothing new.

Registered from ``OutreachConfig.ready()`` (``imports.kinds.register``).

The rules, each with its reason:

* The person is found by the registry's blind index of the ID number (the function the needy
  importer uses); a number not registered is a row problem (register the person first). The
  name is checked against the registered one: a different name is a problem naming both.
* 结对支部代码 is an Organization code: a branch (``PAIRING_BRANCH_TYPES``), not abolished, that
  the officer may change, inside the import's subtree and in the person's district.
* The natural key is the person (one open pairing per person). A person already in an open
  pairing with the same branch is unchanged (re-runs are safe); with another branch it is a
  problem: never silently re-pointed (ending a pairing needs a reason, given on its page).
* 状态: 已确认 (default; proposed then confirmed on 结对日期, default today) or 已提出.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.scoping import Action
from jiceng.imports import cleaning
from jiceng.imports.cleaning import CellError
from jiceng.imports.headers import MEMBER_COLUMNS
from jiceng.imports.importer import BatchOutcome, CheckedRow, Chunk, Importer, Problems, ProblemSink
from jiceng.imports.models import ImportJob
from jiceng.members.services import id_number_index
from jiceng.orgs.models import Organization

from ..registry.models import NeedyPerson
from ..registry.rules import NeedyStatus
from . import services
from .models import Pairing
from .rules import OPEN_STATES, PAIRING_BRANCH_TYPES, PairingState

if TYPE_CHECKING:
    from jiceng.imports.directory import OrgDirectory

PAIRING_COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("帮扶对象公民身份号码", "帮扶对象身份证号", *MEMBER_COLUMNS["id_number"]),
    "name": ("帮扶对象姓名", "姓名", "帮扶对象"),
    "branch": ("结对支部代码", "组织代码", "支部代码", "结对党支部代码"),
    "started_on": ("结对日期", "结对时间", "开始日期"),
    "state": ("状态", "结对状态"),
}
LABELS = {f: aliases[0] for f, aliases in PAIRING_COLUMNS.items()}
STATES = {"已确认": PairingState.CONFIRMED, "已提出": PairingState.PROPOSED}
DISTRICT = 2  # tree depth of a district (``tree.at_depth``)


@dataclass
class PairingRow:
    row_number: int
    key: str  # the ID number's blind index
    name: str
    branch_id: int
    branch_path: str
    branch_name: str
    state: str
    started_on: dt.date
    needy_id: int | None = None


@dataclass
class BranchDirectory:
    """The branches rows may name: active, in the import's subtree, changeable by the officer;
    by code. ``others``: codes of organisations that exist but may not be named."""

    by_code: dict[str, Organization]

    @classmethod
    def for_job(cls, job: ImportJob) -> BranchDirectory:
        orgs = Organization.objects.visible_to(job.created_by, Action.CHANGE).filter(
            path__startswith=job.org_path,
            org_type__in=PAIRING_BRANCH_TYPES,
            abolished_on__isnull=True,
        )
        return cls({o.code.upper(): o for o in orgs})

    def find(self, value: Any) -> Organization:
        code = cleaning.text(value).upper()
        if not code:
            raise CellError("缺少结对支部代码")
        if code in self.by_code:
            return self.by_code[code]
        other = Organization.objects.filter(code__iexact=code).first()
        if other is None:
            raise CellError(f"找不到组织代码为“{code}”的党组织")
        if other.org_type not in PAIRING_BRANCH_TYPES:
            raise CellError(f"“{other.name}”不是党支部，请填写党支部（或联合支部）的组织代码")
        if other.is_abolished:
            raise CellError(f"“{other.name}”已撤销")
        raise CellError(f"“{other.name}”不在本次导入范围内，或您无权为其安排结对")


def clean_pairing_row(
    cells: list[Any], mapping: dict[int, str], branches: BranchDirectory, row_number: int
) -> tuple[PairingRow | None, Problems]:
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    key = ""
    try:
        key = id_number_index(cleaning.id_number(raw.get("id_number")).value)
    except CellError as exc:
        problems.append((LABELS["id_number"], exc.message))
    name = cleaning.name(raw.get("name"))
    if not name:
        problems.append((LABELS["name"], "缺少帮扶对象姓名"))
    branch: Organization | None = None
    try:
        branch = branches.find(raw.get("branch"))
    except CellError as exc:
        problems.append((LABELS["branch"], exc.message))
    started_on = clock.today()
    try:
        started_on = cleaning.date(raw.get("started_on"), label="结对日期") or started_on
    except CellError as exc:
        problems.append((LABELS["started_on"], exc.message))
    state = PairingState.CONFIRMED
    if said := cleaning.text(raw.get("state")):
        try:
            state = PairingState(cleaning.choice(said, STATES, label="状态"))
        except CellError as exc:
            problems.append((LABELS["state"], exc.message))
    if problems or branch is None:
        return None, problems
    return (
        PairingRow(
            row_number=row_number,
            key=key,
            name=name,
            branch_id=branch.pk,
            branch_path=branch.path,
            branch_name=branch.name,
            state=state,
            started_on=started_on,
        ),
        [],
    )


def _people(keys: Iterable[str]) -> dict[str, NeedyPerson]:
    found = NeedyPerson.objects.filter(
        id_number_index__in=list(keys), merged_into__isnull=True, status=NeedyStatus.ACTIVE
    )
    return {p.id_number_index: p for p in found}


def _open(people: Iterable[NeedyPerson]) -> dict[int, Pairing]:
    rows = Pairing.objects.filter(needy__in=list(people), state__in=OPEN_STATES)
    return {p.needy_id: p for p in rows.select_related("branch")}


def row_problem(
    job: ImportJob, row: PairingRow, person: NeedyPerson | None, open_: Pairing | None
) -> tuple[str, str]:
    """Why the row cannot pair its person with its branch, as (column, message); ("", "")
    when it can (or when the same pairing is already open: unchanged)."""
    if person is None:
        return LABELS["id_number"], "找不到该身份证号的在册帮扶对象，请先在帮扶对象名册中登记"
    if person.name != row.name:
        return LABELS["name"], f"姓名不一致：名册登记为“{person.name}”，文件中为“{row.name}”"
    if not tree.within(person.path, job.org_path):
        return LABELS["id_number"], "该帮扶对象不在本次导入范围内"
    if tree.at_depth(person.path, DISTRICT) != tree.at_depth(row.branch_path, DISTRICT):
        return LABELS["branch"], f"“{row.branch_name}”与该帮扶对象不在同一区县，不能结对"
    if open_ is not None and open_.branch_id != row.branch_id:
        return LABELS["branch"], f"已与{open_.branch.name}结对，请先结束原结对"
    return "", ""


class PairingImporter(Importer[PairingRow]):
    """Pairings, keyed by the person: new ones proposed (and confirmed) through the pairing
    services, the same pairing again unchanged, another branch's refused."""

    columns = PAIRING_COLUMNS
    required = ("id_number", "name", "branch")
    key_field = "id_number"
    key_name = "身份证号"

    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[PairingRow]]:
        mapping = {int(k): v for k, v in job.mapping.items()}
        branches = BranchDirectory.for_job(job)
        for chunk in chunks:
            for row_number, cells in chunk:
                row, problems = clean_pairing_row(cells, mapping, branches, row_number)
                yield row_number, row, problems

    def look_up(self, job: ImportJob, rows: list[PairingRow], log: ProblemSink) -> list[PairingRow]:
        found = _people(r.key for r in rows) if rows else {}
        current = _open(found.values())
        staged: list[PairingRow] = []
        for row in rows:
            person = found.get(row.key)
            column, problem = row_problem(
                job, row, person, current.get(person.pk) if person else None
            )
            if problem or person is None:
                log.add(row.row_number, [(column, problem)])
                continue
            staged.append(replace(row, needy_id=person.pk))
        return staged

    def write(self, job: ImportJob, rows: list[PairingRow], *, trust_new: bool) -> BatchOutcome:
        """Each row through ``pairing_propose`` (and ``pairing_confirm``), each audited there,
        then one audit row for the batch."""
        outcome = BatchOutcome()
        found = _people(r.key for r in rows)
        current = _open(found.values())
        branches = Organization.objects.in_bulk({r.branch_id for r in rows})
        for row in rows:
            person = found.get(row.key)
            try:
                with transaction.atomic():
                    open_ = current.get(person.pk) if person else None
                    _column, problem = row_problem(job, row, person, open_)
                    if problem or person is None:
                        outcome.refused.append((row.row_number, problem))
                        continue
                    if open_ is not None:
                        outcome.unchanged += 1
                        continue
                    pairing = services.pairing_propose(
                        actor=job.created_by,
                        needy=person,
                        branch=branches[row.branch_id],
                        note=_("批量导入"),
                    )
                    if row.state == PairingState.CONFIRMED:
                        services.pairing_confirm(
                            actor=job.created_by, pairing=pairing, on=row.started_on
                        )
                    current[person.pk] = pairing
                    outcome.created.append(pairing.pk)
            except (ValidationError, PermissionDenied) as exc:
                said = "；".join(getattr(exc, "messages", None) or [str(exc)])
                outcome.refused.append((row.row_number, _("未导入：%(why)s") % {"why": said}))
        if outcome.created:
            audit.record(
                actor=job.created_by,
                verb="create",
                object_type="imports.importjob",
                object_id=str(job.pk),
                object_repr=f"导入结对关系 {job.original_name} 第 {job.batches_done + 1} 批",
                org_path=job.org_path,
                after={"created": outcome.created},
                note=f"新建 {len(outcome.created)}，未变 {outcome.unchanged}",
            )
        return outcome
