"""The one write of coverage: a unit enters (or corrects) a figure the data cannot give yet
(S8)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.campaigns.progress.models import CampaignUnit
from jiceng.core import audit
from jiceng.core.scoping import Action, Actor, actor_user, require

from .models import CoverageEntry
from .rules import ENTERED_COVERAGE


@transaction.atomic
def coverage_enter(
    *,
    actor: Actor,
    unit: CampaignUnit,
    indicator: str,
    numerator: int,
    denominator: int,
    note: str = "",
) -> CoverageEntry:
    """Enter (or correct) a coverage figure the data cannot give yet (S8)."""
    require(actor, Action.CHANGE, unit.org_path, _("无权填报该单位的指标"))
    if indicator not in ENTERED_COVERAGE:
        raise ValidationError({"indicator": _("书记到位和党员参与由系统根据数据计算，无需填报")})
    if denominator <= 0 or numerator < 0 or numerator > denominator:
        raise ValidationError({"numerator": _("达到数应在 0 到总数之间，总数应大于 0")})
    entry = CoverageEntry.objects.filter(unit=unit, indicator=indicator).first()
    before = audit.snapshot(entry, ("numerator", "denominator", "note")) if entry else None
    if entry is None:
        entry = CoverageEntry(unit=unit, indicator=indicator)
    entry.numerator, entry.denominator, entry.note = numerator, denominator, note.strip()
    entry.entered_by = actor_user(actor)
    entry.entered_on = unit.campaign.reference_date()
    entry.save()
    audit.record(
        actor=actor,
        verb="update" if before else "create",
        obj=entry,
        org_path=unit.org_path,
        before=before,
        after=audit.snapshot(entry, ("numerator", "denominator", "note")),
    )
    return entry
