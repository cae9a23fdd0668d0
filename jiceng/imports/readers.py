"""Reading uploaded .xlsx and .csv files safely and fast.

.xlsx goes through python-calamine (Rust; streams rows), after checks against zip bombs;
.csv is decoded as UTF-8 (with or without BOM) or, failing that, GB18030 (the superset of GBK
and GB2312 that Chinese Excel writes).
"""

from __future__ import annotations

import csv
import html
import multiprocessing
import re
import resource
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # 200 MiB: a city-wide roll as CSV is about 150 MiB
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB of XML in all
MAX_XLSX_RATIO = 200  # no single part may expand more than 200× (zip-bomb guard)
# The range a sheet's cells may span. An import reads about 20 columns; Excel templates carry
# a few dozen more; 256 is Excel 2003's limit. calamine holds the range densely at 32 bytes a
# cell, so 32 Mi cells (a full sheet of 1,048,576 rows × 32 columns) is about 1 GiB.
MAX_SHEET_COLUMNS = 256
MAX_SHEET_CELLS = 32 * 1024 * 1024
# Address space the child reading an .xlsx may add to what it inherits: the dense grid of the
# largest sheet allowed above, its sparse cells and the rows on their way out (about 2.5 GiB).
XLSX_READER_MEMORY = 4 << 30
XLSX_ROWS_PER_MESSAGE = 1000
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


class UnreadableFileError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(path: Path, original_name: str) -> str:
    """The file's real type from its first bytes and name: ``xlsx`` or ``csv``."""
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFileError("文件是空的")
    if size > MAX_UPLOAD_BYTES:
        raise UnreadableFileError(f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请分批导入")
    with path.open("rb") as fh:
        head = fh.read(8)
    lower = original_name.lower()
    if head.startswith(OLE_MAGIC):
        raise UnreadableFileError(
            "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入"
        )
    if head.startswith(XLSX_MAGIC):
        _check_zip(path)
        check_sheet_extent(path)
        return "xlsx"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    raise UnreadableFileError("只能导入 .xlsx 或 .csv 文件")


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            names = set()
            for info in zf.infolist():
                names.add(info.filename)
                total += info.file_size
                if info.compress_size and info.file_size / info.compress_size > MAX_XLSX_RATIO:
                    raise UnreadableFileError("文件压缩比异常（可能是“压缩炸弹”），已拒绝")
            if total > MAX_XLSX_UNCOMPRESSED:
                raise UnreadableFileError("文件解压后过大，已拒绝；请分批导入")
            if "[Content_Types].xml" not in names:
                raise UnreadableFileError("不是有效的 .xlsx 文件")
    except zipfile.BadZipFile as exc:
        raise UnreadableFileError("文件已损坏，无法作为 .xlsx 打开") from exc


def decode_csv_bytes(sample: bytes) -> str:
    """The encoding of a CSV from its first bytes: utf-8-sig or gb18030.

    >>> decode_csv_bytes("姓名".encode("gbk")), decode_csv_bytes("姓名".encode())
    ('gb18030', 'utf-8-sig')
    """
    try:
        sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        if exc.start < len(sample) - 3:
            return "gb18030"
    return "utf-8-sig"


@dataclass(frozen=True)
class SheetInfo:
    """A sheet of a workbook as ``workbook.xml`` lists it (a CSV is one visible sheet)."""

    position: int  # 0-based, in the workbook's order
    name: str
    visible: bool  # not hidden nor "very hidden"
    worksheet: bool  # a table of cells (not a chart sheet)


def sheet_list(path: Path, kind: str) -> list[SheetInfo]:
    """The sheets of the file, read from ``workbook.xml`` and its relationships (a few KB;
    the sheets themselves are not opened)."""
    if kind != "xlsx":
        return [SheetInfo(0, "", visible=True, worksheet=True)]
    with zipfile.ZipFile(path) as zf:
        return [
            SheetInfo(i, name, visible=state == "visible", worksheet="worksheets/" in part)
            for i, (name, state, part) in enumerate(_sheets(zf))
        ]


def iter_rows(path: Path, kind: str, sheet: str | None = None) -> Iterator[list[Any]]:
    """Every row of a sheet (xlsx; by name, the first sheet when ``None``) or of the file
    (csv), as a list of cells. The sheet's extent is checked before it is read."""
    if kind == "xlsx":
        check_sheet_extent(path, sheet)
        yield from _xlsx_rows(path, sheet)
        return
    with path.open("rb") as raw:
        encoding = decode_csv_bytes(raw.read(65536))
    with path.open(encoding=encoding, newline="", errors="strict") as fh:
        try:
            yield from csv.reader(fh)
        except UnicodeDecodeError as exc:
            raise UnreadableFileError("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV") from exc
        except csv.Error as exc:
            raise UnreadableFileError(f"CSV 格式错误：{exc}") from exc


# ----- the sheet's extent, from the XML in the zip ---------------------------------------

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(dimension|row|c)\b([^<>]*)>")
_REF_ATTR = re.compile(rb"""\b(?:r|ref)\s*=\s*["']([^"']*)["']""")
_CELL_REF = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb"""\b([\w:]+)\s*=\s*["']([^"']*)["']""")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_SMALL_PART = 16 << 20  # workbook.xml and its relationships are a few KB


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _sheets(zf: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(name, state, zip member) of every sheet in the workbook's order."""
    try:
        if zf.getinfo("xl/workbook.xml").file_size > _SMALL_PART:
            return []
        tags = _SHEET_TAG.findall(zf.read("xl/workbook.xml"))
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return []
    targets: dict[bytes, str] = {}
    for tag in _REL_TAG.findall(rels):
        attrs = dict(_ATTR.findall(tag))
        if b"Id" in attrs and b"Target" in attrs:
            name = attrs[b"Target"].decode()
            targets[attrs[b"Id"]] = name.lstrip("/") if name.startswith("/") else f"xl/{name}"
    out = []
    for tag in tags:
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag)}
        name = html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
        state = attrs.get(b"state", b"visible").decode("ascii", "replace")
        out.append((name, state, targets.get(attrs.get(b"id", b""), "")))
    return out


