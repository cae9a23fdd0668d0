"""The registry's export (S26): the list page's rows as a spreadsheet the importer reads back.

Like the members' roll export (``jiceng.imports.exports``): the rows the user sees with the
list's filters, audited before the first row goes out; the ID number and the phone masked
unless the user asks for them (a POST) and holds REVEAL over the person's street, row by row.
The categories and the health note (PIPL art. 28) are columns of the file only when the user
holds outreach rights over every row exported; otherwise the columns are absent (a masked
column would read back as a category). Column names are the importer's, so a full export
imports again and changes nothing. A registry is thousands of rows, so it is streamed; the
background export jobs (``imports.ExportJob``) are for the member roll.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.core import audit, tree
from jiceng.core.scoping import Action, Actor, scope_of
from jiceng.members.phones import display_phone

from . import selectors
from .importer import LABELS
from .models import NeedyPerson

BASE_HEADER = [
    LABELS["name"],
    LABELS["id_number"],
    LABELS["phone"],
    LABELS["address"],
    LABELS["street_org"],
    LABELS["household_size"],
]
SENSITIVE_HEADER = [LABELS["categories"], LABELS["health"]]
TAIL_HEADER = [LABELS["needs"], LABELS["lng"], LABELS["lat"], "状态"]


def with_sensitive(actor: Actor, people: QuerySet[NeedyPerson]) -> bool:
    """Whether the export carries the categories and health: outreach rights over every
    row (and some outreach rights at all)."""
    if scope_of(actor, Action.OUTREACH).is_empty:
        return False
    return not people.exclude(selectors.outreach_q(actor)).exists()


def needy_export(
    *, actor: Actor, people: QuerySet[NeedyPerson], reveal: bool, query: dict[str, str]
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of ``people`` (the list's rows for ``actor``), audited before any
    row is read. ``reveal``: ID numbers and phones in clear where the actor may reveal them
    (refused to a role that may reveal no one)."""
    revealer = scope_of(actor, Action.REVEAL)
    if reveal and revealer.is_empty:
        raise PermissionDenied(_("您的角色无权导出完整的敏感信息"))
    sensitive = with_sensitive(actor, people)
    total = people.count()
    paths = scope_of(actor, Action.VIEW).paths
    audit.record(
        actor=actor,
        verb="export",
        object_type="outreach.needyperson",
        object_repr=f"帮扶对象导出（{total} 人）",
        org_path=paths[0] if paths else "",
        after={
            "filters": query,
            "rows": total,
            "reveal": reveal,
            "categories_and_health": sensitive,
        },
    )
    header = BASE_HEADER + (SENSITIVE_HEADER if sensitive else []) + TAIL_HEADER
    clear = revealer.paths if reveal else ()
    return header, _rows(people, clear, sensitive)


def _rows(
    people: QuerySet[NeedyPerson], clear: tuple[str, ...], sensitive: bool
) -> Iterator[list[Any]]:
    qs = people.select_related("street_org").order_by("path", "name_pinyin", "id")
    if sensitive:
        qs = qs.prefetch_related("categories")
    for p in qs.iterator(chunk_size=2000):
        shown = any(tree.within(p.path, c) for c in clear)
        row: list[Any] = [
            p.name,
            p.id_number if shown else p.id_number_masked,
            (display_phone(p.phone) if shown else p.phone_masked) if p.phone else "",
            p.address,
            p.street_org.name,
            p.household_size,
        ]
        if sensitive:
            row += ["、".join(c.name for c in p.categories.all()), p.health]
        row += [p.needs, p.lng, p.lat, p.get_status_display()]
        yield row
