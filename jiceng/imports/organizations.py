"""The organisation importer: validating and writing organisation rows.

A row names its parent by code or full name: an organisation already in the import's subtree,
or another row of the same file (in any order: rows are written parents first). New
organisations are founded through ``orgs.services.organization_found`` (so every tree rule and
the audit apply); existing ones (same code) are updated when something changed. Moving an
organisation is not an import's business: a different parent is a row error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiceng.core import tree
from jiceng.core.text import clean
from jiceng.geo.models import Street
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Organization, OrgType, Sector

from . import cleaning
from .cleaning import CellError
from .directory import OrgDirectory
from .headers import ORGANIZATION_COLUMNS
from .importer import BatchOutcome, CheckedRow, Chunk, Importer, Problems, ProblemSink
from .models import ImportJob

if TYPE_CHECKING:
    from jiceng.accounts.models import User

LABELS = {f: aliases[0] for f, aliases in ORGANIZATION_COLUMNS.items()}
ORG_TYPES = {str(label): value for value, label in OrgType.choices} | {
    "支部": OrgType.BRANCH,
    "总支": OrgType.GENERAL_BRANCH,
    "党总支部": OrgType.GENERAL_BRANCH,
    "党委": OrgType.PRIMARY_COMMITTEE,
    "联合党支部": OrgType.JOINT_BRANCH,
    "街道党委": OrgType.STREET_COMMITTEE,
}
SECTORS = {str(label): value for value, label in Sector.choices}
UPDATABLE = ("name", "sector", "host_unit", "founded_on", "street_id")


@dataclass
class OrgRow:
    row_number: int
    values: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.values["code"])


def clean_org_row(
    cells: list[Any],
    mapping: dict[int, str],
    orgs: OrgDirectory,
    file_codes: dict[str, str],
    streets: dict[str, str],
    row_number: int,
    file_names: dict[str, str] | None = None,
) -> tuple[OrgRow | None, Problems]:
    """``file_codes``: code → org type of every row of the file (parents may be rows too)."""
    raw = {f: cells[i] if i < len(cells) else None for i, f in mapping.items()}
    problems: Problems = []
    v: dict[str, Any] = {"code": cleaning.text(raw.get("code")).upper()}
    if not v["code"]:
        problems.append((LABELS["code"], "缺少组织代码"))
    v["name"] = cleaning.name(raw.get("name"))
    if not v["name"]:
        problems.append((LABELS["name"], "缺少组织名称"))
    try:
        v["org_type"] = cleaning.choice(raw.get("org_type"), ORG_TYPES, label="组织类别")
    except CellError as exc:
        problems.append((LABELS["org_type"], exc.message))
    v["sector"] = Sector.OTHER
    if raw.get("sector") not in (None, ""):
        try:
            v["sector"] = cleaning.choice(raw["sector"], SECTORS, label="所属领域")
        except CellError as exc:
            problems.append((LABELS["sector"], exc.message))
    v["host_unit"] = cleaning.text(raw.get("host_unit"))[:120]
    try:
        v["founded_on"] = cleaning.date(raw.get("founded_on"), label="成立日期")
    except CellError as exc:
        problems.append((LABELS["founded_on"], exc.message))
    v["street_id"] = None
    if raw.get("street") not in (None, ""):
        street = cleaning.name_key(raw["street"])
        v["street_id"] = streets.get(street) or streets.get(cleaning.text(raw["street"]))
        if v["street_id"] is None:
            problems.append((LABELS["street"], f"找不到街道/乡镇“{cleaning.name(raw['street'])}”"))
    parent_raw = cleaning.text(raw.get("parent")).upper()
    if not parent_raw:
        problems.append((LABELS["parent"], "缺少上级党组织"))
    elif parent_raw in file_codes or cleaning.name_key(parent_raw) in (file_names or {}):
        code = (
            parent_raw
            if parent_raw in file_codes
            else (file_names or {})[cleaning.name_key(parent_raw)]
        )
        v["parent_code"] = code
        v["parent_type"] = file_codes[code]
    else:
        try:
            ref = orgs.find(raw.get("parent"))
        except CellError as exc:
            problems.append((LABELS["parent"], exc.message))
        else:
            v["parent_ref"] = ref
    if problems:
        return None, problems
    return OrgRow(row_number, v), []


def parents_first(rows: list[OrgRow]) -> tuple[list[OrgRow], list[tuple[int, str]]]:
    """Order rows so that a parent row comes before its children; rows in a cycle (or whose
    parent row is invalid) are returned as problems."""
    by_code = {r.values["code"]: r for r in rows}
    ordered: list[OrgRow] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done
    bad: list[tuple[int, str]] = []

    def visit(row: OrgRow, trail: list[str]) -> bool:
        code = row.values["code"]
        if state.get(code) == 2:
            return True
        if state.get(code) == 1:
            return False
        state[code] = 1
        parent_code = row.values.get("parent_code")
        ok = True
        if parent_code is not None:
            parent = by_code.get(parent_code)
            ok = parent is not None and visit(parent, [*trail, code])
        state[code] = 2
        if ok:
            ordered.append(row)
        else:
            bad.append((row.row_number, "上级党组织在本文件中有问题或形成循环，本行无法导入"))
        return ok

    for row in rows:
        visit(row, [])
    return ordered, bad


def check_against_tree(rows: list[OrgRow], job_root_path: str) -> list[tuple[int, str, str]]:
    """Problems only the tree can tell: a code already used outside the import's subtree, a
    different parent than the one on record, a type that may not sit under its parent."""
    from jiceng.orgs.services import ALLOWED_CHILDREN

    problems: list[tuple[int, str, str]] = []
    existing = {
        o.code: o for o in Organization.objects.filter(code__in=[r.values["code"] for r in rows])
    }
    parent_ids = {r.values["parent_ref"].id for r in rows if "parent_ref" in r.values}
    parents = {o.pk: o for o in Organization.objects.filter(pk__in=parent_ids)}
    for r in rows:
        v = r.values
        parent = parents.get(v["parent_ref"].id) if "parent_ref" in v else None
        parent_type = parent.org_type if parent else v.get("parent_type")
        if parent_type and v["org_type"] not in ALLOWED_CHILDREN.get(parent_type, ()):
            problems.append(
                (
                    r.row_number,
                    LABELS["org_type"],
                    f"“{OrgType(parent_type).label}”下不能设立“{OrgType(v['org_type']).label}”",
                )
            )
        old = existing.get(v["code"])
        if old is None:
            continue
        if not tree.within(old.path, job_root_path):
            problems.append(
                (r.row_number, LABELS["code"], f"组织代码 {v['code']} 已属于本次导入范围以外的组织")
            )
        elif parent is not None and tree.parent_path(old.path) != parent.path:
            problems.append(
                (r.row_number, LABELS["parent"], "与现有记录的上级组织不一致；迁移请在组织页面操作")
            )
        elif "parent_code" in v:
            record_parent = existing.get(v["parent_code"])
            if record_parent is None or tree.parent_path(old.path) != record_parent.path:
                problems.append(
                    (
                        r.row_number,
                        LABELS["parent"],
                        "与现有记录的上级组织不一致；迁移请在组织页面操作",
                    )
                )
    return problems


def street_directory() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in Street.objects.values_list("code", "name"):
        out[code] = code
        out.setdefault(name, code)
    return out


def write_org_batch(user: User, rows: list[OrgRow], job_root_path: str) -> BatchOutcome:
    """Found or update the rows of one batch, parents first (the caller holds the
    transaction)."""
    outcome = BatchOutcome()
    codes = [r.values["code"] for r in rows]
    parent_codes = {r.values["parent_code"] for r in rows if "parent_code" in r.values}
    known = {o.code: o for o in Organization.objects.filter(code__in=[*codes, *parent_codes])}
    parent_ids = {r.values["parent_ref"].id for r in rows if "parent_ref" in r.values}
    by_id = {o.pk: o for o in Organization.objects.filter(pk__in=parent_ids)}
    for row in rows:
        v = row.values
        existing = known.get(v["code"])
        parent = by_id[v["parent_ref"].id] if "parent_ref" in v else known[v["parent_code"]]
        if existing is not None:
            if not tree.within(existing.path, job_root_path):  # checked in the dry run too
                raise ValidationError(
                    _("组织代码 %(code)s 已属于本次导入范围以外的组织") % {"code": v["code"]}
                )
            diff = {
                f: [str(getattr(existing, f)), str(v[f])]
                for f in UPDATABLE
                if v[f] not in (None, "") and getattr(existing, f) != v[f]
            }
            if not diff:
                outcome.unchanged += 1
                continue
            outcome.updated[existing.pk] = diff
            changes = {f.removesuffix("_id"): v[f] for f in diff}
            if "street" in changes:
                changes["street"] = Street.objects.get(code=changes["street"])
            org_services.organization_update(actor=user, org=existing, **changes)
            continue
        created = org_services.organization_found(
            actor=user,
            parent=parent,
            code=v["code"],
            name=v["name"],
            org_type=v["org_type"],
            founded_on=v["founded_on"],
            sector=v["sector"],
            host_unit=v["host_unit"],
            street_id=v["street_id"],
            audit_note=f"批量导入第 {row.row_number} 行",
        )
        known[created.code] = created
        outcome.created.append(created.pk)
    return outcome


class OrganizationImporter(Importer[OrgRow]):
    """Organisations, matched by code: founded under a parent of the tree or of the file
    (parents first), or updated; never moved."""

    columns = ORGANIZATION_COLUMNS
    required = ("code", "name", "org_type", "parent")
    key_field = "code"
    key_name = "组织代码"

    def checked(
        self, job: ImportJob, chunks: Iterable[Chunk], orgs: OrgDirectory, *, workers: int
    ) -> Iterator[CheckedRow[OrgRow]]:
        """The whole file at once, inline (a parent may come after its children, and the
        tree says what may sit under what): first the rows with problems in row order, then
        the valid rows parents first."""
        mapping = {int(k): v for k, v in job.mapping.items()}
        code_col = next(i for i, f in mapping.items() if f == "code")
        type_col = next(i for i, f in mapping.items() if f == "org_type")
        name_col = next((i for i, f in mapping.items() if f == "name"), None)
        data = [item for chunk in chunks for item in chunk]
        file_codes: dict[str, str] = {}
        file_names: dict[str, str] = {}
        seen: dict[str, int] = {}
        problems: list[tuple[int, str, str]] = []
        for row_number, cells in data:
            code = clean(str(cells[code_col] or "")).upper() if code_col < len(cells) else ""
            if code in seen:
                duplicate = f"与{job.row_label(seen[code])}的{self.key_name}重复"
                problems.append((row_number, LABELS["code"], duplicate))
                continue
            seen[code] = row_number
            if name_col is not None and name_col < len(cells):
                file_names.setdefault(cleaning.name_key(cells[name_col]), code)
            try:
                kind = cells[type_col] if type_col < len(cells) else None
                file_codes[code] = cleaning.choice(kind, ORG_TYPES, label="组织类别")
            except CellError:
                file_codes[code] = ""
        duplicate_rows = {n for n, _c, _m in problems}
        streets = street_directory()
        valid: list[OrgRow] = []
        for row_number, cells in data:
            if row_number in duplicate_rows:
                continue
            row, row_problems = clean_org_row(
                cells, mapping, orgs, file_codes, streets, row_number, file_names
            )
            if row is None:
                problems.extend((row_number, c, m) for c, m in row_problems)
            else:
                valid.append(row)
        tree_problems = check_against_tree(valid, job.org_path)
        bad = {n for n, _c, _m in tree_problems}
        problems.extend(tree_problems)
        ordered, cycles = parents_first([r for r in valid if r.row_number not in bad])
        problems.extend((n, LABELS["parent"], m) for n, m in cycles)
        problems.sort()
        for row_number, found in groupby(problems, key=lambda p: p[0]):
            yield row_number, None, [(c, m) for _n, c, m in found]
        for row in ordered:
            yield row.row_number, row, []

    def look_up(self, job: ImportJob, rows: list[OrgRow], log: ProblemSink) -> list[OrgRow]:
        """Nothing more to do: ``checked`` holds the rows against the tree, with the whole
        file (a parent may be a row of it)."""
        return rows

    def write(self, job: ImportJob, rows: list[OrgRow], *, trust_new: bool) -> BatchOutcome:
        """Each organisation through ``organization_found`` or ``organization_update``,
        audited there."""
        return write_org_batch(job.created_by, rows, job.org_path)
