"""The figures a summary report quotes (S29), in one table: each figure is the count of the
rows it lists, so every number of a report leads to exactly the rows behind it.

A figure is defined by a model, the path column that places its rows in the tree, and a
filter by the report's period and campaign (``Window``). Its value over a subtree is
``rows(window, path).count()``; the value of each child unit comes from one grouped query
over the same rows (``by_child``), so the appendix and the named units agree with the lists.
Shares (a percentage) are two figures, numerator and denominator, each with its list.

Which of the seed's sentences each figure feeds is in ``compose.py``; the facts they stand for
are in docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.campaigns.models import (
    Campaign,
    CampaignUnit,
    FourOnesItem,
    PracticeActivity,
)
from jiceng.members.lost_contact.rules import CaseState
from jiceng.members.models import LostContactCase, Member
from jiceng.orgs.models import (
    TWO_NEW_SECTORS,
    Organization,
    OrgType,
    Rectification,
    RectificationState,
)
from jiceng.outreach.models import NeedyPerson, Visit
from jiceng.outreach.pairings.models import Pairing, UnitPairing
from jiceng.outreach.pairings.rules import PairingState
from jiceng.outreach.programmes.models import ServiceCard, ServiceTask
from jiceng.outreach.programmes.rules import CardState, TaskState
from jiceng.outreach.projects.models import SupportProject
from jiceng.outreach.visits.rules import VisitState
from jiceng.petitions.models import Petition
from jiceng.petitions.rules import Satisfaction
from jiceng.planning.models import PlanAssignment, PlanBranch
from jiceng.planning.rules import PlanKind, PlanState
from jiceng.rectification.models import RectificationItem, StandingArrangement
from jiceng.satisfaction.models import SurveyResponse
from jiceng.study.models import Attendance, StudySession
from jiceng.workers.models import PartyWorker

# Organisations counted as "grassroots organisations" when founded (基层党组织: primary
# committees, general branches, branches; not party groups, not committees of the tree above).
GRASSROOTS_TYPES = (
    OrgType.PRIMARY_COMMITTEE,
    OrgType.GENERAL_BRANCH,
    OrgType.BRANCH,
    OrgType.JOINT_BRANCH,
)


@dataclass(frozen=True)
class Window:
    """What a report counts: rows dated from ``start`` to ``end`` (both included), of
    ``campaign`` where a row belongs to one."""

    start: dt.date
    end: dt.date
    campaign_id: int | None = None


@dataclass(frozen=True)
class Column:
    """A column of a figure's list: its heading and the row's attribute (dotted) it shows;
    ``link`` names a URL taking the row's ``link_attr`` as its one argument."""

    label: Promise
    attr: str
    link: str = ""
    link_attr: str = "pk"

    def value(self, row: Any) -> Any:
        for part in self.attr.split("."):
            row = getattr(row, part, None)
            if callable(row):
                row = row()
            if row is None:
                return ""
        return row

    def href(self, row: Any) -> str:
        if not self.link:
            return ""
        target = row
        for part in self.link_attr.split("."):
            target = getattr(target, part, None)
            if target is None:
                return ""
        try:
            return reverse(self.link, args=[target])
        except NoReverseMatch:
            return ""


