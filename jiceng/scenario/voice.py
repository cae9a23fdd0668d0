"""Demo data for the public's voice (issue 21 item 5): petitions (信访, S21), public satisfaction
surveys of the transport sector (S23) and rectification items with their standing
arrangements (S20, S22), read as of the demo's day.

**Petitions.** ``PETITIONS_PER_MEMBER`` (200,000 for the ~2,058,000 members in the streets'
trees at city scale) per member of a street's tree, at least ``MIN_PER_STREET``: about 200,000
at city scale, about 2,500 at demo scale and a handful in the tiny world. The window starts on
2005-05-01, the day the State Council's 《信访条例》 (令第431号) took effect: the deadlines table
(``petitions.rules``) holds no earlier regulation, so no case is dated before it; it ends on the
demo's day (2005-09-20, or the site's today if earlier). A street's share is weighted by a hot
spot factor (some streets, those with old-area demolition, draw four times their share). Most
cases are registered by the district's petition office (``Body.OFFICE``) and routed to the
committee of the street where the problem arises, or for most neighbourhood matters (land,
housing, environment, civil affairs) to one of the street's residential-area branches, so the
units appraised carry petitions of their own (a few by the city's office, among them bus
complaints routed to the bus company's committee); the rest are registered by the street
committee itself (``Body.AGENCY``). Each case runs the state machine of ``petitions.rules``
step by step — route, accept (or not), extend once, transfer, reply, review, re-review, close
with the petitioner's satisfaction, reopen when not satisfied — each step a dated
``PetitionEvent`` with its deadline computed by ``rules.due`` from the table (never typed
here), most steps within it and a few late; a case stops where the demo's day cuts it, and a
few stall, so the overdue list and the bell (with its escalation) have content. Petitioners'
ID numbers and phones are stored like members' (encrypted, blind index, masked); about one
case in eight comes from someone who petitioned before (the same blind index). Joint visits
of five or more people are flagged. The first cases follow ``FORCED`` plans so that every
state is present even in the tiny world.

**Satisfaction.** The transport committee (交运集团) surveys every unit of its tree (the bus
and taxi companies' committees and their branches) on passenger satisfaction, on the 2005
scale 满意 / 基本满意 / 不满意: a first survey closed in August, with tokens issued per unit and
about two thirds of them answered (consumed), some units below the 60 % line (需补课), and
free-text comments; a second survey open on the demo's day, partly answered, with unused
tokens to print and answer.

**Rectification.** Items raised from petitions (a share of the cases on local problems, some
merging two cases of the same street and category), from needs found at visits, from the
comments of units below the line (many comments, one item), and from consultation meetings;
each runs the item's state machine (open, in progress, done awaiting the verdict, closed with a
satisfied or basically satisfied verdict, reopened by a not-satisfied one). A share of closed
items has a standing arrangement with dated checks. S22: Tianlin street's ten-year illegal
building (since 1995) is closed and kept closed by a standing arrangement with passed checks;
one other arrangement's check failed and reopened its item.

Everything is generated in memory with its own random stream and written with bulk inserts in
chunks; no service is called per row, and the part records one audit row. Same database, same
seed, same data (the encrypted columns and token hashes differ by their nonces and keys).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import Substr
from django.utils import timezone

from jiceng.campaigns.models import Campaign
from jiceng.campaigns.progress.rules import SECOND_BATCH_LAUNCH, Batch
from jiceng.core import audit, clock, tree
from jiceng.core.crypto import blind_index
from jiceng.core.idnumber import make_id_number, mask_id_number
from jiceng.geo.models import Street
from jiceng.members.models import Member
from jiceng.members.phones import mask_phone
from jiceng.members.services import ID_PURPOSE, PHONE_PURPOSE
from jiceng.orgs.models import Organization, OrgType, Sector
from jiceng.outreach.visits.models import VisitNeed
from jiceng.outreach.visits.rules import NeedKind
from jiceng.petitions import rules as prules
from jiceng.petitions.models import Petition, PetitionEvent, PetitionTransfer
from jiceng.petitions.rules import Body, Category, Channel, PetitionAction, Satisfaction, State
from jiceng.petitions.rules import Step as PStep
from jiceng.petitions.services import refresh_due
from jiceng.rectification.models import (
    ArrangementCheck,
    RectificationEvent,
    RectificationItem,
    RectificationSource,
    StandingArrangement,
)
from jiceng.rectification.rules import ItemState, SourceKind, Verdict, is_long_running
from jiceng.satisfaction import guard
from jiceng.satisfaction.models import (
    Answer,
    Question,
    SatisfactionSurvey,
    SurveyComment,
    SurveyResponse,
    SurveyToken,
    SurveyUnit,
)
from jiceng.satisfaction.rules import Channel as SurveyChannel
from jiceng.satisfaction.rules import QuestionKind, SurveyState

from .names import NameMaker

Progress = Callable[[str, int, int], None]

DEMO_DAY = dt.date(2005, 9, 20)  # the day the demo is read at (``make demo``)
CHANNEL_LABELS: dict[str, str] = {c: str(c.label) for c in Channel}
SATISFACTION_LABELS: dict[str, str] = {s: str(s.label) for s in Satisfaction}
# 国务院《信访条例》(令第431号) took effect on 2005-05-01; the rules table holds no earlier one.
WINDOW_START = prules.EFFECTIVE[prules.Version.V2005]
# 200,000 petitions for the ~2,058,000 members in the streets' trees at city scale (issue 21).
PETITIONS_PER_MEMBER = 200_000 / 2_058_000
MIN_PER_STREET = 3
HOT_SPOT_SHARE = 0.08  # of the streets: old-area demolition, four times their share
HOT_SPOT_FACTOR = 4
REPEAT_SHARE = 0.12  # of the cases: a petitioner who came before (same blind index)
CITY_OFFICE_SHARE = 0.08  # of the office's cases: registered by the city's office
BUS_SHARE = 0.01  # of the cases: bus complaints, registered by the city's office
AGENCY_SHARE = 0.25  # registered by the street committee itself
STALLED_SHARE = 0.05  # cases that stall (the overdue list and the bell's escalation)
REJECTED_SHARE = 0.04  # not accepted, with the reason
CHUNK = 5_000

# Satisfaction: tokens per unit and survey; the share of the first survey's tokens answered.
TOKENS_PER_UNIT = {"tiny": 12, "demo": 40, "city": 200}
ANSWERED_SHARE = 0.65
OPEN_ANSWERED_SHARE = 0.3
COMMENT_SHARE = 0.2
LOW_UNIT_SHARE = 0.15  # units whose passengers are less than 60 % satisfied (需补课)

# Rectification: the share of petitions on local problems raised as items, of the needs on
# housing or the neighbourhood, and the units whose standing arrangement is kept.
ITEM_PETITION_SHARE = 0.015
ITEM_NEED_SHARE = 0.08
ARRANGEMENT_SHARE = 0.4
LOCAL_CATEGORIES = (Category.LAND, Category.HOUSING, Category.ENVIRONMENT, Category.CIVIL)
RESIDENTIAL_SHARE = 0.6  # of the local matters routed by a petition office
RESIDENTIAL_PER_STREET = 40  # the residential branches that take petitions, in path order

CHANNELS = ((Channel.LETTER, 45), (Channel.VISIT, 32), (Channel.PHONE, 15), (Channel.WEB, 8))
CATEGORY_WEIGHTS = (
    (Category.HOUSING, 26),
    (Category.LAND, 16),
    (Category.LABOUR, 17),
    (Category.ENVIRONMENT, 13),
    (Category.CIVIL, 12),
    (Category.SECURITY, 7),
    (Category.CONDUCT, 5),
    (Category.OTHER, 4),
)
SUBJECTS: dict[str, tuple[tuple[str, str], ...]] = {
    Category.HOUSING: (
        (
            "旧区改造动迁安置补偿不合理",
            "反映所住旧式里弄列入旧区改造，动迁补偿按面积计算，家中三代同住，安置房面积不够，要求重新核定。",
        ),
        (
            "动迁过渡费未按时发放",
            "反映动迁后在外租房过渡，过渡费已拖欠三个月，要求动迁公司按协议发放。",
        ),
        (
            "售后公房屋顶漏水物业不予维修",
            "反映顶楼住房雨天漏水，多次报修物业称需动用维修基金，至今未修。",
        ),
        (
            "公房租赁户名变更纠纷",
            "反映父母去世后公房承租人变更，兄弟姐妹意见不一，要求房管所依政策处理。",
        ),
    ),
    Category.LAND: (
        (
            "小区违章搭建影响采光通风",
            "反映底楼住户在天井和绿地上违章搭建，影响楼上住户采光通风和消防通道，要求拆除。",
        ),
        (
            "小区绿地被改建为停车场",
            "反映小区中心绿地被物业改建为收费停车场，未征求业主意见，要求恢复绿化。",
        ),
        ("道路施工夜间作业扰民", "反映附近道路改造工程夜间施工至凌晨，噪音影响老人孩子休息。"),
        ("征地补偿标准有异议", "反映承包地被征用，补偿标准低于周边，镇村未公开补偿明细。"),
    ),
    Category.LABOUR: (
        (
            "企业拖欠工资",
            "反映所在企业已连续两个月未发工资，向老板讨要无果，要求劳动部门督促支付。",
        ),
        ("下岗职工社会保险接续", "反映企业改制下岗后社会保险中断，不清楚如何续缴，要求帮助办理。"),
        ("退休金核定有误", "反映办理退休时工龄计算少了三年，影响退休金，要求重新核定。"),
        ("工伤认定久拖未决", "反映在工地受伤已半年，单位不配合工伤认定，要求督办。"),
    ),
    Category.ENVIRONMENT: (
        (
            "饮食店油烟噪音扰民",
            "反映楼下新开饮食店排油烟管道直对居民窗户，营业到深夜，油烟噪音严重。",
        ),
        ("河道黑臭影响居民生活", "反映小区旁河道常年黑臭，夏天蚊蝇多，要求整治。"),
        ("垃圾箱房清运不及时", "反映弄堂垃圾箱房清运不及时，异味大，要求增加清运次数。"),
        ("工厂废气污染", "反映附近工厂夜间排放刺激性气味废气，居民不敢开窗。"),
    ),
    Category.CIVIL: (
        (
            "低保申请未获批准",
            "反映家庭收入低于最低生活保障标准，申请低保未获批准，对审核结果有异议。",
        ),
        ("老年活动室被挪作他用", "反映居委会老年活动室被出租作仓库，老人无处活动。"),
        ("独居老人无人照料", "反映邻居独居老人行动不便，子女不在身边，希望社区安排照料。"),
        ("残疾人补助未发放", "反映残疾人生活补助今年未按时发放。"),
    ),
    Category.SECURITY: (
        ("小区盗窃案件频发", "反映近期小区连续发生入室盗窃，要求加强巡逻和技防设施。"),
        ("群租房安全隐患", "反映隔壁住房被分隔出租给十余人居住，私拉电线，存在火灾隐患。"),
        ("邻里纠纷处理不公", "反映与邻居因漏水发生纠纷，认为派出所调解不公。"),
    ),
    Category.CONDUCT: (
        ("居委会干部工作作风粗暴", "反映到居委会办事时工作人员态度生硬，推诿不办。"),
        ("村务账目不公开", "反映村里集体资产出租收入多年未公开，要求审计。"),
        ("街道窗口办事推诿", "反映在社区事务受理中心办理手续，往返多次仍未办成。"),
    ),
    Category.OTHER: (
        ("有线电视收费不合理", "反映有线电视数字化改造后收费上涨，未经听证。"),
        ("邮件投递不及时", "反映小区信件投递经常延误。"),
    ),
}
BUS_SUBJECTS = (
    (
        "公交线路调整后居民出行不便",
        "反映公交线路调整后小区附近取消站点，老人到医院要换乘两次，要求恢复原线路。",
    ),
    ("公交车到站不停", "反映早高峰公交车经常到站不停，驾驶员态度生硬。"),
)
REPLIES: dict[str, tuple[str, ...]] = {
    "default": (
        "经调查核实，已责成有关部门限期解决，并将处理情况告知信访人。",
        "经协调，相关单位已按政策予以解决，信访人对处理情况表示理解。",
        "经调查，信访人反映的情况部分属实，已督促整改；不符合政策的部分已作解释。",
        "经街道牵头召开协调会，明确责任和时限，问题已基本解决。",
    ),
}
EXTENSION_REASONS = (
    "涉及多个部门，需协调后统一答复",
    "需委托专业机构检测鉴定",
    "涉及动迁政策口径，需报区有关部门研究",
)
REJECT_REASONS = (
    "该事项已进入诉讼程序，应通过司法途径解决",
    "该事项不属于本机关职权范围，已告知信访人向有权处理的机关提出",
)
TRANSFER_REASONS = (
    "问题发生地属邻近街道辖区",
    "涉及多个街道，由区里统筹协调",
)
REVIEW_REASONS = ("信访人对处理意见不服，申请复查", "信访人认为补偿标准仍然偏低，申请复查")
DECISION_REASONS = ("维持原处理意见", "部分变更原处理意见，责成原办理单位补充处理")
REOPEN_REASON = "信访人对答复不满意，重新办理"


@dataclass(frozen=True)
class Plan:
    """How far a case goes and how: the steps taken (if the demo's day allows), on time or not."""

    stop: str = State.CLOSED  # the last state it reaches (if time allows)
    reject: bool = False
    extend: bool = False
    transfer: bool = False
    review: bool = False
    re_review: bool = False
    reopen: bool = False
    late: bool = False
    satisfaction: str = Satisfaction.SATISFIED
    joint: bool = False  # a joint visit of five or more people
    repeat: bool = False  # by a petitioner who came before


# Every state present even in the tiny world: the first cases take these plans, received early
# in the window (the stalled ones are overdue on the demo's day).
FORCED: tuple[Plan, ...] = (
    Plan(stop=State.REGISTERED),
    Plan(stop=State.ROUTED),
    Plan(stop=State.ACCEPTED),
    Plan(stop=State.EXTENDED, extend=True),
    Plan(stop=State.NOT_ACCEPTED, reject=True),
    Plan(stop=State.CLOSED, reject=True, satisfaction=Satisfaction.BASICALLY),
    Plan(stop=State.REPLIED),
    Plan(stop=State.IN_REVIEW, review=True),
    Plan(stop=State.REVIEWED, review=True),
    Plan(stop=State.IN_RE_REVIEW, review=True, re_review=True),
    Plan(
        stop=State.CLOSED,
        review=True,
        re_review=True,
        satisfaction=Satisfaction.NOT_SATISFIED,
    ),
    Plan(stop=State.CLOSED, extend=True, joint=True),
    Plan(stop=State.CLOSED, transfer=True, satisfaction=Satisfaction.BASICALLY, repeat=True),
    Plan(stop=State.CLOSED, late=True, satisfaction=Satisfaction.NOT_SATISFIED),
    Plan(stop=State.ACCEPTED, reopen=True, satisfaction=Satisfaction.NOT_SATISFIED),
)


def last_day() -> dt.date:
    """The last day a record may carry: the site's today, at most the demo's day."""
    return min(DEMO_DAY, clock.today())


def is_built() -> bool:
    """Whether voice data is already there (the part refuses to run twice)."""
    return (
        Petition.objects.exists()
        or SatisfactionSurvey.objects.exists()
        or RectificationItem.objects.exists()
    )


def _weighted(rng: random.Random, pairs: Iterable[tuple[Any, int]]) -> Any:
    items = list(pairs)
    return rng.choices([v for v, _w in items], [w for _v, w in items])[0]


_TZ = timezone.get_default_timezone()


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment of office hours on ``day`` (Shanghai time)."""
    return dt.datetime.combine(
        day, dt.time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=_TZ
    )


# A step of a case as written (action, from state, to state, on, reason, by whom, at): a tuple,
# not a model, since there are some 750,000 at city scale (see ``_write_events``).
_Event = tuple[str, str, str, dt.date, str, str, dt.datetime]
EVENT_COLUMNS = (
    "petition_id", "action", "from_state", "to_state", "on", "reason", "actor_repr", "at",
)  # fmt: skip


def _reserve_ids(model: Any, n: int) -> list[int]:
    """``n`` ids for new rows of ``model``, taken from its sequence on PostgreSQL (so rows
    inserted later do not collide), after the largest one elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, n],
            )
            return [row[0] for row in cursor.fetchall()]
    start = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    return list(range(start, start + n))


