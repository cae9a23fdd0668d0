"""Running an import job: check every row (dry run), then write batch by batch.

``job_validate`` reads the whole file, finds the header, checks every row and stores every
problem; nothing is written to the roll. ``job_run`` re-reads and re-checks the file and writes
the valid rows in batches (``settings.IMPORT_BATCH_SIZE``), each in one transaction with the
job's ``batches_done`` counter: a worker killed at any moment leaves whole batches only, and
running the job again resumes after the last committed batch. Rows are matched by natural key
(the ID number's blind index), so a re-run creates no duplicates.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from jiceng.core import audit

from .cleaning import CellError, not_a_record
from .headers import COLUMNS, find_header
from .members import (
    REFUSED_FOREIGN,
    CheckedRow,
    OrgDirectory,
    ReadyRow,
    check_chunk,
    existing_members,
    line_name,
    may_change,
    set_check_context,
    write_batch,
)
from .models import ImportJob, ImportRowError
from .organizations import (
    OrgRow,
    check_against_tree,
    clean_org_row,
    parents_first,
    street_directory,
    write_org_batch,
)
from .readers import SheetInfo, UnreadableFileError, iter_rows, sheet_list

HEADER_PEEK_ROWS = 20
PROGRESS_EVERY = 5000
CHUNK_ROWS = 2000  # rows per task sent to a checking process
LOOKUP_ROWS = 5000  # checked rows looked up on the roll per query
# Rows whose problems are stored per job: the page lists 200 and an officer fixes a file from
# the first thousand; the counts by column stay exact (``ImportJob.problem_counts``). Without a
# cap one 200 MB CSV stored 814,402 problem rows (+165 MB, issue 14).
MAX_STORED_PROBLEM_ROWS = 1000

Progress = Callable[[ImportJob], None]
NAME_COLUMN = "姓名"
# Rows of several sheets are numbered ``position × SHEET_STRIDE + row`` inside the engine
# (a CSV or a single sheet keeps its own row numbers); stored problems keep sheet and row.
SHEET_STRIDE = 1 << 32


def officer_columns(job: ImportJob) -> dict[str, str]:
    """The importer's label of each column (its first synonym) → the officer's own header
    text, so that messages name a column as the file does (``所在支部``)."""
    sheets = job.sheets_read
    if not sheets:
        return {}
    labels = {f: aliases[0] for f, aliases in COLUMNS[job.kind].items()}
    return {labels[f]: text for f, text in sheets[0].get("headers", {}).items() if f in labels}


def _sheet_names(job: ImportJob) -> list[str]:
    return [s["name"] for s in job.sheets_read]


def where(job: ImportJob, number: int, names: list[str] | None = None) -> tuple[str, int]:
    """(sheet name, row number in that sheet) of an engine row number."""
    names = _sheet_names(job) if names is None else names
    position, row = divmod(number, SHEET_STRIDE)
    return (names[position] if len(names) > 1 else ""), row


def row_label(job: ImportJob, number: int) -> str:
    """How a message names a row: 第 12 行, or “退休党员”表第 12 行 when several sheets are
    read."""
    sheet, row = where(job, number)
    return f"“{sheet}”表第 {row} 行" if sheet else f"第 {row} 行"


def _noop(job: ImportJob) -> None:
    return None


# What reading the header decides about a job (saved whether or not the rows are checked).
_HEADER_FIELDS = ("status", "message", "sheets", "header_row", "mapping", "unknown_columns")


def _save(job: ImportJob, *fields: str) -> None:
    job.save(update_fields=list(fields))


class _ProblemLog:
    """Stores the problems of the first ``MAX_STORED_PROBLEM_ROWS`` rows with problems and
    counts every problem by column in ``job.problem_counts``; notices and name conflicts
    (other ``ImportRowError.Level``) are stored for as many rows again each, and not counted
    as problems."""

    def __init__(self, job: ImportJob, *, stored_rows: int = 0) -> None:
        self.job = job
        self.sheet_names = _sheet_names(job)
        self.columns = officer_columns(job)
        self.stored: dict[str, int] = {ImportRowError.Level.PROBLEM: stored_rows}
        self.pending: list[ImportRowError] = []

    def add(
        self,
        row_number: int,
        problems: list[tuple[str, str]] | tuple[tuple[str, str], ...],
        level: str = ImportRowError.Level.PROBLEM,
    ) -> None:
        problems = [(self.columns.get(c, c), m) for c, m in problems]
        if level == ImportRowError.Level.PROBLEM:
            counts = self.job.problem_counts
            for column, _message in problems:
                counts[column] = counts.get(column, 0) + 1
        stored = self.stored.get(level, 0)
        if stored < MAX_STORED_PROBLEM_ROWS:
            sheet, row = where(self.job, row_number, self.sheet_names)
            self.stored[level] = stored + 1
            self.pending.extend(
                ImportRowError(
                    job=self.job,
                    sheet=sheet,
                    row_number=row,
                    column=c,
                    message=m[:500],
                    level=level,
                )
                for c, m in problems
            )

    def flush(self) -> None:
        ImportRowError.objects.bulk_create(self.pending, batch_size=1000)
        self.pending = []


def _rows(job: ImportJob) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the data rows below the header of every sheet read, the cells
    of later sheets put in the first sheet's column order. The row number is the 1-based
    spreadsheet row (plus ``SHEET_STRIDE`` per sheet after the first)."""
    if job.header_row is None:
        raise ValueError("the header has not been found yet")
    sheets = job.sheets_read or [{"name": None, "header_row": job.header_row}]
    columns = {field: int(col) for col, field in job.mapping.items()}
    mapping = {col: field for field, col in columns.items()}
    key_field = "id_number" if job.kind == ImportJob.Kind.MEMBER else "code"
    width = max(columns.values(), default=-1) + 1
    for position, sheet in enumerate(sheets):
        place = None
        if position:  # column i of this sheet goes to the first sheet's column of its field
            place = {int(col): columns[field] for col, field in sheet["mapping"].items()}
        rows = iter_rows(Path(job.stored_path), job.file_type, sheet["name"] or None)
        for index, cells in enumerate(rows):
            if index <= sheet["header_row"]:
                continue
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            if place is not None:
                projected: list[Any] = [None] * width
                for col, target in place.items():
                    if col < len(cells):
                        projected[target] = cells[col]
                cells = projected
            if reason := not_a_record(cells, mapping, key_field):
                if job.status == ImportJob.Status.VALIDATING:  # counted once, by the check
                    job.set_aside[reason] = job.set_aside.get(reason, 0) + 1
                continue
            yield position * SHEET_STRIDE + index + 1, cells


