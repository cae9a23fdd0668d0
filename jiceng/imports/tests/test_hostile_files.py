"""Hostile spreadsheets (issue 14, availability): a 1.6 KB .xlsx whose two cells sit at A1 and
XFD1048576 made the reader allocate a dense 1,048,576 × 16,384 grid (512 GiB) and killed the
worker. The sheet's extent is checked from the zip before anything is read, and the reading
itself runs in a child process with a memory limit.

The reading is tried in a separate Python process with an address-space limit, so that a
regression fails the test instead of killing pytest."""

# ruff: noqa: E501 - the package parts are written as Excel writes them, one per line
from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from jiceng.imports import engine, services
from jiceng.imports.models import ImportJob
from jiceng.imports.readers import UnreadableFileError, check_sheet_extent

ROOT = Path(__file__).resolve().parents[3]

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""


def sheet_xml(cells: str, dimension: str | None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{cells}</sheetData></worksheet>"
    )


HOSTILE_CELLS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
)


def write_xlsx(path: Path, sheet: str) -> Path:
    """A minimal .xlsx written by hand (openpyxl would not write such a sheet)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "hostile.xlsx", sheet_xml(HOSTILE_CELLS, "A1:XFD1048576"))


def test_the_hostile_file_is_small(hostile):
    assert hostile.stat().st_size < 2048


def test_reading_the_hostile_file_is_refused_within_a_memory_limit(hostile):
    """issue 14: in a process limited to 2 GiB of address space, sniffing and reading the file
    ends in a clear refusal naming the range, not in an abort."""
    script = textwrap.dedent(
        """
        import os, resource, sys
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        import django
        django.setup()
        limit = 2 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from pathlib import Path
        from jiceng.imports.readers import UnreadableFileError, iter_rows, sniff
        path = Path(sys.argv[1])
        try:
            rows = sum(1 for _ in iter_rows(path, sniff(path, path.name)))
        except UnreadableFileError as exc:
            print("REFUSED", exc.message)
        else:
            print("READ", rows)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(hostile)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REFUSED" in done.stdout
    assert "A1:XFD1048576" in done.stdout
    assert "1,048,576 行" in done.stdout


def test_the_declared_range_is_checked_before_reading(hostile):
    with pytest.raises(UnreadableFileError, match=r"A1:XFD1048576.*16,384 列"):
        check_sheet_extent(hostile)


def test_cells_far_away_are_caught_without_a_dimension(tmp_path):
    path = write_xlsx(tmp_path / "nodim.xlsx", sheet_xml(HOSTILE_CELLS, None))
    with pytest.raises(UnreadableFileError, match="XFD1048576"):
        check_sheet_extent(path)


def test_cells_without_references_are_counted(tmp_path):
    """Cells may omit their reference: they then follow one another along the row."""
    row = '<row r="1048576">' + "<c><v>1</v></c>" * 300 + "</row>"
    path = write_xlsx(tmp_path / "noref.xlsx", sheet_xml(row, None))
    with pytest.raises(UnreadableFileError, match="1,048,576 行"):
        check_sheet_extent(path)


def test_an_ordinary_sheet_passes(xlsx):
    path = xlsx([["姓名", "公民身份号码"], ["张三", "310101197003080011"]])
    assert check_sheet_extent(path) == (2, 2)


def test_the_upload_of_the_hostile_file_is_refused_with_the_range(db, officer, branch, hostile):
    with pytest.raises(ValidationError, match="A1:XFD1048576"):
        services.import_job_create(
            actor=officer,
            organization=branch,
            kind="member",
            original_name="hostile.xlsx",
            chunks=[hostile.read_bytes()],
        )


def test_a_stored_hostile_file_fails_its_check_with_the_message(db, officer, branch, xlsx, hostile):
    """A file stored before the upload check (or swapped on disk) fails the dry run."""
    ordinary = xlsx([["姓名", "公民身份号码"], ["张三", "310101197003080011"]])
    job = services.import_job_create(
        actor=officer,
        organization=branch,
        kind="member",
        original_name="roll.xlsx",
        chunks=[ordinary.read_bytes()],
    )
    Path(job.stored_path).write_bytes(hostile.read_bytes())
    job = engine.job_validate(job)
    assert job.status == ImportJob.Status.FAILED
    assert "A1:XFD1048576" in job.message
