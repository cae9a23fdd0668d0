"""Audit rows' tree path in the "C" collation on PostgreSQL (see members 0004)."""

from django.db import migrations

from jiceng.core.migration_helpers import postgresql_only

UP = [
    "DROP INDEX IF EXISTS core_auditevent_org_path_like",
    'ALTER TABLE core_auditevent ALTER COLUMN org_path TYPE varchar(255) COLLATE "C"',
]
DOWN = ['ALTER TABLE core_auditevent ALTER COLUMN org_path TYPE varchar(255) COLLATE "default"']


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [postgresql_only(UP, DOWN)]