@dataclass(frozen=True)
class Figure:
    """One countable figure: ``model`` rows placed by ``path`` (a path column, possibly across
    a relation), filtered by ``where`` for a window; ``unit`` is the measure word the report
    writes after it (个, 名, 人次, 户 …)."""

    key: str
    label: Promise
    unit: str
    model: type[Model]
    path: str
    where: Callable[[Window], Q]
    columns: tuple[Column, ...]
    related: tuple[str, ...] = ()
    order: tuple[str, ...] = ("-pk",)
    needs_campaign: bool = False
    annotate: Callable[[Window], dict[str, Any]] = field(default=lambda w: {})

    def rows(self, window: Window, under: str) -> QuerySet[Any]:
        """The rows counted for the subtree at path ``under``."""
        qs = self.model._default_manager.all()
        extra = self.annotate(window)
        if extra:
            qs = qs.annotate(**extra)
        return qs.filter(**{f"{self.path}__startswith": under}).filter(self.where(window))

    def count(self, window: Window, under: str) -> int:
        if self.needs_campaign and window.campaign_id is None:
            return 0
        return self.rows(window, under).count()

    def by_child(self, window: Window, under: str, child_length: int) -> dict[str, int]:
        """Counts per child path (the first ``child_length`` characters of the row's path) in
        one grouped query; rows placed at ``under`` itself are under the key ``under``."""
        if self.needs_campaign and window.campaign_id is None:
            return {}
        grouped = (
            self.rows(window, under)
            .annotate(_child=Substr(self.path, 1, child_length))
            .values("_child")
            .annotate(_n=Count("pk"))
            .order_by()
        )
        return {g["_child"]: g["_n"] for g in grouped}

    def listing(self, window: Window, under: str) -> QuerySet[Any]:
        qs = self.rows(window, under)
        if self.related:
            qs = qs.select_related(*self.related)
        return qs.order_by(*self.order)


def _between(name: str, w: Window) -> Q:
    return Q(**{f"{name}__gte": w.start, f"{name}__lte": w.end})


def _open_on(w: Window) -> Q:
    """A pairing confirmed by the window's end and not ended by then."""
    return Q(
        state__in=(PairingState.CONFIRMED, PairingState.ENDED),
        started_on__lte=w.end,
    ) & (Q(ended_on__isnull=True) | Q(ended_on__gt=w.end))


def _formed(w: Window, branch: str = "") -> Q:
    """Rows of applied formation plans whose regional branch was founded within the window
    (S17). The branch's founding date, not the moment of applying: that is the site's day
    (``core.clock``), which the demo sets in 2005."""
    plan = f"{branch}plan__"
    return Q(
        **{
            f"{plan}kind": PlanKind.FORM,
            f"{plan}state": PlanState.APPLIED,
            f"{branch}org__founded_on__gte": w.start,
            f"{branch}org__founded_on__lte": w.end,
        }
    )


def _year_to(name: str, w: Window) -> Q:
    """From the first of January of the window's last year to its end: the workers of S3 were
    recruited in May 2005, as the second batch was being prepared, before its launch."""
    return Q(**{f"{name}__gte": dt.date(w.end.year, 1, 1), f"{name}__lte": w.end})


def _in_post(w: Window) -> Q:
    """A worker hired this year and in post at the window's end (deployed, not yet left)."""
    return (
        _year_to("hired_on", w)
        & Q(org__isnull=False, since__lte=w.end)
        & (Q(until__isnull=True) | Q(until__gt=w.end))
    )


def _visited(w: Window) -> dict[str, Any]:
    confirmed = Visit.objects.filter(
        needy=OuterRef("pk"), state=VisitState.CONFIRMED, visited_on__range=(w.start, w.end)
    )
    return {"_visited": Exists(confirmed)}


ORG = Column(_("组织"), "org.name", "orgs:detail", "org_id")
MEMBER = Column(_("党员"), "member.name", "members:detail", "member_id")

# A worker in post: who, where, since when (the two figures of workers in post list these).
WORKER_IN_POST = (
    Column(_("姓名"), "name", "workers:worker-detail"),
    Column(_("派驻党组织"), "org.name", "orgs:detail", "org_id"),
    Column(_("上岗日期"), "since"),
)

