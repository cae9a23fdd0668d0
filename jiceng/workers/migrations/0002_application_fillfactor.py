"""On PostgreSQL, applications' pages keep free room (fillfactor 60): the ranking rewrites
every scored application's total and place, columns no index holds, so the new row versions
stay on their page (heap-only tuples) and no index is touched (bench/workers.py)."""

from django.db import migrations


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE workers_workerapplication SET (fillfactor = 60)")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE workers_workerapplication RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("workers", "0001_initial")]

    operations = [migrations.RunPython(fillfactor, default)]
