"""On PostgreSQL, prefix searches (LIKE 'path%') need pattern-ops indexes whatever the
database's collation; SQLite's LIKE prefix search uses the ordinary indexes."""

from django.db import migrations

from jiceng.core.migration_helpers import postgresql_only

UP = [
    "CREATE INDEX IF NOT EXISTS members_member_home_path_like "
    "ON members_member (home_path varchar_pattern_ops, id)",
    "CREATE INDEX IF NOT EXISTS members_member_part_path_like "
    "ON members_member (participating_path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS members_member_initials_like "
    "ON members_member (name_initials varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS orgs_organization_path_like "
    "ON orgs_organization (path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS orgs_organization_initials_like "
    "ON orgs_organization (name_initials varchar_pattern_ops)",
]
DOWN = [
    "DROP INDEX IF EXISTS members_member_home_path_like",
    "DROP INDEX IF EXISTS members_member_part_path_like",
    "DROP INDEX IF EXISTS members_member_initials_like",
    "DROP INDEX IF EXISTS orgs_organization_path_like",
    "DROP INDEX IF EXISTS orgs_organization_initials_like",
]


class Migration(migrations.Migration):
    dependencies = [("members", "0002_initial"), ("orgs", "0001_initial")]
    operations = [postgresql_only(UP, DOWN)]
