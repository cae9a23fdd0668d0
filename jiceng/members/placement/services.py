"""Writes for placement (S10): accepting the suggested units for many members at once.

One member at a time goes through ``members.services.member_place`` (with its reason and distance);
this module places a batch as one audited, all-or-nothing operation without per-row queries,
and walks a whole subtree batch by batch (each batch its own transaction, so an interrupted
run keeps the batches done and a re-run places only who is still unplaced).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, generations, tree
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.members.models import Member
from jiceng.orgs import tallies
from jiceng.orgs.models import Organization

from . import selectors
from .models import Placement
from .rules import CURRENT_PERIOD, PLAN_GENERATION

BATCH = 500


@dataclass
class PlaceResult:
    placed: int = 0
    # members the suggestion found no unit for, with the reason (they stay on the worklist)
    unplaceable: list[tuple[int, str]] = field(default_factory=list)
    batches: int = 0


@transaction.atomic
def members_place_suggested(*, actor: Actor, member_ids: Sequence[int]) -> PlaceResult:
    """Place each member at their suggested unit, as one audited operation.

    Members already placed meanwhile are left alone (a re-run is safe). A member outside the
    actor's scope refuses the whole batch; a member without a suggestion (no unit with room,
    no location) stays unplaced and is reported with the reason.
    """
    members = list(
        Member.objects.select_for_update(of=("self",))
        .select_related("street", "home_org")
        .filter(pk__in=list(member_ids), participating_org__isnull=True)
        .filter(transferred_out_on__isnull=True)
        .order_by("home_path", "id")
    )
    for m in members:
        require(
            actor,
            Action.CHANGE,
            m.home_path,
            _("%(name)s：不在您的管理范围内") % {"name": mark_name(m.name)},
        )
    # the district's plan as of now (rows locked): what the worklist page showed, unless
    # something changed since
    suggestions = selectors.suggestions_for(members, user=actor, fresh=True)
    result = PlaceResult(batches=1)
    by_unit: dict[int, list[int]] = {}
    paths: dict[int, str] = {}
    history: list[Placement] = []
    user = actor_user(actor)
    for m in members:
        s = suggestions[m.pk]
        if s.unit is None:
            result.unplaceable.append((m.pk, s.problem))
            continue
        by_unit.setdefault(s.unit.id, []).append(m.pk)
        paths[s.unit.id] = s.unit.path
        history.append(
            Placement(
                member=m,
                member_path=m.home_path,
                org_id=s.unit.id,
                org_path=s.unit.path,
                period=CURRENT_PERIOD,
                reason=s.reason,
                distance_km=s.distance_km,
                placed_by=user,
                note="采纳推荐",
            )
        )
    now = timezone.now()
    for unit_id, ids in by_unit.items():
        Member.objects.filter(pk__in=ids).update(
            participating_org_id=unit_id, participating_path=paths[unit_id], updated_at=now
        )
    placed = {pk for ids in by_unit.values() for pk in ids}
    tallies.units_changed({*by_unit, *(m.home_org_id for m in members if m.pk in placed)})
    Placement.objects.bulk_create(history, batch_size=BATCH)
    result.placed = len(history)
    if history:
        generations.bump(PLAN_GENERATION)
    if history:
        batch = uuid.uuid4()
        audit.record(
            actor=actor,
            verb="update",
            object_type="members.placementbatch",
            object_id=str(batch),
            object_repr=f"批量落实参加活动单位 {len(history)} 人",
            org_path=tree.common_path([m.home_path for m in members]),
            after={
                "placed": len(history),
                "units": len(by_unit),
                "unplaceable": len(result.unplaceable),
                "period": CURRENT_PERIOD,
            },
            note="采纳推荐的参加活动单位",
        )
    return result


def subtree_place_suggested(
    *,
    actor: Actor,
    root: Organization,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PlaceResult:
    """Accept the suggestions for every unplaced member of ``root``'s subtree (up to
    ``limit``), batch by batch; ``progress(done, total)`` after each batch."""
    qs = selectors.unplaced(actor, root, Action.CHANGE)
    ids = list(
        qs.values_list("id", flat=True)[:limit] if limit else qs.values_list("id", flat=True)
    )
    total = len(ids)
    result = PlaceResult()
    for start in range(0, total, BATCH):
        part = members_place_suggested(actor=actor, member_ids=ids[start : start + BATCH])
        result.placed += part.placed
        result.unplaceable += part.unplaceable
        result.batches += 1
        if progress:
            progress(min(start + BATCH, total), total)
    return result
