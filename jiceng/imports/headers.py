"""Recognising the header row and its columns in officers' spreadsheets.

Files rarely start with the table: a title in merged cells, a unit and a date come first, and
the same column goes by several names (身份证号 / 公民身份号码 / 身份证号码; 所在支部 /
组织关系所在党组织). ``find_header`` looks for the row among the first rows that names the most
known columns of an importer's table, and maps each column to a field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jiceng.core.text import clean, to_simplified

HEADER_SEARCH_ROWS = 20

# The tables of synonyms, one per kind of import: field -> the column names it goes by, the
# first being its usual name (``Importer.labels``). Written Simplified:
# headers are matched after Traditional → Simplified, without spaces, punctuation and notes in
# brackets (``身份证号（18位）``, ``入党时间（年月日）``), see ``_key``.
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "党员姓名", "名字"),
    "id_number": (
        "公民身份号码",
        "身份证号",
        "身份证号码",
        "身份证",
        "证件号码",
        "居民身份证号",
        "居民身份证号码",
        # 身分 (Taiwan and older usage) is kept by OpenCC's t2s: 身分證號 → 身分证号
        "身分证号",
        "身分证号码",
        "身分证",
        "公民身分号码",
    ),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月", "生日"),
    "education": ("学历", "文化程度", "最高学历"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"),
    "category": ("党员类别", "人员类别", "类别", "党籍状态"),
    "joined_on": ("入党日期", "入党时间", "入党年月"),
    "full_member_on": ("转正日期", "转正时间", "转正年月"),
    "employment_status": ("工作状态", "在岗状态", "就业状态"),
    "work_unit": ("工作单位", "单位", "工作单位及职务"),
    "home_address": ("家庭住址", "住址", "现居住地", "居住地址", "家庭地址"),
    "home_org": (
        "组织关系所在党组织",
        "所在支部",
        "所在党支部",
        "所在党组织",
        "党组织代码",
        "组织关系所在党组织代码",
        "支部代码",
        "党支部名称",
        "所在党支部名称",
        "支部名称",
        "党支部",
        "所属党支部",
        "所属支部",
    ),
    "participating_org": (
        "参加活动单位",
        "参加活动单位代码",
        "参加活动党组织",
        "参加组织生活单位",
    ),
}

ORGANIZATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("组织代码", "党组织代码", "代码", "编码"),
    "name": ("组织名称", "党组织名称", "名称", "党组织全称"),
    "org_type": ("组织类别", "党组织类别", "类别", "组织类型"),
    "parent": ("上级党组织", "上级组织代码", "上级党组织代码", "上级组织"),
    "sector": ("所属领域", "领域", "单位类别"),
    "host_unit": ("所在单位", "单位名称", "依托单位"),
    "founded_on": ("成立日期", "建立日期", "成立时间"),
    "street": ("所在街道", "街道/乡镇", "所在街镇"),
}

Columns = Mapping[str, tuple[str, ...]]

_NOTE = re.compile(r"[(\[【<《][^)\]】>》]*[)\]】>》]")  # after NFKC: （18位） is (18位)
_NOISE = re.compile(r"[\s*＊:：()\[\]【】<>《》、,，.。/\\_-]")


def _key(value: Any) -> str:
    """A header cell as the synonym table writes it: Simplified, without notes in brackets,
    spaces or punctuation.

    >>> _key("身份证号（18位）"), _key(" 入党时间(年月日)："), _key("身分證號")
    ('身份证号', '入党时间', '身分证号')
    """
    text = to_simplified(clean(str(value) if value is not None else ""))
    return _NOISE.sub("", _NOTE.sub("", text))


@dataclass(frozen=True)
class HeaderMatch:
    row_index: int  # 0-based index of the header row in the sheet
    mapping: dict[int, str]  # column index -> field
    unknown: tuple[str, ...]  # header cells not recognised (kept, reported)
    missing: tuple[str, ...]  # required fields with no column
    names: dict[str, str] = field(default_factory=dict)  # field -> the officer's header text


def match_columns(header: list[Any], columns: Columns) -> dict[int, str]:
    """Map each recognised header cell to its field; the first column wins a duplicate.

    >>> match_columns(["序号", "姓名", "身份证号码", "所在支部"], MEMBER_COLUMNS)
    {1: 'name', 2: 'id_number', 3: 'home_org'}
    """
    lookup = {_key(alias): field for field, aliases in columns.items() for alias in aliases}
    mapping: dict[int, str] = {}
    for i, cell in enumerate(header):
        field = lookup.get(_key(cell))
        if field and field not in mapping.values():
            mapping[i] = field
    return mapping


def _two_rows(top: list[Any], bottom: list[Any]) -> list[Any]:
    """A header of two rows as one: each column named by its lower cell (``入党时间`` under a
    merged ``入党情况``) or, when that is empty, by the upper one (``姓名`` merged over both
    rows; a merged cell's value is in its first cell only)."""
    width = max(len(top), len(bottom))
    out = []
    for i in range(width):
        upper = top[i] if i < len(top) else None
        lower = bottom[i] if i < len(bottom) else None
        out.append(lower if _key(lower) else upper)
    return out


def find_header(rows: list[list[Any]], columns: Columns, required: tuple[str, ...]) -> HeaderMatch:
    """Find the header among the first rows: the row that names the most known ``columns``,
    or two rows read together when they name more (a header with merged cells over two rows).
    ``row_index`` is the header's last row; ``missing`` the ``required`` fields not found.

    >>> rows = [["姓名", "身份证号", "入党情况", None], [None, None, "入党时间", "所在支部"]]
    >>> m = find_header(rows, MEMBER_COLUMNS, ("name", "id_number"))
    >>> m.row_index, m.mapping
    (1, {0: 'name', 1: 'id_number', 2: 'joined_on', 3: 'home_org'})
    """
    best_index, best, header = 0, dict[int, str](), rows[0] if rows else []
    candidates = rows[:HEADER_SEARCH_ROWS]
    for i, row in enumerate(candidates):
        mapping = match_columns(row, columns)
        if len(mapping) > len(best):
            best_index, best, header = i, mapping, row
    for i in range(len(candidates) - 1):
        merged = _two_rows(candidates[i], candidates[i + 1])
        mapping = match_columns(merged, columns)
        if len(mapping) > len(best):
            best_index, best, header = i + 1, mapping, merged
    # every column not used, by the officer's own header text (a 序号 too: issue 15 asks
    # for every one, so that nothing is dropped without a word)
    unknown = tuple(
        " ".join(str(c).split()) for i, c in enumerate(header) if i not in best and _key(c)
    )
    missing = tuple(f for f in required if f not in best.values())
    names = {f: " ".join(str(header[i]).split()) for i, f in best.items()}
    return HeaderMatch(best_index, best, unknown, missing, names)