def _chunks(job: ImportJob) -> Iterator[list[tuple[int, list[Any]]]]:
    chunk: list[tuple[int, list[Any]]] = []
    for item in _rows(job):
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _workers(job: ImportJob) -> int:
    """Processes for checking: all cores for a large file, none (inline) for a small one."""
    if job.size < settings.IMPORT_PARALLEL_MIN_BYTES:
        return 0
    return max(0, settings.IMPORT_WORKERS if settings.IMPORT_WORKERS else os.cpu_count() or 1)


def _checked_rows(job: ImportJob, orgs: OrgDirectory) -> Iterator[CheckedRow]:
    """Every data row in file order, checked and prepared, or with its problems.

    A large file is checked by a pool of forked worker processes (checking is pure Python:
    no database), with a bounded number of chunks in flight so memory stays flat.
    """
    mapping = {int(k): v for k, v in job.mapping.items()}
    set_check_context(mapping, orgs)
    workers = _workers(job)
    if workers < 2:
        for chunk in _chunks(job):
            yield from check_chunk(chunk)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, set_check_context, (mapping, orgs)) as pool:
        in_flight: deque[Any] = deque()
        for chunk in _chunks(job):
            in_flight.append(pool.apply_async(check_chunk, (chunk,)))
            if len(in_flight) > 2 * workers:
                yield from in_flight.popleft().get()
        while in_flight:
            yield from in_flight.popleft().get()


def _stage_path(job: ImportJob) -> Path:
    return Path(job.stored_path).parent / "checked.pickle"


class _Stage:
    """The checked rows, ready to write, in frames of one batch each (pickle), so the run
    writes without checking again and resumes by skipping whole frames. Written to a
    temporary name and renamed when complete."""

    def __init__(self, job: ImportJob) -> None:
        self.final = _stage_path(job)
        self.temp = self.final.with_suffix(".partial")
        self.fh = self.temp.open("wb")
        self.frame: list[ReadyRow] = []
        self.size = settings.IMPORT_BATCH_SIZE

    def add(self, rows: list[ReadyRow]) -> None:
        for row in rows:
            self.frame.append(row)
            if len(self.frame) >= self.size:
                self._dump()

    def _dump(self) -> None:
        pickle.dump(self.frame, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.frame = []

    def close(self, *, complete: bool) -> None:
        if self.frame:
            self._dump()
        self.fh.close()
        if complete:
            self.temp.replace(self.final)
        else:
            self.temp.unlink(missing_ok=True)


def _staged_batches(job: ImportJob) -> Iterator[list[ReadyRow]]:
    with _stage_path(job).open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)  # noqa: S301 - our own file, written by _Stage
            except EOFError:
                return


