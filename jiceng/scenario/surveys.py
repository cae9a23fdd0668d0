"""The demo's democratic appraisal (分析评议, S1) in the city's second batch: every unit in
the review phase or beyond has its members' appraisals; how far each got follows the unit's
progress through the review steps — self-analyses being written in the first step, peers
rating in the second, the branch committee grading in the third, all graded once the phase
is over — and no unit has more "excellent" than one third of its members appraised. Written
with bulk inserts, deterministic by seed; the states are those the services would produce."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db.models import Q

from jiceng.campaigns.models import Campaign, CampaignUnit
from jiceng.campaigns.progress.rules import Batch, Phase, StepState, UnitState
from jiceng.members.models import Member
from jiceng.surveys.models import Appraisal, PeerRating, SelfAnalysis
from jiceng.surveys.rules import AppraisalState, Grade, excellent_cap

BATCH = 2_000
# Of the members of a unit in each stage of the review phase, the share with a self-analysis.
SELF_SHARE = (0.45, 0.9, 1.0, 1.0)
RATERS_PER_MEMBER = 6  # peers who rate each member in the demo (a sample of the branch)
EXCELLENT_TARGET = 0.22  # the demo's usual share of "excellent", below the one-third cap

OPENINGS = (
    "通过集中学习党章和胡锦涛同志重要讲话，对照共产党员标准，我认真查找了自身存在的问题。",
    "在学习动员阶段，我参加了支部组织的集中学习，结合征求到的群众意见，对自己作如下分析。",
    "对照“党员先进性具体要求”，结合本职工作和群众提出的意见，我对自身党性状况进行了分析。",
)
PROBLEMS = (
    "一是理论学习不够系统，满足于参加集中学习，自学抓得不紧；",
    "一是宗旨意识有所淡化，深入群众、倾听群众意见不够；",
    "一是工作中有时标准不高，满足于完成任务，创新意识不强；",
    "一是参加组织生活不够经常，发挥先锋模范作用不够明显；",
)
CAUSES = (
    "二是放松了世界观的改造，对自己要求不够严格。",
    "二是工作忙时把学习放在次要位置，学用结合不够。",
    "二是对服务群众的重要性认识不足，主动性不够。",
)
AIMS = (
    "今后我将加强学习，密切联系群众，在整改提高阶段认真落实整改措施。",
    "下一步我将制定个人整改措施，主动认领“四个一”任务，接受群众监督。",
    "我将以这次活动为契机，立足岗位作表率，真正做到思想上有提高、工作上有进步。",
)
COMMENTS = (
    "工作认真负责，群众评价好",
    "能主动联系困难群众",
    "参加组织生活较少，希望加强",
    "学习认真，带头作用明显",
    "",
    "",
    "",
)
UNQUALIFIED_NOTE = "长期不参加组织生活，不履行党员义务，经教育仍无明显转变；限期整改，支部跟踪帮教"


def _analysis(rng: random.Random) -> str:
    parts = (OPENINGS, ("存在的主要问题：",), PROBLEMS, CAUSES, AIMS)
    return "".join(rng.choice(p) for p in parts)


def _peer_grade(rng: random.Random, merit: float) -> str:
    """A peer's grade drawn around the member's standing (``merit`` in [0, 1))."""
    x = merit + rng.uniform(-0.15, 0.15)
    if x > 0.78:
        return Grade.EXCELLENT
    if x > 0.06:
        return Grade.QUALIFIED
    if x > 0.0:
        return Grade.BASICALLY_QUALIFIED
    return Grade.UNQUALIFIED


def _stage(unit: CampaignUnit, review_orders: list[int]) -> int:
    """How far the unit is through the review phase: 0–2 its current review step (a submitted
    step counts as done), 3 past the phase."""
    if unit.state == UnitState.COMPLETED or unit.phase == Phase.RECTIFY:
        return 3
    done = sum(order <= unit.signed_steps for order in review_orders)
    if unit.step_state == StepState.SUBMITTED:
        done += 1
    return min(done, 3)


def build_appraisals(scale: str, seed: int) -> int:
    campaign = (
        Campaign.objects.filter(root__depth=1, batch=Batch.SECOND).order_by("starts_on").first()
    )
    if campaign is None:
        return 0
    rng = random.Random(seed * 31 + 9)
    as_of = campaign.reference_date()
    steps = list(campaign.steps.filter(phase=Phase.REVIEW).order_by("order"))
    review_orders = [s.order for s in steps]
    phase_start = (
        campaign.steps.filter(phase=Phase.STUDY).order_by("-order").values_list("due_on", flat=True)
    ).first() or campaign.starts_on
    units = list(
        CampaignUnit.objects.filter(campaign=campaign)
        .filter(Q(state=UnitState.COMPLETED) | Q(phase__in=[Phase.REVIEW, Phase.RECTIFY]))
        .order_by("org_path")
    )
    by_org: dict[int, list[tuple[int, str]]] = defaultdict(list)
    org_ids = [u.org_id for u in units]
    for pk, home_path, home_org, part_org in (
        Member.objects.on_roll()
        .filter(
            Q(participating_org_id__in=org_ids)
            | Q(participating_org__isnull=True, home_org_id__in=org_ids)
        )
        .order_by("id")
        .values_list("id", "home_path", "home_org_id", "participating_org_id")
    ):
        by_org[part_org or home_org].append((pk, home_path))

    appraisals: list[Appraisal] = []
    plan: list[tuple[CampaignUnit, int, int, int]] = []  # unit, stage, first index, count
    for unit in units:
        members = by_org.get(unit.org_id, [])
        if not members:
            continue
        plan.append((unit, _stage(unit, review_orders), len(appraisals), len(members)))
        appraisals += [
            Appraisal(
                campaign=campaign,
                unit=unit,
                member_id=pk,
                member_path=path,
                org_path=unit.org_path,
            )
            for pk, path in members
        ]
    # The committee's decisions need the final states, so decide everything before writing.
    analyses: list[SelfAnalysis] = []
    ratings: list[tuple[int, int, str, str, dt.date]] = []  # appraisal index, rater, ...
    in_third_step = 0
    for _unit, stage, first, n in plan:
        rows = appraisals[first : first + n]
        merit = [rng.random() for _ in rows]
        share = SELF_SHARE[stage]
        written = [i for i in range(n) if rng.random() < share]
        end = min(as_of, steps[min(stage, len(steps) - 1)].due_on) if steps else as_of
        for i in written:
            rows[i].state = AppraisalState.PEER_REVIEW
        if stage >= 1:
            for i in written:
                others = [j for j in range(n) if j != i]
                for j in rng.sample(others, min(RATERS_PER_MEMBER, len(others))):
                    day = min(end, phase_start + dt.timedelta(days=rng.randint(20, 40)))
                    grade = _peer_grade(rng, merit[i])
                    ratings.append((first + i, rows[j].member_id, grade, rng.choice(COMMENTS), day))
        if stage >= 2:
            for i in written:
                rows[i].state = AppraisalState.COMMITTEE_REVIEW
        if stage == 2:
            in_third_step += 1
        # Past the phase every member is graded; in its last step every other unit is, the
        # first of them still waiting for the committee.
        if stage == 3 or (stage == 2 and in_third_step % 2 == 0):
            ranked = sorted(written, key=lambda i: -merit[i])
            k = min(excellent_cap(n), round(n * EXCELLENT_TARGET))
            for rank, i in enumerate(ranked):
                a = rows[i]
                a.state = AppraisalState.DECIDED
                a.decided_on = min(as_of, end)
                if rank < k:
                    a.grade = Grade.EXCELLENT
                elif merit[i] < 0.01:
                    a.grade, a.decision_note = Grade.UNQUALIFIED, UNQUALIFIED_NOTE
                elif merit[i] < 0.05:
                    a.grade = Grade.BASICALLY_QUALIFIED
                else:
                    a.grade = Grade.QUALIFIED
        for i in written:
            day = phase_start + dt.timedelta(days=rng.randint(1, 20))
            analyses.append(
                SelfAnalysis(appraisal=rows[i], text=_analysis(rng), submitted_on=min(day, as_of))
            )
    Appraisal.objects.bulk_create(appraisals, batch_size=BATCH)
    for analysis in analyses:
        analysis.appraisal_id = analysis.appraisal.pk
    SelfAnalysis.objects.bulk_create(analyses, batch_size=BATCH)
    PeerRating.objects.bulk_create(
        [
            PeerRating(
                appraisal_id=appraisals[i].pk,
                rater_id=rater,
                grade=grade,
                comment=comment,
                rated_on=day,
            )
            for i, rater, grade, comment, day in ratings
        ],
        batch_size=BATCH,
    )
    return len(appraisals)