FIGURES: tuple[Figure, ...] = (
    # —— organisation building (S10–S13, S17) ——
    Figure(
        "members.on_roll",
        _("在册党员"),
        "名",
        Member,
        "home_path",
        lambda w: Q(transferred_out_on__isnull=True),
        (Column(_("姓名"), "name", "members:detail"), Column(_("组织关系所在"), "home_org.name")),
        related=("home_org",),
        order=("home_path", "pk"),
    ),
    Figure(
        "members.placed",
        _("落实参加活动单位的党员"),
        "名",
        Member,
        "home_path",
        lambda w: Q(transferred_out_on__isnull=True, participating_org__isnull=False),
        (
            Column(_("姓名"), "name", "members:detail"),
            Column(_("组织关系所在"), "home_org.name"),
            Column(_("参加活动单位"), "participating_org.name"),
        ),
        related=("home_org", "participating_org"),
        order=("home_path", "pk"),
    ),
    Figure(
        "orgs.founded",
        _("新建基层党组织"),
        "个",
        Organization,
        "path",
        lambda w: _between("founded_on", w) & Q(org_type__in=GRASSROOTS_TYPES),
        (
            Column(_("名称"), "name", "orgs:detail"),
            Column(_("类型"), "get_org_type_display"),
            Column(_("成立日期"), "founded_on"),
        ),
        order=("path",),
    ),
    Figure(
        "orgs.rectified",
        _("调整的软弱涣散基层党组织"),
        "个",
        Rectification,
        "org__path",
        lambda w: Q(state=RectificationState.CLOSED) & _between("closed_on", w),
        (ORG, Column(_("认定日期"), "designated_on"), Column(_("销号日期"), "closed_on")),
        related=("org",),
        order=("org__path",),
    ),
    Figure(
        "members.found",
        _("找到的长期失去联系党员"),
        "名",
        LostContactCase,
        "member_path",
        lambda w: (
            Q(state__in=(CaseState.FOUND_RELINKED, CaseState.FOUND_TRANSFERRED))
            & _between("found_on", w)
        ),
        (MEMBER, Column(_("立案日期"), "opened_on"), Column(_("找到日期"), "found_on")),
        related=("member",),
        order=("member_path", "pk"),
    ),
    Figure(
        "planning.branches",
        _("组建的区域党支部"),
        "个",
        PlanBranch,
        "org__path",
        lambda w: _formed(w),
        (
            Column(_("区域党支部"), "org.name", "orgs:detail", "org_id"),
            Column(_("方案"), "plan.name", "planning:detail", "plan_id"),
            Column(_("人数"), "size"),
        ),
        related=("org", "plan"),
        order=("org__path",),
    ),
    Figure(
        "planning.moved",
        _("组织关系转到就近支部的党员"),
        "名",
        PlanAssignment,
        "branch__org__path",
        lambda w: _formed(w, "branch__"),
        (MEMBER, Column(_("转入支部"), "branch.org.name", "orgs:detail", "branch.org_id")),
        related=("member", "branch__org"),
        order=("branch__org__path", "pk"),
    ),
    # —— full-time party-mass workers (S3) ——
    Figure(
        "workers.hired",
        _("本年公开招聘的专职党群工作者"),
        "名",
        PartyWorker,
        "path",
        lambda w: _year_to("hired_on", w),
        (
            Column(_("姓名"), "name", "workers:worker-detail"),
            Column(_("聘用日期"), "hired_on"),
            Column(_("派驻党组织"), "org.name", "orgs:detail", "org_id"),
        ),
        related=("org",),
        order=("path", "pk"),
    ),
    Figure(
        "workers.in_post",
        _("本年招聘并已上岗的专职党群工作者"),
        "名",
        PartyWorker,
        "org_path",
        lambda w: _in_post(w),
        WORKER_IN_POST,
        related=("org",),
        order=("org_path", "pk"),
    ),
    Figure(
        "workers.two_new",
        _("本年招聘并派驻“两新”组织的专职党群工作者"),
        "名",
        PartyWorker,
        "org_path",
        lambda w: _in_post(w) & Q(org__sector__in=TWO_NEW_SECTORS),
        WORKER_IN_POST,
        related=("org",),
        order=("org_path", "pk"),
    ),
    # —— the campaign, study and practice (S1, S5, S9, S18, S24, S25) ——
    Figure(
        "campaign.units",
        _("参加活动的基层党组织"),
        "个",
        CampaignUnit,
        "org_path",
        lambda w: Q(campaign_id=w.campaign_id),
        (
            Column(_("单位"), "org.name", "campaigns:unit"),
            Column(_("阶段"), "get_phase_display"),
            Column(_("完成日期"), "completed_on"),
        ),
        related=("org",),
        order=("org_path",),
        needs_campaign=True,
    ),
    Figure(
        "campaign.completed",
        _("完成各阶段各环节工作的基层党组织"),
        "个",
        CampaignUnit,
        "org_path",
        lambda w: Q(campaign_id=w.campaign_id, completed_on__isnull=False, completed_on__lte=w.end),
        (Column(_("单位"), "org.name", "campaigns:unit"), Column(_("完成日期"), "completed_on")),
        related=("org",),
        order=("org_path",),
        needs_campaign=True,
    ),
    Figure(
        "campaign.pilots",
        _("试点单位"),
        "个",
        CampaignUnit,
        "org_path",
        lambda w: Q(campaign_id=w.campaign_id, is_pilot=True),
        (Column(_("单位"), "org.name", "campaigns:unit"), Column(_("系统"), "get_sector_display")),
        related=("org",),
        order=("org_path",),
        needs_campaign=True,
    ),
    Figure(
        "study.sessions",
        _("集中学习"),
        "次",
        StudySession,
        "org_path",
        lambda w: _between("held_on", w),
        (ORG, Column(_("日期"), "held_on"), Column(_("主题"), "topic")),
        related=("org",),
        order=("-held_on", "pk"),
    ),
    Figure(
        "study.attendance",
        _("党员参加集中学习"),
        "人次",
        Attendance,
        "member_path",
        lambda w: Q(present=True) & Q(session__held_on__gte=w.start, session__held_on__lte=w.end),
        (MEMBER, Column(_("日期"), "session.held_on"), Column(_("主题"), "session.topic")),
        related=("member", "session"),
        order=("-session__held_on", "pk"),
    ),
    Figure(
        "practice.four_ones",
        _("党员完成的“四个一”项目"),
        "项",
        FourOnesItem,
        "member_path",
        lambda w: Q(campaign_id=w.campaign_id, state="confirmed", done_on__lte=w.end),
        (
            MEMBER,
            Column(_("项目"), "get_kind_display"),
            Column(_("内容"), "description"),
            Column(_("完成日期"), "done_on"),
        ),
        related=("member",),
        order=("member_path", "pk"),
        needs_campaign=True,
    ),
    Figure(
        "practice.activities",
        _("主题实践活动"),
        "次",
        PracticeActivity,
        "org_path",
        lambda w: _between("on", w),
        (
            ORG,
            Column(_("主题实践"), "practice.name"),
            Column(_("活动"), "title"),
            Column(_("日期"), "on"),
        ),
        related=("org", "practice"),
        order=("-on", "pk"),
    ),
    # —— serving the public (S19, S26–S28) ——
    Figure(
        "outreach.visits",
        _("走访"),
        "人次",
        Visit,
        "org_path",
        lambda w: Q(state=VisitState.CONFIRMED) & _between("visited_on", w),
        (
            ORG,
            Column(_("走访对象"), "target_name"),
            Column(_("日期"), "visited_on"),
            Column(_("方式"), "get_kind_display"),
        ),
        related=("org",),
        order=("-visited_on", "pk"),
    ),
    Figure(
        "outreach.households",
        _("重点走访的困难家庭"),
        "户",
        NeedyPerson,
        "path",
        lambda w: Q(_visited=True),
        (Column(_("姓名"), "name", "outreach:needy-detail"), Column(_("街道"), "street.name")),
        related=("street",),
        order=("path", "pk"),
        annotate=_visited,
    ),
    Figure(
        "outreach.paired_people",
        _("结对的困难群众"),
        "名",
        Pairing,
        "branch_path",
        _open_on,
        (
            Column(_("困难群众"), "needy.name", "outreach:needy-detail", "needy_id"),
            Column(_("结对支部"), "branch.name", "orgs:detail", "branch_id"),
            Column(_("结对日期"), "started_on"),
        ),
        related=("needy", "branch"),
        order=("branch_path", "pk"),
    ),
    Figure(
        "outreach.paired_units",
        _("结对的基层单位及其党组织"),
        "个",
        UnitPairing,
        "path",
        _open_on,
        (
            ORG,
            Column(_("结对单位"), "partner.name", "orgs:detail", "partner_id"),
            Column(_("结对日期"), "started_on"),
        ),
        related=("org", "partner"),
        order=("path", "pk"),
    ),
    Figure(
        "outreach.cards",
        _("收到特别服务卡的服务对象"),
        "户",
        ServiceCard,
        "path",
        lambda w: Q(issued_on__lte=w.end) & (Q(state=CardState.ACTIVE) | Q(withdrawn_on__gt=w.end)),
        (
            Column(_("卡号"), "number", "outreach:service-card"),
            Column(_("服务项目"), "programme.name", "outreach:service-detail", "programme_id"),
            Column(_("发卡日期"), "issued_on"),
        ),
        related=("programme",),
        order=("programme_id", "seq"),
    ),
    Figure(
        "outreach.services",
        _("完成的上门服务"),
        "次",
        ServiceTask,
        "path",
        lambda w: Q(state=TaskState.DONE) & _between("done_on", w),
        (
            Column(_("卡号"), "card.number"),
            Column(_("服务"), "commitment.label"),
            Column(_("完成日期"), "done_on"),
        ),
        related=("card", "commitment"),
        order=("-done_on", "pk"),
    ),
    Figure(
        "outreach.projects",
        _("帮扶项目"),
        "个",
        SupportProject,
        "path",
        lambda w: Q(starts_on__lte=w.end) & ~Q(state="closed", ended_on__lt=w.start),
        (
            Column(_("项目"), "title", "outreach:project-detail"),
            Column(_("承担单位"), "owner.name"),
            Column(_("开始日期"), "starts_on"),
        ),
        related=("owner",),
        order=("path", "pk"),
    ),
    # —— the public's voice (S20–S23) ——
    Figure(
        "petitions.received",
        _("受理的群众信访"),
        "件",
        Petition,
        "org_path",
        lambda w: _between("received_on", w),
        (
            Column(_("编号"), "number", "petitions:detail"),
            Column(_("收到日期"), "received_on"),
            Column(_("事由"), "subject"),
            Column(_("责任单位"), "org.name"),
        ),
        related=("org",),
        order=("-received_on", "pk"),
    ),
    Figure(
        "petitions.closed",
        _("办结的信访"),
        "件",
        Petition,
        "org_path",
        lambda w: _between("closed_on", w),
        (
            Column(_("编号"), "number", "petitions:detail"),
            Column(_("办结日期"), "closed_on"),
            Column(_("按期办结"), "on_time"),
        ),
        related=("org",),
        order=("-closed_on", "pk"),
    ),
    Figure(
        "petitions.on_time",
        _("按期办结的信访"),
        "件",
        Petition,
        "org_path",
        lambda w: _between("closed_on", w) & Q(on_time=True),
        (Column(_("编号"), "number", "petitions:detail"), Column(_("办结日期"), "closed_on")),
        related=("org",),
        order=("-closed_on", "pk"),
    ),
    Figure(
        "petitions.rated",
        _("信访人评价了办理结果的信访"),
        "件",
        Petition,
        "org_path",
        lambda w: _between("closed_on", w) & ~Q(satisfaction=""),
        (
            Column(_("编号"), "number", "petitions:detail"),
            Column(_("信访人满意度"), "get_satisfaction_display"),
        ),
        related=("org",),
        order=("-closed_on", "pk"),
    ),
    Figure(
        "petitions.satisfied",
        _("信访人满意或基本满意的信访"),
        "件",
        Petition,
        "org_path",
        lambda w: (
            _between("closed_on", w)
            & Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASICALLY))
        ),
        (
            Column(_("编号"), "number", "petitions:detail"),
            Column(_("信访人满意度"), "get_satisfaction_display"),
        ),
        related=("org",),
        order=("-closed_on", "pk"),
    ),
    Figure(
        "rectification.raised",
        _("立项整改的群众反映问题"),
        "项",
        RectificationItem,
        "path",
        lambda w: _between("raised_on", w),
        (
            Column(_("问题"), "title", "rectification:item-detail"),
            Column(_("责任单位"), "owner.name"),
            Column(_("立项日期"), "raised_on"),
            Column(_("状态"), "get_state_display"),
        ),
        related=("owner",),
        order=("-raised_on", "pk"),
    ),
    Figure(
        "rectification.done",
        _("整改完成的问题"),
        "项",
        RectificationItem,
        "path",
        lambda w: _between("completed_on", w),
        (
            Column(_("问题"), "title", "rectification:item-detail"),
            Column(_("责任单位"), "owner.name"),
            Column(_("完成日期"), "completed_on"),
        ),
        related=("owner",),
        order=("-completed_on", "pk"),
    ),
    Figure(
        "rectification.long_running",
        _("破解的多年难题"),
        "个",
        RectificationItem,
        "path",
        lambda w: Q(long_running=True) & _between("completed_on", w),
        (
            Column(_("问题"), "title", "rectification:item-detail"),
            Column(_("存在自"), "since"),
            Column(_("完成日期"), "completed_on"),
        ),
        related=("owner",),
        order=("-completed_on", "pk"),
    ),
    Figure(
        "rectification.standing",
        _("建立的长效管理机制"),
        "项",
        StandingArrangement,
        "item__path",
        lambda w: _between("starts_on", w),
        (
            Column(_("问题"), "item.title", "rectification:item-detail", "item_id"),
            Column(_("长效管理单位"), "keeper_org.name"),
            Column(_("开始日期"), "starts_on"),
        ),
        related=("item", "keeper_org"),
        order=("-starts_on", "pk"),
    ),
    Figure(
        "satisfaction.responses",
        _("收回的群众满意度测评"),
        "份",
        SurveyResponse,
        "path",
        lambda w: (
            Q(submitted_at__date__gte=w.start, submitted_at__date__lte=w.end)
            & Q(overall_level__isnull=False)
        ),
        (
            Column(_("测评"), "survey.title", "satisfaction:results", "survey_id"),
            Column(_("被测评单位"), "unit.org.name"),
            Column(_("提交时间"), "submitted_at"),
        ),
        related=("survey", "unit__org"),
        order=("-submitted_at", "pk"),
    ),
    Figure(
        "satisfaction.satisfied",
        _("评价为满意的测评"),
        "份",
        SurveyResponse,
        "path",
        lambda w: (
            Q(submitted_at__date__gte=w.start, submitted_at__date__lte=w.end)
            & Q(overall_level__lt=F("survey__satisfied_levels"))
        ),
        (
            Column(_("测评"), "survey.title", "satisfaction:results", "survey_id"),
            Column(_("被测评单位"), "unit.org.name"),
            Column(_("提交时间"), "submitted_at"),
        ),
        related=("survey", "unit__org"),
        order=("-submitted_at", "pk"),
    ),
)

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}


def campaign_window(campaign: Campaign, end: dt.date | None = None) -> Window:
    """A batch's window: from its launch to ``end`` (its reference date by default, never
    after its end)."""
    last = min(end or campaign.reference_date(), campaign.ends_on)
    return Window(
        start=campaign.starts_on, end=max(last, campaign.starts_on), campaign_id=campaign.pk
    )
