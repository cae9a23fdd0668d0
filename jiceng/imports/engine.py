"""Running an import job, for every kind of row alike: check every row (dry run), then write
batch by batch.

``job_validate`` reads the whole file, finds the header, checks every row, stores every
problem and stages the valid rows, ready to write, in frames of one batch each; nothing is
written to the roll. ``job_run`` writes the staged batches (``settings.IMPORT_BATCH_SIZE``
rows), each in one transaction with the job's ``batches_done`` counter: a worker killed at any
moment leaves whole batches only, and running the job again resumes after the last committed
batch. Rows are matched by natural key, so a re-run creates no duplicates. What is particular
to a kind of row is its importer's (``job.importer``, ``importer.Importer``).
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from .cleaning import not_a_record
from .directory import OrgDirectory
from .headers import find_header
from .importer import Chunk, Importer
from .models import SHEET_STRIDE, ImportJob, ImportRowError
from .readers import SheetInfo, UnreadableFileError, iter_rows, sheet_list

HEADER_PEEK_ROWS = 20
PROGRESS_EVERY = 5000
CHUNK_ROWS = 2000  # rows per task sent to a checking process
LOOKUP_ROWS = 5000  # checked rows looked up on the roll per query
# Rows whose problems are stored per job: the page lists 200 and an officer fixes a file from
# the first thousand; the counts by column stay exact (``ImportJob.problem_counts``). Without a
# cap one 200 MB CSV stored 814,402 problem rows (+165 MB).
MAX_STORED_PROBLEM_ROWS = 1000

Progress = Callable[[ImportJob], None]


def officer_columns(job: ImportJob) -> dict[str, str]:
    """The importer's label of each column (its first synonym) → the officer's own header
    text, so that messages name a column as the file does (``所在支部``)."""
    sheets = job.sheets_read
    if not sheets:
        return {}
    labels = job.importer.labels
    return {labels[f]: text for f, text in sheets[0].get("headers", {}).items() if f in labels}


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
        self.columns = officer_columns(job)
        self.stored: dict[str, int] = {ImportRowError.Level.PROBLEM: stored_rows}
        self.pending: list[ImportRowError] = []

    def add(
        self,
        row_number: int,
        problems: Sequence[tuple[str, str]],
        level: str = ImportRowError.Level.PROBLEM,
    ) -> None:
        problems = [(self.columns.get(c, c), m) for c, m in problems]
        if level == ImportRowError.Level.PROBLEM:
            counts = self.job.problem_counts
            for column, _message in problems:
                counts[column] = counts.get(column, 0) + 1
        stored = self.stored.get(level, 0)
        if stored < MAX_STORED_PROBLEM_ROWS:
            sheet, row = self.job.where(row_number)
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
    key_field = job.importer.key_field
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


def _chunks(job: ImportJob) -> Iterator[Chunk]:
    chunk: Chunk = []
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
        self.frame: list[Any] = []
        self.size = settings.IMPORT_BATCH_SIZE

    def add(self, rows: list[Any]) -> None:
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


def _staged_batches(job: ImportJob) -> Iterator[list[Any]]:
    with _stage_path(job).open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)  # noqa: S301 - our own file, written by _Stage
            except EOFError:
                return


def _peek(job: ImportJob, sheet: str | None) -> list[list[Any]]:
    peek = []
    for cells in iter_rows(Path(job.stored_path), job.file_type, sheet):
        peek.append(cells)
        if len(peek) >= HEADER_PEEK_ROWS:
            break
    return peek


def _missing_message(job: ImportJob, missing: tuple[str, ...]) -> str:
    labels = job.importer.labels
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
        peek = _peek(job, info.name or None)  # reading checks the sheet's extent first
    except UnreadableFileError as exc:
        if asked:
            raise
        entry["reason"] = exc.message
        return entry, None
    if not any(any(c not in (None, "") for c in r) for r in peek):
        entry["reason"] = "空工作表"
        return entry, None
    match = find_header(peek, job.importer.columns, job.importer.required_for(job))
    if match.missing:
        entry["reason"] = f"不像名册：找不到必需的列 {_missing_message(job, match.missing)}"
        return entry, match
    entry.update(
        read=True,
        reason="隐藏的工作表，按您的指定读取" if not info.visible else "",
        header_row=match.row_index,
        note=job.importer.sheet_note(job, set(match.mapping.values())),
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
        _check(job, job.importer, progress)
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


def _check(job: ImportJob, importer: Importer[Any], progress: Progress) -> None:
    """Check every row, store every problem, and stage the valid rows ready to write: a key
    met again is a problem of the later row; the valid rows are looked up on the records
    ``LOOKUP_ROWS`` at a time."""
    orgs = OrgDirectory.for_subtree(job.created_by, job.organization)
    key_label = importer.labels[importer.key_field]
    stage = _Stage(job)
    complete = False
    try:
        log = _ProblemLog(job)
        first_seen: dict[str, int] = {}
        pending: list[Any] = []
        checked = importer.checked(job, _chunks(job), orgs, workers=_workers(job))
        for row_number, row, problems in checked:
            job.rows_total += 1
            if row is not None and row.key in first_seen:
                said = f"与{job.row_label(first_seen[row.key])}的{importer.key_name}重复"
                problems = [(key_label, said)]
                row = None
            if row is None:
                job.rows_invalid += 1
                log.add(row_number, list(problems))
            else:
                first_seen[row.key] = row_number
                pending.append(row)
                if len(pending) >= LOOKUP_ROWS:
                    _stage_checked(job, importer, stage, pending, log)
                    pending = []
            if job.rows_total % PROGRESS_EVERY == 0:
                job.rows_done = job.rows_total
                log.flush()
                _save(
                    job, "rows_done", "rows_total", "rows_valid", "rows_invalid", "problem_counts"
                )
                progress(job)
        _stage_checked(job, importer, stage, pending, log)
        log.flush()
        complete = True
    finally:
        stage.close(complete=complete)


def _stage_checked(
    job: ImportJob, importer: Importer[Any], stage: _Stage, rows: list[Any], log: _ProblemLog
) -> None:
    """The valid rows the importer keeps after looking them up go to the stage; the rest are
    refused (their problems logged by the importer)."""
    staged = importer.look_up(job, rows, log)
    job.rows_valid += len(staged)
    job.rows_invalid += len(rows) - len(staged)
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
            _commit_batch(job, job.importer, batch)
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


def _commit_batch(job: ImportJob, importer: Importer[Any], rows: list[Any]) -> None:
    """Write one batch with the job's counters, all or nothing. A batch of rows the check
    found new is written straight away (``Importer.all_new``); if one was added in the
    meantime the database refuses it on the unique key and the batch is written again
    carefully."""
    trust_new = importer.all_new(rows)
    try:
        _write_batch(job, importer, rows, trust_new=trust_new)
    except IntegrityError:
        if not trust_new:
            raise
        job.refresh_from_db()
        _write_batch(job, importer, rows, trust_new=False)


@transaction.atomic
def _write_batch(
    job: ImportJob, importer: Importer[Any], rows: list[Any], *, trust_new: bool
) -> None:
    outcome = importer.write(job, rows, trust_new=trust_new)
    job.batches_done += 1
    job.rows_done += len(rows)
    job.created_count += len(outcome.created)
    job.updated_count += len(outcome.updated)
    job.unchanged_count += outcome.unchanged
    if outcome.refused:
        stored = job.errors.filter(level=ImportRowError.Level.PROBLEM)
        log = _ProblemLog(job, stored_rows=stored.values("row_number").distinct().count())
        key_label = importer.labels[importer.key_field]
        for n, m in outcome.refused:
            log.add(n, [(key_label, m)])
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
