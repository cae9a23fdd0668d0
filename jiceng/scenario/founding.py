"""Grassroots organisations founded during the second batch (S12: 1,427 new grassroots
organisations across the city, about one in fifty-six of its ~80,000): a deterministic share
of the grassroots units gets a founding date between the launch and the demo's day, so the
summary report has organisations founded to count and name by district."""

from __future__ import annotations

import datetime as dt
import random

from jiceng.orgs.models import Organization, OrgType

# S12: 1,427 founded of the city's ~80,000 organisations.
SHARE = 1427 / 80_000
FOUNDED_FROM = dt.date(2005, 6, 30)  # S4: the second batch's launch
FOUNDED_UNTIL = dt.date(2005, 9, 20)  # the demo's day
TYPES = (
    OrgType.PRIMARY_COMMITTEE,
    OrgType.GENERAL_BRANCH,
    OrgType.BRANCH,
    OrgType.JOINT_BRANCH,
)


def build_founding(seed: int) -> int:
    """Date the founding of a share of grassroots units within the batch (its own random
    stream: the rest of the scenario is unchanged). Returns how many."""
    rng = random.Random(f"founding-{seed}")
    days = (FOUNDED_UNTIL - FOUNDED_FROM).days
    ids = list(
        Organization.objects.filter(org_type__in=TYPES, abolished_on__isnull=True)
        .order_by("path")
        .values_list("pk", flat=True)
    )
    chosen = sorted(i for i in ids if rng.random() < SHARE)
    by_day: dict[dt.date, list[int]] = {}
    for pk in chosen:
        by_day.setdefault(FOUNDED_FROM + dt.timedelta(days=rng.randint(0, days)), []).append(pk)
    for day, pks in by_day.items():
        Organization.objects.filter(pk__in=pks).update(founded_on=day, approved_on=day)
    return len(chosen)
