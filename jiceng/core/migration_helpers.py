"""Helpers for migrations that only concern PostgreSQL (indexes, collations, triggers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations


def postgresql_only(up: Sequence[str], down: Sequence[str]) -> migrations.RunPython:
    """A RunPython operation running ``up``/``down`` statements on PostgreSQL and nothing
    elsewhere (SQLite needs none of it)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for statement in up:
                schema_editor.execute(statement)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for statement in down:
                schema_editor.execute(statement)

    return migrations.RunPython(forwards, backwards)