def _insert(model: Any, objs: list[Any]) -> None:
    """Rows whose ids are set: with ``COPY`` on PostgreSQL, each value prepared by its field
    as ``bulk_create`` does (the encrypted fields encrypt), else with ``bulk_create``."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=CHUNK)
        return
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            )


def _write_events(rows: list[tuple[int, *_Event]]) -> None:
    """The cases' steps: on PostgreSQL with ``COPY`` (the bulk of the city's rows; building a
    model per row for ``bulk_create`` took a third of the city's time), elsewhere with
    ``bulk_create``."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
        table = connection.ops.quote_name(PetitionEvent._meta.db_table)
        sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    PetitionEvent.objects.bulk_create(
        (
            PetitionEvent(
                petition_id=pk,
                action=a,
                from_state=f,
                to_state=t,
                on=on,
                reason=r,
                actor_repr=by,
                at=at,
            )
            for pk, a, f, t, on, r, by, at in rows
        ),
        batch_size=CHUNK,
    )


@dataclass
class _StreetOrg:
    org: Organization
    street: Street
    district: Organization
    members: int = 0
    residential: list[Organization] = field(default_factory=list)


@dataclass
class _Petitioner:
    name: str
    id_number: str
    id_index: str
    id_masked: str
    phone: str
    phone_index: str
    phone_masked: str


