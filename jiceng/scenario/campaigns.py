"""The demo's campaigns (S1, S4, S5, S30): a first batch of pilot units, completed, whose
lessons guide the second; the second batch, launched city-wide on 2005-06-30 (copied from
the first, S30) and read as of 2005-09-20, its units spread over the steps of the three
phases — most on schedule, some behind, some submitted and waiting for their parent's
sign-off, some returned — with classified guidance (S14, S15) and each unit's plan, tasks
with four-level chains (S6), entered coverage figures (S8), theme practices (S24, S25) and
members' "four ones" (S18). Written with bulk inserts (the city scale has some 80,000 units
and 2,000,000 members); the states are those the services would produce."""

from __future__ import annotations

import datetime as dt
import random

from jiceng.accounts.models import User
from jiceng.campaigns.chains.rules import TaskState
from jiceng.campaigns.chains.services import tasks_from_step
from jiceng.campaigns.coverage.rules import Coverage
from jiceng.campaigns.guidance.services import template_create
from jiceng.campaigns.models import (
    Campaign,
    CampaignUnit,
    CoverageEntry,
    FourOnesItem,
    GuidanceTemplate,
    PilotLesson,
    ResponsibilityTask,
    StepRecord,
    UnitPlanItem,
)
from jiceng.campaigns.practices.rules import FourOnes, FourOnesState
from jiceng.campaigns.practices.services import activity_record, practice_create
from jiceng.campaigns.progress.rules import (
    SECOND_BATCH_LAUNCH,
    Batch,
    StepAction,
    StepState,
    UnitState,
)
from jiceng.campaigns.progress.services import campaign_create
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType, Sector

# The day the demo is read at: twelve weeks after the launch, in the review phase's first step.
AS_OF = dt.date(2005, 9, 20)
END = dt.date(2005, 12, 31)
FIRST_START, FIRST_END = dt.date(2005, 1, 10), dt.date(2005, 7, 10)
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
BATCH = 5_000
# Share of members with "four ones" items in the demo, and items each.
FOUR_ONES_SHARE = 0.35

# S5: pilots of the first batch, one per sector, with the lesson each recorded.
PILOT_LESSONS: dict[str, tuple[str, str]] = {
    Sector.STREET_COMMUNITY: (
        "居民区党支部与驻区单位联建",
        "居民区党支部牵头，与驻区单位党组织签订共建协议，党员亮身份、认岗位，"
        "每季度召开一次联席会议，把学习和为民办实事结合起来。",
    ),
    Sector.TOWN: (
        "村党支部“一村一策”",
        "镇党委按村情分类指导，村党支部把学习动员与村务公开、农民增收项目结合，"
        "流动党员由镇党建服务中心统一组织学习。",
    ),
    Sector.UNIVERSITY: (
        "学生党员“学分制”学习",
        "以党课学分记录学生党员学习，导师党员结对指导，分析评议阶段请学生代表参加。",
    ),
    Sector.HOSPITAL: (
        "医德医风与群众评议",
        "开展“病人满意在医院”活动，门诊设意见箱，分析评议阶段邀请患者代表测评。",
    ),
    Sector.STATE_ENTERPRISE: (
        "车间党支部“一岗一责”",
        "党员在生产一线设立责任区，整改阶段把群众意见分解到班组，限期销号。",
    ),
    Sector.NEW_ECONOMIC: (
        "非公企业联合党支部",
        "楼宇内党员人数不足 3 人的企业组建联合党支部，学习安排在午休和周末，"
        "业主参加动员会，支持党员参加活动。",
    ),
}