def _sheet_part(zf: zipfile.ZipFile, sheet: str | None) -> str | None:
    """The zip member of a sheet (by name; the first sheet when ``None``), as calamine
    reads it."""
    for name, _state, part in _sheets(zf):
        if sheet is None or name == sheet:
            return part or None
    return None


def _refuse_extent(rows: int, cols: int, where: str) -> None:
    if cols > MAX_SHEET_COLUMNS or rows * cols > MAX_SHEET_CELLS:
        raise UnreadableFileError(
            f"工作表的数据范围过大（{where}，共 {rows:,} 行 × {cols:,} 列），已拒绝读取；"
            f"导入最多 {MAX_SHEET_COLUMNS} 列、{MAX_SHEET_CELLS:,} 个单元格。"
            "请删除表格右侧和下方多余的单元格（或只复制需要的数据到新工作表）后重新上传"
        )


def check_sheet_extent(path: Path, sheet: str | None = None) -> tuple[int, int]:
    """The rows and columns a sheet's cells span (the first sheet when ``sheet`` is None),
    read from the sheet's XML in the zip in small blocks (nothing is built per cell); refuses
    a sheet whose declared range (``<dimension>``) or whose cells span more than the import
    may read.

    Cells and rows without a reference follow the one before, as in Excel.
    """
    with zipfile.ZipFile(path) as zf:
        part = _sheet_part(zf, sheet)
        names = (
            [part]
            if part in zf.namelist()
            else [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        )
        extent = (0, 0)
        for name in names:
            with zf.open(name) as fh:
                extent = _scan_sheet(fh)
            if name == part:
                break
        return extent


_ANY_CELL = re.compile(rb"<c[\s>/]")
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s>/]")
_REF_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})\d')
_REF_DIGITS = re.compile(rb'<c r="[A-Z]{1,3}(\d{1,9})"')


@dataclass
class _Extent:
    max_row: int = 0
    max_col: int = 0
    row: int = 0  # where the last cell was, for cells without a reference
    col: int = 0

    def check(self) -> None:
        _refuse_extent(
            self.max_row, self.max_col, f"A1:{_column_letters(self.max_col)}{self.max_row}"
        )


def _scan_sheet(fh: Any) -> tuple[int, int]:
    extent = _Extent()
    tail = b""
    first = True
    while block := fh.read(1 << 20):
        data = tail + block
        cut = data.rfind(b"<")
        if cut < 0 or data.find(b">", cut) >= 0:
            cut = len(data)
        tail, data = data[cut:], data[:cut]
        if len(tail) > 1 << 16:  # a tag does not run to 64 KB
            raise UnreadableFileError("不是有效的 .xlsx 文件")
        if first:
            _check_dimension(data)
            first = False
        if data.count(b'<c r="') == len(_ANY_CELL.findall(data)) and not _PREFIXED_CELL.search(
            data
        ):
            _scan_referenced(data, extent)  # as Excel, openpyxl and WPS write: C-speed
        else:
            _scan_tags(data, extent)
        extent.check()
    return extent.max_row, extent.max_col


