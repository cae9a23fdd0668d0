"""The pairings' export (S26, issue 20 item 2): the open pairings of the list page (its
filters) as a spreadsheet the pairings importer reads back, shaped like the registry's export:
audited before the first row, the person's ID number masked unless the user asks for it (a
POST) and holds REVEAL over the person's street, row by row. Only the importer's columns: no
categories, health or other registry fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.core import audit, tree
from jiceng.core.scoping import Action, Actor, scope_of

from .importer import LABELS
from .models import Pairing
from .rules import OPEN_STATES

HEADER = [
    LABELS["id_number"],
    LABELS["name"],
    LABELS["branch"],
    LABELS["started_on"],
    LABELS["state"],
]


def pairing_export(
    *, actor: Actor, pairings: QuerySet[Pairing], reveal: bool, query: dict[str, str]
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of the open ``pairings`` (the list's rows for ``actor``), audited
    before any row is read; ``reveal``: ID numbers in clear where the actor may reveal them."""
    revealer = scope_of(actor, Action.REVEAL)
    if reveal and revealer.is_empty:
        raise PermissionDenied(_("您的角色无权导出完整的敏感信息"))
    rows = pairings.filter(state__in=OPEN_STATES)
    total = rows.count()
    paths = scope_of(actor, Action.VIEW).paths
    audit.record(
        actor=actor,
        verb="export",
        object_type="outreach_pairings.pairing",
        object_repr=f"结对关系导出（{total} 对）",
        org_path=paths[0] if paths else "",
        after={"filters": query, "rows": total, "reveal": reveal},
    )
    return HEADER, _rows(rows, revealer.paths if reveal else ())


def _rows(pairings: QuerySet[Pairing], clear: tuple[str, ...]) -> Iterator[list[Any]]:
    qs = pairings.select_related("needy", "branch").order_by("path", "id")
    for p in qs.iterator(chunk_size=2000):
        shown = any(tree.within(p.needy.path, c) for c in clear)
        yield [
            p.needy.id_number if shown else p.needy.id_number_masked,
            p.needy.name,
            p.branch.code,
            p.started_on.isoformat() if p.started_on else "",
            p.get_state_display(),
        ]
