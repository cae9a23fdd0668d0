"""The audit log's monthly partitions on PostgreSQL (issue 18 item 5; migration ``0006``).

``ensure`` creates the coming months' partitions (run daily by ``manage.py audit_partitions``).
Retention drops whole months only, in two steps that can be run and re-run apart:
``export`` writes a month to ``AUDIT_ARCHIVE_DIR`` as gzip-compressed JSON lines and records
the file's SHA-256 and row count in ``AuditArchive`` once the file, read back, holds as many
rows as the partition; ``drop`` checks the file again and calls the database function
``core_auditevent_retire_partition``, which DETACHes and DROPs the partition only if its verified
export's row count matches. No row is ever deleted. On SQLite the audit table is not
partitioned and every function here reports nothing to do.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditArchive

MIN_RETENTION_DAYS = 183
"""Audit rows are kept at least six months (183 days) in the database, whatever the setting."""

PARTITION_NAME = re.compile(r"^core_auditevent_y(\d{4})m(\d{2})$")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Partition:
    name: str
    month: dt.date  # the first day of the (UTC) month

    @property
    def end(self) -> dt.datetime:
        """The partition's exclusive upper bound (UTC)."""
        return dt.datetime.combine(add_months(self.month, 1), dt.time(), tzinfo=dt.UTC)


class ArchiveError(Exception):
    """An export that does not match its partition or its record."""


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'core_auditevent'::regclass")
        return cursor.fetchone()[0] == "p"


def retention_days(days: int | None = None) -> int:
    """The retention in days (``AUDIT_RETENTION_DAYS`` unless given), refused below 183."""
    value = int(settings.AUDIT_RETENTION_DAYS if days is None else days)
    if value < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS = {value}: audit rows must be kept at least "
            f"{MIN_RETENTION_DAYS} days (six months); refusing to drop any partition."
        )
    return value


def partitions() -> list[Partition]:
    """The month partitions of the audit table, oldest first (not the DEFAULT one)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'core_auditevent'::regclass"
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = PARTITION_NAME.match(name)
        if match:
            found.append(Partition(name, dt.date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda p: p.month)


def partition_of(month: dt.date) -> Partition | None:
    first = month.replace(day=1)
    return next((p for p in partitions() if p.month == first), None)


def row_count(partition: Partition) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partition.name}"')  # noqa: S608 (name checked)
        return int(cursor.fetchone()[0])


def default_row_count() -> int:
    if not is_partitioned():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_auditevent_default")
        return int(cursor.fetchone()[0])


def ensure(months_ahead: int | None = None, *, today: dt.date | None = None) -> list[str]:
    """Create the partitions of this month and the next ``months_ahead`` (default
    ``AUDIT_PARTITIONS_AHEAD``) if missing, and of every month the DEFAULT partition holds rows
    of (those rows are moved into it, migration 0007); return the names created."""
    if not is_partitioned():
        return []
    ahead = settings.AUDIT_PARTITIONS_AHEAD if months_ahead is None else months_ahead
    first = (today or timezone.now().astimezone(dt.UTC).date()).replace(day=1)
    coming = [add_months(first, n) for n in range(ahead + 1)]
    return ensure_months(sorted(set(default_months()) | set(coming)))


def default_months() -> list[dt.date]:
    """The (UTC) months the DEFAULT partition holds rows of, written before their partition
    existed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date "
            "FROM core_auditevent_default ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def ensure_months(months: list[dt.date]) -> list[str]:
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        for month in months:
            cursor.execute("SELECT core_auditevent_ensure_partition(%s)", [month])
            name = cursor.fetchone()[0]
            if name:
                created.append(name)
    return created