def _check_dimension(data: bytes) -> None:
    match = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b([^<>]*)>", data)
    ref_match = _REF_ATTR.search(match.group(1)) if match else None
    if ref_match is None:
        return
    ref = ref_match.group(1).decode("ascii", "replace")
    ends = [_CELL_REF.fullmatch(p) for p in ref.split(":")]
    first, last = ends[0], ends[-1]
    if first and last and last.group(1) and last.group(2):
        cols = _column_number(last.group(1)) - _column_number(first.group(1) or "A") + 1
        rows = int(last.group(2)) - int(first.group(2) or 1) + 1
        _refuse_extent(rows, cols, ref)


def _scan_referenced(data: bytes, extent: _Extent) -> None:
    """Every cell of the block names its place (``<c r="B7"``): only the distinct column
    letters and row numbers are looked at."""
    letters = set(_REF_LETTERS.findall(data))
    if not letters:
        return
    extent.max_col = max(extent.max_col, *(_column_number(c.decode()) for c in letters))
    digits = set(_REF_DIGITS.findall(data))
    if digits:
        extent.max_row = max(extent.max_row, *(int(d) for d in digits))
    last = _REF_ATTR.search(data, data.rfind(b'<c r="'))
    cell = _CELL_REF.fullmatch(last.group(1).decode()) if last else None
    if cell and cell.group(2):
        extent.row, extent.col = int(cell.group(2)), _column_number(cell.group(1))


def _scan_tags(data: bytes, extent: _Extent) -> None:
    """Tag by tag: rows and cells may omit their reference and then follow the one before."""
    for match in _TAG.finditer(data):
        kind, attrs = match.group(1), match.group(2)
        ref_match = _REF_ATTR.search(attrs)
        ref = ref_match.group(1).decode("ascii", "replace") if ref_match else ""
        if kind == b"row":
            extent.row = int(ref) if ref.isdigit() else extent.row + 1
            extent.col = 0
        elif kind == b"c":
            cell = _CELL_REF.fullmatch(ref) if ref else None
            if cell and cell.group(1):
                extent.col = _column_number(cell.group(1))
                if cell.group(2):
                    extent.row = int(cell.group(2))
            else:
                extent.col += 1
            extent.max_row = max(extent.max_row, extent.row)
            if extent.col > extent.max_col:
                extent.max_col = extent.col
                extent.check()


# ----- reading an .xlsx in a child process with a memory limit ----------------------------


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: no inherited figure to add to
        return 0


def _read_xlsx_child(path: str, sheet_name: str | None, out: Connection) -> None:
    limit = _address_space() + XLSX_READER_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        book = CalamineWorkbook.from_path(path)
        sheet = (
            book.get_sheet_by_index(0) if sheet_name is None else book.get_sheet_by_name(sheet_name)
        )
        batch: list[list[Any]] = []
        for row in sheet.iter_rows():
            batch.append(row)
            if len(batch) >= XLSX_ROWS_PER_MESSAGE:
                out.send(batch)
                batch = []
        out.send(batch)
        out.send(None)
    except CalamineError as exc:
        out.send(f"无法读取 Excel 文件：{exc}")
    except MemoryError:
        out.send(_TOO_BIG)
    finally:
        out.close()


_TOO_BIG = "读取 Excel 文件时超出内存限制（文件过大或格式异常），已停止；请分批导入或另存为 CSV"


def _xlsx_rows(path: Path, sheet: str | None = None) -> Iterator[list[Any]]:
    """A sheet's rows (the first when ``None``), read by a forked child under
    ``XLSX_READER_MEMORY`` more address space: calamine aborts the process when an allocation
    fails, and then only the child dies."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_read_xlsx_child, args=(str(path), sheet, send), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                child.join()
                raise UnreadableFileError(_TOO_BIG) from None
            if message is None:
                return
            if isinstance(message, str):
                raise UnreadableFileError(message)
            yield from message
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


def rows_from_bytes(data: bytes, name: str, tmp_dir: Path) -> list[list[Any]]:
    """Convenience for small files and tests: write, sniff, read all rows."""
    path = tmp_dir / name
    path.write_bytes(data)
    return list(iter_rows(path, sniff(path, name)))


__all__ = [
    "SheetInfo",
    "UnreadableFileError",
    "check_sheet_extent",
    "decode_csv_bytes",
    "iter_rows",
    "rows_from_bytes",
    "sheet_list",
    "sniff",
]
