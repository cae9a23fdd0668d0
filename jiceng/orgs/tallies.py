"""Stored totals per unit kept by the apps above the tree (issue 22): the recounts to run when
a unit's members change.

Study completion and the campaigns' "four lets" keep, per organisation, the counts their
pages roll up (``jiceng.study.totals``, ``jiceng.campaigns.coverage.totals``). Those counts
depend on who is registered or takes part in a unit, and on the unit's sector and type (S9):
facts written by ``orgs`` and ``members``, which sit below and may not import them. So the
apps that keep totals register a recount here in their ``AppConfig.ready()``::

    from jiceng.orgs import tallies
    tallies.register(recount_units)

and every service that changes who is in a unit (a member registered, moved, placed,
transferred, merged, imported; a unit's sector or type changed) calls
``tallies.units_changed(ids)`` with the units before *and* after, inside its own transaction.
Each recount rewrites the totals of just those units from the rows, so a total is never
adjusted by a delta that could drift. A subtree that moves keeps its units' ids: nothing to
recount, but the rows' copies of the units' paths (kept so that a subtree's sum reads one
table, without a join with the tree) follow through ``subtree_moved``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from jiceng.core import generations

Recount = Callable[[Collection[int]], None]
Repath = Callable[[str, str], None]

_recounts: list[Recount] = []
_repaths: list[Repath] = []


def register(recount: Recount) -> None:
    """Add a recount of units (called with their ids) to run when their members change."""
    if recount not in _recounts:
        _recounts.append(recount)


def register_repath(repath: Repath) -> None:
    """Add a rewrite of the stored totals' copies of unit paths (called with the old and the
    new path of a moved subtree)."""
    if repath not in _repaths:
        _repaths.append(repath)


def subtree_moved(old_path: str, new_path: str) -> None:
    """A subtree moved: the totals' copies of its paths follow, in the caller's transaction."""
    for repath in _repaths:
        repath(old_path, new_path)


def units_changed(org_ids: Iterable[int | None]) -> None:
    """The members of these units (or their sector or type) changed: every registered total
    recounts them now, in the caller's transaction. ``None`` ids are ignored."""
    ids = {pk for pk in org_ids if pk is not None}
    if not ids:
        return
    generations.bump(generations.ROLL)
    for recount in _recounts:
        recount(ids)
