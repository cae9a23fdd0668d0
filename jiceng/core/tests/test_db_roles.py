"""The production roles (issue 18; docs/operations.md "Roles in production"): the application
role cannot remove or rewrite an audit row by any path, and the retention job runs the daily
command with its own role and nothing more. PostgreSQL only: the roles, grants and partitions
are PostgreSQL's (``make test`` runs the suite there too). Every role and grant is made inside
the test's transaction and rolled back with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from jiceng.core import audit
from jiceng.core import audit_partitions as parts
from jiceng.core.db_roles import RoleError, Roles
from tests.factories import make_member

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)

ROLES = Roles(owner="postgres", app="jiceng_test_app", retention="jiceng_test_retention")


@contextmanager
def as_role(role: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _refused(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(refused.value)


@pytest.fixture
def roles(db):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM pg_roles WHERE rolname = '{ROLES.app}'")
        assert cursor.fetchone()[0] == 0, "a test role was left from an earlier run"
    call_command("db_roles", owner=ROLES.owner, app=ROLES.app, retention=ROLES.retention)
    return ROLES


def test_the_application_writes_its_tables_and_only_appends_to_the_audit_log(roles, small):
    branch = small.a.branches[0]
    old = parts.ensure_months([dt.date(2001, 1, 1)])[0]
    with as_role(roles.app):
        event = audit.record(
            actor=None, verb="create", object_type="t", object_id="1", object_repr="x"
        )
        member = make_member(branch, name="王小明")
        member.name = "王晓明"
        member.save()
        for statement in (
            "UPDATE core_auditevent SET note = 'x'",
            "DELETE FROM core_auditevent",
            "TRUNCATE core_auditevent",
            f"DELETE FROM {old}",
            f"ALTER TABLE core_auditevent DETACH PARTITION {old}",
            "ALTER TABLE core_auditevent_default DISABLE TRIGGER core_auditevent_no_delete",
            f"DROP TABLE {old}",
            "DELETE FROM core_auditarchive",
            f"SELECT core_auditevent_retire_partition('{old}')",
            "SELECT core_auditevent_ensure_partition('2001-03-01')",
        ):
            refusal = _refused(statement)
            assert "permission denied" in refusal or "must be owner" in refusal, statement
    assert parts.row_count(parts.partition_of(dt.date(2001, 1, 1))) == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone()[0] == 1


def test_the_retention_job_runs_as_its_own_role(roles, settings, tmp_path):
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "archive"
    parts.ensure_months([dt.date(2001, 1, 1)])
    later = parts.add_months(dt.datetime.now(dt.UTC).date().replace(day=1), 10)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (at, actor_repr, verb, object_type, object_id, "
            "object_repr, org_path, changes, note) VALUES "
            "('2001-01-05', 's', 'create', 't', '1', 'x', '', '{}', 'old'), "
            "(%s, 's', 'create', 't', '1', 'x', '', '{}', 'in the default')",
            [f"{later} 08:00:00+00"],
        )
    with as_role(roles.retention):
        call_command("audit_partitions", "--retention")
        assert "permission denied" in _refused("INSERT INTO members_member (name) VALUES ('x')")
    assert parts.partition_of(dt.date(2001, 1, 1)) is None  # exported, then dropped
    assert (settings.AUDIT_ARCHIVE_DIR / "core_auditevent_y2001m01.jsonl.gz").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = %s",
            [f"core_auditevent_y{later:%Ym%m}"],
        )
        assert cursor.fetchone()[0] == roles.owner  # made by the function, owned by the owner


def test_running_it_again_changes_nothing_and_bad_names_are_refused(roles):
    call_command("db_roles", owner=ROLES.owner, app=ROLES.app, retention=ROLES.retention)
    with pytest.raises(CommandError, match="角色名"):
        call_command("db_roles", app="app; DROP TABLE x")
    with pytest.raises(RoleError, match="各不相同"):
        Roles(owner="a", app="a", retention="b")
