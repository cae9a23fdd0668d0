"""Audit rows are append-only; sensitive values never reach the log (DESIGN rule 2)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jiceng.core import audit
from jiceng.core.models import AuditEvent
from tests.factories import OrganizationFactory


def test_audit_event_refuses_update_through_the_orm(db):
    org = OrganizationFactory()
    event = audit.record(
        actor=None,
        verb="create",
        object_type="t",
        object_id="1",
        object_repr="x",
        org_path=org.path,
    )
    event.note = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET note = 'tampered'",
        "DELETE FROM core_auditevent",
    ],
)
def test_database_trigger_refuses_update_and_delete_from_any_client(db, statement):
    audit.record(actor=None, verb="create", object_type="t", object_id="1", object_repr="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.exclude(note="tampered").exists()


def test_an_audit_row_cannot_be_rewritten_by_insert_or_replace(db):
    """Issue 14 (low): SQLite's INSERT OR REPLACE deletes the old row without firing a DELETE
    trigger, and PostgreSQL's INSERT … ON CONFLICT DO UPDATE is an upsert; neither may rewrite
    an audit row."""
    event = audit.record(actor=None, verb="create", object_type="t", object_id="1", object_repr="x")
    columns = [f.column for f in AuditEvent._meta.concrete_fields]
    values = ", ".join("'tampered'" if c == "note" else c for c in columns)
    names = ", ".join(columns)
    if connection.vendor == "sqlite":
        statement = f"INSERT OR REPLACE INTO core_auditevent ({names}) SELECT {values} "
        statement += "FROM core_auditevent WHERE id = %s"
    else:
        statement = f"INSERT INTO core_auditevent ({names}) SELECT {values} "
        statement += (
            "FROM core_auditevent WHERE id = %s ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note"
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.note != "tampered"


def test_changes_keep_only_fields_that_changed():
    assert audit.changes({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
