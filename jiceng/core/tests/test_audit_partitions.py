"""The audit log's monthly partitions and their retention (issue 18 item 5, migration 0006).

The partition tests run on PostgreSQL only (``make test`` runs the suite there too); the
retention rule is checked on both databases."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from jiceng.core import audit
from jiceng.core import audit_partitions as parts
from jiceng.core.models import AuditArchive

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the audit table is partitioned on PostgreSQL only (SQLite keeps one plain table)",
)

OLD = dt.date(2001, 1, 1)
OLDER = dt.date(2001, 2, 1)
NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


def _insert(at: str, note: str = "old") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (at, actor_repr, verb, object_type, object_id, "
            "object_repr, org_path, changes, note) "
            "VALUES (%s, 'system', 'create', 't', '1', 'x', '', '{}', %s) RETURNING id",
            [at, note],
        )
        return cursor.fetchone()[0]


def _where(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM core_auditevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()[0]


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "audit-archive"
    return settings.AUDIT_ARCHIVE_DIR


@pytest.mark.parametrize("days", [0, 30, 182])
def test_a_retention_under_183_days_is_refused(db, settings, days):
    with pytest.raises(ImproperlyConfigured, match="183"):
        parts.retention_days(days)
    settings.AUDIT_RETENTION_DAYS = days
    with pytest.raises(ImproperlyConfigured, match="at least 183 days"):
        parts.retention_days()
    with pytest.raises(CommandError, match="at least 183 days"):
        call_command("audit_partitions", "--retention")
    assert parts.retention_days(183) == 183


@on_postgresql
def test_rows_land_in_their_month_partition(db):
    assert parts.ensure_months([OLD, OLDER]) == [
        "core_auditevent_y2001m01",
        "core_auditevent_y2001m02",
    ]
    assert parts.ensure_months([OLD]) == []  # already there
    assert _where(_insert("2001-01-31 23:59:59+00")) == "core_auditevent_y2001m01"
    assert _where(_insert("2001-02-01 00:00:00+00")) == "core_auditevent_y2001m02"
    assert _where(_insert("1999-06-01 00:00:00+00")) == "core_auditevent_default"
    event = audit.record(actor=None, verb="create", object_type="t", object_id="1", object_repr="x")
    assert _where(event.pk) == f"core_auditevent_y{event.at.astimezone(dt.UTC):%Ym%m}"


@on_postgresql
def test_the_coming_months_exist(db):
    parts.ensure(3)
    months = {p.month for p in parts.partitions()}
    first = dt.datetime.now(dt.UTC).date().replace(day=1)
    assert {parts.add_months(first, n) for n in range(4)} <= months


@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET note = 'tampered'",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
        "UPDATE core_auditevent SET note = 'tampered'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent",
    ],
)
@pytest.mark.parametrize("month", [OLD, None])  # a partition made later, the DEFAULT one
def test_every_partition_is_append_only(db, statement, month):
    if month is None:
        table, at = "core_auditevent_default", "1999-06-01 00:00:00+00"
    else:
        table, at = parts.ensure_months([month])[0], f"{month} 12:00:00+00"
    event_id = _insert(at)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    assert _where(event_id) == table


@on_postgresql
def test_an_id_already_taken_cannot_be_inserted_again(db):
    event = audit.record(actor=None, verb="create", object_type="t", object_id="1", object_repr="x")
    parts.ensure_months([OLD])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO core_auditevent (id, at, actor_repr, verb, object_type, object_id, "
            "object_repr, org_path, changes, note) VALUES (%s, '2001-01-05', 'x', 'create', "
            "'t', '1', 'x', '', '{}', 'forged')",
            [event.pk],
        )


@on_postgresql
def test_only_an_exported_partition_past_retention_is_dropped(db, archive_dir):
    parts.ensure_months([OLD, OLDER])
    ids = [_insert(f"2001-01-{day:02d} 08:00:00+00", f"row {day}") for day in (3, 4, 5)]
    _insert("2001-02-10 08:00:00+00")
    old = parts.partition_of(OLD)
    assert {p.name for p in parts.expired(183, now=NOW)} >= {old.name, "core_auditevent_y2001m02"}

    archive = parts.export(old)
    assert (archive.row_count, archive.verified_at is not None) == (3, True)
    with gzip.open(archive.path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert [r["id"] for r in rows] == ids
    assert [r["note"] for r in rows] == ["row 3", "row 4", "row 5"]
    assert rows[0]["changes"] == {}

    dropped, kept = parts.drop_expired(183, now=NOW)
    assert dropped == [(old.name, 3)]
    assert [name for name, _reason in kept] == ["core_auditevent_y2001m02"]
    assert parts.partition_of(OLD) is None
    assert parts.partition_of(OLDER) is not None
    assert AuditArchive.objects.get(partition_name=old.name).dropped_at is not None


@on_postgresql
def test_a_partition_inside_the_retention_is_not_expired(db):
    parts.ensure_months([dt.date(2026, 7, 1)])
    names = {p.name for p in parts.expired(183, now=NOW)}
    assert "core_auditevent_y2026m07" not in names  # ends 2026-08-01, within 183 days of NOW


@on_postgresql
def test_a_changed_archive_file_or_a_late_row_keeps_the_partition(db, archive_dir):
    parts.ensure_months([OLD])
    _insert("2001-01-03 08:00:00+00")
    old = parts.partition_of(OLD)
    archive = parts.export(old)
    with gzip.open(archive.path, "at", encoding="utf-8") as f:
        f.write('{"id": 0}\n')
    with pytest.raises(parts.ArchiveError, match="checksum"):
        parts.drop(old)
    parts.export(old)  # exported again, then a row arrives in the old month
    _insert("2001-01-04 08:00:00+00")
    with pytest.raises(parts.ArchiveError, match="rows"):
        parts.drop(old)
    assert parts.partition_of(OLD) is not None


@on_postgresql
def test_the_database_refuses_to_drop_a_partition_without_a_verified_export(db):
    parts.ensure_months([OLD])
    _insert("2001-01-03 08:00:00+00")
    AuditArchive.objects.create(
        partition_name="core_auditevent_y2001m01",
        month=OLD,
        path="/nowhere",
        row_count=5,  # not the partition's count
        sha256="0" * 64,
        verified_at=NOW,
    )
    for name in ("core_auditevent_y2001m01", "core_auditevent_default", "core_auditevent"):
        with (
            pytest.raises(DatabaseError, match="not"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT core_auditevent_retire_partition(%s)", [name])
    assert parts.partition_of(OLD) is not None


@on_postgresql
def test_the_command_exports_and_drops_expired_months(db, archive_dir, capsys):
    parts.ensure_months([OLD])
    _insert("2001-01-03 08:00:00+00")
    call_command("audit_partitions", "--retention", "--days", "200")
    out = capsys.readouterr().out
    assert "core_auditevent_y2001m01" in out
    assert parts.partition_of(OLD) is None
    assert (archive_dir / "core_auditevent_y2001m01.jsonl.gz").exists()


def _row(event_id: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, at, actor_repr, verb, note FROM core_auditevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()


@on_postgresql
def test_rows_written_before_their_month_existed_are_moved_into_it(db, capsys):
    """Rows of a month without a partition wait in the DEFAULT partition; the daily command
    creates the month and moves them, unchanged, and every partition stays append-only."""
    late = [_insert("2002-03-01 00:00:00+00", "first"), _insert("2002-03-31 23:59:59+00", "last")]
    other = _insert("1999-06-01 00:00:00+00", "another month")
    before = [_row(event_id) for event_id in late]
    assert {_where(event_id) for event_id in late} == {"core_auditevent_default"}
    assert parts.default_months() == [dt.date(1999, 6, 1), dt.date(2002, 3, 1)]

    call_command("audit_partitions")

    assert "core_auditevent_y2002m03" in capsys.readouterr().out
    assert [_where(event_id) for event_id in late] == ["core_auditevent_y2002m03"] * 2
    assert [_row(event_id) for event_id in late] == before
    assert _where(other) == "core_auditevent_y1999m06"
    assert parts.default_row_count() == 0
    for statement in (
        "DELETE FROM core_auditevent_y2002m03",
        "TRUNCATE core_auditevent_y2002m03",
        "DELETE FROM core_auditevent_default",  # its DELETE trigger is on again
    ):
        stray = _insert("1998-01-01 00:00:00+00", "stray")
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
        assert _where(stray) == "core_auditevent_default"


@on_postgresql
def test_a_new_partition_gets_the_parent_grants(db):
    """The application role reads and writes the audit table through the parent; each month it
    is granted on the parent (SELECT, INSERT) is granted on the month too, nothing more."""
    role = "jiceng_test_auditor"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # rolled back with the test
        cursor.execute(f"GRANT SELECT, INSERT ON core_auditevent TO {role}")
        (name,) = parts.ensure_months([dt.date(2003, 5, 1)])
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = %s AND grantee = %s ORDER BY 1",
            [name, role],
        )
        assert [row[0] for row in cursor.fetchall()] == ["INSERT", "SELECT"]
