"""Deterministic synthetic "Shanghai 2005" data: the tree, members, accounts.

``build(scale, seed)`` writes the 2005 organisation tree (city committee → 19 districts →
streets/towns → residential and two-new branches; sector committees for science and
education, Shanghai Electric, police, transport and the agri-industrial group), members with
valid ID numbers for their district's 2005 area code, realistic names and phones, homes near
their street, and one demo account per role. Same scale and seed, same data.

Street coordinates are synthetic (see ``geo/data/SOURCES.md``), and so are member homes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from jiceng.accounts.models import RoleAssignment, User
from jiceng.accounts.roles import Role
from jiceng.appraisal.services import appraisal_recompute
from jiceng.campaigns.totals import rebuild_all as rebuild_totals
from jiceng.core import audit, clock
from jiceng.core.crypto import blind_index
from jiceng.core.idnumber import make_id_number, mask_id_number
from jiceng.geo.models import District, Street
from jiceng.geo.services import gazetteer_load
from jiceng.members.models import EmploymentStatus, Member, MemberCategory
from jiceng.members.phones import mask_phone
from jiceng.members.services import ID_PURPOSE, PHONE_PURPOSE
from jiceng.orgs import services as org_services
from jiceng.orgs.models import BranchKind, Organization, OrgHealth, OrgType, Sector, WeakCriterion
from jiceng.reports.services import summarize_latest
from jiceng.scenario import campaigns, duplicates, lostcontact, planning, study, surveys
from jiceng.scenario.development import build_development
from jiceng.scenario.founding import build_founding
from jiceng.scenario.outreach import build_outreach
from jiceng.scenario.pairings import build_pairings
from jiceng.scenario.programmes import build_programmes
from jiceng.scenario.projects import build_projects
from jiceng.scenario.voice import build_voice
from jiceng.scenario.workers import build_workers

from .names import NameMaker

CAMPAIGN_LAUNCH = dt.date(2005, 6, 30)  # S4: city-wide launch of the second batch
DEMO_PASSWORD = "Jiceng@2005"  # noqa: S105 - published demo logins, never in production


@dataclass(frozen=True)
class Scale:
    districts: tuple[str, ...] | None  # None: all 19
    streets_per_district: int | None  # None: all
    residential_per_street: int
    enterprises_per_street: int
    members_per_branch: tuple[int, int]
    branches_per_sector_unit: int
    electric_dispersed: int  # S16: 1,090 at city scale


SCALES: dict[str, Scale] = {
    "tiny": Scale(("310101", "310104", "310230"), 2, 2, 1, (4, 9), 1, 30),
    "demo": Scale(None, None, 4, 2, (8, 30), 3, 1090),
    "city": Scale(None, None, 110, 230, (16, 40), 40, 1090),
}

# Sector committees directly under the city committee (S14, S15, S16, S21, S23, S24, S28).
SECTOR_COMMITTEES: tuple[tuple[str, str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "SKJ",
        "中共上海市科技教育工作委员会",
        Sector.UNIVERSITY,
        "310104",
        (
            ("复旦大学", Sector.UNIVERSITY),
            ("上海交通大学", Sector.UNIVERSITY),
            ("同济大学", Sector.UNIVERSITY),
            ("华东师范大学", Sector.UNIVERSITY),
            ("中国科学院上海有机化学研究所", Sector.RESEARCH_INSTITUTE),
            ("上海市农业科学院", Sector.RESEARCH_INSTITUTE),
            ("上海交通大学医学院附属瑞金医院", Sector.HOSPITAL),
            ("复旦大学附属华山医院", Sector.HOSPITAL),
            ("复旦大学附属中山医院", Sector.HOSPITAL),
            ("上海杉达学院", Sector.PRIVATE_UNIVERSITY),
            ("上海建桥学院", Sector.PRIVATE_UNIVERSITY),
        ),
    ),
    (
        "SDQ",
        "中共上海电气（集团）总公司委员会",
        Sector.STATE_ENTERPRISE,
        "310101",
        (
            ("上海电气电站集团", Sector.STATE_ENTERPRISE),
            ("上海锅炉厂有限公司", Sector.STATE_ENTERPRISE),
            ("上海汽轮机厂", Sector.STATE_ENTERPRISE),
            ("上海电机厂有限公司", Sector.STATE_ENTERPRISE),
        ),
    ),
    (
        "SGA",
        "中共上海市公安局委员会",
        Sector.POLICE,
        "310101",
        (
            ("青浦公安分局", Sector.POLICE),
            ("徐汇公安分局", Sector.POLICE),
        ),
    ),
    (
        "SJY",
        "中共上海交运（集团）公司委员会",
        Sector.TRANSPORT,
        "310106",
        (
            ("交运巴士客运公司", Sector.TRANSPORT),
            ("交运出租汽车公司", Sector.TRANSPORT),
        ),
    ),
    (
        "SNG",
        "中共上海农工商（集团）总公司委员会",
        Sector.AGRICULTURE,
        "310105",
        (
            ("农工商超市（集团）有限公司", Sector.AGRICULTURE),
            ("崇明蔬菜站", Sector.AGRICULTURE),
            ("农工商出租汽车公司", Sector.AGRICULTURE),
        ),
    ),
)

ENTERPRISE_WORDS = (
    "华东 申江 东方 浦江 金桥 新华 宏达 联合 恒丰 长江 明珠 天成 瑞丰 永新 海通".split()
)
ENTERPRISE_KINDS = "电子 贸易 物流 建筑 餐饮 软件 服装 印刷 物业 咨询 机械 食品".split()
EDUCATION_BY_ERA = (
    ("primary", 1935),
    ("middle_school", 1950),
    ("high_school", 1960),
    ("secondary", 1965),
    ("college", 1970),
    ("university", 1975),
    ("postgraduate", 1978),
)


@dataclass
class _Org:
    obj: Organization
    children: list[_Org] = field(default_factory=list)
    street: Street | None = None
    members: tuple[int, int] | None = None  # member count range for a branch


class Builder:
    def __init__(self, scale: str, seed: int, progress: Callable[[str, int, int], None]) -> None:
        self.scale = SCALES[scale]
        self.scale_name = scale
        self.rng = random.Random(seed)
        self.names = NameMaker(self.rng)
        self.progress = progress
        self.used_ids: set[str] = set()
        self.today = clock.today()
        self.code_seq = 0

    # ----- organisations -------------------------------------------------------------------
    def org(
        self,
        name: str,
        org_type: str,
        *,
        code: str,
        sector: str = Sector.OTHER,
        district: District | None = None,
        street: Street | None = None,
        host_unit: str = "",
        kind: str = BranchKind.STANDARD,
        members: tuple[int, int] | None = None,
    ) -> _Org:
        o = Organization(
            code=code,
            name=name,
            org_type=org_type,
            sector=sector,
            kind=kind,
            host_unit=host_unit,
            district=district,
            street=street,
            founded_on=dt.date(self.rng.randint(1950, 2004), self.rng.randint(1, 12), 1),
        )
        point = street or district
        if point is not None:
            jitter = 0.004 if street else 0.02
            o.lng = round(point.lng + self.rng.uniform(-jitter, jitter), 6)
            o.lat = round(point.lat + self.rng.uniform(-jitter, jitter), 6)
            o.coord_source = "synthetic"
        if self.rng.random() < 0.03 and org_type in (OrgType.BRANCH, OrgType.JOINT_BRANCH):
            o.health = OrgHealth.WEAK
        return _Org(o, street=street, members=members)

    def tree(self) -> _Org:
        s = self.scale
        root = self.org(
            "中共上海市委员会", OrgType.CITY_COMMITTEE, code="310000", sector=Sector.GOVERNMENT
        )
        districts = list(District.objects.order_by("code"))
        if s.districts:
            districts = [d for d in districts if d.code in s.districts]
        for d in districts:
            dnode = self.org(
                f"中共上海市{d.name}委员会",
                OrgType.DISTRICT_COMMITTEE,
                code=d.code,
                sector=Sector.GOVERNMENT,
                district=d,
            )
            root.children.append(dnode)
            streets = list(Street.objects.filter(district=d).order_by("code"))
            if s.streets_per_district:
                streets = streets[: s.streets_per_district]
            for st in streets:
                dnode.children.append(self.street_committee(d, st))
        for code, name, sector, dcode, units in SECTOR_COMMITTEES:
            d = District.objects.get(code=dcode)
            snode = self.org(
                name, OrgType.SECTOR_COMMITTEE, code=f"31{code}", sector=sector, district=d
            )
            root.children.append(snode)
            for i, (unit, usector) in enumerate(units, 1):
                unode = self.org(
                    f"中共{unit}委员会",
                    OrgType.PRIMARY_COMMITTEE,
                    code=f"31{code}{i:03d}",
                    sector=usector,
                    district=d,
                    host_unit=unit,
                )
                snode.children.append(unode)
                for b in range(1, s.branches_per_sector_unit + 1):
                    label = "党支部" if s.branches_per_sector_unit == 1 else f"第{b}党支部"
                    unode.children.append(
                        self.org(
                            f"{unit}{label}",
                            OrgType.BRANCH,
                            code=f"31{code}{i:03d}{b:03d}",
                            sector=usector,
                            district=d,
                            host_unit=unit,
                            members=s.members_per_branch,
                        )
                    )
        return root

    def street_committee(self, d: District, st: Street) -> _Org:
        s = self.scale
        is_street = st.kind == Street.Kind.STREET
        node = self.org(
            f"中共{d.name}{st.name}{'工作委员会' if is_street else '委员会'}",
            OrgType.STREET_COMMITTEE if is_street else OrgType.TOWN_COMMITTEE,
            code=st.code,
            sector=Sector.STREET_COMMUNITY if is_street else Sector.TOWN,
            district=d,
            street=st,
        )
        community = st.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        for r in range(1, s.residential_per_street + 1):
            label = f"{community}第{r}居民区党支部" if is_street else f"{community}第{r}村党支部"
            node.children.append(
                self.org(
                    label,
                    OrgType.BRANCH,
                    code=f"{st.code}R{r:03d}",
                    sector=Sector.STREET_COMMUNITY if is_street else Sector.TOWN,
                    district=d,
                    street=st,
                    members=s.members_per_branch,
                )
            )
        # Two-new organisations: every ten enterprise branches sit under a comprehensive
        # primary committee; small firms share a joint branch.
        parent = node
        for e in range(1, s.enterprises_per_street + 1):
            if s.enterprises_per_street >= 10 and e % 10 == 1:
                parent = self.org(
                    f"{community}非公经济组织综合党委（{e // 10 + 1}）",
                    OrgType.PRIMARY_COMMITTEE,
                    code=f"{st.code}P{e // 10 + 1:03d}",
                    sector=Sector.NEW_ECONOMIC,
                    district=d,
                    street=st,
                )
                node.children.append(parent)
            firm = (
                f"上海{self.rng.choice(ENTERPRISE_WORDS)}"
                f"{self.rng.choice(ENTERPRISE_KINDS)}有限公司"
            )
            parent.children.append(
                self.org(
                    f"{firm}党支部",
                    OrgType.BRANCH,
                    code=f"{st.code}E{e:03d}",
                    sector=Sector.NEW_ECONOMIC,
                    district=d,
                    street=st,
                    host_unit=firm,
                    members=s.members_per_branch,
                )
            )
        node.children.append(
            self.org(
                f"{community}社区非公企业联合党支部",
                OrgType.JOINT_BRANCH,
                code=f"{st.code}J001",
                sector=Sector.NEW_ECONOMIC,
                district=d,
                street=st,
                members=(3, max(4, s.members_per_branch[0])),
            )
        )
        return node

    def assign_paths(self, root: _Org) -> list[_Org]:
        """Give every node its materialised path (treebeard's encoding), breadth first."""
        root.obj.path = Organization._get_path(None, 1, 1)
        root.obj.depth = 1
        levels: list[list[_Org]] = [[root]]
        while levels[-1]:
            nxt: list[_Org] = []
            for node in levels[-1]:
                node.obj.numchild = len(node.children)
                for i, child in enumerate(node.children, 1):
                    child.obj.path = Organization._get_path(node.obj.path, node.obj.depth + 1, i)
                    child.obj.depth = node.obj.depth + 1
                    nxt.append(child)
            levels.append(nxt)
        flat = [n for level in levels for n in level]
        for n in flat:
            n.obj.fill_search_keys()
        return flat

    def save_tree(self, flat: list[_Org]) -> None:
        for i in range(0, len(flat), 2000):
            Organization.objects.bulk_create([n.obj for n in flat[i : i + 2000]])
            self.progress("organizations", min(i + 2000, len(flat)), len(flat))

    # ----- members ------------------------------------------------------------------------
    def member(
        self, home: _Org, *, status: str | None = None, home_street: Street | None = None
    ) -> Member:
        rng = self.rng
        org = home.obj
        sex = "M" if rng.random() < 0.62 else "F"
        birth_year = rng.randint(1925, 1986)
        birth = dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
        joined_age = rng.randint(18, 45)
        joined = dt.date(min(birth_year + joined_age, 2005), rng.randint(1, 12), rng.randint(1, 28))
        if joined > CAMPAIGN_LAUNCH:
            joined = CAMPAIGN_LAUNCH - dt.timedelta(days=rng.randint(1, 300))
        if joined.year - birth.year < 18:
            joined = dt.date(birth.year + 18, 7, 1)
        probationary = joined > CAMPAIGN_LAUNCH - dt.timedelta(days=365)
        district_code = org.district_id or "310101"
        area = district_code
        if rng.random() < 0.12:  # born elsewhere in China
            area = rng.choice(
                ("320102", "330106", "340104", "370102", "420106", "510107", "230103", "350102")
            )
        id_number = ""
        for _attempt in range(50):
            id_number = make_id_number(area, birth, rng.randint(0, 499), sex)
            if id_number not in self.used_ids:
                break
        self.used_ids.add(id_number)
        if status is None:
            age = 2005 - birth_year
            roll = rng.random()
            if age >= 60:
                status = EmploymentStatus.RETIRED
            elif org.sector == Sector.TOWN and roll < 0.5:
                status = EmploymentStatus.FARMER
            elif roll < 0.05:
                status = EmploymentStatus.MOBILE
            elif roll < 0.08:
                status = EmploymentStatus.ON_ROLL_NOT_AT_POST
            elif roll < 0.10:
                status = EmploymentStatus.UNEMPLOYED
            else:
                status = EmploymentStatus.AT_POST
        if rng.random() < 0.6:
            phone = f"+8613{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        else:
            phone = f"+8621{rng.choice('5634')}{rng.randint(0, 9999999):07d}"
        street = home_street or home.street
        if street is None:
            street = self.random_street(district_code)
        lng = street.lng + rng.gauss(0, 0.008)
        lat = street.lat + rng.gauss(0, 0.008)
        education = "primary"
        for level, year in EDUCATION_BY_ERA:
            if birth_year >= year and rng.random() < 0.7:
                education = level
        dispersed = status in (EmploymentStatus.ON_ROLL_NOT_AT_POST, EmploymentStatus.MOBILE)
        m = Member(
            name=self.names.full(sex, birth_year),
            sex=sex,
            birth_date=birth,
            ethnicity="汉族" if rng.random() < 0.985 else rng.choice(("回族", "满族", "壮族")),
            id_number=id_number,
            id_number_index=blind_index(id_number, purpose=ID_PURPOSE),
            id_number_masked=mask_id_number(id_number),
            education=education,
            phone=phone,
            phone_index=blind_index(phone, purpose=PHONE_PURPOSE),
            phone_masked=mask_phone(phone),
            category=MemberCategory.PROBATIONARY if probationary else MemberCategory.FULL,
            joined_on=joined,
            full_member_on=None if probationary else joined + dt.timedelta(days=365),
            employment_status=status,
            work_unit=org.host_unit,
            home_address=f"{street.district.name}{street.name}{rng.randint(1, 999)}弄"
            f"{rng.randint(1, 80)}号",
            street=street,
            lng=round(lng, 6),
            lat=round(lat, 6),
            coord_source="synthetic",
            home_org=org,
            home_path=org.path,
            participating_org=None if dispersed else org,
            participating_path="" if dispersed else org.path,
            entrusted=dispersed and rng.random() < 0.3,
        )
        m.fill_search_keys()
        return m

    def random_street(self, district_code: str | None = None) -> Street:
        streets = self.streets_by_district.get(district_code or "") or self.all_streets
        return self.rng.choice(streets)

    def members_for(self, nodes: list[_Org]) -> Iterator[Member]:
        s = self.scale
        electric_branches = [n for n in nodes if n.obj.code.startswith("31SDQ") and n.members]
        for n in nodes:
            if n.members:
                for _ in range(self.rng.randint(*n.members)):
                    yield self.member(n)
        # S16: Shanghai Electric's members on the roll but not at post, 70% living outside
        # the group's own district, spread over the city.
        own = "310101"
        for i in range(s.electric_dispersed):
            home = electric_branches[i % len(electric_branches)]
            district = own if self.rng.random() < 0.3 else self.rng.choice(self.other_districts)
            yield self.member(
                home,
                status=EmploymentStatus.ON_ROLL_NOT_AT_POST,
                home_street=self.random_street(district),
            )

    def save_members(self, nodes: list[_Org]) -> int:
        total_estimate = sum((n.members[0] + n.members[1]) // 2 for n in nodes if n.members)
        total_estimate += self.scale.electric_dispersed
        batch: list[Member] = []
        done = 0
        for m in self.members_for(nodes):
            batch.append(m)
            if len(batch) >= 2000:
                Member.objects.bulk_create(batch)
                done += len(batch)
                batch = []
                self.progress("members", done, max(done, total_estimate))
        if batch:
            Member.objects.bulk_create(batch)
            done += len(batch)
        self.progress("members", done, done)
        return done

    def appoint_secretaries(self, nodes: list[_Org]) -> None:
        """Most units have a secretary, a full member of the unit or (for a committee) of its
        first branches; about 7% are vacant (S11). No one holds two posts: a branch's
        secretary is not also its street's, district's and city's."""
        full: dict[int, list[int]] = {}
        rows = (
            Member.objects.filter(category=MemberCategory.FULL)
            .order_by("home_org_id", "-id")
            .values_list("home_org_id", "id")
        )
        for org_id, member_id in rows.iterator(chunk_size=20_000):
            ids = full.setdefault(org_id, [])
            if len(ids) < 6:  # enough for every level above a branch
                ids.append(member_id)
        used: set[int] = set()

        def pick(node: _Org) -> int | None:
            for member_id in full.get(node.obj.pk, ()):
                if member_id not in used:
                    return member_id
            for child in node.children:
                found = pick(child)
                if found is not None:
                    return found
            return None

        units = []
        # the branches first, so each keeps its own first member; the committees above take
        # the next ones of their first branches
        for node in sorted(nodes, key=lambda n: -n.obj.depth):
            org = node.obj
            if org.org_type == OrgType.GROUP:
                continue
            secretary = pick(node)
            if secretary is None or self.rng.random() < 0.07:
                org.secretary_id = None
                org.secretary_vacant_since = self.today - dt.timedelta(
                    days=self.rng.randint(10, 240)
                )
            else:
                org.secretary_id = secretary
                org.secretary_vacant_since = None
                used.add(secretary)
            units.append(org)
        Organization.objects.bulk_update(
            units, ["secretary", "secretary_vacant_since"], batch_size=2000
        )

    # ----- organisation health (S12) -------------------------------------------------------
    def rectifications(self, seed: int) -> int:
        """Weak and lax designations in every state, through the audited services: each unit
        built weak gets a rectification (designated, under way, overdue), and a few healthy
        branches per district carry a closed one (S12: 623 rectified). Its own random stream,
        so the rest of the scenario is the same as without it."""
        rng = random.Random(seed * 7919 + 12)
        leaders = NameMaker(rng)
        today = self.today
        entered_notes = {
            WeakCriterion.IRREGULAR_LIFE: "近半年未按期召开支部委员会和党员大会",
            WeakCriterion.PETITION_CLUSTER: "本年度居民集体信访3批次，涉及动迁补偿",
            WeakCriterion.LOW_SATISFACTION: "群众满意度测评满意率52％",
            WeakCriterion.WEAK_LEADERSHIP: "支委会成员不团结，工作推不动",
        }
        measures = [
            "由街道党工委班子成员挂钩联系，蹲点指导",
            "配齐配强支部班子，选派优秀党员担任书记",
            "恢复“三会一课”制度，每月固定主题党日",
            "逐户走访党员和群众，梳理问题清单",
            "建立信访问题台账，逐项落实责任人和时限",
        ]
        progress = [
            "召开支部党员大会，通报整顿方案，征求意见12条",
            "完成支委会补选，班子配齐",
            "主题党日恢复正常，党员参加率85％",
            "信访问题已化解2件，余1件进入司法程序",
        ]

        def designate(org: Organization, days_ago: int) -> Any:
            picked = rng.sample(sorted(entered_notes), rng.randint(1, 2))
            return org_services.rectification_designate(
                actor=None,
                org=org,
                entered={c: entered_notes[c] for c in picked},
                note="经街道党工委排查、区委组织部审核认定",
                on=today - dt.timedelta(days=days_ago),
            )

        def plan(rect: Any, deadline: dt.date) -> None:
            org_services.rectification_plan(
                actor=None,
                rectification=rect,
                measures="\n".join(rng.sample(measures, 3)),
                owner=f"街道党工委委员 {leaders.full(rng.choice('MF'), rng.randint(1955, 1970))}",
                deadline=deadline,
            )

        def notes(rect: Any, n: int) -> None:
            span = (today - rect.designated_on).days
            for day in sorted(rng.sample(range(1, max(span, n + 1)), n)):
                org_services.rectification_add_note(
                    actor=None,
                    rectification=rect,
                    text=rng.choice(progress),
                    on=min(rect.designated_on + dt.timedelta(days=day), today),
                )

        def under_way(org: Organization, *, overdue: bool) -> Any:
            rect = designate(org, rng.randint(60, 200))
            deadline = (
                today - dt.timedelta(days=rng.randint(5, 30))
                if overdue
                else today + dt.timedelta(days=rng.randint(30, 120))
            )
            plan(rect, max(deadline, rect.designated_on))
            notes(rect, rng.randint(1, 3))
            return rect

        made = 0
        # Units built weak: designated (plan to be made), under way, overdue in turn.
        weak = Organization.objects.filter(health=OrgHealth.WEAK).order_by("path")
        for i, org in enumerate(weak):
            if i % 3 == 0:
                designate(org, rng.randint(10, 40))
            else:
                under_way(org, overdue=i % 3 == 2)
            made += 1
        full = dict(
            Member.objects.filter(category=MemberCategory.FULL)
            .values_list("home_org_id")
            .annotate(n=models.Count("id"))
            .order_by()
        )
        closed, open_ = (1, 2) if self.scale_name == "tiny" else (6, 4)
        for district in Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE):
            healthy = [
                o
                for o in Organization.objects.filter(
                    path__startswith=district.path,
                    org_type=OrgType.BRANCH,
                    health=OrgHealth.NORMAL,
                    secretary__isnull=False,
                ).order_by("path")
                if full.get(o.pk, 0) >= 3
            ]
            picked = rng.sample(healthy, min(closed + open_, len(healthy)))
            for j, org in enumerate(picked[closed:]):
                under_way(org, overdue=j % 2 == 0)
                made += 1
            for org in picked[:closed]:
                rect = designate(org, rng.randint(200, 330))
                plan(rect, rect.designated_on + dt.timedelta(days=120))
                notes(rect, 2)
                org_services.rectification_close(
                    actor=None,
                    rectification=rect,
                    result="组织生活恢复正常，群众满意率提高到86％，经街道党工委验收销号",
                    on=today - dt.timedelta(days=rng.randint(5, 60)),
                )
                made += 1
        return made

    # ----- accounts -----------------------------------------------------------------------
    def accounts(self) -> list[tuple[str, str, str]]:
        by_code = {
            o.code: o
            for o in Organization.objects.filter(depth__lte=3).only("id", "code", "path", "name")
        }
        root = by_code["310000"]
        huangpu = by_code["310101"]
        xuhui = by_code["310104"]
        street = (
            Organization.objects.filter(path__startswith=huangpu.path, depth=3)
            .order_by("path")
            .first()
        )
        branch = (
            Organization.objects.filter(path__startswith=street.path, org_type=OrgType.BRANCH)
            .order_by("path")
            .first()
        )
        electric = by_code["31SDQ"]
        self_member = Member.objects.filter(home_org=branch).order_by("id").first()
        plan = [
            ("city.admin", "市委组织部 王建国", Role.CITY_ADMIN, root),
            ("huangpu.officer", "黄浦区委组织部 李敏", Role.DISTRICT_OFFICER, huangpu),
            ("xuhui.officer", "徐汇区委组织部 陈伟", Role.DISTRICT_OFFICER, xuhui),
            ("street.officer", f"{street.name} 张静", Role.COMMITTEE_OFFICER, street),
            ("dianqi.officer", "电气集团党委 沈海峰", Role.COMMITTEE_OFFICER, electric),
            ("branch.secretary", f"{branch.name} 书记", Role.BRANCH_SECRETARY, branch),
            ("party.worker", "党群工作者 顾晓燕", Role.PARTY_WORKER, street),
            ("auditor", "黄浦区审计员 周文", Role.AUDITOR, huangpu),
            ("member.self", self_member.name if self_member else "党员", Role.MEMBER, branch),
        ]
        # Outreach rights (needy people's categories and health) for those doing outreach work
        # in 黄浦; 徐汇's officer and the electric group's have none, so the demo shows both.
        outreach = {
            "city.admin",
            "huangpu.officer",
            "street.officer",
            "branch.secretary",
            "party.worker",
        }
        out = []
        for username, display, role, org in plan:
            user = User(username=username, display_name=display)
            user.set_password(DEMO_PASSWORD)
            user.save()
            RoleAssignment.objects.create(
                user=user, role=role, organization=org, outreach=username in outreach
            )
            if role == Role.MEMBER and self_member is not None:
                Member.objects.filter(pk=self_member.pk).update(user=user)
            out.append((username, str(Role(role).label), org.name))
        return out

    # ----- transfers ----------------------------------------------------------------------
    def transfers(self) -> int:
        """A few transfers of organisational relationship in every state, between 黄浦 and
        徐汇 (and out of the city), made through the services so that the worklists and the
        history are alive. Secretaries and members with an account of their own are left alone
        (a demo login whose member record has moved away would confuse its user)."""
        from jiceng.members.transfers import services as ts

        by_code = {o.code: o for o in Organization.objects.filter(code__in=["310101", "310104"])}
        huangpu, xuhui = by_code["310101"], by_code["310104"]
        # Made by the system (actor None, which may act for either side), so that the demo
        # officers' own audit trail starts empty.
        hp = xh = None
        secretaries = set(
            Organization.objects.exclude(secretary=None).values_list("secretary_id", flat=True)
        )

        def movable(district: Organization) -> list[Member]:
            rows = list(
                Member.objects.filter(home_path__startswith=district.path, user=None)
                .select_related("home_org")
                .order_by("id")[:400]
            )
            return [m for m in rows if m.pk not in secretaries]

        def branches(district: Organization) -> list[Organization]:
            return list(
                Organization.objects.filter(
                    path__startswith=district.path, org_type=OrgType.BRANCH
                ).order_by("path")
            )

        pool = {"hp": movable(huangpu), "xh": movable(xuhui)}
        targets = {"hp": branches(huangpu), "xh": branches(xuhui)}
        for v in pool.values():
            self.rng.shuffle(v)
        dues = self.today.replace(day=1)
        # (from, to or None for outside the city, actions after the request)
        plan: list[tuple[str, str | None, tuple[str, ...]]] = [
            ("hp", "xh", ()),
            ("hp", "xh", ()),
            ("hp", "xh", ("approve",)),
            ("hp", "xh", ("approve", "issue")),
            ("xh", "hp", ("approve", "issue", "dispatch")),
            ("hp", "xh", ("approve", "issue", "confirm")),
            ("xh", "hp", ("approve", "issue", "dispatch", "confirm")),
            ("hp", None, ("approve", "issue", "dispatch")),
            ("xh", None, ("approve", "issue", "record_receipt")),
            ("hp", "xh", ("reject",)),
            ("xh", "hp", ("approve", "withdraw")),
            ("hp", "xh", ("approve", "issue", "expire")),
        ]
        officer: dict[str, User | None] = {"hp": hp, "xh": xh}
        reasons = ["工作调动", "居住地变更", "毕业分配", "退休后随子女居住"]
        outside = [
            ("北京市", "中共北京市海淀区中关村街道工作委员会"),
            ("江苏省", "中共苏州工业园区工作委员会"),
        ]
        n = 0
        for frm, to, steps in plan:
            if not pool[frm]:
                continue
            member = pool[frm].pop()
            sender = officer[frm]
            if to is None:
                region, name = self.rng.choice(outside)
                t = ts.transfer_request(
                    actor=sender,
                    member=member,
                    dest_org_name=name,
                    dest_region=region,
                    reason=self.rng.choice(reasons),
                )
            else:
                target = self.rng.choice(targets[to])
                t = ts.transfer_request(
                    actor=sender, member=member, to_org=target, reason=self.rng.choice(reasons)
                )
            for step in steps:
                if step == "approve":
                    t = ts.transfer_approve(actor=sender, transfer=t)
                elif step == "issue":
                    t = ts.transfer_issue(actor=sender, transfer=t, dues_paid_to=dues)
                elif step == "dispatch":
                    t = ts.transfer_dispatch(actor=sender, transfer=t, note="交党员本人")
                elif step == "confirm":
                    t = ts.transfer_confirm(actor=officer[to or frm], transfer=t, note="已接收")
                elif step == "record_receipt":
                    t = ts.transfer_record_receipt(actor=sender, transfer=t, note="回执已寄回")
                elif step == "reject":
                    t = ts.transfer_reject(actor=sender, transfer=t, reason="材料不全，请补充")
                elif step == "withdraw":
                    t = ts.transfer_withdraw(actor=sender, transfer=t, reason="党员本人撤回申请")
                elif step == "expire":
                    type(t).objects.filter(pk=t.pk).update(
                        valid_until=self.today - dt.timedelta(days=1)
                    )
                    ts.transfers_expire(today=self.today)
            n += 1
        return n

    def prepare_geo(self) -> None:
        gazetteer_load()
        self.all_streets = list(Street.objects.select_related("district").order_by("code"))
        self.streets_by_district: dict[str, list[Street]] = {}
        for st in self.all_streets:
            self.streets_by_district.setdefault(st.district_id, []).append(st)
        self.other_districts = sorted(c for c in self.streets_by_district if c != "310101")


def is_built() -> bool:
    return Organization.objects.exists()


@transaction.atomic
def build(
    scale: str = "demo",
    seed: int = 2005,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    voice: bool = True,
) -> dict[str, object]:
    """Build the whole scenario in one transaction; refuses to run on a non-empty tree.
    ``voice=False`` leaves out the public's voice (petitions, surveys, rectification items)
    and the units' appraisal run that reads it,
    as the test suite's shared world does: those apps' tests start from empty tables."""
    if is_built():
        raise RuntimeError("the organisation tree is not empty; use a fresh database")
    b = Builder(scale, seed, progress or (lambda *_: None))
    b.prepare_geo()
    nodes = b.assign_paths(b.tree())
    b.save_tree(nodes)
    saved = {n.obj.code: n.obj for n in nodes}
    for o in Organization.objects.only("id", "code"):
        saved[o.code].pk = o.pk
        saved[o.code].id = o.pk
    members = b.save_members(nodes)
    b.appoint_secretaries(nodes)
    logins = b.accounts()
    transfers = b.transfers()
    b.rectifications(seed)
    build_founding(seed)  # S12: units founded during the batch, for the summary
    lostcontact.build_contacts(seed, b.progress)
    lostcontact.build_cases(seed)
    duplicates.build_duplicates(seed)
    plans = planning.build_plans(scale) if scale != "tiny" else 0
    campaigns.build_campaigns(scale, seed)
    surveys.build_appraisals(scale, seed)
    study.build_study(scale, seed)
    build_outreach(scale, seed, b.progress)
    build_projects(scale, seed, b.progress)
    build_programmes(scale, seed, b.progress)
    # after every registration (programmes register S27's households too)
    build_pairings(scale, seed, b.progress)
    build_workers(scale, seed, b.progress)  # party-mass workers recruited (S3)
    build_development(scale, seed, b.progress)  # development pipelines (issue 23)
    if voice:  # petitions, satisfaction surveys, rectification items (issue 21 item 5)
        build_voice(scale, seed, b.progress)
        # the units' appraisal, which reads them too (issue 21 item 4): a ranking to open
        appraisal_recompute(actor=None)
    # the stored totals of issue 22, once, after every bulk write above
    rebuild_totals()
    if voice:  # the summary of the city's second batch (issue 22): a report to open
        summarize_latest()
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id=scale,
        object_repr=f"scenario {scale} seed {seed}",
        org_path=nodes[0].obj.path,
        note=f"{len(nodes)} organisations, {members} members, {transfers} transfers",
    )
    return {
        "organizations": len(nodes),
        "members": members,
        "transfers": transfers,
        "plans": plans,
        "logins": logins,
    }