def _org_rows(
    job: ImportJob, orgs: OrgDirectory
) -> tuple[list[OrgRow], list[tuple[int, str, str]], int]:
    """All organisation rows at once (a parent may come after its children): the valid rows
    parents first, the problems, and the number of data rows."""
    from jiceng.core.text import clean

    from .cleaning import choice, name_key
    from .organizations import ORG_TYPES

    mapping = {int(k): v for k, v in job.mapping.items()}
    code_col = next(i for i, f in mapping.items() if f == "code")
    type_col = next(i for i, f in mapping.items() if f == "org_type")
    data = list(_rows(job))
    name_col = next((i for i, f in mapping.items() if f == "name"), None)
    file_codes: dict[str, str] = {}
    file_names: dict[str, str] = {}
    seen: dict[str, int] = {}
    problems: list[tuple[int, str, str]] = []
    for row_number, cells in data:
        code = clean(str(cells[code_col] or "")).upper() if code_col < len(cells) else ""
        if code in seen:
            problems.append(
                (row_number, "组织代码", f"与{row_label(job, seen[code])}的组织代码重复")
            )
            continue
        seen[code] = row_number
        if name_col is not None and name_col < len(cells):
            file_names.setdefault(name_key(cells[name_col]), code)
        try:
            file_codes[code] = choice(
                cells[type_col] if type_col < len(cells) else None, ORG_TYPES, label="组织类别"
            )
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
    problems.extend((n, "上级党组织", m) for n, m in cycles)
    problems.sort()
    return ordered, problems, len(data)


def _validate_orgs(job: ImportJob, orgs: OrgDirectory) -> None:
    ordered, problems, total = _org_rows(job, orgs)
    log = _ProblemLog(job)
    for row_number, row_problems in groupby(problems, key=lambda p: p[0]):
        log.add(row_number, [(c, m) for _n, c, m in row_problems])
    log.flush()
    job.rows_total = job.rows_done = total
    job.rows_valid = len(ordered)
    job.rows_invalid = len({n for n, _c, _m in problems})


def _peek(job: ImportJob, sheet: str | None) -> list[list[Any]]:
    peek = []
    for cells in iter_rows(Path(job.stored_path), job.file_type, sheet):
        peek.append(cells)
        if len(peek) >= HEADER_PEEK_ROWS:
            break
    return peek


def _missing_message(job: ImportJob, missing: tuple[str, ...]) -> str:
    from .members import LABELS as MEMBER_LABELS
    from .organizations import LABELS as ORG_LABELS

    labels = MEMBER_LABELS if job.kind == ImportJob.Kind.MEMBER else ORG_LABELS
    return "、".join(labels.get(f, f) for f in missing)


def _sheet_entry(job: ImportJob, info: SheetInfo, *, asked: bool) -> tuple[dict, Any]:
    """What the check does with one sheet: read it (with its header) or skip it, and why."""
    entry: dict[str, Any] = {"name": info.name, "read": False, "reason": ""}
    if not info.worksheet:
        entry["reason"] = "图表，不是数据表"
        return entry, None
    if not info.visible and not asked:
        entry["reason"] = "隐藏的工作表，未读取（如需导入请指定该工作表）"
        return entry, None
    try:
        peek = _peek(job, info.name or None)  # checks the sheet's extent first (issue 14)
    except UnreadableFileError as exc:
        if asked:
            raise
        entry["reason"] = exc.message
        return entry, None
    if not any(any(c not in (None, "") for c in r) for r in peek):
        entry["reason"] = "空工作表"
        return entry, None
    match = find_header(peek, job.kind)
    if match.missing:
        entry["reason"] = f"不像名册：找不到必需的列 {_missing_message(job, match.missing)}"
        return entry, match
    entry.update(
        read=True,
        reason="隐藏的工作表，按您的指定读取" if not info.visible else "",
        header_row=match.row_index,
        mapping={str(k): v for k, v in match.mapping.items()},
        headers=match.names,
    )
    return entry, match


