"""Exports of the member roll and the organisation list: the rows the user can see, with the
list page's filters, streamed as CSV (UTF-8 with BOM, for Excel) or .xlsx.

ID numbers and phones are masked unless the user's role may reveal them *and* they ask for it;
either way the export is audited (who, which filters, how many rows, revealed or not). Text
cells starting with = + - @ are neutralised against formula injection. Column names are the
import's, so a full export can be imported again.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook

from jiceng.members.models import Member
from jiceng.members.phones import display_phone
from jiceng.orgs.models import Organization

from .reports import safe_cell

MEMBER_HEADER = [
    "姓名", "性别", "民族", "出生日期", "公民身份号码", "学历", "联系电话", "党员类别", "入党日期",
    "转正日期", "工作状态", "工作单位", "家庭住址", "组织关系所在党组织代码",
    "组织关系所在党组织名称", "参加活动单位代码", "参加活动单位名称",
]  # fmt: skip
ORG_HEADER = [
    "组织代码", "组织名称", "组织类别", "上级党组织代码", "所属领域", "所在单位", "成立日期",
    "书记", "书记空缺起始", "组织状况",
]  # fmt: skip


def member_rows(qs: Iterable[Member], *, reveal: bool) -> Iterator[list[Any]]:
    for m in qs:
        yield [
            m.name,
            m.get_sex_display(),
            m.ethnicity,
            m.birth_date,
            m.id_number if reveal else m.id_number_masked,
            m.get_education_display() if m.education else "",
            (display_phone(m.phone) if reveal else m.phone_masked) or "",
            m.get_category_display(),
            m.joined_on,
            m.full_member_on or "",
            m.get_employment_status_display(),
            m.work_unit,
            m.home_address if reveal else "",
            m.home_org.code,
            m.home_org.name,
            m.participating_org.code if m.participating_org else "",
            m.participating_org.name if m.participating_org else "",
        ]


def organization_rows(qs: Iterable[Organization]) -> Iterator[list[Any]]:
    parents: dict[str, str] = {}
    for o in qs:
        parents[o.path] = o.code
        yield [
            o.code,
            o.name,
            o.get_org_type_display(),
            parents.get(o.path[: -Organization.steplen], ""),
            o.get_sector_display(),
            o.host_unit,
            o.founded_on or "",
            o.secretary.name if o.secretary else "",
            o.secretary_vacant_since or "",
            o.get_health_display(),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(header: list[str], rows: Iterator[list[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(header).encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([safe_cell(str(c)) for c in row]))
        if len(chunk) >= 1000:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def stream_xlsx(header: list[str], rows: Iterator[list[Any]], title: str) -> Iterator[bytes]:
    """A write-only workbook (constant memory per row) spooled to disk, then streamed."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for row in rows:
        ws.append([safe_cell(c) for c in row])
    with tempfile.TemporaryFile() as fh:
        wb.save(fh)
        fh.seek(0)
        while block := fh.read(1 << 16):
            yield block
