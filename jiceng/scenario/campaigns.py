"""The demo's campaign (S1, S4): the second batch, launched city-wide on 2005-06-30 and read
as of 2005-09-20, its units spread over the steps of the three phases — most on schedule, some
behind, some submitted and waiting for their parent's sign-off, some returned — so that the
dashboard, the lagging list and the sign-off worklist are alive. Written with bulk inserts
(the city scale has some 80,000 units); the states are those the services would produce."""

from __future__ import annotations

import datetime as dt
import random

from jiceng.campaigns import services
from jiceng.campaigns.models import CampaignUnit, StepRecord
from jiceng.campaigns.rules import SECOND_BATCH_LAUNCH, Batch, StepAction, StepState, UnitState
from jiceng.orgs.models import Organization

# The day the demo is read at: twelve weeks after the launch, in the review phase's first step.
AS_OF = dt.date(2005, 9, 20)
END = dt.date(2005, 12, 31)
# Each district's units take these profiles in turn — (launched, steps signed off, current
# step's state) — the first few in this order, so that even a small district has a unit
# behind, one waiting for sign-off, one returned and one not launched; then a shuffled mix
# weighted to "on schedule" (three steps signed off by 2005-09-20).
P, S, R = StepState.PENDING, StepState.SUBMITTED, StepState.RETURNED
FIRST_PROFILES = ((True, 1, P), (True, 3, S), (False, 0, P), (True, 3, R), (True, 2, S))
MIX_PROFILES = (
    *[(True, 3, P)] * 8,
    *[(True, 3, S)] * 3,
    *[(True, 4, P)] * 3,
    (True, 4, S),
    *[(True, 5, P)] * 2,
    (True, 2, P),
    (True, 2, R),
    (True, 0, P),
    (True, 1, S),
    (False, 0, P),
)
del P, S, R
RETURN_REASON = "学习记录不完整，缺少党员心得体会，请补充后重新报送"
BATCH = 2_000


def build_campaigns(scale: str, seed: int) -> int:
    city = Organization.objects.filter(depth=1).order_by("path").first()
    if city is None:
        return 0
    campaign = services.campaign_create(
        actor=None,
        name="保持共产党员先进性教育活动（第二批）",
        batch=Batch.SECOND,
        root=city,
        starts_on=SECOND_BATCH_LAUNCH,
        ends_on=END,
        as_of=AS_OF,
        description="全市第二批先进性教育活动，6月30日全面启动（S4），分学习动员、分析评议、整改提高三个阶段。",
    )
    steps = list(campaign.steps.order_by("order"))
    rng = random.Random(seed)
    units = list(CampaignUnit.objects.filter(campaign=campaign).order_by("org_path"))
    records: list[StepRecord] = []
    seen: dict[str, int] = {}
    mix = list(MIX_PROFILES)
    for unit in units:
        district = unit.org_path[:8]
        k = seen[district] = seen.get(district, -1) + 1
        if k < len(FIRST_PROFILES):
            is_launched, signed, step_state = FIRST_PROFILES[k]
        else:
            is_launched, signed, step_state = rng.choice(mix)
        if not is_launched:
            continue
        launched = SECOND_BATCH_LAUNCH + dt.timedelta(days=rng.randint(0, 12))
        unit.state = UnitState.IN_PROGRESS
        unit.launched_on = launched
        unit.signed_steps = signed
        records.append(StepRecord(unit=unit, step=steps[0], action=StepAction.LAUNCH, on=launched))
        day = launched
        for step in steps[:signed]:
            submit = max(day, step.due_on - dt.timedelta(days=rng.randint(1, 8)))
            sign = min(AS_OF, submit + dt.timedelta(days=rng.randint(1, 4)))
            records.append(
                StepRecord(
                    unit=unit,
                    step=step,
                    action=StepAction.SUBMIT,
                    on=submit,
                    evidence=f"{step.evidence}已整理归档",
                )
            )
            records.append(StepRecord(unit=unit, step=step, action=StepAction.SIGN_OFF, on=sign))
            day = sign
        current = steps[signed]
        unit.step = current
        unit.phase = current.phase
        unit.due_on = current.due_on
        unit.step_state = step_state
        if unit.step_state != StepState.PENDING:
            on = min(AS_OF, day + dt.timedelta(days=rng.randint(3, 20)))
            records.append(
                StepRecord(
                    unit=unit,
                    step=current,
                    action=StepAction.SUBMIT,
                    on=on,
                    evidence=f"{current.evidence}（报送）",
                )
            )
            if unit.step_state == StepState.RETURNED:
                records.append(
                    StepRecord(
                        unit=unit,
                        step=current,
                        action=StepAction.RETURN,
                        on=min(AS_OF, on + dt.timedelta(days=2)),
                        reason=RETURN_REASON,
                    )
                )
    CampaignUnit.objects.bulk_update(
        units,
        ["state", "launched_on", "signed_steps", "step", "phase", "due_on", "step_state"],
        batch_size=BATCH,
    )
    StepRecord.objects.bulk_create(records, batch_size=BATCH)
    return len(units)
