"""Stored study completion per unit (issue 22): ``StudyTally`` rows, one per period and study
unit (the participating unit, else the home unit: S9, S10), holding what the completion pages
roll up: members, members with a requirement, completed, below, the amount done.

They are written only here, by a *recount* of the units a write touched, from the same
``annotate_completion`` the pages used to run member by member; so a stored figure is by
construction the full recount's. The study services recount the study units of the members
whose attendance or self-study changed; a requirement recounts its period; the roll's writes
(members registered, moved, placed, merged …) and a unit's sector or type reach here through
``jiceng.orgs.tallies`` (registered in ``StudyConfig.ready``). ``manage.py totals`` rebuilds
and checks every row against a full recount.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Substr

from jiceng.members.models import Member
from jiceng.orgs import tallies
from jiceng.orgs.models import Organization

from .models import StudyPeriod, StudyTally
from .selectors import _COUNTS, annotate_completion

FIELDS = ("members", "with_requirement", "completed", "below", "done")
# PostgreSQL advisory-lock namespace of the study tallies (any constant unique in the project).
LOCK_NAMESPACE = 2201

Key = tuple[int, int]  # (period id, organisation id)
Figures = tuple[int, int, int, int, Decimal]


def _study_org() -> Case:
    return Case(
        When(participating_org__isnull=True, then=F("home_org_id")),
        default=F("participating_org_id"),
    )


def lock_units(namespace: int, org_ids: Collection[int]) -> None:
    """Serialise recounts of the same units (PostgreSQL: transaction advisory locks, taken in
    id order so two recounts never deadlock); a recount reads the rows only after any other
    transaction recounting them has committed. SQLite has a single writer already."""
    if connection.vendor != "postgresql" or not org_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, x) FROM unnest(%s::int[]) AS x ORDER BY x",
            [namespace, sorted(org_ids)],
        )


def _members_in(org_ids: Collection[int] | None) -> QuerySet[Member]:
    members = Member.objects.on_roll()
    if org_ids is not None:
        members = members.filter(
            Q(participating_org__in=org_ids)
            | Q(participating_org__isnull=True, home_org__in=org_ids)
        )
    return members


def counted(
    org_ids: Collection[int] | None = None, periods: Iterable[StudyPeriod] | None = None
) -> dict[Key, Figures]:
    """The full recount from the ledger: per period and study unit (of ``org_ids``, or all)."""
    out: dict[Key, Figures] = {}
    for period in periods if periods is not None else StudyPeriod.objects.all():
        rows = (
            annotate_completion(_members_in(org_ids), period)
            .annotate(study_org=_study_org())
            .order_by()
            .values("study_org")
            .annotate(**_COUNTS)
        )
        for row in rows:
            out[(period.pk, row["study_org"])] = tuple(  # type: ignore[assignment]
                Decimal(row[f]) if f == "done" else row[f] for f in FIELDS
            )
    return out


def stored(org_ids: Collection[int] | None = None) -> dict[Key, Figures]:
    rows = StudyTally.objects.all()
    if org_ids is not None:
        rows = rows.filter(org__in=org_ids)
    return {
        (p, o): (m, w, c, b, d)
        for p, o, m, w, c, b, d in rows.values_list("period_id", "org_id", *FIELDS)
    }


def _write(figures: dict[Key, Figures], existing: Iterable[Key]) -> None:
    gone = set(existing) - set(figures)
    for period_id, org_id in gone:
        StudyTally.objects.filter(period_id=period_id, org_id=org_id).delete()
    paths = unit_paths({o for _p, o in figures})
    StudyTally.objects.bulk_create(
        [
            StudyTally(
                period_id=p, org_id=o, org_path=paths[o], **dict(zip(FIELDS, values, strict=True))
            )
            for (p, o), values in figures.items()
        ],
        batch_size=5_000,
        update_conflicts=True,
        unique_fields=["period", "org"],
        update_fields=["org_path", *FIELDS],
    )


def unit_paths(org_ids: Collection[int]) -> dict[int, str]:
    return dict(Organization.objects.filter(pk__in=list(org_ids)).values_list("pk", "path"))


def repath(model: Any, old_path: str, new_path: str) -> None:
    """A subtree moved (``jiceng.orgs.tallies``): the rows' copies of its paths follow."""
    model.objects.filter(org_path__startswith=old_path).update(
        org_path=Concat(Value(new_path), Substr("org_path", len(old_path) + 1))
    )


def repath_study(old_path: str, new_path: str) -> None:
    repath(StudyTally, old_path, new_path)


def recount_units(org_ids: Collection[int]) -> None:
    """Rewrite the rows of these study units, every period, from the ledger. Call inside the
    transaction of the write that changed them."""
    ids = set(org_ids)
    if not ids:
        return
    lock_units(LOCK_NAMESPACE, ids)
    _write(counted(ids), stored(ids))


def members_changed(member_ids: Iterable[int]) -> None:
    """These members' attendance or self-study changed: every stored total of their home and
    study units is recounted (study completion here; the campaigns' attendance through
    ``jiceng.orgs.tallies``, as ``campaigns`` sits above ``study``)."""
    rows = (
        Member.objects.filter(pk__in=list(set(member_ids)))
        .annotate(study_org=_study_org())
        .values_list("home_org_id", "study_org")
    )
    tallies.units_changed({pk for pair in rows for pk in pair})


def recount_period(period: StudyPeriod) -> None:
    """Recount a whole period (its requirements changed): one GROUP BY over the roll."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {StudyTally._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    existing = [k for k in stored() if k[0] == period.pk]
    _write(counted(None, [period]), existing)


def rebuild() -> int:
    """Every row recounted from the ledger (call inside a transaction). Returns the rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {StudyTally._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    StudyTally.objects.all().delete()
    figures = counted()
    _write(figures, ())
    return len(figures)


def differences() -> list[dict[str, Any]]:
    """Rows whose stored figures differ from the full recount (missing rows count as zero)."""
    want, have = counted(), stored()
    zero: Figures = (0, 0, 0, 0, Decimal(0))
    out = []
    for key in sorted(set(want) | set(have)):
        w, h = want.get(key, zero), have.get(key, zero)
        if tuple(w) != tuple(h):
            out.append({"period": key[0], "org": key[1], "stored": h, "recount": w})
    return out + stale_paths(StudyTally)


def stale_paths(model: Any) -> list[dict[str, Any]]:
    """Rows whose copy of their unit's path is not the unit's path."""
    rows = model.objects.exclude(org_path=F("org__path")).values_list("pk", "org_path", "org__path")
    return [{"row": pk, "stored_path": p, "path": want} for pk, p, want in rows]
