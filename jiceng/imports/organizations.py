"""Validating and writing organisation rows.

A row names its parent by code or full name: an organisation already in the import's subtree,
or another row of the same file (in any order: rows are written parents first). New
organisations are founded through ``orgs.services.organization_found`` (so every tree rule and
the audit apply); existing ones (same code) are updated when something changed. Moving an
organisation is not an import's business: a different parent is a row error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from jiceng.geo.models import Street
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Organization, OrgType, Sector

from . import cleaning
from .cleaning import CellError
from .headers import ORGANIZATION_COLUMNS
from .members import OrgDirectory, Problems

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
        if not old.path.startswith(job_root_path):
            problems.append(
                (r.row_number, LABELS["code"], f"组织代码 {v['code']} 已属于本次导入范围以外的组织")
            )
        elif parent is not None and old.path[: -Organization.steplen] != parent.path:
            problems.append(
                (r.row_number, LABELS["parent"], "与现有记录的上级组织不一致；迁移请在组织页面操作")
            )
        elif "parent_code" in v:
            record_parent = existing.get(v["parent_code"])
            if record_parent is None or old.path[: -Organization.steplen] != record_parent.path:
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


def write_org_batch(user: Any, rows: list[OrgRow], job_root_path: str) -> dict[str, int]:
    """Found or update the rows of one batch, parents first (the caller holds the
    transaction)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
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
            if not existing.path.startswith(job_root_path):  # checked in the dry run too
                raise ValidationError(f"组织代码 {v['code']} 已属于本次导入范围以外的组织")
            changes = {
                f.removesuffix("_id") if f == "street_id" else f: v[f]
                for f in UPDATABLE
                if v[f] not in (None, "") and getattr(existing, f) != v[f]
            }
            if "street" in changes:
                changes["street"] = Street.objects.get(code=changes["street"])
            if changes:
                org_services.organization_update(actor=user, org=existing, **changes)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
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
        counts["created"] += 1
    return counts
