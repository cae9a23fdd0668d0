"""Audit partitions (issue 18 item 5, after 0006): a month whose rows went to the DEFAULT
partition (written before its partition existed, e.g. when the daily job did not run at the
turn of a month) gets its partition all the same, with those rows moved into it.

``core_auditevent_ensure_partition(month)`` used to refuse (a WARNING and no partition) when the
DEFAULT partition held rows of the month, since PostgreSQL cannot create a partition whose range
the DEFAULT partition holds rows of. Now, in the caller's one transaction and with the DEFAULT
partition locked against every other reader and writer: the month's table is created apart, the
rows are copied into it, the same rows are removed from the DEFAULT partition (its DELETE trigger
is disabled for that statement only, inside the lock, and enabled again before the function
returns), the counts of both must agree or everything is rolled back, and the table is attached
as the month's partition, which gives it the parent's row triggers and indexes. No other path can
remove an audit row: the function is the owner's (SECURITY DEFINER, not executable by PUBLIC).

A new partition also gets the grants the parent has, and only those (default privileges given
to the application role for new tables would add UPDATE and DELETE) (``SELECT, INSERT`` for the application
role, see docs/operations.md "Roles in production"), so a role that reads the audit table through
the parent keeps reading every month, and the partition is owned by the function's owner whoever
runs the daily job.
"""

from django.db import migrations


ENSURE = """
CREATE OR REPLACE FUNCTION core_auditevent_ensure_partition(for_month date) RETURNS text AS $$
DECLARE
    first_day date := date_trunc('month', for_month::timestamp)::date;
    lo timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    part text := 'core_auditevent_y' || to_char(first_day, 'YYYY"m"MM');
    held bigint;
    removed bigint;
    privilege record;
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'core_auditevent'::regclass AND c.relname = part
    ) THEN
        RETURN NULL;
    END IF;
    LOCK TABLE core_auditevent_default IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM core_auditevent_default WHERE at >= lo AND at < hi) THEN
        EXECUTE format('CREATE TABLE %I (LIKE core_auditevent INCLUDING DEFAULTS)', part);
        EXECUTE format(
            'INSERT INTO %I SELECT * FROM core_auditevent_default WHERE at >= $1 AND at < $2',
            part
        ) USING lo, hi;
        GET DIAGNOSTICS held = ROW_COUNT;
        ALTER TABLE core_auditevent_default DISABLE TRIGGER core_auditevent_no_delete;
        DELETE FROM core_auditevent_default WHERE at >= lo AND at < hi;
        GET DIAGNOSTICS removed = ROW_COUNT;
        ALTER TABLE core_auditevent_default ENABLE TRIGGER core_auditevent_no_delete;
        IF removed <> held THEN
            RAISE EXCEPTION 'core_auditevent_default: % rows copied to %, % removed: rolled back',
                held, part, removed;
        END IF;
        EXECUTE format(
            'ALTER TABLE core_auditevent ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            part, lo, hi
        );
        RAISE NOTICE '% rows of % moved from core_auditevent_default to %', held, first_day, part;
    ELSE
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF core_auditevent FOR VALUES FROM (%L) TO (%L)',
            part, lo, hi
        );
    END IF;
    EXECUTE format(
        'CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON %I '
        'FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only()', part
    );
    FOR privilege IN  -- what default privileges gave it: the parent's grants decide
        SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = part::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format(
            'REVOKE ALL ON %I FROM %s', part,
            CASE WHEN privilege.grantee = 0 THEN 'PUBLIC'
                 ELSE quote_ident(pg_get_userbyid(privilege.grantee)) END
        );
    END LOOP;
    FOR privilege IN
        SELECT a.grantee, a.privilege_type
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'core_auditevent'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format(
            'GRANT %s ON %I TO %s', privilege.privilege_type, part,
            CASE WHEN privilege.grantee = 0 THEN 'PUBLIC'
                 ELSE quote_ident(pg_get_userbyid(privilege.grantee)) END
        );
    END LOOP;
    RETURN part;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT;

REVOKE ALL ON FUNCTION core_auditevent_ensure_partition(date) FROM PUBLIC;
"""

# 0006's version, restored on the way back.
REFUSE = """
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
$$ LANGUAGE plpgsql SECURITY INVOKER;

GRANT EXECUTE ON FUNCTION core_auditevent_ensure_partition(date) TO PUBLIC;
"""


def _run(sql: str):
    """Executed as it is, without parameters: the functions hold ``%I`` and ``%L`` of
    ``format()``, which a parameterised execute would read as placeholders."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0006_audit_partitions")]

    operations = [migrations.RunPython(_run(ENSURE), _run(REFUSE))]