def _read_header(job: ImportJob) -> bool:
    """Find the sheets to read and their headers: the sheet the officer named, or every
    visible sheet that looks like a roster (issue 15: a hidden sheet is never read unasked,
    and every sheet skipped is listed with the reason)."""
    infos = sheet_list(Path(job.stored_path), job.file_type)
    if job.sheet:
        infos = [i for i in infos if i.name == job.sheet]
        if not infos:
            names = "、".join(i.name for i in sheet_list(Path(job.stored_path), job.file_type))
            job.status = ImportJob.Status.FAILED
            job.message = f"文件中没有名为“{job.sheet}”的工作表（本文件的工作表：{names}）"
            return False
    sheets: list[dict[str, Any]] = []
    first: Any = None
    last_match: Any = None
    unknown: list[str] = []
    for info in infos:
        entry, match = _sheet_entry(job, info, asked=bool(job.sheet))
        last_match = match or last_match
        if entry["read"] and first is None:
            first = match
        elif entry["read"] and set(match.mapping.values()) != set(first.mapping.values()):
            entry.update(read=False, reason="列与第一张名册不同，请单独导入此表（指定工作表）")
        if entry["read"]:
            unknown.extend(c for c in match.unknown if c not in unknown)
        sheets.append(entry)
    job.sheets = sheets
    if first is None:
        job.status = ImportJob.Status.FAILED
        if last_match is not None and len(infos) == 1:
            names = _missing_message(job, last_match.missing)
            job.message = f"文件中找不到必需的列：{names}（请检查表头）"
        else:
            reasons = "；".join(f"“{s['name']}”：{s['reason']}" for s in sheets)
            job.message = f"没有可以读取的名册工作表（{reasons}）"[:500]
        if last_match is not None:
            job.header_row = last_match.row_index
            job.mapping = {str(k): v for k, v in last_match.mapping.items()}
        return False
    job.header_row = first.row_index
    job.mapping = {str(k): v for k, v in first.mapping.items()}
    job.unknown_columns = unknown
    return True


def job_validate(job: ImportJob, progress: Progress = _noop) -> ImportJob:
    """The dry run: every problem of every row, nothing written to the roll."""
    job.status = ImportJob.Status.VALIDATING
    job.started_at = timezone.now()
    job.rows_done = job.rows_total = job.rows_valid = job.rows_invalid = 0
    job.rename_count = job.notice_count = 0
    job.set_aside = {}
    job.problem_counts = {}
    job.message = ""
    _save(
        job,
        "status",
        "started_at",
        "rows_done",
        "rows_total",
        "rows_valid",
        "rows_invalid",
        "rename_count",
        "notice_count",
        "set_aside",
        "problem_counts",
        "message",
    )
    ImportRowError.objects.filter(job=job).delete()
    try:
        if not _read_header(job):
            job.finished_at = timezone.now()
            _save(job, *_HEADER_FIELDS, "finished_at")
            discard_upload(job)
            return job
        orgs = OrgDirectory.for_subtree(job.created_by, job.organization)
        if job.kind == ImportJob.Kind.ORGANIZATION:
            _validate_orgs(job, orgs)
        else:
            _validate_members(job, orgs, progress)
        job.rows_done = job.rows_total
        job.status = ImportJob.Status.VALIDATED
        if job.rows_total == 0:
            job.status = ImportJob.Status.FAILED
            job.message = "表头下面没有数据行"
    except UnreadableFileError as exc:
        job.status = ImportJob.Status.FAILED
        job.message = exc.message
    job.finished_at = timezone.now()
    _save(
        job,
        *_HEADER_FIELDS,
        "rows_done",
        "rows_total",
        "rows_valid",
        "rows_invalid",
        "rename_count",
        "notice_count",
        "set_aside",
        "problem_counts",
        "finished_at",
    )
    if job.status == ImportJob.Status.FAILED:
        discard_upload(job)
    progress(job)
    return job


