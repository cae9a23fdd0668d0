"""Generation counters for cached aggregates: a write that changes what a cached summary
counts bumps its generation, and the cache key carries the generation, so the next read
computes afresh instead of showing numbers from before the write
(``campaigns/tests/test_practice.py`` shows it on the members' summary).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

# What members do in a campaign (four ones, study attendance, self-study): the campaign
# dashboard's members' summary is cached under this generation.
MEMBER_ACTIVITY = "member-activity"
# The organisation tree (a unit founded, renamed, moved, merged or abolished): summaries that
# show units by name, such as the home page's members by sub-unit, are cached under this.
ORG_TREE = "org-tree"
# Visits (recorded, confirmed, returned, resubmitted): the visit counts are cached under this.
VISITS = "visits"
# Who is on the roll and where (a member registered, edited, moved, placed, transferred,
# merged or imported: every write that tells ``orgs.tallies.units_changed``): the home page's
# member counts are cached under this.
ROLL = "member-roll"


def campaign_progress(campaign_pk: int) -> str:
    """Where the units of one campaign stand (launched, signed off, completed): the progress
    dashboard's counts are cached under this."""
    return f"campaign-progress-{campaign_pk}"


def generation(name: str) -> int:
    return int(cache.get(f"generation:{name}", 0))


def bump(name: str) -> None:
    """Bump after the current transaction commits (a rolled-back write changes nothing)."""

    def _bump() -> None:
        key = f"generation:{name}"
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)

    transaction.on_commit(_bump)


def cache_key(*parts: object) -> str:
    """A cache key of ``parts`` and the active language: a cached summary may hold text
    (labels, translated choices), which must not reach a reader of another language."""
    return ":".join([*map(str, parts), translation.get_language() or "-"])
