"""The one writer of spreadsheet cells: every CSV and .xlsx that jiceng hands out (pages,
management commands, error reports) goes through it (issue 14).

Text starting with ``= + - @``, a tab or a carriage return is a formula to Excel, WPS and
LibreOffice: an organisation named ``=HYPERLINK("http://x","y")`` would become a live link in
the officer's spreadsheet. Such text gets a leading quote, so it shows as the text it is
(OWASP "CSV Injection"). Numbers, dates and empty cells pass unchanged.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection: text starting with = + - @ (or a tab or
    carriage return) gets a leading quote, so Excel shows it as text.

    >>> safe_cell("=1+1"), safe_cell("-1"), safe_cell("@SUM(1)"), safe_cell(-5), safe_cell("张三")
    ("'=1+1", "'-1", "'@SUM(1)", -5, '张三')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, fh: Any, **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose every value goes through ``safe_cell``."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)


def csv_writer(fh: Any, **fmtparams: Any) -> SafeWriter:
    return SafeWriter(fh, **fmtparams)


def attachment(filename: str) -> str:
    """A Content-Disposition for a download named ``filename`` (Chinese names included)."""
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"attachment; filename=\"export.{suffix}\"; filename*=UTF-8''{quote(filename)}"


def csv_response(filename: str) -> tuple[HttpResponse, SafeWriter]:
    """An HttpResponse to write a CSV into (UTF-8 with BOM, so Excel reads the Chinese) and
    its safe writer."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment(filename)
    response.write("\ufeff")
    return response, csv_writer(response)


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(header: list[str], rows: Iterator[list[Any]]) -> Iterator[bytes]:
    """A CSV (UTF-8 with BOM) streamed in blocks of a thousand rows."""
    writer = csv_writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(header).encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= 1000:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


# An .xlsx sheet holds 1,048,576 rows (Excel's limit, ECMA-376 / Microsoft "Excel
# specifications and limits"): larger exports continue on further sheets, each with the
# header, which the import reads as one roster.
XLSX_MAX_ROWS = 1_048_576


def stream_xlsx(header: list[str], rows: Iterator[list[Any]], title: str) -> Iterator[bytes]:
    """A write-only workbook (constant memory per row) spooled to disk, then streamed."""
    with tempfile.TemporaryFile() as fh:
        write_xlsx(fh, header, rows, title)
        fh.seek(0)
        while block := fh.read(1 << 16):
            yield block


def write_csv(fh: Any, header: list[str], rows: Iterable[list[Any]]) -> None:
    """The same bytes as ``stream_csv`` into ``fh``, a binary file."""
    for block in stream_csv(header, iter(rows)):
        fh.write(block)


def write_xlsx(
    fh: Any,
    header: list[str],
    rows: Iterable[list[Any]],
    title: str,
    *,
    rows_per_sheet: int = XLSX_MAX_ROWS - 1,
) -> None:
    """A write-only workbook into ``fh`` (a binary file); ``rows_per_sheet`` rows below the
    header on each sheet, then a next sheet “title（2）”, “title（3）”…"""
    wb = Workbook(write_only=True)
    safe_header = [safe_cell(h) for h in header]
    sheet = 1
    ws = wb.create_sheet(title[:31])
    ws.append(safe_header)
    on_sheet = 0
    for row in rows:
        if on_sheet == rows_per_sheet:
            sheet += 1
            suffix = f"（{sheet}）"
            ws = wb.create_sheet(title[: 31 - len(suffix)] + suffix)
            ws.append(safe_header)
            on_sheet = 0
        ws.append([safe_cell(c) for c in row])
        on_sheet += 1
    wb.save(fh)


# ----- a list's export from its page --------------------------------------------------------

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_format(fmt: str) -> str:
    """The file type asked for in the URL, or a 404."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    return fmt


def reveal_asked(request: HttpRequest, link_refusal: str) -> bool | HttpResponse:
    """Whether the export should show sensitive fields in clear: only a POST (the page's
    "export in full" button) may ask; a link asking it is refused with ``link_refusal``
    (returned as the response to send)."""
    if request.method == "GET" and request.GET.get("reveal") == "1":
        return HttpResponseNotAllowed(
            ["POST"], content=link_refusal, content_type="text/plain; charset=utf-8"
        )
    return request.method == "POST" and request.POST.get("reveal") == "1"


def download(
    fmt: str, header: list[str], rows: Iterator[list[Any]], title: str
) -> StreamingHttpResponse:
    """The rows as a streamed CSV or .xlsx attachment named after ``title``."""
    body = stream_csv(header, rows) if fmt == "csv" else stream_xlsx(header, rows, title)
    response = StreamingHttpResponse(body, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = attachment(f"{title}.{fmt}")
    return response