def _validate_members(job: ImportJob, orgs: OrgDirectory, progress: Progress) -> None:
    """Check every row, store every problem, and stage the valid rows ready to write."""
    stage = _Stage(job)
    complete = False
    try:
        log = _ProblemLog(job)
        first_seen: dict[str, int] = {}
        pending: list[ReadyRow] = []
        for row_number, row, problems in _checked_rows(job, orgs):
            job.rows_total += 1
            if row is not None and row.key in first_seen:
                problems = [
                    ("公民身份号码", f"与{row_label(job, first_seen[row.key])}的身份证号重复")
                ]
                row = None
            if row is None:
                job.rows_invalid += 1
                log.add(row_number, list(problems))
            else:
                first_seen[row.key] = row_number
                pending.append(row)
                if len(pending) >= LOOKUP_ROWS:
                    _stage_checked(job, stage, pending, log)
                    pending = []
            if job.rows_total % PROGRESS_EVERY == 0:
                job.rows_done = job.rows_total
                log.flush()
                _save(
                    job, "rows_done", "rows_total", "rows_valid", "rows_invalid", "problem_counts"
                )
                progress(job)
        _stage_checked(job, stage, pending, log)
        log.flush()
        complete = True
    finally:
        stage.close(complete=complete)


def _stage_checked(job: ImportJob, stage: _Stage, rows: list[ReadyRow], log: _ProblemLog) -> None:
    """Look the rows up on the roll: a member registered outside the import's subtree is
    refused, not moved (moving a member is a transfer, issue 4's workflow); one inside is
    marked for update, and listed as a name conflict when registered under another name;
    the rest are new. Valid rows go to the stage, their notices to the log."""
    found = existing_members([r.key for r in rows]) if rows else {}
    refused = 0
    staged: list[ReadyRow] = []
    for row in rows:
        home_path, stored_name = found.get(row.key, ("", ""))
        if row.notices:
            job.notice_count += 1
            log.add(row.row_number, row.notices, ImportRowError.Level.NOTICE)
        if not home_path:
            staged.append(row)
        elif may_change(job.created_by, job.org_path, home_path):
            rename = stored_name != (file_name := line_name(row.line))
            if rename:
                job.rename_count += 1
                message = f"已登记姓名“{stored_name}”，文件中为“{file_name}”"
                log.add(row.row_number, [(NAME_COLUMN, message)], ImportRowError.Level.RENAME)
            staged.append(row._replace(existing=True, rename=rename))
        else:
            refused += 1
            log.add(row.row_number, [("公民身份号码", REFUSED_FOREIGN)])
    job.rows_valid += len(staged)
    job.rows_invalid += refused
    stage.add(staged)


def job_run(job: ImportJob, progress: Progress = _noop) -> ImportJob:
    """Write the valid rows batch by batch; resumes after the last committed batch."""
    if job.status not in (ImportJob.Status.VALIDATED, ImportJob.Status.IMPORTING):
        raise ValueError("job must be validated first")
    if job.rows_invalid and not job.skip_invalid:
        raise ValueError("the file has rows with problems; fix them or skip them explicitly")
    job.status = ImportJob.Status.IMPORTING
    if not job.batches_done:  # a fresh run; otherwise resume after the committed batches
        job.started_at = timezone.now()
        job.rows_done = job.created_count = job.updated_count = job.unchanged_count = 0
    job.finished_at = None
    job.message = ""
    _save(
        job,
        "status",
        "started_at",
        "finished_at",
        "message",
        "rows_done",
        "created_count",
        "updated_count",
        "unchanged_count",
    )
    start = time.perf_counter()
    if job.kind == ImportJob.Kind.ORGANIZATION:
        orgs = OrgDirectory.for_subtree(job.created_by, job.organization)
        batch_size = settings.IMPORT_BATCH_SIZE
        skip = job.batches_done * batch_size
        ordered, _org_problems, _total = _org_rows(job, orgs)
        for i in range(skip, len(ordered), batch_size):
            _commit_org_batch(job, ordered[i : i + batch_size])
            progress(job)
        return _finish(job, start, progress)
    if not _stage_path(job).exists():  # the checked rows are gone (e.g. cleaned away by hand)
        job.status = ImportJob.Status.FAILED
        job.message = "检查结果已失效，请重新上传文件并检查"
        job.finished_at = timezone.now()
        _save(job, "status", "message", "finished_at")
        discard_upload(job)
        progress(job)
        return job
    for number, batch in enumerate(_staged_batches(job)):
        if number < job.batches_done:
            continue
        try:
            _commit_batch(job, batch)
        except DatabaseError as exc:
            _stopped(job, exc)
            progress(job)
            raise ImportWriteError(job.message) from exc
        progress(job)
    return _finish(job, start, progress)


