"""SQLite's ``INSERT OR REPLACE`` removes a conflicting row without firing DELETE triggers
(unless ``recursive_triggers`` is on), so it could rewrite an audit row past
``core_auditevent_no_delete``. A BEFORE INSERT trigger refuses an insert whose id is already
taken. (PostgreSQL's ``INSERT … ON CONFLICT DO UPDATE`` fires the UPDATE trigger and is refused
by ``0002``.)"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER core_auditevent_no_replace BEFORE INSERT ON core_auditevent
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM core_auditevent WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: REPLACE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditevent_no_replace;"


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_path_c_collation")]
    operations = [migrations.RunPython(up, down)]
