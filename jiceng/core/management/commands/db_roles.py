"""``manage.py db_roles``: create the production database roles and grant each what it may do
(``core.db_roles``; docs/operations.md, "Roles in production")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from jiceng.core.db_roles import RoleError, Roles, apply, statements


class Command(BaseCommand):
    help = (
        "PostgreSQL: create the owner, application and retention roles if missing and grant "
        "them their rights (the application may only SELECT and INSERT the audit log). Run as "
        "the owner (with CREATEROLE) or a superuser after each migrate; --print shows the SQL "
        "without running it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Roles()
        parser.add_argument("--owner", default=defaults.owner)
        parser.add_argument("--app", default=defaults.app)
        parser.add_argument("--retention", default=defaults.retention)
        parser.add_argument("--print", action="store_true", help="print the SQL, run nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("数据库角色仅用于 PostgreSQL")
        try:
            roles = Roles(options["owner"], options["app"], options["retention"])
        except RoleError as exc:
            raise CommandError(str(exc)) from exc
        if options["print"]:
            for statement in statements(roles):
                self.stdout.write(statement + ";")
            return
        try:
            done = apply(roles)
        except DatabaseError as exc:
            raise CommandError(f"授权未完成，未作任何更改：{exc}") from exc
        self.stdout.write(
            f"已授权 {len(done)} 条：{roles.owner}（属主）、{roles.app}（应用，审计表只读和追加）、"
            f"{roles.retention}（审计保留）"
        )
