"""Audit at scale (issue 18 item 5): on PostgreSQL ``core_auditevent`` becomes a table
RANGE-partitioned by month on ``at`` (UTC months), with a DEFAULT partition for rows outside
every month created; and ``core_auditarchive`` records each month exported before its
partition is dropped. On SQLite the audit table stays a plain table (only the archive table is
created).

The primary key. A partitioned table's unique constraints must include the partition key, so
the primary key becomes ``(id, at)``. Django still reads ``id`` as the primary key (the model is
unchanged); ids come from the sequence ``core_auditevent_id_seq`` (owned by the column, so
``pg_get_serial_sequence`` and Django's sequence reset find it), and a BEFORE INSERT trigger
refuses an insert whose id is already taken in any partition, so ``id`` stays unique as it
was (the same guarantee ``0004`` gives on SQLite).

Append-only. The row triggers refusing UPDATE and DELETE are created on the partitioned
parent, so every partition, present and future, inherits them (PostgreSQL 13+). TRUNCATE
triggers are not inherited: one is created on the parent, on the DEFAULT partition and, by
``core_auditevent_ensure_partition``, on every month partition.

Two functions: ``core_auditevent_ensure_partition(month)`` creates one month's partition if
missing (called here for the months holding rows and the current and next three months, and
daily by ``manage.py audit_partitions``); ``core_auditevent_retire_partition(name)`` is the
only path that removes audit rows: it DETACHes and DROPs one whole month partition, and only if
``core_auditarchive`` holds a verified export of it whose row count matches. It is SECURITY
DEFINER and not executable by PUBLIC (see docs/operations.md, "Audit partitions and retention").
"""

from django.db import migrations, models

MONTHS_AHEAD = 3

FUNCTIONS = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'core_auditevent is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION core_auditevent_unique_id() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM core_auditevent WHERE id = NEW.id) THEN
        RAISE EXCEPTION USING MESSAGE =
            'core_auditevent is append-only: id ' || NEW.id || ' is taken, INSERT refused';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION core_auditevent_ensure_partition(for_month date) RETURNS text AS $$
DECLARE
    first_day date := date_trunc('month', for_month::timestamp)::date;
    lo timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    part text := 'core_auditevent_y' || to_char(first_day, 'YYYY"m"MM');
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'core_auditevent'::regclass AND c.relname = part
    ) THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM core_auditevent_default WHERE at >= lo AND at < hi) THEN
        RAISE WARNING 'core_auditevent_default holds rows of %: partition % not created',
            first_day, part;
        RETURN NULL;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF core_auditevent FOR VALUES FROM (%L) TO (%L)', part, lo, hi
    );
    EXECUTE format(
        'CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON %I '
        'FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only()', part
    );
    RETURN part;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION core_auditevent_retire_partition(part text) RETURNS bigint AS $$
DECLARE
    expected bigint;
    found_rows bigint;
BEGIN
    IF part !~ '^core_auditevent_y[0-9]{4}m[0-9]{2}$' OR NOT EXISTS (
        SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'core_auditevent'::regclass AND c.relname = part
    ) THEN
        RAISE EXCEPTION 'not a month partition of core_auditevent: %', part;
    END IF;
    SELECT row_count INTO expected FROM core_auditarchive
        WHERE partition_name = part AND verified_at IS NOT NULL AND dropped_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'partition % has no verified export in core_auditarchive: not dropped',
            part;
    END IF;
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', part);
    EXECUTE format('SELECT count(*) FROM %I', part) INTO found_rows;
    IF found_rows <> expected THEN
        RAISE EXCEPTION 'partition % holds % rows, its export %: not dropped',
            part, found_rows, expected;
    END IF;
    EXECUTE format('ALTER TABLE core_auditevent DETACH PARTITION %I', part);
    EXECUTE format('DROP TABLE %I', part);
    UPDATE core_auditarchive SET dropped_at = now() WHERE partition_name = part;
    RETURN found_rows;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT;

