"""Demo outreach data (issue 20 item 3): the needy-people registry of every street and town (S26)
and a year of the branches' visits to them (S19), read as of the demo's day.

**How many needy people.** S26: the city paired about 87,000 needy people with its branches. The
city scale holds some 2,058,000 members in the trees of its 216 streets and towns (110
residential and 230 two-new branches of 16–40 members each), so a street registers
``NEEDY_PER_MEMBER`` (87,000 / 2,058,000 ≈ 4.23 %) of its members' number, at least
``MIN_PER_STREET``: about 87,000 at city scale, 1,135 at demo scale (the floor of five carries
most of its small streets) and 30 in the tiny world, plus the duplicates below. At city scale
that is about one needy person per branch of the street, S26's "each grassroots branch pairs
with a needy person". Categories (one, a third of people two) are weighted as a street's
register reads: low-income households (低保户) and elderly people living alone (独居老人) the most.
Each person has a birth year and sex fitting the category, an ID number with the district's area
code, a landline or a mobile (the elderly mostly a landline), an address in the street and a
point within about 600 m of its centre, a household of 1–5 (one for those living alone), a
health note for the ill, the disabled and most elderly people alone, and the needs the register
lists. They were registered by the system between January 2004 and August 2005, each with its
dated history: registration (active), and for about one in ten a later change — moved away,
deceased (mostly the oldest) or no longer in need — with its reason. A few households per
district are registered twice (same name and address; the second without an ID number, with the
same phone or another), for the duplicates page: 95 at city scale, 38 at demo scale, 3 in the
tiny world.

**How many visits.** S19: a district's 33 branches made 5,698 visits "focused on 1,500 needy
families", about 3.8 a family. That intensity is kept for needy people: each is visited at a
yearly rate of 2–6 (mean 3.9, ``VISITS_PER_YEAR``) from their registration (or the window's
start) until the window's end or their change of status — 2.7 visits a person in the window on
average, as many were registered during it — by one branch of their street (the street's needy
people dealt out to its branches). S19's rate per branch (173) is a focused pilot's: for the
city's 74,000 street branches it would make some 13 million visits a year, beyond what inserts
in a few minutes and more than the city's registers would show. Besides, each street branch
makes 0–2 visits (mean 0.8) to a worker or to a unit of its street (a residential branch to a
two-new organisation, a two-new branch to a residential area, S26's organisation ↔ unit
pairing), and each sector branch 2–4 to its unit's workers. That gives 4,619 visits at demo
scale (seed 2005), 164 in the tiny world and about 300,000 at city scale: about 235,000 to needy
people, 61,000 by street branches to workers and units, 2,600 by sector branches. City-sized
volumes (87,000 people, 292,000 visits, 480,000 visitor rows) took 2.5 minutes on PostgreSQL on
a busy two-core machine. Each visit has 1–3 visitors, members of the visiting branch; a visit to
a needy person is placed at their street too (``target_path``) as
``visits.services.visit_record`` does. Most visits are confirmed within a week; of those in the
last three weeks about 40 % still wait for confirmation, and of those in the last two months one
in twenty was returned to be corrected (and not yet resubmitted). About 10 % raise a need; older
needs are mostly followed up — in progress, resolved or closed as unresolvable with the reason —
with their follow-ups, recent ones are open.

**The demo accounts.** ``member.self`` has four visits of their own (the latest waiting for
confirmation) and ``branch.secretary``'s branch holds them and two more to confirm; the branch's
confirmations carry the secretary's account.

**Pairings are not made here.** ``NeedyPerson.paired_path`` stays empty: pairings (S26) have
their own lifecycle and coverage figures, so the pairing scenario makes them; the branch each
needy person is visited by here is the natural one to pair them with.

**Dates.** The window is the year up to the site's day (``core.clock``), capped at the demo's
day, 2005-09-20 (``DEMO_DAY``): 2004-09-21 to 2005-09-20 in the demo and in the tests; nothing
is dated after it. Within the window visits gather before the Spring Festival of 2005 (送温暖,
condolence and help visits) and after the second batch's launch on 2005-06-30 (S4).

Everything is generated in memory in path order with its own random stream and written with bulk
inserts in chunks (people, their categories and history, visits with their visitors, needs and
follow-ups); no query per row. Same database, same seed, same data (the encrypted columns differ
by their random nonces only).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jiceng.accounts.models import RoleAssignment, User
from jiceng.accounts.roles import Role
from jiceng.core import audit, clock, tree
from jiceng.core.crypto import blind_index
from jiceng.core.idnumber import make_id_number, mask_id_number
from jiceng.geo.models import Street
from jiceng.members.models import Member
from jiceng.members.phones import mask_phone
from jiceng.members.services import ID_PURPOSE, PHONE_PURPOSE
from jiceng.orgs.models import Organization, OrgType
from jiceng.outreach.models import (
    NeedFollowUp,
    NeedyCategory,
    NeedyPerson,
    NeedyStatusChange,
    Visit,
    VisitNeed,
    VisitVisitor,
)
from jiceng.outreach.registry.rules import NeedyStatus
from jiceng.outreach.visits.rules import NeedKind, NeedState, TargetKind, VisitKind, VisitState
from jiceng.outreach.visits.services import firsts_refresh_all

from .names import NameMaker

Progress = Callable[[str, int, int], None]

DEMO_DAY = dt.date(2005, 9, 20)  # the day the demo is read at (``make demo``)
REGISTERED_FROM = dt.date(2004, 1, 1)
REGISTERED_UNTIL = dt.date(2005, 8, 31)
SPRING_FESTIVAL = dt.date(2005, 2, 9)  # 2005's Spring Festival: visits gather before it
SECOND_BATCH_LAUNCH = dt.date(2005, 6, 30)  # S4

# S26: ~87,000 needy people for ~2,058,000 members in the streets' trees at city scale.
NEEDY_PER_MEMBER = 87_000 / 2_058_000
MIN_PER_STREET = 5
DUPLICATES_PER_DISTRICT = {"tiny": 1, "demo": 2, "city": 5}
# S19: 5,698 visits to 1,500 families ≈ 3.8 a family; a year's visits to each needy person.
VISITS_PER_YEAR = (2, 3, 3, 4, 4, 4, 5, 6)
OTHER_VISITS_PER_BRANCH = (0, 0, 1, 1, 1, 2)
SECTOR_VISITS_PER_BRANCH = (2, 3, 4)
VISITORS = ((1, 50), (2, 35), (3, 15))
NEED_SHARE = 0.10
RETURNED_SHARE = 0.05  # of the visits in the last RETURNED_DAYS: returned, not yet corrected
RETURNED_DAYS = 60
AWAITING_SHARE = 0.4  # of the visits in the last AWAITING_DAYS
AWAITING_DAYS = 21
MEMBERS_PER_BRANCH = 12  # the first members (by id) of a branch who go visiting
CHUNK = 5_000
FLUSH_VISITS = 20_000

# (code, weight, birth years): the register's mix, low-income and elderly alone the most.
CATEGORIES: tuple[tuple[str, int, tuple[int, int]], ...] = (
    ("minimum_living", 26, (1935, 1980)),
    ("elderly_alone", 24, (1915, 1940)),
    ("hardship_worker", 14, (1950, 1980)),
    ("disabled", 10, (1930, 1985)),
    ("serious_illness", 9, (1930, 1980)),
    ("unemployed", 8, (1955, 1966)),  # the "4050" laid-off workers
    ("military_family", 5, (1925, 1975)),
    ("model_worker", 4, (1920, 1945)),
)
HOUSEHOLD_SIZES = ((1, 12), (2, 30), (3, 33), (4, 15), (5, 10))
OTHER_AREAS = ("320102", "330106", "340104", "370102", "420106", "510107")

NEEDS: dict[str, tuple[str, ...]] = {
    "minimum_living": (
        "家庭收入低于最低生活保障标准，子女上学费用有困难",
        "靠低保金生活，冬季取暖和日常开支紧张",
        "住房狭小，希望协助申请廉租住房",
    ),
    "elderly_alone": (
        "子女不在身边，需要定期上门探望和代购生活用品",
        "行动不便，希望有人帮助打扫卫生、检查水电煤安全",
        "希望安装紧急呼叫装置",
    ),
    "hardship_worker": (
        "企业效益不好，工资收入低，家庭负担重",
        "配偶下岗，孩子读大学学费有缺口",
    ),
    "disabled": (
        "需要辅助器具和康复训练",
        "希望推荐适合残疾人的工作岗位",
        "出行困难，希望协助办理助残服务",
    ),
    "serious_illness": (
        "医疗费用负担重，希望协助申请医疗救助",
        "长期治疗，需要定期陪同就医",
    ),
    "unemployed": (
        "“4050”人员，希望得到再就业培训和岗位推荐",
        "失业后收入中断，希望协助申请失业保险金",
    ),
    "military_family": (
        "烈士遗属，年老体弱，希望定期慰问和生活照料",
        "优抚对象，住房需要修缮",
    ),
    "model_worker": (
        "老劳模，退休金偏低，看病开销大",
        "年事已高，希望组织上常来看看",
    ),
}
HEALTH = {
    "serious_illness": (
        "尿毒症，每周透析三次",
        "肺癌术后化疗中",
        "脑梗后遗症，半身不遂",
        "白血病，长期服药",
    ),
    "disabled": ("肢体残疾二级，需轮椅", "视力残疾一级", "听力残疾，需助听器", "智力残疾三级"),
    "other": (
        "高血压，需长期服药",
        "糖尿病，需定期注射胰岛素",
        "慢性支气管炎，冬季易发作",
        "骨质疏松，行动不便",
        "老年痴呆早期，需有人照看",
        "冠心病，曾两次住院",
    ),
}
STATUS_CHANGES = (
    (
        NeedyStatus.MOVED_AWAY,
        ("随子女迁居外区", "旧区改造动迁安置到外区", "住进养老院（外区）"),
    ),
    (NeedyStatus.DECEASED, ("因病去世", "病故，家属已告知居委会")),
    (
        NeedyStatus.NO_LONGER_IN_NEED,
        (
            "子女就业，家庭收入超过低保标准",
            "本人再就业，收入稳定",
            "经济状况好转，本人申请退出",
        ),
    ),
)
FINDINGS = {
    TargetKind.NEEDY: (
        "老人身体尚可，家中水电煤设施检查无隐患，叮嘱按时服药",
        "了解家庭收支情况，低保金按时发放，孩子学习成绩不错",
        "送去慰问金和大米、食用油，老人很感动",
        "帮助打扫房间，更换了厨房的灯泡",
        "本人情绪低落，谈心后有所好转，约定下月再来",
        "了解到看病报销手续不清楚，已帮助咨询社区事务受理中心",
        "家中住房漏雨，已向居委会反映",
        "陪同到社区卫生服务中心体检",
    ),
    TargetKind.WORKER: (
        "职工家属生病住院，代表支部前往看望",
        "与职工谈心，了解工作和生活中的困难",
        "职工反映加班较多，已向单位转达",
        "退休职工身体健康，对组织的关心表示感谢",
        "困难职工子女考上大学，送去助学金",
    ),
    TargetKind.UNIT: (
        "与单位党组织交流结对共建事项，商定下季度联合开展志愿服务",
        "了解企业用工和职工思想状况",
        "商议为社区困难家庭提供就业岗位",
        "走访居民区，听取居民对社区环境的意见",
    ),
}
NEED_TEXTS: dict[str, tuple[str, ...]] = {
    NeedKind.LIVING: ("希望协助申请临时救助", "冬季需要棉被和取暖用品", "需要上门助餐服务"),
    NeedKind.EMPLOYMENT: ("子女失业，希望推荐工作", "希望参加再就业技能培训"),
    NeedKind.MEDICAL: ("医药费报销有困难，希望协助申请医疗救助", "需要定期上门测量血压"),
    NeedKind.HOUSING: ("房屋漏雨需要维修", "楼道照明损坏，夜间出行不便", "希望申请廉租住房"),
    NeedKind.NEIGHBOURHOOD: ("弄堂垃圾清运不及时", "楼下饭店油烟扰民"),
    NeedKind.OTHER: ("希望社区多组织老年人活动", "希望有人帮助读报和代写书信"),
}
NEED_KINDS = (
    (NeedKind.LIVING, 30),
    (NeedKind.MEDICAL, 25),
    (NeedKind.HOUSING, 18),
    (NeedKind.EMPLOYMENT, 12),
    (NeedKind.NEIGHBOURHOOD, 10),
    (NeedKind.OTHER, 5),
)
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    NeedState.IN_PROGRESS: ("已向街道社区事务受理中心反映，正在办理", "已联系相关部门，等待答复"),
    NeedState.RESOLVED: ("已协调解决，对象表示满意", "问题已解决，回访确认"),
    NeedState.UNRESOLVABLE: (
        "不符合政策规定的条件，已向对象解释清楚",
        "涉及产权纠纷，已告知通过司法途径解决",
    ),
}
RETURN_REASON = "走访情况记录过于简单，请补充了解到的困难和需求"


def last_day() -> dt.date:
    """The last day a record may carry: the site's today, at most the demo's day."""
    return min(DEMO_DAY, clock.today())


def is_built() -> bool:
    """Whether outreach data is already there (the part refuses to run twice)."""
    return NeedyPerson.objects.exists() or Visit.objects.exists()


def _weighted(rng: random.Random, pairs: Iterable[tuple[Any, int]]) -> Any:
    items = list(pairs)
    return rng.choices([v for v, _w in items], [w for _v, w in items])[0]


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment of office hours on ``day`` (Shanghai time)."""
    local = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(local, timezone.get_default_timezone())