# S14 (classified guidance by sector) and S15 (the science-and-education committee's plans
# per organisation type): focus points, required steps and indicators, one per line.
TEMPLATES: tuple[tuple[str | None, str, str, str, str, str], ...] = (
    # owner code (None: the city), sector, name, focus, steps, indicators
    (
        None,
        Sector.STREET_COMMUNITY,
        "街道社区分类指导方案",
        "构建区域化党建格局\n居民区党组织与驻区单位共驻共建\n在职党员到居住地报到",
        "召开居民区党员大会\n走访驻区单位和居民\n公开承诺并接受居民评议",
        "居民知晓率\n驻区单位参与率",
    ),
    (
        None,
        Sector.TOWN,
        "镇村分类指导方案",
        "加强村级领导班子建设\n促进农村发展和农民增收\n流动党员就近参加活动",
        "召开村党员大会\n征求村民意见\n村务公开",
        "村民满意率\n为民办实事项目数",
    ),
    (
        None,
        Sector.NEW_ECONOMIC,
        "两新组织分类指导方案",
        "扩大党的组织覆盖和工作覆盖\n争取业主支持\n党员在生产经营中发挥作用",
        "组建或调整联合党支部\n向业主通报活动安排",
        "党组织覆盖率\n业主支持率",
    ),
    (
        None,
        Sector.NEW_SOCIAL,
        "新社会组织分类指导方案",
        "扩大党的组织覆盖和工作覆盖\n服务会员、服务社会",
        "组建或调整党支部\n向主管单位通报活动安排",
        "党组织覆盖率",
    ),
    (
        None,
        Sector.STATE_ENTERPRISE,
        "国有企业分类指导方案",
        "围绕企业改革发展开展活动\n党员在生产经营一线作表率\n关心困难职工",
        "班组党员公开承诺\n职工代表座谈征求意见",
        "职工满意率\n党员示范岗数",
    ),
    (
        "科技教育",
        Sector.UNIVERSITY,
        "高校先进性教育活动实施方案",
        "加强师德师风建设\n做好学生党员教育管理\n教书育人、管理育人、服务育人",
        "教师党员公开承诺\n学生党员学分制学习\n师生座谈征求意见",
        "学生党员参学率\n师生满意率",
    ),
    (
        "科技教育",
        Sector.RESEARCH_INSTITUTE,
        "科研院所先进性教育活动实施方案",
        "推进自主创新\n党员在科研攻关中作表率\n营造宽松和谐的科研环境",
        "党员科研骨干结对青年人员\n征求科研人员意见",
        "科研项目党员参与率",
    ),
    (
        "科技教育",
        Sector.HOSPITAL,
        "医院先进性教育活动实施方案",
        "加强医德医风建设\n缓解群众“看病难、看病贵”\n改善服务流程",
        "开展病人满意度测评\n公开医疗收费\n设立党员示范岗",
        "病人满意率\n投诉办结率",
    ),
    (
        "科技教育",
        Sector.PRIVATE_UNIVERSITY,
        "民办高校先进性教育活动实施方案",
        "建立健全党组织\n加强学生党员教育\n规范办学行为",
        "与举办者沟通活动安排\n学生党员学习",
        "党组织覆盖率",
    ),
)

PRACTICES = (
    (
        None,
        "“高兴、放心、凝聚、覆盖”主题实践活动",
        "全市各单位",
        "让群众高兴、让群众放心，增强凝聚力、扩大覆盖面（S25）。",
    ),
    (
        "农工商",
        "“党员在窗口”主题活动",
        "出租汽车、连锁超市",
        "出租汽车驾驶员党员亮牌服务、超市党员示范岗（S24）。",
    ),
)

FOUR_ONES_TEXT = {
    FourOnes.PRACTICAL: ("为独居老人修理门锁", "居委会证明"),
    FourOnes.PROPOSAL: ("建议小区增设无障碍坡道", "建议书"),
    FourOnes.WELFARE: ("参加社区义务献血", "献血证"),
    FourOnes.PAIRING: ("结对帮扶一名下岗职工", "结对协议"),
}


def _by_code_fragment(fragment: str | None) -> Organization | None:
    city = Organization.objects.filter(depth=1).order_by("path").first()
    if fragment is None:
        return city
    return Organization.objects.filter(depth=2, name__contains=fragment).order_by("path").first()


