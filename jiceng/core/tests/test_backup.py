"""The backup and restore drill (issue 18): pg_dump, pg_restore into a fresh database, every table
compared, the audit table still append-only, the copy dropped; tampering is found; SQLite is
refused.

The PostgreSQL tests run in the PostgreSQL suite (``make pytest-pg``, DATABASE_URL set). pg_dump
sees committed rows only, and they do not use ``django_db(transaction=True)``: its teardown
flushes the test database, and the flush's TRUNCATE is refused by the audit table's trigger (the
test errors), besides wiping the session's scenario for the tests after. The data is the tiny
scenario, built and committed once per test database (``conftest.django_db_setup``); rows of the
tests' own go into a copy of the test database (``CREATE DATABASE … TEMPLATE``, a module-scoped
fixture, so it is made before a test's transaction opens), dropped at the end of the module.
The tests still carry ``django_db``: pytest-django creates the test database only for a session
with such tests, and without it DATABASE_URL's own database would be the one in the settings.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from jiceng.core import backup

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore drill: PostgreSQL only (make test runs it with DATABASE_URL)",
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite refusal")

AUDIT_ROWS = """
INSERT INTO core_auditevent
    (at, actor_repr, verb, object_type, object_id, object_repr, org_path, changes, note)
VALUES (now(), 'drill', 'create', 'drill', %s, %s, '', %s, '备份演练')
"""


def _test_db() -> dict[str, Any]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    assert db["NAME"].startswith("test_"), "the drill tests run on pytest-django's database only"
    return db


def _scratch_name(base: str, tag: str) -> str:
    suffix = f"_{tag}_{uuid.uuid4().hex[:6]}"
    return base[: backup.MAX_NAME - len(suffix)] + suffix


@pytest.fixture(scope="module")
def source_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A committed copy of the test database with rows of the test's own (audit rows among
    them); dropped afterwards."""
    with django_db_blocker.unblock():
        db = _test_db()
        name = _scratch_name(db["NAME"], "src")
        connection.close()  # CREATE DATABASE … TEMPLATE needs the template without sessions
        with backup.admin_connection(db) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(db["NAME"])
                )
            )
        source = {**db, "NAME": name}
        try:
            with backup.connect(source, autocommit=True) as conn:
                for i in range(3):
                    conn.execute(AUDIT_ROWS, [f"drill-{i}", f"演练 {i}", f'{{"n": {i}}}'])
                conn.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date) "
                    "VALUES ('drill-session', 'data', now() + interval '1 day')"
                )
            yield source
        finally:
            backup.drop_database(db, name)


def _count(db: dict[str, Any], query: str) -> int:
    with backup.connect(db) as conn:
        return conn.execute(query).fetchone()[0]  # type: ignore[index]


@on_postgresql
@pytest.mark.django_db
def test_the_drill_command_restores_the_test_database_and_every_table_matches(
    tmp_path: Path,
) -> None:
    db = _test_db()
    target = _scratch_name(db["NAME"], "drill")
    out = io.StringIO()
    call_command("backup_drill", "--output", str(tmp_path), "--target-db", target, stdout=out)
    text = out.getvalue()
    assert "备份演练通过" in text
    assert "差异 0 处" in text
    assert "core_auditevent UPDATE: refused" in text
    assert f"恢复库 {target} 已删除" in text
    assert not backup.database_exists(db, target)
    dump = tmp_path / f"{db['NAME']}.dump"
    assert dump.stat().st_size > 0
    assert dump.stat().st_mode & 0o077 == 0  # the dump is the operator's only
    tables = _count(
        db,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    )
    assert f"表 {tables} 张" in text
    assert _count(db, "SELECT count(*) FROM core_auditevent") > 0  # audit rows were drilled


@on_postgresql
@pytest.mark.django_db
def test_the_drill_matches_committed_rows_and_finds_a_tampered_copy(
    source_db: dict[str, Any],
) -> None:
    target = _scratch_name(source_db["NAME"], "drill")
    try:
        report = backup.run_drill(source_db, target=target, keep=True)
        assert report.ok, report.comparison.differences
        assert report.comparison.tables
        assert all(t.ok for t in report.comparison.tables)
        by_name = {t.name: t for t in report.comparison.tables}
        audit_rows = _count(source_db, "SELECT count(*) FROM core_auditevent")
        assert by_name["core_auditevent"].restored_rows == audit_rows >= 3
        assert by_name["django_session"].restored_rows == 1
        assert report.append_only.proven, report.append_only.outcomes
        assert "append-only" in report.append_only.outcomes["UPDATE"]
        assert report.comparison.sequences_compared > 0
        assert backup.compare_databases(source_db, target).ok

        restored = {**source_db, "NAME": target}
        with backup.connect(restored, autocommit=True) as conn:
            conn.execute("UPDATE django_session SET session_data = 'tampered'")
            # Past the triggers, as a superuser restoring carelessly could: still found.
            conn.execute("SET session_replication_role = replica")
            conn.execute("UPDATE core_auditevent SET note = 'tampered' WHERE object_id = 'drill-1'")
            conn.execute("SET session_replication_role = DEFAULT")
            conn.execute("DROP TRIGGER core_auditevent_no_update ON core_auditevent")
        comparison = backup.compare_databases(source_db, target)
        assert not comparison.ok
        bad = {t.name for t in comparison.tables if not t.ok}
        assert "django_session" in bad
        assert "core_auditevent" in bad
        text = "\n".join(comparison.differences)
        assert "表 django_session：行数相同（1）但内容校验和不同" in text
        assert "trigger core_auditevent.core_auditevent_no_update：恢复库中缺失" in text
    finally:
        backup.drop_database(source_db, target)


@on_postgresql
@pytest.mark.django_db
def test_the_drill_refuses_an_existing_target() -> None:
    db = _test_db()
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup_drill", "--target-db", "postgres", stdout=io.StringIO())
    with pytest.raises(CommandError, match="源数据库本身"):
        call_command("backup_drill", "--target-db", db["NAME"], stdout=io.StringIO())
    with pytest.raises(CommandError, match="不合规"):
        call_command("backup_drill", "--target-db", "x; drop", stdout=io.StringIO())


@on_sqlite
def test_the_drill_refuses_sqlite() -> None:
    with pytest.raises(CommandError, match="备份演练只适用于 PostgreSQL"):
        call_command("backup_drill", stdout=io.StringIO())


def test_only_postgresql_is_drilled() -> None:
    with pytest.raises(backup.DrillRefusedError, match="sqlite3"):
        backup.ensure_postgresql({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"})


def test_the_default_target_fits_a_postgresql_name() -> None:
    name = backup.default_target("j" * 80)
    assert len(name) == backup.MAX_NAME
    assert "_drill_" in name
    assert backup.NAME_RE.match(name)


def test_checksums_compare_rows_and_sequences_within_the_dump_window() -> None:
    table = backup.TableState("t", "r", 2, 5, 7)
    source = backup.Snapshot({"t": table}, {"index t.i": "btree (a)"}, {"s": 10})
    same = backup.Snapshot({"t": table}, {"index t.i": "btree (a)"}, {"s": 12})
    assert not backup.compare(source, same).ok  # a sequence must equal without a window
    assert backup.compare(source, same, source_sequences_after={"s": 15}).ok
    changed = backup.Snapshot({"t": backup.TableState("t", "r", 2, 5, 8)}, {}, {"s": 10})
    differences = backup.compare(source, changed).differences
    assert differences == ["表 t：行数相同（2）但内容校验和不同", "index t.i：恢复库中缺失"]