@dataclass
class _Branch:
    id: int
    path: str
    org_type: str
    host_unit: str
    members: list[int] = field(default_factory=list)


@dataclass
class _Street:
    org: Organization
    street: Street | None
    branches: list[_Branch] = field(default_factory=list)
    members: int = 0


@dataclass
class _Person:
    obj: NeedyPerson
    categories: list[int]
    history: list[NeedyStatusChange]
    registered_on: dt.date
    visitable: bool = True


@dataclass
class _Plan:
    """Visits waiting to be written, each with its visitors and its needs (with follow-ups)."""

    visits: list[Visit] = field(default_factory=list)
    visitors: list[list[int]] = field(default_factory=list)
    needs: list[list[tuple[VisitNeed, list[NeedFollowUp]]]] = field(default_factory=list)


class OutreachBuilder:
    def __init__(self, scale: str, seed: int, progress: Progress) -> None:
        self.scale = scale
        self.rng = random.Random(seed * 131 + 20)
        self.names = NameMaker(self.rng)
        self.progress = progress
        self.end = last_day()
        self.start = self.end - dt.timedelta(days=364)
        self.used_ids: set[str] = set()
        self.categories = dict(NeedyCategory.objects.values_list("code", "pk"))
        self.counts: dict[str, int] = defaultdict(int)
        assignment = (
            RoleAssignment.objects.filter(
                role=Role.BRANCH_SECRETARY, user__username="branch.secretary"
            )
            .select_related("user")
            .first()
        )
        self.secretary: User | None = assignment.user if assignment else None
        self.secretary_org: int | None = assignment.organization_id if assignment else None

    # ----- the tree --------------------------------------------------------------------------
    def load(self) -> tuple[list[_Street], list[_Branch]]:
        """Street committees in path order with their branches and member counts; the sector
        committees' branches; each branch's first members."""
        streets_by_pk = {s.pk: s for s in Street.objects.select_related("district")}
        streets: dict[str, _Street] = {}
        for org in Organization.objects.filter(
            org_type__in=(OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE),
            abolished_on__isnull=True,
        ).order_by("path"):
            streets[org.path] = _Street(org, streets_by_pk.get(org.street_id))
        step = tree.STEP * (tree.DISTRICT_DEPTH + 1)
        sector: list[_Branch] = []
        by_id: dict[int, _Branch] = {}
        for pk, path, org_type, host_unit in (
            Organization.objects.filter(
                org_type__in=(OrgType.BRANCH, OrgType.JOINT_BRANCH), abolished_on__isnull=True
            )
            .order_by("path")
            .values_list("id", "path", "org_type", "host_unit")
        ):
            branch = _Branch(pk, path, org_type, host_unit)
            by_id[pk] = branch
            home = streets.get(path[:step])
            (home.branches if home else sector).append(branch)
        per_org = dict(
            Member.objects.on_roll()
            .values_list("home_org_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("home_org_id", "n")
        )
        org_paths = dict(Organization.objects.values_list("id", "path"))
        for org_id, n in per_org.items():
            home = streets.get(org_paths.get(org_id, "")[:step])
            if home is not None:
                home.members += n
        members: dict[int, list[int]] = defaultdict(list)
        for org_id, member_id in (
            Member.objects.on_roll()
            .filter(participating_org__isnull=False)
            .order_by("id")
            .values_list("home_org_id", "id")
            .iterator(chunk_size=50_000)
        ):
            if org_id in by_id and len(members[org_id]) < MEMBERS_PER_BRANCH:
                members[org_id].append(member_id)
        for branch in by_id.values():
            branch.members = members.get(branch.id, [])
        return list(streets.values()), sector

    # ----- the registry ----------------------------------------------------------------------
    def id_number(self, area: str, birth: dt.date, sex: str) -> str:
        rng = self.rng
        number = ""
        for _attempt in range(50):
            number = make_id_number(area, birth, rng.randint(0, 499), sex)
            if number not in self.used_ids:
                break
        self.used_ids.add(number)
        return number

    def phone(self, elderly: bool) -> str:
        roll = self.rng.random()
        landline = f"+8621{self.rng.choice('5634')}{self.rng.randint(0, 9999999):07d}"
        mobile = f"+8613{self.rng.randint(0, 9)}{self.rng.randint(0, 99999999):08d}"
        if elderly:
            return landline if roll < 0.7 else "" if roll < 0.9 else mobile
        return mobile if roll < 0.7 else landline if roll < 0.9 else ""

    def address(self, st: _Street) -> str:
        rng = self.rng
        street = st.street
        if street is None:
            return f"{st.org.name}{rng.randint(1, 999)}号"
        place = f"{street.district.name}{street.name}"
        if street.kind == Street.Kind.STREET:
            return (
                f"{place}{rng.randint(1, 999)}弄{rng.randint(1, 80)}号"
                f"{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
            )
        village = f"{rng.choice('东西南北新红联光')}{rng.choice('星华丰民')}村"
        return f"{place}{village}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"

    def person(self, st: _Street) -> _Person:
        rng = self.rng
        first = _weighted(rng, ((code, w) for code, w, _years in CATEGORIES))
        codes = [first]
        if rng.random() < 0.3:
            second = _weighted(rng, ((c, w) for c, w, _y in CATEGORIES if c != first))
            if not {first, second} <= {"elderly_alone", "unemployed"}:
                codes.append(second)
        years = next(y for c, _w, y in CATEGORIES if c == first)
        birth_year = rng.randint(*years)
        sex = (
            ("F" if rng.random() < 0.65 else "M") if first == "elderly_alone" else rng.choice("MF")
        )
        birth = dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
        district = st.street.district_id if st.street else "310101"
        id_number = ""
        if rng.random() < 0.98:
            area = district if rng.random() < 0.95 else rng.choice(OTHER_AREAS)
            id_number = self.id_number(area, birth, sex)
        phone = self.phone(birth_year < 1945)
        household = 1 if "elderly_alone" in codes else _weighted(rng, HOUSEHOLD_SIZES)
        if "serious_illness" in codes:
            health = rng.choice(HEALTH["serious_illness"])
        elif "disabled" in codes:
            health = rng.choice(HEALTH["disabled"])
        elif rng.random() < (0.7 if "elderly_alone" in codes else 0.15):
            health = rng.choice(HEALTH["other"])
        else:
            health = ""
        registered_on = REGISTERED_FROM + dt.timedelta(
            days=rng.randint(0, (min(REGISTERED_UNTIL, self.end) - REGISTERED_FROM).days)
        )
        registered_at = _moment(registered_on, rng)
        centre = st.street or st.org
        obj = NeedyPerson(
            name=self.names.full(sex, birth_year),
            id_number=id_number,
            id_number_index=blind_index(id_number, purpose=ID_PURPOSE) if id_number else "",
            id_number_masked=mask_id_number(id_number) if id_number else "",
            phone=phone,
            phone_index=blind_index(phone, purpose=PHONE_PURPOSE) if phone else "",
            phone_masked=mask_phone(phone),
            address=self.address(st),
            street_org=st.org,
            path=st.org.path,
            street=st.street,
            lng=round(centre.lng + rng.uniform(-0.006, 0.006), 6) if centre.lng else None,
            lat=round(centre.lat + rng.uniform(-0.006, 0.006), 6) if centre.lat else None,
            household_size=household,
            health=health,
            needs=rng.choice(NEEDS[first]),
            status=NeedyStatus.ACTIVE,
            status_since=registered_on,
            registered_by=None,
            registered_at=registered_at,
        )
        obj.fill_search_keys()
        history = [
            NeedyStatusChange(
                status=NeedyStatus.ACTIVE,
                on=registered_on,
                reason="登记",
                recorded_at=registered_at,
            )
        ]
        change = self.status_change(birth_year)
        if change is not None and (self.end - registered_on).days > 30:
            status, reason = change
            on = registered_on + dt.timedelta(days=rng.randint(30, (self.end - registered_on).days))
            obj.status, obj.status_since = status, on
            history.append(
                NeedyStatusChange(status=status, on=on, reason=reason, recorded_at=_moment(on, rng))
            )
        return _Person(obj, [self.categories[c] for c in codes], history, registered_on)

    def status_change(self, birth_year: int) -> tuple[str, str] | None:
        """About one in ten leaves the active list: moved away, deceased (the oldest the most),
        no longer in need."""
        rng = self.rng
        roll = rng.random()
        dies = 0.06 if birth_year < 1935 else 0.005
        for status, reasons in STATUS_CHANGES:
            share = {NeedyStatus.MOVED_AWAY: 0.035, NeedyStatus.DECEASED: dies}.get(status, 0.03)
            if roll < share:
                return status, rng.choice(reasons)
            roll -= share
        return None

    def duplicates(self, people: list[_Person]) -> list[_Person]:
        """A few households per district registered a second time (same name and address,
        no ID number; the same phone or another), as the duplicates page finds them."""
        rng = self.rng
        by_district: dict[str, list[_Person]] = defaultdict(list)
        for p in people:
            if p.obj.status == NeedyStatus.ACTIVE:
                by_district[tree.district_path(p.obj.path)].append(p)
        out = []
        for key in sorted(by_district):
            pool = by_district[key]
            for original in rng.sample(pool, min(len(pool), DUPLICATES_PER_DISTRICT[self.scale])):
                o = original.obj
                on = min(self.end, original.registered_on + dt.timedelta(days=rng.randint(20, 200)))
                at = _moment(on, rng)
                copy = NeedyPerson(
                    name=o.name,
                    address=o.address,
                    street_org=o.street_org,
                    path=o.path,
                    street=o.street,
                    lng=o.lng,
                    lat=o.lat,
                    household_size=o.household_size,
                    needs=o.needs,
                    status=NeedyStatus.ACTIVE,
                    status_since=on,
                    registered_at=at,
                )
                # registered again from the household's word, without the ID card: the same
                # phone, or another (a child's)
                phone = o.phone if rng.random() < 0.5 else self.phone(elderly=False)
                copy.phone = phone
                copy.phone_index = blind_index(phone, purpose=PHONE_PURPOSE) if phone else ""
                copy.phone_masked = mask_phone(phone)
                copy.fill_search_keys()
                history = [
                    NeedyStatusChange(
                        status=NeedyStatus.ACTIVE, on=on, reason="登记", recorded_at=at
                    )
                ]
                out.append(_Person(copy, original.categories[:1], history, on, visitable=False))
        return out

    def save_people(self, people: list[_Person]) -> None:
        total = len(people)
        through = NeedyPerson.categories.through
        for i in range(0, total, CHUNK):
            chunk = people[i : i + CHUNK]
            NeedyPerson.objects.bulk_create([p.obj for p in chunk], batch_size=CHUNK)
            through.objects.bulk_create(
                (
                    through(needyperson_id=p.obj.pk, needycategory_id=c)
                    for p in chunk
                    for c in p.categories
                ),
                batch_size=CHUNK,
            )
            rows = []
            for p in chunk:
                for change in p.history:
                    change.person = p.obj
                    rows.append(change)
            NeedyStatusChange.objects.bulk_create(rows, batch_size=CHUNK)
            self.counts["status changes"] += len(rows)
            self.progress("needy people", min(i + CHUNK, total), total)

    # ----- visits ----------------------------------------------------------------------------
    def day(self, lo: dt.date, hi: dt.date) -> dt.date:
        """A day in [lo, hi], gathering before the Spring Festival and after the launch."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            a, b = SPRING_FESTIVAL - dt.timedelta(days=25), SPRING_FESTIVAL - dt.timedelta(days=1)
        elif roll < 0.5:
            a, b = SECOND_BATCH_LAUNCH, hi
        else:
            a, b = lo, hi
        a, b = max(a, lo), min(b, hi)
        if a > b:
            a, b = lo, hi
        return a + dt.timedelta(days=rng.randint(0, (b - a).days))

    def visit(
        self,
        plan: _Plan,
        branch: _Branch,
        on: dt.date,
        *,
        needy: NeedyPerson | None = None,
        target_org: int | None = None,
        target_name: str = "",
        visitors: list[int] | None = None,
        recorded_by: User | None = None,
        state: str | None = None,
    ) -> None:
        rng = self.rng
        if visitors is None:
            size = min(_weighted(rng, VISITORS), len(branch.members))
            visitors = rng.sample(branch.members, size)
        if needy is not None:
            target_kind = TargetKind.NEEDY
            kind = (
                rng.choice((VisitKind.CONDOLENCE, VisitKind.HELP))
                if SPRING_FESTIVAL - dt.timedelta(days=30) <= on < SPRING_FESTIVAL
                else _weighted(
                    rng,
                    (
                        (VisitKind.HOME, 55),
                        (VisitKind.HELP, 20),
                        (VisitKind.TALK, 15),
                        (VisitKind.CONDOLENCE, 10),
                    ),
                )
            )
        elif target_org is not None:
            target_kind, kind = TargetKind.UNIT, VisitKind.UNIT
        else:
            target_kind = TargetKind.WORKER
            kind = _weighted(
                rng, ((VisitKind.TALK, 50), (VisitKind.CONDOLENCE, 30), (VisitKind.HOME, 20))
            )
        if state is None:
            age = (self.end - on).days
            if age < AWAITING_DAYS and rng.random() < AWAITING_SHARE:
                state = VisitState.RECORDED
            elif age < RETURNED_DAYS and rng.random() < RETURNED_SHARE:
                state = VisitState.RETURNED
            else:
                state = VisitState.CONFIRMED
        recorded_on = min(self.end, on + dt.timedelta(days=rng.randint(0, 2)))
        confirmed_at = None
        if state == VisitState.CONFIRMED:
            confirmed_at = _moment(
                min(self.end, recorded_on + dt.timedelta(rng.randint(0, 6))), rng
            )
        target_path = needy.path if needy is not None else ""
        visit = Visit(
            org_id=branch.id,
            org_path=branch.path,
            target_kind=target_kind,
            needy=needy,
            target_org_id=target_org,
            target_name=target_name,
            target_path=target_path,
            visited_on=on,
            kind=kind,
            findings=rng.choice(FINDINGS[target_kind]),
            state=state,
            reason=RETURN_REASON if state == VisitState.RETURNED else "",
            recorded_by=recorded_by,
            recorded_at=_moment(recorded_on, rng),
            confirmed_by=(
                self.secretary
                if state == VisitState.CONFIRMED and branch.id == self.secretary_org
                else None
            ),
            confirmed_at=confirmed_at,
        )
        needs = []
        if state != VisitState.RETURNED and rng.random() < NEED_SHARE:
            needs.append(self.need(visit, target_path or branch.path))
        plan.visits.append(visit)
        plan.visitors.append(visitors)
        plan.needs.append(needs)

    def need(self, visit: Visit, path: str) -> tuple[VisitNeed, list[NeedFollowUp]]:
        rng = self.rng
        kind = _weighted(rng, NEED_KINDS)
        raised = visit.visited_on
        need = VisitNeed(path=path, kind=kind, text=rng.choice(NEED_TEXTS[kind]), raised_on=raised)
        age = (self.end - raised).days
        if age < 14:
            states: list[str] = []
        else:
            states = _weighted(
                rng,
                (
                    ([], 20),
                    ([NeedState.IN_PROGRESS], 25),
                    ([NeedState.RESOLVED], 25),
                    ([NeedState.IN_PROGRESS, NeedState.RESOLVED], 20),
                    ([NeedState.UNRESOLVABLE], 10),
                ),
            )
        follow_ups = []
        on = raised
        for state in states:
            on = min(self.end, on + dt.timedelta(days=rng.randint(3, max(4, age // 2))))
            follow_ups.append(
                NeedFollowUp(note=rng.choice(FOLLOW_UPS[state]), state=state, at=_moment(on, rng))
            )
        need.state = states[-1] if states else NeedState.OPEN
        if need.state in (NeedState.RESOLVED, NeedState.UNRESOLVABLE):
            need.closed_on = on
        return need, follow_ups

    def flush(self, plan: _Plan) -> None:
        if not plan.visits:
            return
        Visit.objects.bulk_create(plan.visits, batch_size=CHUNK)
        # each visitor row with the copies of its visit the counts read (visits.models)
        VisitVisitor.objects.bulk_create(
            (
                VisitVisitor(
                    visit_id=v.pk,
                    member_id=m,
                    org_path=v.org_path,
                    visited_on=v.visited_on,
                    state=v.state,
                )
                for v, members in zip(plan.visits, plan.visitors, strict=True)
                for m in members
            ),
            batch_size=CHUNK,
        )
        needs = []
        for v, raised in zip(plan.visits, plan.needs, strict=True):
            for need, _fus in raised:
                need.visit = v
                needs.append(need)
        VisitNeed.objects.bulk_create(needs, batch_size=CHUNK)
        follow_ups = []
        for raised in plan.needs:
            for need, fus in raised:
                for fu in fus:
                    fu.need = need
                    follow_ups.append(fu)
        NeedFollowUp.objects.bulk_create(follow_ups, batch_size=CHUNK)
        self.counts["visits"] += len(plan.visits)
        self.counts["visitors"] += sum(len(m) for m in plan.visitors)
        self.counts["needs"] += len(needs)
        self.counts["follow-ups"] += len(follow_ups)
        plan.visits, plan.visitors, plan.needs = [], [], []

    def needy_visits(self, plan: _Plan, branch: _Branch, p: _Person) -> None:
        rng = self.rng
        o = p.obj
        lo = max(self.start, p.registered_on + dt.timedelta(days=1))
        hi = self.end if o.status == NeedyStatus.ACTIVE else o.status_since - dt.timedelta(days=1)
        if lo > hi:
            return
        expected = rng.choice(VISITS_PER_YEAR) * ((hi - lo).days + 1) / 365
        n = int(expected) + (rng.random() < expected - int(expected))
        for on in sorted(self.day(lo, hi) for _ in range(n)):
            self.visit(plan, branch, on, needy=o)

    def other_visits(
        self, plan: _Plan, branch: _Branch, st: _Street | None, count: tuple[int, ...]
    ) -> None:
        rng = self.rng
        units: list[_Branch] = []
        if st is not None:
            residential = branch.org_type == OrgType.BRANCH and not branch.host_unit
            units = [
                b
                for b in st.branches
                if b.id != branch.id
                and (bool(b.host_unit) or b.org_type != OrgType.BRANCH) == residential
            ]
        for _ in range(rng.choice(count)):
            on = self.day(self.start, self.end)
            if units and rng.random() < 0.4:
                self.visit(plan, branch, on, target_org=rng.choice(units).id)
            else:
                worker = self.names.full(rng.choice("MF"), rng.randint(1945, 1980))
                unit = branch.host_unit or "辖区"
                self.visit(plan, branch, on, target_name=f"{worker}（{unit}职工）"[:100])

    def demo_accounts(self, plan: _Plan, streets: list[_Street], people: dict[str, list]) -> None:
        """``member.self``'s own visits (the latest waiting for confirmation) and two more
        for ``branch.secretary`` to confirm; the branch's confirmations carry the secretary."""
        me = Member.objects.filter(user__username="member.self").select_related("user").first()
        if me is None or me.user is None:
            return
        branch = next((b for st in streets for b in st.branches if b.id == me.home_org_id), None)
        if branch is None:
            return
        street = next(st for st in streets if branch.path.startswith(st.org.path))
        mine = [
            p.obj
            for p in people.get(street.org.path, [])
            if p.visitable and p.obj.status == NeedyStatus.ACTIVE
        ][:3]
        others = [m for m in branch.members if m != me.pk] or [me.pk]
        days = [self.end - dt.timedelta(days=d) for d in (75, 48, 20, 3)]
        for i, on in enumerate(days):
            needy = mine[i % len(mine)] if mine and i != 2 else None
            worker = "" if needy else f"{self.names.full('F', 1938)}（社区退休职工）"
            self.visit(
                plan,
                branch,
                on,
                needy=needy,
                target_name=worker,
                visitors=[me.pk, *others[: i % 2]],
                recorded_by=me.user,
                state=VisitState.RECORDED if i == len(days) - 1 else VisitState.CONFIRMED,
            )
        for d in (6, 2):
            self.visit(
                plan,
                branch,
                self.end - dt.timedelta(days=d),
                needy=mine[0] if mine else None,
                target_name="" if mine else f"{self.names.full('M', 1950)}（辖区职工）",
                visitors=others[:2],
                state=VisitState.RECORDED,
            )

    # ----- the whole --------------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        streets, sector = self.load()

        people_by_street: dict[str, list[_Person]] = {}
        for st in streets:
            n = max(MIN_PER_STREET, round(st.members * NEEDY_PER_MEMBER))
            people_by_street[st.org.path] = [self.person(st) for _ in range(n)]
        people = [p for st in streets for p in people_by_street[st.org.path]]
        duplicates = self.duplicates(people)
        self.counts["needy people"] = len(people) + len(duplicates)
        self.counts["duplicates"] = len(duplicates)
        self.save_people(people + duplicates)

        plan = _Plan()
        total = len(streets) + len(sector)
        for done, st in enumerate(streets, 1):
            visiting = [b for b in st.branches if b.members]
            if visiting:
                dealt = visiting[:]
                self.rng.shuffle(dealt)
                for i, p in enumerate(people_by_street[st.org.path]):
                    self.needy_visits(plan, dealt[i % len(dealt)], p)
                for b in visiting:
                    self.other_visits(plan, b, st, OTHER_VISITS_PER_BRANCH)
            if len(plan.visits) >= FLUSH_VISITS:
                self.flush(plan)
            self.progress("visits", done, total)
        for b in sector:
            if b.members:
                self.other_visits(plan, b, None, SECTOR_VISITS_PER_BRANCH)
        self.demo_accounts(plan, streets, people_by_street)
        self.flush(plan)
        firsts_refresh_all()  # what the visit counts count, marked once for the whole city
        self.progress("visits", total, total)
        return dict(self.counts)


@transaction.atomic
def build_outreach(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """The needy-people registry of every street and a year of visits, in one transaction;
    refuses to run when outreach data is already there. Returns what it made, by kind."""
    if is_built():
        raise RuntimeError("outreach data already exists (needy people or visits)")
    counts = OutreachBuilder(scale, seed, progress or (lambda *_: None)).build()
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id="outreach",
        object_repr=f"scenario outreach {scale} seed {seed}",
        org_path=root.first() or "",
        note=", ".join(f"{n} {what}" for what, n in counts.items()),
    )
    return counts
