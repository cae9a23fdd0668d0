"""The demo's development pipelines (tiny scenario): every district has cases of every stage,
every case's stored steps are accepted again by the engine in order, the stored next due date
is the engine's, some are overdue on the demo's day, and the probationary cases are the roll's
own probationary members."""

from __future__ import annotations

from collections import Counter

from jiceng.core import clock, tree
from jiceng.core.stages import Record, Records
from jiceng.development import rules
from jiceng.development.models import Development
from jiceng.members.models import MemberCategory
from jiceng.orgs.models import Organization, OrgType


def test_every_district_has_every_stage_and_steps_pass_the_engine(world):
    cases = list(Development.objects.prefetch_related("steps").select_related("member"))
    assert cases
    districts = Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE)
    stages = Counter((tree.district_path(d.path), d.stage) for d in cases)
    for district in districts:
        for stage in ("applicant", "activist", "candidate"):
            assert stages[(district.path, stage)] >= 1, (district.name, stage)
    p = rules.PIPELINE_2014
    today = clock.today()
    overdue = 0
    for d in cases:
        done: list[Record] = []
        for s in sorted(d.steps.all(), key=lambda s: (s.on, s.id)):
            p.check(Records(done), s.step, s.on, today=today, reason=s.reason)
            done.append(Record(s.step, s.on, s.value))
        nxt = p.next_due(Records(done))
        assert d.next_due == (nxt.due if nxt else None)
        assert d.stage == p.stage(Records(done))
        overdue += d.overdue(today)
        if d.member_id:
            assert d.member.category == MemberCategory.PROBATIONARY
            assert d.member.name == d.name
    assert overdue > 0
    assert any(d.member_id for d in cases)
