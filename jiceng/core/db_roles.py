"""The three PostgreSQL roles of a production database (issue 18; docs/operations.md, "Roles in
production"), created and granted by ``manage.py db_roles``.

* the owner (``jiceng_owner``) runs ``migrate`` and owns every table and function;
* the application (``jiceng_app``: the web processes and the task workers) reads and writes the
  application's tables but may only ``SELECT`` and ``INSERT`` the audit log (no UPDATE, DELETE,
  TRUNCATE, and not its owner, so it can neither detach nor drop a partition nor disable a
  trigger), only read the archive records, and cannot call the partition functions;
* the retention job's (``jiceng_retention``) reads the audit log, records archives and calls the
  two partition functions, which run with the owner's rights (SECURITY DEFINER, migrations
  0006/0007) and are the only path by which a month of audit rows leaves the database.

Every statement is idempotent: run it again after each ``migrate`` (new tables) and it grants
what is missing. Tables created later by the owner get the application's rights through
``ALTER DEFAULT PRIVILEGES``; a new audit month gets the rights of its parent table from
``core_auditevent_ensure_partition``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

AUDIT_TABLES = ("core_auditevent", "core_auditarchive")


class RoleError(ValueError):
    pass


@dataclass(frozen=True)
class Roles:
    owner: str = "jiceng_owner"
    app: str = "jiceng_app"
    retention: str = "jiceng_retention"

    def __post_init__(self) -> None:
        names = (self.owner, self.app, self.retention)
        for name in names:
            if not NAME.match(name):
                raise RoleError(f"角色名“{name}”不合规：只用小写字母、数字和下划线，以字母开头")
        if len(set(names)) != 3:
            raise RoleError("三个角色须各不相同")


def _audit_partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('core_auditevent') ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def _functions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "WHERE p.proname IN ('core_auditevent_ensure_partition', "
            "'core_auditevent_retire_partition') ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def statements(roles: Roles) -> list[str]:
    """The SQL, in order, for the current database (its audit partitions and functions)."""
    database = connection.settings_dict["NAME"]
    owner, app, retention = roles.owner, roles.app, roles.retention
    sql = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') "
        f"THEN CREATE ROLE {name} {'NOLOGIN' if name == owner else 'LOGIN'}; END IF; END $$"
        for name in (owner, app, retention)
    ]
    sql += [
        f'GRANT CONNECT ON DATABASE "{database}" TO {app}, {retention}',
        f"GRANT USAGE ON SCHEMA public TO {app}, {retention}",
        # The application: every table, then the audit tables brought back to what it may do.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table in ["core_auditevent", *_audit_partitions()]:
        sql += [
            f"REVOKE ALL ON {table} FROM PUBLIC, {app}, {retention}",
            f"GRANT SELECT, INSERT ON {table} TO {app}",
            f"GRANT SELECT ON {table} TO {retention}",
        ]
    sql += [
        f"REVOKE ALL ON core_auditarchive FROM PUBLIC, {app}, {retention}",
        f"GRANT SELECT ON core_auditarchive TO {app}",
        f"GRANT SELECT, INSERT, UPDATE ON core_auditarchive TO {retention}",
        f"GRANT USAGE, SELECT ON SEQUENCE core_auditarchive_id_seq TO {retention}",
    ]
    for function in _functions():
        sql += [
            f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC, {app}",
            f"GRANT EXECUTE ON FUNCTION {function} TO {retention}",
        ]
    return sql


def apply(roles: Roles) -> list[str]:
    """Run :func:`statements` in one transaction; return them."""
    sql = statements(roles)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
    return sql
