"""Reading uploaded .xlsx and .csv files safely and fast.

.xlsx goes through python-calamine (Rust; streams rows), after checks against zip bombs;
.csv is decoded as UTF-8 (with or without BOM) or, failing that, GB18030 (the superset of GBK
and GB2312 that Chinese Excel writes).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # 200 MiB: a city-wide roll as CSV is about 150 MiB
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB of XML in all
MAX_XLSX_RATIO = 200  # no single part may expand more than 200× (zip-bomb guard)
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


def iter_rows(path: Path, kind: str) -> Iterator[list[Any]]:
    """Every row of the first sheet (xlsx) or of the file (csv), as a list of cells."""
    if kind == "xlsx":
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            sheet = workbook.get_sheet_by_index(0)
            yield from sheet.iter_rows()
        except CalamineError as exc:
            raise UnreadableFileError(f"无法读取 Excel 文件：{exc}") from exc
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


def rows_from_bytes(data: bytes, name: str, tmp_dir: Path) -> list[list[Any]]:
    """Convenience for small files and tests: write, sniff, read all rows."""
    path = tmp_dir / name
    path.write_bytes(data)
    return list(iter_rows(path, sniff(path, name)))


__all__ = ["UnreadableFileError", "decode_csv_bytes", "iter_rows", "rows_from_bytes", "sniff"]