@dataclass
class _Case:
    obj: Petition
    events: list[_Event]
    transfers: list[PetitionTransfer]
    raised: _Raised | None = None


@dataclass
class _Raised:
    """A petition that may become a rectification item's source."""

    pk: int
    org_id: int
    org_path: str
    street_id: str | None
    category: str
    subject: str
    content: str
    ready_on: dt.date  # the day it was accepted (or registered by the handling body)


class VoiceBuilder:
    def __init__(self, scale: str, seed: int, progress: Progress) -> None:
        self.scale = scale
        self.rng = random.Random(seed * 977 + 21)
        self.route_rng = random.Random(seed * 977 + 22)
        self.names = NameMaker(self.rng)
        self.progress = progress
        self.end = last_day()
        self.counts: dict[str, int] = defaultdict(int)
        self.used_ids: set[str] = set()
        self.raised: list[_Raised] = []

    # ----- the tree ----------------------------------------------------------------------------
    def load(self) -> None:
        orgs = Organization.objects.filter(abolished_on__isnull=True)
        self.city = orgs.filter(depth=1).order_by("path").first()
        self.districts = {
            o.path: o for o in orgs.filter(org_type=OrgType.DISTRICT_COMMITTEE).order_by("path")
        }
        streets = {s.pk: s for s in Street.objects.select_related("district")}
        self.streets: list[_StreetOrg] = []
        by_path: dict[str, _StreetOrg] = {}
        for o in orgs.filter(
            org_type__in=(OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE),
            street__isnull=False,
        ).order_by("path"):
            district = self.districts.get(tree.district_path(o.path))
            if district is None:
                continue
            s = _StreetOrg(o, streets[o.street_id], district)
            self.streets.append(s)
            by_path[o.path] = s
        for o in orgs.filter(
            org_type=OrgType.BRANCH, sector__in=(Sector.STREET_COMMUNITY, Sector.TOWN)
        ).order_by("path"):
            home = by_path.get(o.path[: tree.STEP * 3])
            if home is not None and len(home.residential) < RESIDENTIAL_PER_STREET:
                home.residential.append(o)
        length = tree.STEP * 3
        for prefix, n in (
            Member.objects.on_roll()
            .annotate(street_path=Substr("home_path", 1, length))
            .values_list("street_path")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("street_path", "n")
        ):
            if prefix in by_path:
                by_path[prefix].members += n
        self.bus = (
            orgs.filter(sector=Sector.TRANSPORT, org_type=OrgType.PRIMARY_COMMITTEE)
            .order_by("path")
            .first()
        )
        self.transport = (
            orgs.filter(sector=Sector.TRANSPORT, org_type=OrgType.SECTOR_COMMITTEE)
            .order_by("path")
            .first()
        )
        self.names_by_path = dict(orgs.filter(depth__lte=3).values_list("path", "name"))

    # ----- petitioners -------------------------------------------------------------------------
    def petitioner(self, district_code: str) -> _Petitioner:
        rng = self.rng
        sex = "M" if rng.random() < 0.55 else "F"
        birth_year = rng.randint(1930, 1980)
        name = self.names.full(sex, birth_year)
        number = ""
        if rng.random() < 0.8:
            birth = dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
            area = district_code if rng.random() < 0.9 else rng.choice(("320102", "330106"))
            for _attempt in range(50):
                number = make_id_number(area, birth, rng.randint(0, 499), sex)
                if number not in self.used_ids:
                    break
            self.used_ids.add(number)
        phone = ""
        roll = rng.random()
        if roll < 0.5:
            phone = f"+8613{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        elif roll < 0.85:
            phone = f"+8621{rng.choice('5634')}{rng.randint(0, 9999999):07d}"
        return _Petitioner(
            name=name,
            id_number=number,
            id_index=blind_index(number, purpose=ID_PURPOSE) if number else "",
            id_masked=mask_id_number(number) if number else "",
            phone=phone,
            phone_index=blind_index(phone, purpose=PHONE_PURPOSE) if phone else "",
            phone_masked=mask_phone(phone),
        )

    # ----- plans -------------------------------------------------------------------------------
    def plan(self) -> Plan:
        rng = self.rng
        roll = rng.random()
        satisfaction = _weighted(
            rng,
            (
                (Satisfaction.SATISFIED, 66),
                (Satisfaction.BASICALLY, 24),
                (Satisfaction.NOT_SATISFIED, 10),
            ),
        )
        if roll < STALLED_SHARE:  # stalled: open past its deadline on the demo's day
            stop = _weighted(
                rng,
                ((State.REGISTERED, 15), (State.ROUTED, 25), (State.ACCEPTED, 45)),
            )
            return Plan(stop=stop)
        if roll < STALLED_SHARE + REJECTED_SHARE:
            return Plan(reject=True, satisfaction=Satisfaction.BASICALLY)
        review = rng.random() < 0.05
        return Plan(
            stop=State.CLOSED,
            extend=rng.random() < 0.1,
            transfer=rng.random() < 0.03,
            review=review,
            re_review=review and rng.random() < 0.3,
            reopen=satisfaction == Satisfaction.NOT_SATISFIED and rng.random() < 0.3,
            late=rng.random() < 0.06,
            satisfaction=Satisfaction.NOT_SATISFIED if review else satisfaction,
        )

    # ----- one case ----------------------------------------------------------------------------
    def case(
        self,
        st: _StreetOrg,
        who: _Petitioner,
        received_on: dt.date,
        plan: Plan,
        *,
        city_office: bool = False,
        bus: bool = False,
        forced: bool = False,
    ) -> _Case:
        rng = self.rng
        end = self.end
        city = self.city or st.district
        version = prules.version_on(received_on)
        agency = not (city_office or bus or forced) and rng.random() < AGENCY_SHARE
        raised: list[_Raised] = []
        body = Body.AGENCY if agency else Body.OFFICE
        if agency:
            intake = st.org
        elif city_office or bus:
            intake = city
        else:
            intake = st.district
        if bus:
            category = Category.OTHER
            subject, content = rng.choice(BUS_SUBJECTS)
            target = self.bus or st.org
        else:
            category = _weighted(rng, CATEGORY_WEIGHTS)
            subject, content = rng.choice(SUBJECTS[category])
            target = st.org
            # a neighbourhood matter goes on to the residential area's branch, as the street
            # hands it to the 居委会 (the units appraised carry their petitions, issue 21 item 4)
            # (its own random stream: the cases' dates stay those of the other streams)
            pick = self.route_rng
            if (
                st.residential
                and category in LOCAL_CATEGORIES
                and pick.random() < RESIDENTIAL_SHARE
            ):
                target = pick.choice(st.residential)
        channel = (
            _weighted(rng, ((Channel.VISIT, 55), (Channel.PHONE, 35), (Channel.LETTER, 10)))
            if agency
            else _weighted(rng, CHANNELS)
        )
        people = 1
        if plan.joint:
            channel, people = Channel.VISIT, rng.randint(prules.JOINT_VISIT_PEOPLE, 40)
        elif channel == Channel.VISIT:
            roll = rng.random()
            if roll < 0.07:
                people = rng.randint(prules.JOINT_VISIT_PEOPLE, 40)
            elif roll < 0.2:
                people = rng.randint(2, 4)
        if people >= prules.JOINT_VISIT_PEOPLE:
            content = f"{content}（居民{people}人集体来访）"
        p = Petition(
            channel=channel,
            received_on=received_on,
            version=version,
            body=body,
            petitioner_name=who.name,
            id_number=who.id_number,
            id_number_index=who.id_index,
            id_number_masked=who.id_masked,
            phone=who.phone,
            phone_index=who.phone_index,
            phone_masked=who.phone_masked,
            subject=subject,
            content=content,
            category=category,
            street=st.street,
            people=people,
            joint=people >= prules.JOINT_VISIT_PEOPLE,
            intake_org=intake,
            intake_path=intake.path,
            state=State.REGISTERED,
            registered_by=None,
            registered_at=_moment(received_on, rng),
        )
        events: list[_Event] = []
        transfers: list[PetitionTransfer] = []

        def place(org: Organization) -> None:
            p.org, p.org_path, p.org_depth = org, org.path, tree.depth(org.path)

        def step(action: str, on: dt.date, reason: str, by: str, to: str | None = None) -> None:
            before = p.state if action != "register" else ""
            if to is not None:
                p.state = to
            events.append((action, before, p.state, on, reason[:500], by[:150], _moment(on, rng)))

        def due(s: str, start: dt.date) -> dt.date:
            return prules.due(version, body, s, start)

        def within(start: dt.date, last: dt.date, late: bool = False) -> dt.date:
            """A day after ``start``, by ``last`` (the deadline) or a little after it."""
            if late:
                return last + dt.timedelta(days=rng.randint(1, 20))
            span = max(1, (last - start).days)
            return start + dt.timedelta(days=rng.randint(1, span))

        def finish() -> _Case:
            refresh_due(p)
            return _Case(p, events, transfers, raised[0] if raised else None)

        step("register", received_on, CHANNEL_LABELS[channel], intake.name, State.REGISTERED)
        if plan.stop == State.REGISTERED:
            return finish()
        if agency:
            place(st.org)
            handler_start = received_on
        else:
            on = within(received_on, due(PStep.ROUTE, received_on), rng.random() < 0.03)
            if on > end:
                return finish()
            place(target)
            p.routed_on = on
            step(PetitionAction.ROUTE, on, target.name, intake.name, State.ROUTED)
            handler_start = on
            if plan.stop == State.ROUTED:
                return finish()
        handler = p.org or st.org
        accept_due = due(PStep.ACCEPT, handler_start)
        on = within(handler_start, accept_due, rng.random() < 0.02)
        if on > end:
            return finish()
        if plan.reject:
            p.on_time = on <= accept_due
            reason = rng.choice(REJECT_REASONS)
            step(PetitionAction.REJECT, on, reason, handler.name, State.NOT_ACCEPTED)
            if plan.stop == State.NOT_ACCEPTED:
                return finish()
            return self.close(p, step, on, plan.satisfaction, handler.name, finish)
        p.accepted_on = on
        step(PetitionAction.ACCEPT, on, "", handler.name, State.ACCEPTED)
        if category in LOCAL_CATEGORIES:  # its id and unit filled in once saved
            raised.append(_Raised(0, 0, "", st.street.pk, category, subject, content, on))
        if plan.transfer and not bus:
            on = min(end, on + dt.timedelta(days=rng.randint(1, 5)))
            siblings = [s.org for s in self.streets if s.district is st.district and s is not st]
            to_org = rng.choice(siblings) if siblings and rng.random() < 0.5 else st.district
            reason = rng.choice(TRANSFER_REASONS)
            transfers.append(
                PetitionTransfer(from_org=handler, to_org=to_org, reason=reason, on=on, by=None)
            )
            place(to_org)
            p.transferred_on = on
            step(PetitionAction.TRANSFER, on, reason, handler.name)
            handler = to_org
        if plan.stop == State.ACCEPTED and not plan.reopen:
            return finish()
        handle_due = due(PStep.HANDLE, p.accepted_on)
        if plan.extend:
            on = within(on, handle_due - dt.timedelta(days=1))
            if on > end:
                return finish()
            days = rng.choice((15, 20, 30))
            prules.check_extension(version, body, days, p.extended_days)
            p.extended_days = days
            p.extension_reason = rng.choice(EXTENSION_REASONS)
            step(PetitionAction.EXTEND, on, p.extension_reason, handler.name, State.EXTENDED)
            handle_due = due(PStep.HANDLE, p.accepted_on) + dt.timedelta(days=days)
            if plan.stop == State.EXTENDED:
                return finish()
        return self.reply_and_after(p, plan, step, on, handle_due, handler, due, within, finish)

    def reply_and_after(
        self,
        p: Petition,
        plan: Plan,
        step: Callable[..., None],
        on: dt.date,
        handle_due: dt.date,
        handler: Organization,
        due: Callable[[str, dt.date], dt.date],
        within: Callable[..., dt.date],
        finish: Callable[[], _Case],
    ) -> _Case:
        rng = self.rng
        end = self.end
        reply_on = within(on, handle_due, plan.late)
        if reply_on > end:
            return finish()
        p.on_time = reply_on <= handle_due
        p.replied_on = reply_on
        p.reply = rng.choice(REPLIES["default"])
        step(PetitionAction.REPLY, reply_on, "", handler.name, State.REPLIED)
        if plan.stop == State.REPLIED:
            return finish()
        on = reply_on
        upper = self.names_by_path.get(tree.parent_path(p.org_path), handler.name)
        top = self.names_by_path.get(tree.parent_path(tree.parent_path(p.org_path)), upper)
        if plan.review:
            asked = within(on, due(PStep.REVIEW_ASK, on))
            if asked > end:
                return finish()
            p.review_asked_on = asked
            step(
                PetitionAction.REVIEW,
                asked,
                rng.choice(REVIEW_REASONS),
                p.petitioner_name,
                State.IN_REVIEW,
            )
            if plan.stop == State.IN_REVIEW:
                return finish()
            decided = within(asked, due(PStep.REVIEW_DECIDE, asked))
            if decided > end:
                return finish()
            p.review_decided_on = decided
            step(
                PetitionAction.DECIDE_REVIEW,
                decided,
                rng.choice(DECISION_REASONS),
                upper,
                State.REVIEWED,
            )
            on = decided
            if plan.stop == State.REVIEWED:
                return finish()
            if plan.re_review:
                asked = within(on, due(PStep.RE_REVIEW_ASK, on))
                if asked > end:
                    return finish()
                p.re_review_asked_on = asked
                step(
                    PetitionAction.RE_REVIEW,
                    asked,
                    "信访人对复查意见不服，申请复核",
                    p.petitioner_name,
                    State.IN_RE_REVIEW,
                )
                if plan.stop == State.IN_RE_REVIEW:
                    return finish()
                decided = within(asked, due(PStep.RE_REVIEW_DECIDE, asked))
                if decided > end:
                    return finish()
                p.re_review_decided_on = decided
                step(
                    PetitionAction.DECIDE_RE_REVIEW,
                    decided,
                    "维持复查意见，复核终结",
                    top,
                    State.RE_REVIEWED,
                )
                on = decided
        closed = self.close(p, step, on, plan.satisfaction, handler.name, finish)
        if not (
            plan.reopen
            and p.state == State.CLOSED
            and p.satisfaction == Satisfaction.NOT_SATISFIED
            and not p.is_final
        ):
            return closed
        # reopened: handled again, its 60 days counted from the reopening
        on = (p.closed_on or end) + dt.timedelta(days=rng.randint(2, 10))
        if on > end:
            return finish()
        p.accepted_on = on
        p.extended_days = 0
        p.extension_reason = ""
        p.replied_on = p.review_asked_on = p.review_decided_on = p.re_review_asked_on = None
        p.closed_on = None
        p.satisfaction = ""
        p.on_time = None
        step(PetitionAction.REOPEN, on, REOPEN_REASON, handler.name, State.ACCEPTED)
        if plan.stop == State.ACCEPTED:
            return finish()
        again = Plan(stop=State.CLOSED, satisfaction=Satisfaction.BASICALLY)
        return self.reply_and_after(
            p, again, step, on, due(PStep.HANDLE, on), handler, due, within, finish
        )

    def close(
        self,
        p: Petition,
        step: Callable[..., None],
        on: dt.date,
        satisfaction: str,
        by: str,
        finish: Callable[[], _Case],
    ) -> _Case:
        closed_on = on + dt.timedelta(days=self.rng.randint(2, 15))
        if closed_on > self.end:
            return finish()
        p.satisfaction = satisfaction
        p.closed_on = closed_on
        step(PetitionAction.CLOSE, closed_on, SATISFACTION_LABELS[satisfaction], by, State.CLOSED)
        return finish()

    # ----- all petitions -----------------------------------------------------------------------
    def received(self, early: bool = False) -> dt.date:
        """A day of the window; more after the second batch's launch (the campaign invites the
        public's opinions); ``early`` within its first five weeks."""
        rng = self.rng
        if early:
            return WINDOW_START + dt.timedelta(days=rng.randint(0, 35))
        if rng.random() < 0.35 and self.end > SECOND_BATCH_LAUNCH:
            lo = SECOND_BATCH_LAUNCH
        else:
            lo = WINDOW_START
        return lo + dt.timedelta(days=rng.randint(0, (self.end - lo).days))

    def petitions(self) -> None:
        rng = self.rng
        if not self.streets or self.city is None or self.end < WINDOW_START:
            return
        weights = []
        for st in self.streets:
            w = rng.lognormvariate(0, 0.4)
            if rng.random() < HOT_SPOT_SHARE or st.street.name == "田林街道":
                w *= HOT_SPOT_FACTOR
            weights.append(w)
        mean = sum(weights) / len(weights)
        plan_counts = [
            max(MIN_PER_STREET, round(st.members * PETITIONS_PER_MEMBER * w / mean))
            for st, w in zip(self.streets, weights, strict=True)
        ]
        total = sum(plan_counts)
        # (street index, forced plan or None), in street order, forced plans dealt out first
        work: list[tuple[int, Plan | None]] = []
        forced = list(FORCED)
        order = list(range(len(self.streets)))
        for i in order:
            work.extend((i, None) for _ in range(plan_counts[i]))
        while len(work) < len(forced):
            work.append((0, None))
        for k, forced_plan in enumerate(forced):
            at = (k * len(work)) // len(forced)
            work[at] = (work[at][0], forced_plan)
        pools: dict[str, list[_Petitioner]] = defaultdict(list)
        batch: list[_Case] = []
        done = 0
        for i, plan in work:
            st = self.streets[i]
            pool = pools[st.district.path] or [p for ps in pools.values() for p in ps]
            if plan is not None and plan.repeat and any(p.id_index for p in pool):
                who = rng.choice([p for p in pool if p.id_index])
            elif pool and rng.random() < REPEAT_SHARE:
                who = rng.choice(pool)
            else:
                who = self.petitioner(st.district.code)
                pools[st.district.path].append(who)
            roll = rng.random()
            bus = self.bus is not None and roll < BUS_SHARE
            city_office = not bus and roll < CITY_OFFICE_SHARE
            if plan is not None:
                batch.append(self.case(st, who, self.received(early=True), plan, forced=True))
            else:
                batch.append(
                    self.case(
                        st, who, self.received(), self.plan(), city_office=city_office, bus=bus
                    )
                )
            if len(batch) >= CHUNK:
                done += self.flush(batch)
                batch = []
                self.progress("petitions", done, total)
        done += self.flush(batch)
        self.progress("petitions", done, total)

    def flush(self, batch: list[_Case]) -> int:
        if not batch:
            return 0
        # ids taken up front, so that each case is written with its office's number,
        # XF<year><id> as ``petition_register`` gives it
        for pk, c in zip(_reserve_ids(Petition, len(batch)), batch, strict=True):
            c.obj.pk = pk
            c.obj.number = f"XF{c.obj.received_on.year}{pk:07d}"
        _insert(Petition, [c.obj for c in batch])
        events: list[tuple[int, *_Event]] = []
        transfers = []
        for c in batch:
            if c.raised is not None:
                c.raised.pk, c.raised.org_id = c.obj.pk, c.obj.org_id or c.obj.intake_org_id
                c.raised.org_path = c.obj.org_path or c.obj.intake_path
                self.raised.append(c.raised)
            events.extend((c.obj.pk, *e) for e in c.events)
            for t in c.transfers:
                t.petition = c.obj
                transfers.append(t)
        _write_events(events)
        PetitionTransfer.objects.bulk_create(transfers, batch_size=CHUNK)
        self.counts["petitions"] += len(batch)
        self.counts["petition events"] += len(events)
        self.counts["petition transfers"] += len(transfers)
        return len(batch)

    # ----- satisfaction ------------------------------------------------------------------------
    def satisfaction(self) -> None:
        rng = self.rng
        owner = self.transport
        if owner is None:
            return
        units = list(
            Organization.objects.filter(
                path__startswith=owner.path, depth__gt=owner.depth, abolished_on__isnull=True
            ).order_by("path")
        )
        if not units:
            return
        per_unit = TOKENS_PER_UNIT[self.scale]
        # each unit's passengers: most satisfied, some below the 60 % line (至少一个)
        low = {u.pk for u in units if rng.random() < LOW_UNIT_SHARE}
        if not low:
            low.add(units[min(1, len(units) - 1)].pk)
        first_open, first_close = dt.date(2005, 7, 18), dt.date(2005, 8, 19)
        second_open, second_close = dt.date(2005, 9, 5), dt.date(2005, 9, 30)
        plans = [
            ("第一次", first_open, first_close, ANSWERED_SHARE),
            ("第二次·整改后", second_open, second_close, OPEN_ANSWERED_SHARE),
        ]
        for label, opens_on, closes_on, share in plans:
            if opens_on > self.end:
                continue
            state = SurveyState.CLOSED if closes_on < self.end else SurveyState.OPEN
            survey = SatisfactionSurvey(
                owner=owner,
                path=owner.path,
                title=f"交运集团2005年乘客满意度测评（{label}）",
                intro="请您对本线路、本车组党员职工的服务作出评价。测评不记名，每张测评码只能提交一次。",
                opens_on=opens_on,
                closes_on=closes_on,
                state=state,
                public_key=f"{rng.getrandbits(96):024x}",
                created_by=None,
                created_at=_moment(opens_on - dt.timedelta(days=7), rng),
            )
            survey.save()
            questions = Question.objects.bulk_create(
                [
                    Question(
                        survey=survey,
                        position=1,
                        kind=QuestionKind.RATING,
                        text="您对本单位党员职工服务的总体评价",
                    ),
                    Question(
                        survey=survey,
                        position=2,
                        kind=QuestionKind.RATING,
                        text="驾驶员、乘务员的服务态度",
                    ),
                    Question(
                        survey=survey,
                        position=3,
                        kind=QuestionKind.CHOICE,
                        text="您最常乘坐的是",
                        choices=["市区公交", "郊区公交", "出租汽车", "其他"],
                    ),
                    Question(
                        survey=survey,
                        position=4,
                        kind=QuestionKind.TEXT,
                        text="您对我们的意见和建议",
                        required=False,
                    ),
                ]
            )
            survey_units = SurveyUnit.objects.bulk_create(
                [SurveyUnit(survey=survey, org=u, path=u.path) for u in units]
            )
            self.counts["surveys"] += 1
            self.counts["survey units"] += len(survey_units)
            after = label != "第一次"
            self.answers(survey, questions, survey_units, per_unit, share, low, after)

    def answers(
        self,
        survey: SatisfactionSurvey,
        questions: list[Question],
        units: list[SurveyUnit],
        per_unit: int,
        share: float,
        low: set[int],
        after: bool,
    ) -> None:
        rng = self.rng
        headline, attitude, choice, text = questions
        last = min(survey.closes_on, self.end)
        span = (last - survey.opens_on).days
        created = _moment(survey.opens_on - dt.timedelta(days=3), rng)
        tokens: list[SurveyToken] = []
        responses: list[SurveyResponse] = []
        answers: list[tuple[int, list[Answer]]] = []
        comments: list[tuple[int, str]] = []
        for unit in units:
            # after the rectification most low units improved
            p_sat = (
                rng.uniform(0.40, 0.57)
                if unit.org_id in low and not (after and rng.random() < 0.7)
                else rng.uniform(0.72, 0.96)
            )
            # the answered tokens, and among them the satisfied share ``p_sat`` (rounded)
            answered = [rng.random() < share for _n in range(per_unit)]
            n = sum(answered)
            k = round(n * p_sat)
            verdicts = [True] * k + [False] * (n - k)
            rng.shuffle(verdicts)
            said = iter(verdicts)
            for used in answered:
                nonce = f"{rng.getrandbits(64):016x}"
                token = SurveyToken(
                    survey=survey,
                    unit=unit,
                    nonce=nonce,
                    token_hash=guard.token_hash(guard.token_for(survey.pk, nonce)),
                    created_at=created,
                )
                tokens.append(token)
                if not used:
                    continue
                at = _moment(survey.opens_on + dt.timedelta(days=rng.randint(0, span)), rng)
                token.used_at = at
                satisfied = next(said)
                level = (0 if rng.random() < 0.65 else 1) if satisfied else 2
                response = SurveyResponse(
                    survey=survey,
                    unit=unit,
                    path=unit.path,
                    channel=SurveyChannel.TOKEN,
                    overall_level=level,
                    submitted_at=at,
                )
                responses.append(response)
                second = min(2, max(0, level + rng.choice((-1, 0, 0, 1))))
                answers.append(
                    (
                        len(responses) - 1,
                        [
                            Answer(question=headline, level=level),
                            Answer(question=attitude, level=second),
                            Answer(
                                question=choice,
                                choice=_weighted(rng, ((0, 60), (1, 20), (2, 15), (3, 5))),
                            ),
                        ],
                    )
                )
                if rng.random() < (COMMENT_SHARE * (2.5 if level == 2 else 1)):
                    pool = COMPLAINTS if level == 2 else PRAISE
                    comments.append((len(responses) - 1, rng.choice(pool)))
        SurveyToken.objects.bulk_create(tokens, batch_size=CHUNK)
        by_token = iter(t for t in tokens if t.used_at is not None)
        for r in responses:
            r.token = next(by_token)
        SurveyResponse.objects.bulk_create(responses, batch_size=CHUNK)
        rows = []
        for i, given in answers:
            for a in given:
                a.response = responses[i]
                rows.append(a)
        Answer.objects.bulk_create(rows, batch_size=CHUNK)
        made = SurveyComment.objects.bulk_create(
            [
                SurveyComment(
                    survey=survey,
                    unit=responses[i].unit,
                    response=responses[i],
                    question=text,
                    path=responses[i].path,
                    text=words,
                    submitted_at=responses[i].submitted_at,
                )
                for i, words in comments
            ],
            batch_size=CHUNK,
        )
        if not after:
            self.first_comments = made
            self.low_units = [u for u in units if u.org_id in low]
        self.counts["survey tokens"] += len(tokens)
        self.counts["survey responses"] += len(responses)
        self.counts["survey comments"] += len(made)

    # ----- rectification -----------------------------------------------------------------------
    def item(
        self,
        owner: Organization,
        title: str,
        raised_on: dt.date,
        *,
        description: str = "",
        since: dt.date | None = None,
        flow: str | None = None,
    ) -> _Item:
        """An item and its history: started, completed with the notice, judged, as far as the
        demo's day lets it go (``flow`` forces an outcome: "closed", "reopened")."""
        rng = self.rng
        end = self.end
        raised_on = min(raised_on, end)
        deadline = raised_on + dt.timedelta(days=rng.choice((30, 45, 60, 90)))
        item = RectificationItem(
            owner=owner,
            path=owner.path,
            title=title[:200],
            description=description,
            since=since,
            raised_on=raised_on,
            deadline=deadline,
            measures=rng.choice(MEASURES),
            state=ItemState.OPEN,
            created_by=None,
            created_at=_moment(raised_on, rng),
        )
        item.long_running = is_long_running(since, raised_on, 0)
        out = _Item(item, [], [])

        def event(action: str, on: dt.date, to: str, note: str = "") -> None:
            out.events.append(
                RectificationEvent(
                    action=action,
                    from_state=item.state if action != "create" else "",
                    to_state=to,
                    on=on,
                    note=note[:500],
                    actor=None,
                    at=_moment(on, rng),
                )
            )
            item.state = to

        event("create", raised_on, ItemState.OPEN)
        roll = rng.random()
        if flow is None and roll < 0.12:
            return out  # just raised
        on = raised_on + dt.timedelta(days=rng.randint(1, 10))
        if on > end:
            return out
        item.started_on = on
        event("start", on, ItemState.IN_PROGRESS)
        late = flow is None and roll < 0.22
        span = (deadline - on).days
        if flow is not None:
            done = on + dt.timedelta(days=rng.randint(10, 25))
        elif late:
            done = deadline + dt.timedelta(days=rng.randint(5, 40))
        else:
            done = on + dt.timedelta(days=rng.randint(min(5, max(1, span)), max(5, span)))
        if flow is None and roll < 0.3 and done <= end:
            return out  # in progress (behind time when past its deadline)
        if done > end:
            return out
        item.result = rng.choice(RESULTS)
        item.notice_text = f"关于“{item.title[:60]}”整改结果的公示：{item.result}"
        item.noticed_on = done
        item.completed_on = done
        event("complete", done, ItemState.DONE, item.result)
        verdict_on = done + dt.timedelta(days=rng.randint(7, 10 if flow else 20))
        if verdict_on > end:
            return out
        verdict = (
            Verdict.SATISFIED
            if flow is not None
            else _weighted(
                rng, ((Verdict.SATISFIED, 70), (Verdict.BASIC, 20), (Verdict.NOT_SATISFIED, 10))
            )
        )
        item.verdict, item.verdict_on = verdict, verdict_on
        label = str(Verdict(verdict).label)
        if verdict == Verdict.NOT_SATISFIED:
            item.verdict_note = "居民认为问题没有根本解决，要求继续整改"
            item.reopened_count += 1
            event("reopen", verdict_on, ItemState.IN_PROGRESS, f"{label}：{item.verdict_note}")
            return out
        item.closed_on = verdict_on
        event("verdict", verdict_on, ItemState.CLOSED, label)
        return out

    def arrange(
        self,
        out: _Item,
        keeper_org: Organization,
        *,
        fail: bool = False,
        every: int | None = None,
        kept_up: bool = False,
    ) -> None:
        """A standing arrangement from the closing, checked every interval up to the demo's
        day (the last check sometimes not yet done); ``fail``: the latest check failed and
        reopened the item."""
        rng = self.rng
        item = out.obj
        if item.closed_on is None:
            return
        every = every or rng.choice((14, 30, 30, 60))
        arrangement = StandingArrangement(
            item=item,
            keeper_org=keeper_org,
            keeper=rng.choice(KEEPERS),
            duties=rng.choice(DUTIES),
            check_every_days=every,
            starts_on=item.closed_on,
            created_by=None,
            created_at=_moment(item.closed_on, rng),
        )
        checks = []
        on = item.closed_on + dt.timedelta(days=every)
        while on <= self.end and (fail or kept_up or rng.random() >= 0.15):
            checks.append(
                ArrangementCheck(
                    checked_on=on,
                    passed=True,
                    note=rng.choice(CHECK_NOTES),
                    by=None,
                    at=_moment(on, rng),
                )
            )
            on += dt.timedelta(days=every)
        if fail:
            if not checks:
                on = min(self.end, item.closed_on + dt.timedelta(days=rng.randint(7, every)))
                checks.append(
                    ArrangementCheck(
                        checked_on=on,
                        passed=True,
                        note=CHECK_NOTES[0],
                        by=None,
                        at=_moment(on, rng),
                    )
                )
            last = checks[-1]
            last.passed = False
            last.note = "检查发现问题反弹，原整改部位又出现同类问题"
            item.reopened_count += 1
            item.closed_on = None
            out.events.append(
                RectificationEvent(
                    action="check_failed",
                    from_state=ItemState.CLOSED,
                    to_state=ItemState.IN_PROGRESS,
                    on=last.checked_on,
                    note=last.note,
                    actor=None,
                    at=last.at,
                )
            )
            item.state = ItemState.IN_PROGRESS
        base = checks[-1].checked_on if checks else arrangement.starts_on
        arrangement.next_check_on = base + dt.timedelta(days=every)
        out.arrangement = arrangement
        out.checks = checks

    def rectification(self) -> None:
        rng = self.rng
        items: list[_Item] = []
        # from petitions on local problems, some merging two cases of one street and category
        candidates = [r for r in self.raised if r.category in LOCAL_CATEGORIES and r.pk]
        chosen = [r for r in candidates if rng.random() < ITEM_PETITION_SHARE]
        if not chosen and candidates:
            chosen = candidates[:2]
        taken = {r.pk for r in chosen}
        by_key: dict[tuple[str | None, str], list[_Raised]] = defaultdict(list)
        for r in candidates:
            if r.pk not in taken:
                by_key[(r.street_id, r.category)].append(r)
        owners = Organization.objects.in_bulk({r.org_id for r in chosen})
        for r in chosen:
            owner = owners[r.org_id]
            out = self.item(
                owner,
                r.subject,
                r.ready_on + dt.timedelta(days=rng.randint(0, 10)),
                description=r.content,
            )
            out.sources.append((SourceKind.PETITION, r.pk, ""))
            more = by_key.get((r.street_id, r.category))
            if more and rng.random() < 0.3:
                extra = more.pop()
                out.sources.append((SourceKind.PETITION, extra.pk, ""))
            items.append(out)
            if out.obj.state == ItemState.CLOSED and rng.random() < ARRANGEMENT_SHARE:
                self.arrange(out, owner)
        # from needs found at visits (housing and the neighbourhood)
        needs = list(
            VisitNeed.objects.filter(
                kind__in=(NeedKind.HOUSING, NeedKind.NEIGHBOURHOOD), raised_on__gte=WINDOW_START
            )
            .select_related("visit__org")
            .order_by("id")
        )
        for need in needs:
            if rng.random() >= ITEM_NEED_SHARE:
                continue
            out = self.item(
                need.visit.org,
                need.text,
                need.raised_on + dt.timedelta(days=rng.randint(1, 14)),
                description="党员走访中群众反映",
            )
            out.sources.append((SourceKind.VISIT_NEED, need.pk, ""))
            items.append(out)
        # from the comments of the units below the line (many comments, one item)
        complaints = defaultdict(list)
        for c in getattr(self, "first_comments", []):
            if c.text in COMPLAINTS:
                complaints[c.unit_id].append(c)
        for unit in getattr(self, "low_units", []):
            found = complaints.get(unit.pk, [])
            if not found:
                continue
            out = self.item(
                unit.org,
                "乘客满意度测评满意率低于60%，群众意见集中：" + found[0].text,
                dt.date(2005, 8, 22),
                description="\n".join(c.text for c in found[:20]),
            )
            for c in found[:12]:
                out.sources.append((SourceKind.SURVEY_COMMENT, c.pk, ""))
            items.append(out)
        # from consultation meetings: one per street committee (征求意见会)
        for st in self.streets:
            held = SECOND_BATCH_LAUNCH + dt.timedelta(days=rng.randint(14, 40))
            if held > self.end:
                continue
            title, words = rng.choice(MEETING_PROBLEMS)
            out = self.item(
                st.org, title, held + dt.timedelta(days=rng.randint(0, 5)), description=words
            )
            out.sources.append(
                (SourceKind.MEETING, None, f"{held.isoformat()}|居民代表、楼组长、驻区单位代表")
            )
            items.append(out)
            if out.obj.state == ItemState.CLOSED and rng.random() < ARRANGEMENT_SHARE:
                self.arrange(out, st.residential[0] if st.residential else st.org)
        # one failed check reopened its item (the first closed one in path order with none)
        closed = sorted(
            (i for i in items if i.obj.state == ItemState.CLOSED and i.arrangement is None),
            key=lambda i: (i.obj.path, i.obj.raised_on),
        )
        failing = closed[0] if closed else None
        owner = self.streets[0].org if self.streets else self.transport
        if failing is None and owner is not None:
            failing = self.item(owner, MEETING_PROBLEMS[0][0], dt.date(2005, 7, 12), flow="closed")
            failing.sources.append((SourceKind.OTHER, None, "街道党工委排查"))
            items.append(failing)
        if failing is not None:
            self.arrange(failing, failing.obj.owner, fail=True)
        items.append(self.tianlin())
        self.save_items(items)

    def tianlin(self) -> _Item:
        """S22: Tianlin street's ten-year illegal building, solved in the second batch and kept
        solved by a standing arrangement with its checks (the street committee when it is in
        the tree; 徐汇's committee otherwise, as in the tiny world)."""
        st = next((s for s in self.streets if s.street.name == "田林街道"), None)
        if st is not None:
            owner: Organization = st.org
            keeper_org = st.residential[0] if st.residential else st.org
        else:
            xuhui = [d for d in self.districts.values() if d.code == "310104"]
            owner = (xuhui or list(self.districts.values()))[0]
            keeper_org = owner
        out = self.item(
            owner,
            TIANLIN_TITLE,
            dt.date(2005, 7, 15),
            description=TIANLIN_DESCRIPTION,
            since=dt.date(1995, 6, 1),
            flow="closed",
        )
        item = out.obj
        item.measures = TIANLIN_MEASURES
        out.sources.append(
            (SourceKind.MEETING, None, "2005-07-12|田林新村居民代表、楼组长、街道城管科、房管所")
        )
        if st is not None:
            linked = [
                r.pk
                for r in self.raised
                if r.pk and r.street_id == st.street.pk and r.category == Category.LAND
            ][:2]
            out.sources.extend((SourceKind.PETITION, pk, "") for pk in linked)
        if item.state == ItemState.CLOSED:
            self.arrange(out, keeper_org, every=15, kept_up=True)
            if out.arrangement is not None:
                out.arrangement.keeper = "田林街道城管监察分队、田林新村居委会主任"
                out.arrangement.duties = TIANLIN_DUTIES
        out.second_batch = True
        return out

    def save_items(self, items: list[_Item]) -> None:
        used: set[tuple[str, int]] = set()
        RectificationItem.objects.bulk_create([i.obj for i in items], batch_size=CHUNK)
        events, sources, arrangements = [], [], []
        second = Campaign.objects.filter(batch=Batch.SECOND).order_by("id").first()
        first = Campaign.objects.filter(batch=Batch.FIRST).order_by("id").first()
        through = RectificationItem.campaigns.through
        batches = []
        for i in items:
            for e in i.events:
                e.item = i.obj
                events.append(e)
            for kind, pk, note in i.sources:
                if pk is not None:
                    if (kind, pk) in used:
                        continue
                    used.add((kind, pk))
                source = RectificationSource(
                    item=i.obj, kind=kind, added_by=None, added_at=i.obj.created_at
                )
                if kind == SourceKind.PETITION:
                    source.petition_id = pk
                elif kind == SourceKind.VISIT_NEED:
                    source.need_id = pk
                elif kind == SourceKind.SURVEY_COMMENT:
                    source.comment_id = pk
                elif kind == SourceKind.MEETING:
                    held, who = note.split("|", 1)
                    source.held_on, source.participants = dt.date.fromisoformat(held), who
                else:
                    source.note = note
                sources.append(source)
            if i.arrangement is not None:
                i.arrangement.item = i.obj
                arrangements.append(i)
            if second is not None and i.obj.raised_on >= SECOND_BATCH_LAUNCH:
                batches.append(through(rectificationitem_id=i.obj.pk, campaign_id=second.pk))
            if i.second_batch and first is not None:
                # S22: worked in both batches (the first batch's pilot raised it)
                batches.append(through(rectificationitem_id=i.obj.pk, campaign_id=first.pk))
        RectificationEvent.objects.bulk_create(events, batch_size=CHUNK)
        RectificationSource.objects.bulk_create(sources, batch_size=CHUNK)
        through.objects.bulk_create(batches, batch_size=CHUNK)
        StandingArrangement.objects.bulk_create(
            [i.arrangement for i in arrangements if i.arrangement], batch_size=CHUNK
        )
        checks = []
        for i in arrangements:
            for c in i.checks:
                if i.arrangement is not None:
                    c.arrangement = i.arrangement
                    checks.append(c)
        ArrangementCheck.objects.bulk_create(checks, batch_size=CHUNK)
        self.counts["rectification items"] += len(items)
        self.counts["rectification sources"] += len(sources)
        self.counts["standing arrangements"] += len(arrangements)
        self.counts["arrangement checks"] += len(checks)

    # ----- the whole ---------------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        self.load()
        self.petitions()
        self.satisfaction()
        self.rectification()
        return dict(self.counts)