class ImportWriteError(RuntimeError):
    """A batch could not be written; ``message`` says what is in and how to resume."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _stopped(job: ImportJob, exc: DatabaseError) -> None:
    """The job after a batch failed: the batches before it are in (each committed whole),
    the failed one and the rest are not; the job stays resumable."""
    job.refresh_from_db(fields=["batches_done", "rows_done", "created_count", "updated_count"])
    size = settings.IMPORT_BATCH_SIZE
    done = job.batches_done
    said = str(exc).splitlines()[0][:150] if str(exc) else type(exc).__name__
    job.message = (
        f"第 {done + 1} 批（约第 {done * size + 1} 至 {(done + 1) * size} 条有效记录）写入失败，"
        f"已停止：前 {done} 批共 {job.rows_done} 行已完整写入，这一批及以后各批均未写入。"
        f"排除故障后可继续：manage.py import_members --user <用户名> --resume {job.pk}，"
        f"或请管理员重试本任务。数据库报告：{said}"
    )[:500]
    job.save(update_fields=["message"])


def discard_upload(job: ImportJob) -> None:
    """Remove the job's uploaded file and staged rows (personal data): a job that failed or
    was abandoned has no error report to build from them."""
    folder = Path(job.stored_path).parent
    if folder.resolve().parent == Path(settings.IMPORT_ROOT).resolve() and folder.name == str(
        job.pk
    ):
        shutil.rmtree(folder, ignore_errors=True)


def _finish(job: ImportJob, start: float, progress: Progress) -> ImportJob:
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.message = f"用时 {time.perf_counter() - start:.1f} 秒"
    _save(job, "status", "finished_at", "message")
    progress(job)
    _stage_path(job).unlink(missing_ok=True)  # the checked rows hold (encrypted) personal data
    if not job.rows_invalid:  # no error report to build from it: the personal data goes
        discard_upload(job)
    return job


def _commit_batch(job: ImportJob, rows: list[ReadyRow]) -> None:
    """Write one batch with the job's counters, all or nothing. A batch that held no
    existing member when checked is inserted straight away; if a member was added in the
    meantime the insert fails on the unique key and the batch is written again carefully."""
    trust_new = not any(r.existing for r in rows)
    try:
        _write_batch(job, rows, trust_new=trust_new)
    except IntegrityError:
        if not trust_new:
            raise
        job.refresh_from_db()
        _write_batch(job, rows, trust_new=False)


@transaction.atomic
def _write_batch(job: ImportJob, rows: list[ReadyRow], *, trust_new: bool) -> None:
    done = len(rows)
    if not job.accept_renames:  # the officer chose to skip the name conflicts
        rows = [r for r in rows if not r.rename]
    outcome = write_batch(
        job.created_by,
        rows,
        job.org_path,
        set(job.mapping.values()),
        trust_new=trust_new,
        accept_renames=job.accept_renames,
    )
    job.batches_done += 1
    job.rows_done += done
    job.created_count += len(outcome.created)
    job.updated_count += len(outcome.updated)
    job.unchanged_count += outcome.unchanged
    if outcome.refused:
        stored = job.errors.filter(level=ImportRowError.Level.PROBLEM)
        log = _ProblemLog(job, stored_rows=stored.values("row_number").distinct().count())
        for n, m in outcome.refused:
            log.add(n, [("公民身份号码", m)])
        log.flush()
        job.rows_invalid += len(outcome.refused)
    _save(
        job,
        "batches_done",
        "rows_done",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rows_invalid",
        "problem_counts",
    )
    if outcome.created or outcome.updated:
        renamed = sum("name" in d for d in outcome.updated.values())
        audit.record(
            actor=job.created_by,
            verb="create",
            object_type="imports.importjob",
            object_id=str(job.pk),
            object_repr=f"导入 {job.original_name} 第 {job.batches_done} 批",
            org_path=job.org_path,
            after={"created": outcome.created, "updated": outcome.updated},
            note=f"新建 {len(outcome.created)}，更新 {len(outcome.updated)}，"
            f"未变 {outcome.unchanged}" + (f"，经确认更名 {renamed}" if renamed else ""),
        )


@transaction.atomic
def _commit_org_batch(job: ImportJob, rows: list[OrgRow]) -> None:
    counts = write_org_batch(job.created_by, rows, job.org_path)
    job.batches_done += 1
    job.rows_done += len(rows)
    job.created_count += counts["created"]
    job.updated_count += counts["updated"]
    job.unchanged_count += counts["unchanged"]
    _save(job, "batches_done", "rows_done", "created_count", "updated_count", "unchanged_count")