def _first_batch(city: Organization) -> Campaign:
    """The first batch (S5): the sector committees' units and, in each district, one street
    committee's units, as pilots — all completed, one pilot unit per sector with a lesson."""
    sectors = list(Organization.objects.filter(depth=2, org_type=OrgType.SECTOR_COMMITTEE))
    streets = []
    for district in Organization.objects.filter(depth=2, org_type=OrgType.DISTRICT_COMMITTEE):
        street = (
            Organization.objects.filter(path__startswith=district.path, depth=3)
            .order_by("path")
            .first()
        )
        if street is not None:
            streets.append(street)
    first = campaign_create(
        actor=None,
        name="保持共产党员先进性教育活动（第一批）",
        batch=Batch.FIRST,
        root=city,
        starts_on=FIRST_START,
        ends_on=FIRST_END,
        description="第一批在市级机关、国有企业、教育卫生系统、两新组织和部分街道乡镇试点（S5）。",
        subtrees=sectors + streets,
    )
    steps = list(first.steps.order_by("order"))
    CampaignUnit.objects.filter(campaign=first).update(
        state=UnitState.COMPLETED,
        launched_on=FIRST_START,
        step=None,
        phase="",
        due_on=None,
        step_state="",
        signed_steps=len(steps),
        completed_on=steps[-1].due_on,
    )
    lessons = []
    for sector, (title, text) in PILOT_LESSONS.items():
        unit = (
            CampaignUnit.objects.filter(campaign=first, sector=sector).order_by("org_path").first()
        )
        if unit is None:
            continue
        CampaignUnit.objects.filter(pk=unit.pk).update(is_pilot=True)
        lessons.append(
            PilotLesson(unit=unit, sector=sector, title=title, text=text, recorded_on=FIRST_END)
        )
    PilotLesson.objects.bulk_create(lessons)
    return first


def _spread(campaign: Campaign, seed: int) -> list[CampaignUnit]:
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
        if step_state != StepState.PENDING:
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
            if step_state == StepState.RETURNED:
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
    return units


def _guidance(campaign: Campaign, units: list[CampaignUnit]) -> None:
    """Templates per sector (S14) and organisation type (S15); every launched unit's plan
    instantiated from its template, items done as far as the unit has come."""
    made: dict[str, GuidanceTemplate] = {}
    for owner_code, sector, name, focus, steps, indicators in TEMPLATES:
        owner = _by_code_fragment(owner_code)
        if owner is None:
            continue
        made[sector] = template_create(
            actor=None,
            campaign=campaign,
            owner=owner,
            name=name,
            sector=sector,
            focus=focus,
            steps=steps,
            indicators=indicators,
            source="S14 分类指导" if owner_code is None else "S15 科教党委分类制定",
        )
    items = []
    for unit in units:
        template = made.get(unit.sector)
        if template is None or unit.state == UnitState.NOT_LAUNCHED:
            continue
        for n, (kind, text) in enumerate(template.items()):
            items.append(
                UnitPlanItem(
                    unit=unit, kind=kind, text=text, template=template, done=n < unit.signed_steps
                )
            )
        if unit.signed_steps >= 3:
            items.append(
                UnitPlanItem(unit=unit, kind="carrier", text="党员论坛、主题党日（自选载体）")
            )
    UnitPlanItem.objects.bulk_create(items, batch_size=BATCH)


def _tasks(campaign: Campaign, units: list[CampaignUnit]) -> None:
    """Tasks with four-level chains for steps 2 and 3 (S6); done where the step is signed."""
    city = campaign.root
    for order in (2, 3):
        step = campaign.steps.get(order=order)
        tasks_from_step(actor=None, campaign=campaign, step=step, under=city)
        signed = [u.pk for u in units if u.signed_steps >= order]
        ResponsibilityTask.objects.filter(campaign=campaign, step=step, unit_id__in=signed).update(
            state=TaskState.DONE, done_on=step.due_on
        )