@dataclass
class _Item:
    obj: RectificationItem
    events: list[RectificationEvent]
    sources: list[tuple[str, int | None, str]]
    arrangement: StandingArrangement | None = None
    checks: list[ArrangementCheck] = field(default_factory=list)
    second_batch: bool = False


MEASURES = (
    "街道牵头，召集房管所、城管、居委会现场办公，明确责任人和完成时限",
    "制定整改方案，张榜公布，接受居民监督",
    "落实专项经费，由物业公司负责实施，居委会跟踪督促",
)
RESULTS = (
    "已按方案完成整改，经居民代表现场验收",
    "问题已解决，相关设施恢复正常使用",
    "已拆除违章部分并恢复原状，建立巡查制度",
)
KEEPERS = ("居委会主任", "街道城管科科长", "物业管理处经理", "居民区党支部书记")
DUTIES = (
    "每月巡查一次，发现反弹24小时内处置，巡查记录报街道备案",
    "每季度召开一次居民代表评议会，听取意见，问题即知即改",
)
CHECK_NOTES = ("现场检查，未发现反弹", "居民代表参加检查，对整改效果满意")
COMPLAINTS = (
    "早高峰车辆间隔太长，等车要半个多小时",
    "驾驶员到站不停，老人上车还没坐稳就起步",
    "车厢卫生差，空调车夏天不开空调",
    "出租车司机拒载短途乘客",
    "报站不清楚，外地乘客容易坐过站",
)
PRAISE = (
    "党员驾驶员服务热情，主动搀扶老人上下车",
    "线路调整后换乘方便多了",
    "车厢干净，服务态度好",
)
MEETING_PROBLEMS = (
    ("居民区楼道堆物占道，存在消防隐患", "征求意见会上居民反映多幢楼道堆放杂物，消防通道不畅。"),
    ("弄堂路灯损坏，夜间出行不安全", "居民代表反映弄堂内多盏路灯损坏多时，老人夜间出行不便。"),
    ("小区雨后积水严重", "居民反映每逢大雨小区主干道积水没过脚踝，底楼进水。"),
    ("菜场周边占道经营，交通拥堵", "居民反映菜场周边摊贩占道经营，早晚交通拥堵、环境脏乱。"),
)
TIANLIN_TITLE = "田林新村违章搭建十年未解决"
TIANLIN_DESCRIPTION = (
    "田林新村部分底楼住户自1995年起陆续在天井、绿地上违章搭建，影响采光通风和消防通道，"
    "居民多年反映、多次信访，问题一直没有解决。先进性教育活动中列为群众满意工程重点整改项目。"
)
TIANLIN_MEASURES = (
    "街道党工委牵头，城管、房管、居委会和党员志愿者逐户做工作，制定拆除方案；"
    "党员住户带头拆除，对困难家庭帮助安置杂物；拆除后恢复绿化。"
)
TIANLIN_DUTIES = (
    "城管监察分队每半月巡查一次，居委会楼组长每日巡查，发现新的违章搭建24小时内制止、"
    "及时拆除；巡查记录报街道党工委备案。"
)


@transaction.atomic
def build_voice(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """Petitions, satisfaction surveys and rectification items, in one transaction; refuses to
    run when voice data is already there. Returns what it made, by kind."""
    if is_built():
        raise RuntimeError("voice data already exists (petitions, surveys or items)")
    builder = VoiceBuilder(scale, seed, progress or (lambda *_: None))
    counts = builder.build()
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id="voice",
        object_repr=f"scenario voice {scale} seed {seed}",
        org_path=root.first() or "",
        note=", ".join(f"{n} {what}" for what, n in counts.items()),
    )
    return counts
