"""The shared cache's table (``CACHES`` in settings: the database cache, seen by every web and
task worker), created wherever the database is migrated; nothing when another backend is set."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS jiceng_cache")


class Migration(migrations.Migration):
    dependencies = [("core", "0007_audit_partition_absorbs_default")]

    operations = [migrations.RunPython(create, drop)]