def _coverage(units: list[CampaignUnit], seed: int) -> None:
    rng = random.Random(seed + 8)
    entries = []
    for unit in units:
        if unit.state == UnitState.NOT_LAUNCHED or rng.random() < 0.25:
            continue
        owners = rng.randint(8, 60)
        residents = rng.randint(200, 1500)
        entries += [
            CoverageEntry(
                unit=unit,
                indicator=Coverage.OWNERS,
                numerator=int(owners * rng.uniform(0.7, 1.0)),
                denominator=owners,
                entered_on=AS_OF,
                note="走访统计",
            ),
            CoverageEntry(
                unit=unit,
                indicator=Coverage.RESIDENTS,
                numerator=int(residents * rng.uniform(0.6, 0.98)),
                denominator=residents,
                entered_on=AS_OF,
                note="入户问卷",
            ),
        ]
    CoverageEntry.objects.bulk_create(entries, batch_size=BATCH)


def _practices(campaign: Campaign) -> None:
    for owner_code, name, targets, description in PRACTICES:
        owner = _by_code_fragment(owner_code)
        if owner is None:
            continue
        practice = practice_create(
            actor=None,
            campaign=campaign,
            owner=owner,
            name=name,
            targets=targets,
            description=description,
        )
        branches = Organization.objects.filter(
            path__startswith=owner.path, org_type=OrgType.BRANCH
        ).order_by("path")[:4]
        for n, branch in enumerate(branches):
            activity_record(
                actor=None,
                practice=practice,
                org=branch,
                title=f"{targets.split('、')[0]}党员示范服务日",
                on=dt.date(2005, 8, 5) + dt.timedelta(days=7 * n),
                place=branch.host_unit or branch.name,
                participants=12 + 3 * n,
            )


def _four_ones(campaign: Campaign, seed: int) -> None:
    """Items for about a third of the members of launched units; the self-service demo
    member has none, so that their first entry shows."""
    rng = random.Random(seed + 18)
    launched = set(
        CampaignUnit.objects.filter(campaign=campaign)
        .exclude(state=UnitState.NOT_LAUNCHED)
        .values_list("org_id", flat=True)
    )
    self_ids = set(User.objects.filter(username="member.self").values_list("pk", flat=True))
    kinds = list(FourOnes.values)
    items = []
    members = Member.objects.on_roll().values_list("id", "home_org_id", "home_path", "user_id")
    for pk, org_id, path, user_id in members.iterator(chunk_size=20_000):
        if org_id not in launched or user_id in self_ids or rng.random() > FOUR_ONES_SHARE:
            continue
        for kind in rng.sample(kinds, rng.randint(1, 4)):
            text, evidence = FOUR_ONES_TEXT[FourOnes(kind)]
            state = rng.choice(
                [FourOnesState.CONFIRMED, FourOnesState.CONFIRMED, FourOnesState.RECORDED]
            )
            items.append(
                FourOnesItem(
                    campaign=campaign,
                    member_id=pk,
                    member_path=path,
                    kind=kind,
                    description=text,
                    evidence=evidence,
                    done_on=AS_OF - dt.timedelta(days=rng.randint(1, 60)),
                    state=state,
                    confirmed_on=AS_OF if state == FourOnesState.CONFIRMED else None,
                )
            )
        if len(items) >= BATCH:
            FourOnesItem.objects.bulk_create(items, batch_size=BATCH)
            items = []
    FourOnesItem.objects.bulk_create(items, batch_size=BATCH)


def build_campaigns(scale: str, seed: int) -> int:
    city = Organization.objects.filter(depth=1).order_by("path").first()
    if city is None:
        return 0
    first = _first_batch(city)
    campaign = campaign_create(
        actor=None,
        name="保持共产党员先进性教育活动（第二批）",
        batch=Batch.SECOND,
        root=city,
        starts_on=SECOND_BATCH_LAUNCH,
        ends_on=END,
        as_of=AS_OF,
        previous=first,
        subtrees=[city],
        description="全市第二批先进性教育活动，6月30日全面启动（S4），分学习动员、分析评议、整改提高三个阶段；"
        "沿用第一批的环节和指标（S30）。",
    )
    units = _spread(campaign, seed)
    _guidance(campaign, units)
    _tasks(campaign, units)
    _coverage(units, seed)
    _practices(campaign)
    _four_ones(campaign, seed)
    return len(units)