REVOKE ALL ON FUNCTION core_auditevent_retire_partition(text) FROM PUBLIC;
"""

TRIGGERS = """
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent_default
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();
CREATE TRIGGER core_auditevent_unique_id BEFORE INSERT ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_unique_id();
"""


def _relkind(cursor) -> str:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'core_auditevent'::regclass")
    return cursor.fetchone()[0]


def _index_definitions(cursor, table: str) -> list[str]:
    """The table's index definitions but the primary key's, to re-create on the new table."""
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY i.indexrelid",
        [table],
    )
    return [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]


def _next_id(cursor, table: str) -> int:
    """The next id to hand out: past both the largest id and the old sequence's position."""
    cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608
    top = cursor.fetchone()[0]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    if sequence:
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
        last, called = cursor.fetchone()
        top = max(top, last if called else last - 1)
    return top + 1


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor) == "p":
            return
        indexes = _index_definitions(cursor, "core_auditevent")
        cursor.execute(
            "SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM core_auditevent"
        )
        months = [row[0] for row in cursor.fetchall()]
        next_id = _next_id(cursor, "core_auditevent")
        cursor.execute("ALTER TABLE core_auditevent RENAME TO core_auditevent_unpartitioned")
        cursor.execute(
            "CREATE TABLE core_auditevent (LIKE core_auditevent_unpartitioned) "
            "PARTITION BY RANGE (at)"
        )
        cursor.execute("CREATE TABLE core_auditevent_default PARTITION OF core_auditevent DEFAULT")
        cursor.execute(FUNCTIONS)
        for month in months:
            cursor.execute("SELECT core_auditevent_ensure_partition(%s)", [month])
        cursor.execute(
            "SELECT core_auditevent_ensure_partition("
            "(date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n))::date) "
            "FROM generate_series(0, %s) AS n",
            [MONTHS_AHEAD],
        )
        cursor.execute("INSERT INTO core_auditevent SELECT * FROM core_auditevent_unpartitioned")
        cursor.execute("DROP TABLE core_auditevent_unpartitioned")
        cursor.execute("CREATE SEQUENCE core_auditevent_id_seq OWNED BY core_auditevent.id")
        cursor.execute(
            "ALTER TABLE core_auditevent ALTER COLUMN id "
            "SET DEFAULT nextval('core_auditevent_id_seq')"
        )
        cursor.execute("SELECT setval('core_auditevent_id_seq', %s, false)", [next_id])
        cursor.execute(
            "ALTER TABLE core_auditevent ADD CONSTRAINT core_auditevent_pkey PRIMARY KEY (id, at)"
        )
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute(TRIGGERS)


def unpartition(apps, schema_editor):
    """Back to one plain table (id the primary key, an identity column), with 0002's triggers."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor) != "p":
            return
        indexes = _index_definitions(cursor, "core_auditevent")
        next_id = _next_id(cursor, "core_auditevent")
        cursor.execute("ALTER TABLE core_auditevent RENAME TO core_auditevent_partitioned")
        cursor.execute("CREATE TABLE core_auditevent (LIKE core_auditevent_partitioned)")
        cursor.execute("INSERT INTO core_auditevent SELECT * FROM core_auditevent_partitioned")
        cursor.execute("DROP TABLE core_auditevent_partitioned CASCADE")
        cursor.execute(
            "DROP FUNCTION IF EXISTS core_auditevent_ensure_partition(date);"
            "DROP FUNCTION IF EXISTS core_auditevent_retire_partition(text);"
            "DROP FUNCTION IF EXISTS core_auditevent_unique_id();"
        )
        cursor.execute(
            "ALTER TABLE core_auditevent ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('core_auditevent', 'id'), %s, false)", [next_id]
        )
        cursor.execute("ALTER TABLE core_auditevent ADD PRIMARY KEY (id)")
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute(
            "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();"
            "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();"
            "CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0005_attachments")]

    operations = [
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "partition_name",
                    models.CharField(max_length=63, unique=True, verbose_name="分区"),
                ),
                ("month", models.DateField(verbose_name="月份")),
                ("path", models.CharField(max_length=500, verbose_name="归档文件")),
                ("row_count", models.BigIntegerField(verbose_name="行数")),
                ("sha256", models.CharField(max_length=64, verbose_name="校验值")),
                ("exported_at", models.DateTimeField(auto_now_add=True, verbose_name="导出时间")),
                (
                    "verified_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="核对时间"),
                ),
                (
                    "dropped_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="删除分区时间"),
                ),
            ],
            options={
                "verbose_name": "审计归档",
                "verbose_name_plural": "审计归档",
                "ordering": ["month"],
            },
        ),
        migrations.RunPython(partition, unpartition),
    ]
