"""Turning what real spreadsheets contain into clean values, or a message an officer can act on.

Officers' files carry full-width digits, invisible characters, trailing spaces, Traditional
and Simplified characters mixed, dates in half a dozen spellings or as Excel serial numbers,
and ID numbers that Excel stored as numbers (losing their last digits). Every function here
returns a clean value or raises :class:`CellError` with a Simplified Chinese message; nothing is
silently dropped or guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from collections.abc import Mapping
from typing import Any

from jiceng.core.exports import FORMULA_PREFIXES
from jiceng.core.idnumber import IdNumber, IdNumberError, parse_id_number
from jiceng.core.text import clean, to_simplified

_FORMULA_START = frozenset(c for c in FORMULA_PREFIXES if c.strip())
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Lotus's leap-year quirk)
# Excel keeps 15 significant digits of a number; an 18-digit ID stored as a number has lost
# its last three (ECMA-376 Part 1, 18.17.4.1; the IEEE 754 double holds fewer than 16).
EXCEL_SIGNIFICANT_DIGITS = 15


class CellError(ValueError):
    """A cell that cannot become a clean value; ``message`` is for the officer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def text(value: Any) -> str:
    """Any cell as trimmed text: numbers without a trailing ``.0``, NFKC width folding,
    invisible characters removed, and the quote our exports put before formula-like text
    taken off again (``core.exports.safe_cell``), so an export imports back unchanged.

    >>> text(" 张三\\u200b "), text(13812345678.0), text(None), text("'-3 号")
    ('张三', '13812345678', '', '-3 号')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    said = clean(str(value))
    if said[:1] == "'" and said[1:2] in _FORMULA_START:
        return said[1:]
    return said


def name(value: Any) -> str:
    """A person's or organisation's name exactly as written, less the spaces officers put in
    to align two-character names (``王  芳``). Never converted between scripts: 张乾 is not
    张干, 於梅 is not 于梅 (issue 15); only search keys are Simplified (:func:`name_key`).

    >>> name(" 黃 浦 "), name("张乾")
    ('黃浦', '张乾')
    """
    return re.sub(r"\s+", "", text(value))


def name_key(value: Any) -> str:
    """The Simplified form of a name, to *match* it (an organisation named in a row, a
    street); never stored as the name.

    >>> name_key(" 黃 浦 ")
    '黄浦'
    """
    return to_simplified(name(value))


# Characters that OpenCC's t2s rewrites but that are standard Simplified characters in
# names: 通用规范汉字表 (2013) keeps 乾 (乾坤, 乾隆) apart from 干, the surname 於 apart from
# 于, and restored 昇 for personal names.
STANDARD_IN_NAMES = frozenset("乾於昇")


def traditional_characters(value: str) -> list[tuple[str, str]]:
    """The characters of a name written in their Traditional form, with their Simplified
    form: shown to the officer, never used to change the name.

    >>> traditional_characters("張乾"), traditional_characters("王昇")
    ([('張', '张')], [])
    """
    if value.isascii() or to_simplified(value) == value:
        return []
    return [
        (ch, simple)
        for ch in dict.fromkeys(value)
        if ch not in STANDARD_IN_NAMES and (simple := to_simplified(ch)) != ch
    ]


_E_NOTATION = re.compile(r"\d(?:\.\d+)?[eE]\+?\d{1,2}")
APOSTROPHES = "'‘’`"  # Excel's mark for "text", kept when a sheet is copied or exported


def id_number_notices(value: Any, parsed: IdNumber) -> list[str]:
    """What the officer should know about an ID number that was accepted.

    >>> [n[:12] for n in id_number_notices("'310101195801024000", id_number("310101195801024000"))]
    ['身份证号前的单引号（Ex', '身份证号末三位为 000']
    """
    notices = []
    if text(value).startswith(tuple(APOSTROPHES)):
        notices.append("身份证号前的单引号（Excel 的“文本”标记）已去掉")
    if parsed.value.endswith("000"):
        notices.append(
            "身份证号末三位为 000，可能是 Excel 存成数字时截断的（只保留 15 位有效数字），"
            "请与原始材料核对"
        )
    return notices


def id_number(value: Any) -> IdNumber:
    """A citizen ID number from a cell.

    A number cell is refused when it held 18 digits: Excel has already rounded it to 15
    significant digits and the last digits are gone; guessing them would register the wrong
    person. 15-digit numbers fit and are upgraded to 18.

    >>> id_number("11010519491231002x").value
    '11010519491231002X'
    >>> id_number(310101195806051234.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jiceng.imports.cleaning.CellError: 身份证号被 Excel 存成了数字，末尾几位已丢失...
    """
    if isinstance(value, bool):
        raise CellError("身份证号格式错误")
    if isinstance(value, int | float):
        digits = str(int(value))
        if len(digits) > EXCEL_SIGNIFICANT_DIGITS:
            shown = digits[:EXCEL_SIGNIFICANT_DIGITS] + "0" * (len(digits) - 15)
            raise CellError(
                "身份证号被 Excel 存成了数字，末尾几位已丢失（Excel 只保留 15 位有效数字）："
                f"{shown}。请把该列设为“文本”格式，重新填写后再导入"
            )
        value = digits
    raw = text(value)
    if not raw:
        raise CellError("缺少身份证号")
    if _E_NOTATION.fullmatch(raw):
        raise CellError(
            f"身份证号“{raw}”是 Excel 的科学计数法显示，末尾几位已丢失；请在 Excel 中把该列设为"
            "“文本”格式、重新填写后再导出"
        )
    try:
        return parse_id_number(raw.lstrip(APOSTROPHES))
    except IdNumberError as exc:
        raise CellError(exc.message) from exc


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月$"),
)


def date(value: Any, *, label: str = "日期") -> dt.date | None:
    """A date from a cell: a real date, an Excel serial number, 2005-06-30, 2005/6/30,
    2005.6.30, 2005年6月30日, 20050630, or a month alone (200506, 2005.6, 2005年6月) read as
    the first of the month (:func:`dated` says which). Empty gives None.

    >>> [date(v) for v in ("2005.6.30", "2005年6月30日", 38533, "200506")]
    [datetime.date(2005, 6, 30), datetime.date(2005, 6, 30), datetime.date(2005, 6, 30), datetime.date(2005, 6, 1)]
    """  # noqa: E501
    return dated(value, label=label)[0]


DAY, MONTH = "day", "month"  # members.models.DatePrecision


def dated(value: Any, *, label: str = "日期") -> tuple[dt.date | None, str]:
    """A date and how much of it the cell gave: ``day``, or ``month`` for a month alone
    (stored as its first day; the rules treat it as any day of that month).

    >>> dated("1998年6月"), dated("1998-06-15")[1]
    ((datetime.date(1998, 6, 1), 'month'), 'day')
    """
    if value is None or value == "":
        return None, DAY
    if isinstance(value, dt.datetime):
        return value.date(), DAY
    if isinstance(value, dt.date):
        return value, DAY
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = float(value).is_integer()
        digits = str(int(value))
        if whole and len(digits) in (6, 8) and digits[:2] in ("19", "20"):
            value = digits  # 200506 or 20050630 typed as a number: read as the text
        elif 1900 <= value <= 2100 and not whole:
            # 2005.6 typed in Excel became the number 2005.6; 2005.10 would be 2005.1, so
            # the month cannot be told back
            raise CellError(
                f"{label}“{value:g}”被 Excel 当成了数字（原来可能是 {int(value)} 年某月，"
                "如 2005.10 会变成 2005.1），无法确定月份；请把该列设为“文本”格式，"
                "写作 2005-06 或 2005年6月"
            )
        elif 1900 <= value <= 2100:
            raise CellError(f"{label}只有年份：{digits}（请写明年月，如 {digits}年6月）")
        elif 1 <= value < 2958466:  # an Excel serial: 1900-01-01 … 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(value)), DAY
        else:
            raise CellError(f"{label}无法识别：{value}")
    raw = text(value).replace(" ", "")
    if not raw:
        return None, DAY
    for pattern in _DATE_PATTERNS:
        m = pattern.match(raw)
        if m:
            return _make(int(m[1]), int(m[2]), int(m[3]), raw, label), DAY
    for pattern in _MONTH_PATTERNS:
        m = pattern.match(raw)
        if m:
            return _make(int(m[1]), int(m[2]), 1, raw, label), MONTH
    raise CellError(f"{label}无法识别：{raw}（可写作 2005-06-30、2005年6月30日 或 20050630）")


@functools.lru_cache(maxsize=2)
def _this_year(_hour: int) -> int:
    return dt.date.today().year  # noqa: DTZ011 - a calendar year, looked up once an hour


def _make(year: int, month: int, day: int, raw: str, label: str) -> dt.date:
    try:
        result = dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(f"{label}不存在：{raw}") from exc
    if not 1900 <= year <= _this_year(int(time.time()) // 3600) + 1:
        raise CellError(f"{label}年份不合理：{raw}")
    return result


def choice(value: Any, choices: Mapping[str, str], *, label: str, shown: str = "") -> str:
    """One of ``choices`` (label or code → code), matched after Traditional → Simplified.
    A refusal lists the accepted names, or ``shown`` when the list is too long to read.

    >>> choice("正式黨員", {"正式党员": "full", "预备党员": "probationary"}, label="党员类别")
    'full'
    """
    raw = to_simplified(text(value))
    if raw in choices:
        return choices[raw]
    if raw in choices.values():
        return raw
    options = shown or "、".join(k for k in choices if not k.isascii())
    raise CellError(f"{label}“{raw}”不在可选范围内（{options}）")


# Rows below the header that are not records: totals, the form's notes, signature lines,
# said by the row's first cell. A row is taken for one only when its key cell (the ID
# number, the organisation code) holds nothing like a key, so a member is never set aside.
_NOT_A_RECORD = re.compile(
    r"^(合计|总计|小计|共计|累计|填表说明|填报说明|说明|注|备注|附注|"
    r"填表人|填报人|制表人|审核人|审批人|负责人|联系人|经办人|单位负责人|签字|签名|盖章|"
    r"单位盖章|填表日期|填报日期|制表日期)"
)
_KEY_LIKE = re.compile(r"\d{6}")

SET_ASIDE_TOTAL = "合计行"
SET_ASIDE_NOTE = "说明或签名行"
SET_ASIDE_EMPTY = "空白模板行"


def not_a_record(cells: list[Any], mapping: dict[int, str], key_field: str) -> str | None:
    """Why a row below the header is not a record (a total, a note or signature line, a
    numbered row of an empty template), or None for a record.

    >>> m = {1: "name", 2: "id_number"}
    >>> not_a_record([None, "合计", None, 35], m, "id_number")  # 35 members in all
    '合计行'
    >>> not_a_record([7, None, None], m, "id_number"), not_a_record(["", "张三", "3101"], m, "id_number")
    ('空白模板行', None)
    """  # noqa: E501
    keys = [text(cells[i]) for i, f in mapping.items() if f == key_field and i < len(cells)]
    if any(_KEY_LIKE.search(k) if key_field == "id_number" else k for k in keys):
        return None
    first = next((said for c in cells if (said := text(c).replace(" ", ""))), "")
    if found := _NOT_A_RECORD.match(to_simplified(first)):
        total = found[1] in ("合计", "总计", "小计", "共计", "累计")
        return SET_ASIDE_TOTAL if total else SET_ASIDE_NOTE
    if not any(text(cells[i]) for i in mapping if i < len(cells)):
        return SET_ASIDE_EMPTY
    return None
