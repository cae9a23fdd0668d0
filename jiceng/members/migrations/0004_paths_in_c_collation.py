"""On PostgreSQL, tree paths use the "C" collation: their order is then byte order, so one
plain b-tree index serves both the prefix filter (LIKE 'path%') and ORDER BY path, and a page
of a district's roll is an ordered index scan that stops after the page (about 1 ms at city
scale instead of a 200 ms sort; see bench/BENCHMARKS.md). The pattern-ops indexes of 0003 on
these columns are no longer needed."""

from django.db import migrations

from jiceng.core.migration_helpers import postgresql_only

UP = [
    "DROP INDEX IF EXISTS members_member_home_path_like",
    "DROP INDEX IF EXISTS members_member_part_path_like",
    "DROP INDEX IF EXISTS orgs_organization_path_like",
    'ALTER TABLE members_member ALTER COLUMN home_path TYPE varchar(255) COLLATE "C"',
    'ALTER TABLE members_member ALTER COLUMN participating_path TYPE varchar(255) COLLATE "C"',
    'ALTER TABLE orgs_organization ALTER COLUMN path TYPE varchar(255) COLLATE "C"',
    "CREATE INDEX IF NOT EXISTS members_member_home_path_id ON members_member (home_path, id)",
]
DOWN = [
    "DROP INDEX IF EXISTS members_member_home_path_id",
    'ALTER TABLE members_member ALTER COLUMN home_path TYPE varchar(255) COLLATE "default"',
    'ALTER TABLE members_member ALTER COLUMN participating_path TYPE varchar(255) '
    'COLLATE "default"',
    'ALTER TABLE orgs_organization ALTER COLUMN path TYPE varchar(255) COLLATE "default"',
]


class Migration(migrations.Migration):
    dependencies = [("members", "0003_path_prefix_indexes")]
    operations = [postgresql_only(UP, DOWN)]
