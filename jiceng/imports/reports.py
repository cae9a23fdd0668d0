"""The check's report: the rows that have problems, names that differ from the registered
ones, and rows imported as written with a notice, as the officer sent them, with columns saying
which and what, so the file can be checked, fixed and imported again (issue 15)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from jiceng.core.exports import safe_cell

from .models import ImportJob, ImportRowError
from .readers import UnreadableFileError, iter_rows

# The words of the report's 类别 column: the report is a Chinese file whatever the page's
# language, like the roster it is read beside.
LEVEL_WORDS: dict[str, str] = {
    ImportRowError.Level.PROBLEM: "问题",
    ImportRowError.Level.RENAME: "姓名不一致",
    ImportRowError.Level.NOTICE: "提示",
}


def error_report(job: ImportJob) -> Iterator[bytes]:
    problems: dict[tuple[str, int], list[str]] = defaultdict(list)
    kinds: dict[tuple[str, int], list[str]] = defaultdict(list)
    for e in job.errors.order_by("sheet", "row_number", "id").iterator():
        said = f"{e.column}：{e.message}" if e.column else e.message
        problems[e.sheet, e.row_number].append(said)
        kind = str(LEVEL_WORDS[e.level])
        if kind not in kinds[e.sheet, e.row_number]:
            kinds[e.sheet, e.row_number].append(kind)
    sheets = job.sheets_read or [{"name": "", "header_row": job.header_row}]
    several = len(sheets) > 1
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    red = Font(color="B71C1C", bold=True)
    header: list[object] = []
    rows: list[list[object]] = []
    path = Path(job.stored_path)
    if path.exists() and job.header_row is not None:
        try:
            for sheet in sheets:
                name = sheet["name"] if several else ""
                for index, cells in enumerate(
                    iter_rows(path, job.file_type, sheet["name"] or None)
                ):
                    if index == sheet["header_row"] and not header:
                        header = list(cells)
                    elif (name, index + 1) in problems:
                        rows.append([name, index + 1, *cells])
        except UnreadableFileError:
            rows = []
    if not rows:
        rows = [[sheet, n] for sheet, n in sorted(problems)]

    def head(value: Any) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF3CD")
        return cell

    first = [head("工作表")] if several else []
    ws.append(
        [
            *first,
            head("行号"),
            *[head(safe_cell(h)) for h in header],
            head("类别"),
            head("问题说明"),
        ]
    )
    for sheet_name, number, *cells in rows:
        key = str(sheet_name), int(str(number))
        note = WriteOnlyCell(ws, value="；".join(problems[key]))
        if LEVEL_WORDS[ImportRowError.Level.PROBLEM] in kinds[key]:
            note.font = red
        place = [safe_cell(sheet_name)] if several else []
        ws.append([*place, number, *[safe_cell(c) for c in cells], "、".join(kinds[key]), note])
    if job.problems_truncated:
        from .engine import MAX_STORED_PROBLEM_ROWS

        more = WriteOnlyCell(
            ws,
            value=f"共 {job.rows_invalid:,} 行有问题，仅列出前 {MAX_STORED_PROBLEM_ROWS:,} 行；"
            "请修改后重新上传，再检查其余各行",
        )
        more.font = red
        ws.append([more])
    buffer = io.BytesIO()
    wb.save(buffer)
    yield buffer.getvalue()
