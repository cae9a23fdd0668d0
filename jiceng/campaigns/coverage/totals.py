"""Stored roll figures of the "four lets" per unit (S8, issue 22): ``CoverageTally`` rows, one
per campaign and home unit, holding members on the roll, members placed (S10) and members
present at a study session during the campaign (S9). The campaign's four lets and the
members' summary of its dashboard sum them over a subtree instead of counting two million
members.

A row is written only by a *recount* of its unit from the roll and the attendance, in the
transaction of the write that changed them: the roll's writes and the study ledger's reach
here through ``jiceng.orgs.tallies`` (registered in ``CampaignsConfig.ready``); a campaign
created or re-dated recounts itself. ``manage.py totals`` rebuilds and checks every row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from jiceng.campaigns.progress.models import Campaign
from jiceng.members.models import Member
from jiceng.study.models import Attendance
from jiceng.study.totals import lock_units, repath, stale_paths, unit_paths

from .models import CoverageTally

FIELDS = ("members", "placed", "attended")
LOCK_NAMESPACE = 2202

Key = tuple[int, int]  # (campaign id, organisation id)
Figures = tuple[int, int, int]


def counted(
    org_ids: Collection[int] | None = None, campaigns: Iterable[Campaign] | None = None
) -> dict[Key, Figures]:
    """The full recount: per campaign and home unit (of ``org_ids``, or all)."""
    out: dict[Key, Figures] = {}
    members = Member.objects.on_roll()
    if org_ids is not None:
        members = members.filter(home_org__in=org_ids)
    for campaign in campaigns if campaigns is not None else Campaign.objects.all():
        attended = Attendance.objects.filter(
            member=OuterRef("pk"),
            present=True,
            session__held_on__gte=campaign.starts_on,
            session__held_on__lte=campaign.ends_on,
        )
        rows = (
            members.order_by()
            .values("home_org")
            .annotate(
                n_members=Count("id"),
                n_placed=Count("id", filter=Q(participating_org__isnull=False)),
                n_attended=Count("id", filter=Q(Exists(attended))),
            )
            .values_list("home_org", "n_members", "n_placed", "n_attended")
        )
        for org_id, *figures in rows:
            out[(campaign.pk, org_id)] = (figures[0], figures[1], figures[2])
    return out


def stored(
    org_ids: Collection[int] | None = None, campaign: Campaign | None = None
) -> dict[Key, Figures]:
    rows = CoverageTally.objects.all()
    if org_ids is not None:
        rows = rows.filter(org__in=org_ids)
    if campaign is not None:
        rows = rows.filter(campaign=campaign)
    return {
        (c, o): (n, p, a) for c, o, n, p, a in rows.values_list("campaign_id", "org_id", *FIELDS)
    }


def _write(figures: dict[Key, Figures], existing: Iterable[Key]) -> None:
    for campaign_id, org_id in set(existing) - set(figures):
        CoverageTally.objects.filter(campaign_id=campaign_id, org_id=org_id).delete()
    paths = unit_paths({o for _c, o in figures})
    CoverageTally.objects.bulk_create(
        [
            CoverageTally(
                campaign_id=c, org_id=o, org_path=paths[o], **dict(zip(FIELDS, values, strict=True))
            )
            for (c, o), values in figures.items()
        ],
        batch_size=5_000,
        update_conflicts=True,
        unique_fields=["campaign", "org"],
        update_fields=["org_path", *FIELDS],
    )


def repath_coverage(old_path: str, new_path: str) -> None:
    """A subtree moved (``jiceng.orgs.tallies``): the rows' copies of its paths follow."""
    repath(CoverageTally, old_path, new_path)


def recount_units(org_ids: Collection[int]) -> None:
    """Rewrite these home units' rows, every campaign, from the roll and the attendance."""
    ids = set(org_ids)
    if not ids:
        return
    lock_units(LOCK_NAMESPACE, ids)
    _write(counted(ids), stored(ids))


def _lock_table() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {CoverageTally._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def recount_campaign(campaign: Campaign) -> None:
    """Every row of one campaign (created, or its dates changed): one GROUP BY over the roll."""
    _lock_table()
    _write(counted(None, [campaign]), stored(campaign=campaign))


def rebuild() -> int:
    """Every row recounted (call inside a transaction). Returns the rows written."""
    _lock_table()
    CoverageTally.objects.all().delete()
    figures = counted()
    _write(figures, ())
    return len(figures)


def differences() -> list[dict[str, Any]]:
    want, have = counted(), stored()
    zero: Figures = (0, 0, 0)
    return [
        {"campaign": k[0], "org": k[1], "stored": have.get(k, zero), "recount": want.get(k, zero)}
        for k in sorted(set(want) | set(have))
        if want.get(k, zero) != have.get(k, zero)
    ] + stale_paths(CoverageTally)
