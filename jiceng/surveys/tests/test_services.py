"""The review phase's democratic appraisal (S1): self → peers → branch committee, the
one-third cap on "excellent" (exactly floor(n/3) allowed, one more refused, a batch all or
nothing), a note for "unqualified", no self-rating, no rater from another branch, scoping."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.campaigns.models import CampaignUnit
from jiceng.campaigns.progress import services as campaign_services
from jiceng.campaigns.tests.factories import unit_of
from jiceng.core.models import AuditEvent
from jiceng.members.models import Member
from jiceng.surveys import services
from jiceng.surveys.models import Appraisal, PeerRating, SelfAnalysis
from jiceng.surveys.rules import (
    EXCELLENT_MAX_SHARE,
    AppraisalState,
    AppraisalTransitionError,
    Grade,
    excellent_cap,
)
from jiceng.surveys.services import Decision

from .conftest import to_review


def _own(mary, opened):
    member = Member.objects.get(user=mary)
    return next(a for a in opened if a.member_id == member.pk)


def test_the_cap_is_one_third_rounded_down():
    assert (EXCELLENT_MAX_SHARE.numerator, EXCELLENT_MAX_SHARE.denominator) == (1, 3)
    assert [excellent_cap(n) for n in (1, 3, 5, 6, 7, 50)] == [0, 1, 1, 2, 2, 16]


def test_opening_needs_the_review_phase(cw, second):
    unit = CampaignUnit.objects.get(campaign=second, org=cw.small.a.branches[0])
    unit = campaign_services.unit_launch(actor=cw.small.charlie, unit=unit)
    assert unit.phase == "study"
    with pytest.raises(ValidationError, match="尚未进入分析评议阶段"):
        services.appraisals_open(actor=cw.small.charlie, unit=unit)
    assert not unit.appraisals.exists()


def test_opening_lists_every_member_taking_part_once(cw, branch_unit, opened):
    expected = set(services.unit_members(branch_unit).values_list("id", flat=True))
    assert {a.member_id for a in opened} == expected
    assert len(opened) == 3 + 1  # the branch's three factory members and mary
    assert all(a.state == AppraisalState.SELF_PENDING for a in opened)
    assert all(a.org_path == branch_unit.org_path for a in opened)
    assert all(a.member_path == a.member.home_path for a in opened)
    again = services.appraisals_open(actor=cw.small.charlie, unit=branch_unit)
    assert again == 0
    assert AuditEvent.objects.filter(object_type="surveys.appraisal", verb="create").exists()


def test_only_the_branch_or_above_opens_it(cw, gus, mary, branch_unit):
    for user in (gus, cw.small.bob, mary):
        with pytest.raises(PermissionDenied):
            services.appraisals_open(actor=user, unit=branch_unit)


def test_the_state_flow_self_then_peers_then_committee(cw, mary, branch_unit, opened):
    me = mary
    secretary = cw.small.charlie
    own = _own(mary, opened)
    with pytest.raises(ValidationError, match="不能“评定等次”"):
        services.appraisal_decide(actor=secretary, appraisal=own, grade=Grade.QUALIFIED)
    with pytest.raises(ValidationError, match="党性分析"):
        services.self_analysis_submit(actor=me, appraisal=own, text="  ")
    services.self_analysis_submit(actor=me, appraisal=own, text="我的党性分析。")
    own.refresh_from_db()
    assert own.state == AppraisalState.PEER_REVIEW
    assert own.self_analysis.recorded_by == me
    peers = [a for a in opened if a.pk != own.pk]
    for a in peers:
        services.peer_rating_submit(
            actor=None, appraisal=own, rater=a.member, grade=Grade.EXCELLENT, comment="好"
        )
    # a rater changes their mind while the round is open: still one rating each
    services.peer_rating_submit(
        actor=None, appraisal=own, rater=peers[0].member, grade=Grade.QUALIFIED
    )
    assert own.ratings.count() == len(peers)
    with pytest.raises(ValidationError, match="不能“评定等次”"):
        services.appraisal_decide(actor=secretary, appraisal=own, grade=Grade.QUALIFIED)
    moved = services.peer_review_close(actor=secretary, unit=branch_unit)
    assert moved == 1  # the others have not written theirs yet
    own.refresh_from_db()
    assert own.state == AppraisalState.COMMITTEE_REVIEW
    with pytest.raises(ValidationError, match="支部结束互评前"):
        services.peer_rating_submit(
            actor=None, appraisal=own, rater=peers[1].member, grade=Grade.QUALIFIED
        )
    with pytest.raises(AppraisalTransitionError):
        services.self_analysis_submit(actor=me, appraisal=own, text="改一改")
    services.appraisal_decide(actor=secretary, appraisal=own, grade=Grade.QUALIFIED, note="合格")
    own.refresh_from_db()
    assert (own.state, own.grade, own.decided_by) == (
        AppraisalState.DECIDED,
        Grade.QUALIFIED,
        secretary,
    )
    decided = AuditEvent.objects.filter(object_type="surveys.appraisal", object_id=str(own.pk))
    assert decided.filter(changes__grade=["", "qualified"]).exists()


def test_a_member_cannot_rate_themself(mary, opened):
    own = _own(mary, opened)
    me = mary
    services.self_analysis_submit(actor=me, appraisal=own, text="分析")
    with pytest.raises(ValidationError, match="不能给自己评议"):
        services.peer_rating_submit(actor=me, appraisal=own, rater=own.member, grade="excellent")
    assert not PeerRating.objects.filter(appraisal=own).exists()


def test_a_rater_from_another_branch_is_refused(cw, opened):
    target = opened[0]
    services.self_analysis_submit(actor=cw.small.charlie, appraisal=target, text="分析")
    outsider = cw.small.b.members[0]
    neighbour = (
        Member.objects.filter(home_path__startswith=cw.small.a.org.path)
        .exclude(pk__in=[a.member_id for a in opened])
        .order_by("id")
        .first()
    )
    for rater in (outsider, neighbour):
        with pytest.raises(ValidationError, match="只有本支部"):
            services.peer_rating_submit(
                actor=None, appraisal=target, rater=rater, grade=Grade.QUALIFIED
            )
    assert not target.ratings.exists()


def test_a_member_rates_only_as_themself(cw, mary, opened):
    own = _own(mary, opened)
    other = next(a for a in opened if a.pk != own.pk)
    services.self_analysis_submit(actor=cw.small.charlie, appraisal=other, text="x")
    with pytest.raises(PermissionDenied):
        # member.self pretending to be another member of the branch
        services.peer_rating_submit(
            actor=mary,
            appraisal=own,
            rater=other.member,
            grade=Grade.EXCELLENT,
        )
    rating = services.peer_rating_submit(
        actor=mary, appraisal=other, rater=own.member, grade="qualified"
    )
    assert rating.rater_id == own.member_id


def test_only_the_member_or_the_branch_writes_the_self_analysis(cw, mary, gus, opened):
    own = _own(mary, opened)
    other = next(a for a in opened if a.pk != own.pk)
    for user in (gus, cw.small.bob, cw.small.dora):
        with pytest.raises(PermissionDenied):
            services.self_analysis_submit(actor=user, appraisal=own, text="x")
    with pytest.raises(PermissionDenied):
        services.self_analysis_submit(actor=mary, appraisal=other, text="x")
    assert not SelfAnalysis.objects.filter(appraisal__in=[own, other]).exists()


def test_exactly_one_third_may_be_excellent_and_one_more_is_refused(cw, branch_unit, in_committee):
    secretary = cw.small.charlie
    n = len(in_committee)
    cap = n // 3
    assert cap >= 1, "charlie's branch has at least three members"
    for a in in_committee[:cap]:
        services.appraisal_decide(actor=secretary, appraisal=a, grade=Grade.EXCELLENT)
    one_more = in_committee[cap]
    with pytest.raises(ValidationError, match="三分之一") as exc:
        services.appraisal_decide(actor=secretary, appraisal=one_more, grade=Grade.EXCELLENT)
    assert f"最多 {cap} 人" in str(exc.value)
    one_more.refresh_from_db()
    assert one_more.state == AppraisalState.COMMITTEE_REVIEW
    assert one_more.grade == ""
    assert branch_unit.appraisals.filter(grade=Grade.EXCELLENT).count() == cap
    # another grade is fine, and an excellent one may be corrected to make room
    services.appraisal_decide(actor=secretary, appraisal=one_more, grade=Grade.QUALIFIED)
    services.appraisals_decide(
        actor=secretary,
        unit=branch_unit,
        decisions=[
            Decision(in_committee[0].pk, Grade.QUALIFIED),
            Decision(one_more.pk, Grade.EXCELLENT),
        ],
    )
    assert branch_unit.appraisals.filter(grade=Grade.EXCELLENT).count() == cap


def test_a_batch_of_decisions_is_all_or_nothing(cw, branch_unit, in_committee):
    secretary = cw.small.charlie
    cap = len(in_committee) // 3
    too_many = [Decision(a.pk, Grade.EXCELLENT) for a in in_committee[: cap + 1]]
    with pytest.raises(ValidationError, match="请减少 1 名"):
        services.appraisals_decide(actor=secretary, unit=branch_unit, decisions=too_many)
    no_note = [
        Decision(in_committee[0].pk, Grade.QUALIFIED),
        Decision(in_committee[1].pk, Grade.UNQUALIFIED),
    ]
    with pytest.raises(ValidationError, match="评定意见"):
        services.appraisals_decide(actor=secretary, unit=branch_unit, decisions=no_note)
    assert not branch_unit.appraisals.exclude(grade="").exists()
    assert not branch_unit.appraisals.filter(state=AppraisalState.DECIDED).exists()
    good = [Decision(a.pk, Grade.EXCELLENT) for a in in_committee[:cap]] + [
        Decision(a.pk, Grade.QUALIFIED) for a in in_committee[cap:-1]
    ]
    good.append(Decision(in_committee[-1].pk, Grade.UNQUALIFIED, "长期不参加组织生活"))
    services.appraisals_decide(actor=secretary, unit=branch_unit, decisions=good)
    assert branch_unit.appraisals.filter(state=AppraisalState.DECIDED).count() == len(good)


def test_a_batch_from_another_unit_is_refused(cw, branch_unit, in_committee):
    # the appraisals of another branch, in district b
    b_unit = unit_of(cw.campaign, cw.small.b.branches[0])
    services.appraisals_open(actor=cw.frank, unit=to_review(b_unit, cw.frank, cw.frank))
    other = Appraisal.objects.filter(unit=b_unit).first()
    assert other is not None
    with pytest.raises(ValidationError, match="不属于"):
        services.appraisals_decide(
            actor=None,
            unit=branch_unit,
            decisions=[Decision(in_committee[0].pk, "qualified"), Decision(other.pk, "qualified")],
        )
    assert not branch_unit.appraisals.filter(state=AppraisalState.DECIDED).exists()


def test_only_the_branch_committee_or_above_decides(cw, mary, gus, in_committee):
    a = in_committee[0]
    for user in (gus, cw.small.dora, mary, cw.small.bob):
        with pytest.raises(PermissionDenied):
            services.appraisal_decide(actor=user, appraisal=a, grade="qualified")
    services.appraisal_decide(actor=cw.erin, appraisal=a, grade="qualified")


def test_self_service_sees_only_own_rows(cw, mary, opened):
    me = mary
    own = _own(mary, opened)
    other = next(a for a in opened if a.pk != own.pk)
    services.self_analysis_submit(actor=me, appraisal=own, text="本人")
    services.self_analysis_submit(actor=cw.small.charlie, appraisal=other, text="他")
    services.peer_rating_submit(actor=me, appraisal=other, rater=own.member, grade="qualified")
    services.peer_rating_submit(actor=None, appraisal=own, rater=other.member, grade="excellent")
    assert list(Appraisal.objects.visible_to(me)) == [own]
    assert list(SelfAnalysis.objects.visible_to(me).values_list("appraisal_id", flat=True)) == [
        own.pk
    ]
    # the ratings the member gave, never who rated them
    assert list(PeerRating.objects.visible_to(me).values_list("rater_id", flat=True)) == [
        own.member_id
    ]


def test_an_outsider_sees_none_of_huangpu(cw, opened):
    outsider = cw.small.bob
    assert not Appraisal.objects.visible_to(outsider).filter(pk__in=[a.pk for a in opened])
    assert not Appraisal.objects.visible_to(outsider).filter(
        org_path__startswith=cw.small.a.org.path
    )
