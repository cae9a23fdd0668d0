"""An appraisal belongs to its batch (issue 17): the list takes only members who had
joined the party by the batch's reference date, and a unit that has completed the batch can
no longer open or extend it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from jiceng.campaigns.models import CampaignUnit
from jiceng.campaigns.progress.rules import UnitState
from jiceng.surveys import services
from tests.factories import make_member


def test_a_member_who_joined_after_the_reference_date_is_not_enrolled(cw, branch_unit):
    on = cw.campaign.reference_date()
    late = make_member(
        cw.small.a.branches[0],
        joined_on=on + dt.timedelta(days=1),
        full_member_on=None,
        category="probationary",
    )
    services.appraisals_open(actor=cw.small.charlie, unit=branch_unit)
    enrolled = set(branch_unit.appraisals.values_list("member_id", flat=True))
    assert late.pk not in enrolled
    assert len(enrolled) == services.unit_members(branch_unit).count() > 0


def test_a_completed_unit_cannot_reopen_its_appraisal(cw, branch_unit):
    services.appraisals_open(actor=cw.small.charlie, unit=branch_unit)
    CampaignUnit.objects.filter(pk=branch_unit.pk).update(state=UnitState.COMPLETED)
    branch_unit.refresh_from_db()
    before = branch_unit.appraisals.count()
    make_member(cw.small.a.branches[0])
    with pytest.raises(ValidationError, match="已完成本批活动"):
        services.appraisals_open(actor=cw.small.charlie, unit=branch_unit)
    assert branch_unit.appraisals.count() == before
    assert not services.may_open(branch_unit)  # and the page offers no button
