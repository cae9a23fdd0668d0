"""On PostgreSQL, a subtree's worklist and counts filter by ``path LIKE 'prefix%'``: pattern-ops
indexes whatever the database's collation (as ``members/migrations/0003``). SQLite's LIKE
prefix search uses the ordinary indexes."""

from django.db import migrations

from jiceng.core.migration_helpers import postgresql_only

UP = [
    "CREATE INDEX IF NOT EXISTS development_path_due_like "
    "ON development_development (path varchar_pattern_ops, next_due)",
    "CREATE INDEX IF NOT EXISTS development_path_stage_like "
    "ON development_development (path varchar_pattern_ops, state, stage, next_due)",
]
DOWN = [
    "DROP INDEX IF EXISTS development_path_due_like",
    "DROP INDEX IF EXISTS development_path_stage_like",
]


class Migration(migrations.Migration):
    dependencies = [("development", "0001_initial")]
    operations = [postgresql_only(UP, DOWN)]