def expired(days: int | None = None, *, now: dt.datetime | None = None) -> list[Partition]:
    """Month partitions wholly older than the retention (their end before now − retention)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days(days))
    return [p for p in partitions() if p.end <= cutoff]


def archive_dir() -> Path:
    return Path(settings.AUDIT_ARCHIVE_DIR)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_rows(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return (
        value if value is None or isinstance(value, int | float | str | dict | list) else str(value)
    )


def export(partition: Partition, *, progress: Progress | None = None) -> AuditArchive:
    """Write one month's rows (ordered by id) to ``<archive dir>/<partition>.jsonl.gz``, read the
    file back, and record it as verified only if it holds the partition's row count."""
    directory = archive_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{partition.name}.jsonl.gz"
    partial = final.with_suffix(".gz.partial")
    written = 0
    with transaction.atomic():
        expected = row_count(partition)
        with connection.chunked_cursor() as cursor:
            cursor.execute(f'SELECT * FROM "{partition.name}" ORDER BY id')  # noqa: S608
            columns = [c[0] for c in cursor.description]
            with gzip.open(partial, "wt", encoding="utf-8") as out:
                while rows := cursor.fetchmany(2000):
                    for row in rows:
                        record = {k: _plain(v) for k, v in zip(columns, row, strict=True)}
                        changes = record.get("changes")
                        if isinstance(changes, str):  # jsonb read as text
                            record["changes"] = json.loads(changes)
                        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                    written += len(rows)
                    if progress:
                        progress(len(rows))
        os.replace(partial, final)
    if written != expected or _file_rows(final) != expected:
        raise ArchiveError(f"{final}: {written} rows written, the partition holds {expected}")
    archive, _ = AuditArchive.objects.update_or_create(
        partition_name=partition.name,
        defaults={
            "month": partition.month,
            "path": str(final),
            "row_count": expected,
            "sha256": _sha256(final),
            "verified_at": timezone.now(),
            "dropped_at": None,
        },
    )
    return archive


def verify(archive: AuditArchive, partition: Partition) -> None:
    """Refuse (ArchiveError) unless the archive file is there, unchanged, and holds as many
    rows as its record and the partition."""
    path = Path(archive.path)
    if not path.exists():
        raise ArchiveError(f"{path}: the archive file is missing")
    if _sha256(path) != archive.sha256:
        raise ArchiveError(f"{path}: the checksum does not match the recorded one")
    rows = _file_rows(path)
    in_db = row_count(partition)
    if not rows == archive.row_count == in_db:
        raise ArchiveError(
            f"{path}: {rows} rows in the file, {archive.row_count} recorded, {in_db} in the table"
        )


def drop(partition: Partition) -> int:
    """Drop one month whose export is recorded and still matches (file and partition); the
    database function checks the record again and detaches and drops the whole partition."""
    archive = AuditArchive.objects.filter(
        partition_name=partition.name, verified_at__isnull=False, dropped_at__isnull=True
    ).first()
    if archive is None:
        raise ArchiveError(f"{partition.name}: not exported, not dropped")
    verify(archive, partition)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT core_auditevent_retire_partition(%s)", [partition.name])
        return int(cursor.fetchone()[0])


def export_expired(
    days: int | None = None,
    *,
    now: dt.datetime | None = None,
    on_partition: Callable[[Partition, int], Progress | None] | None = None,
) -> list[AuditArchive]:
    """Export every expired month that has no verified export yet."""
    done = set(
        AuditArchive.objects.filter(verified_at__isnull=False, dropped_at__isnull=True).values_list(
            "partition_name", flat=True
        )
    )
    archives = []
    for partition in expired(days, now=now):
        if partition.name in done:
            continue
        progress = on_partition(partition, row_count(partition)) if on_partition else None
        archives.append(export(partition, progress=progress))
    return archives


def drop_expired(
    days: int | None = None, *, now: dt.datetime | None = None
) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """Drop every expired month whose export is verified; months not exported (or whose file
    no longer matches) are kept and listed with the reason."""
    dropped, kept = [], []
    for partition in expired(days, now=now):
        try:
            dropped.append((partition.name, drop(partition)))
        except ArchiveError as exc:
            kept.append((partition.name, str(exc)))
    return dropped, kept
