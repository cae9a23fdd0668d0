from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from jiceng.core import clock, tree
from jiceng.core.fields import PersonNameField
from jiceng.core.models import NameSearchKeys
from jiceng.core.scoping import ScopedManager, ScopedQuerySet

from . import rules


class OrgType(models.TextChoices):
    CITY_COMMITTEE = "city_committee", _("市委")
    DISTRICT_COMMITTEE = "district_committee", _("区县委")
    STREET_COMMITTEE = "street_committee", _("街道党工委")
    TOWN_COMMITTEE = "town_committee", _("镇党委")
    SECTOR_COMMITTEE = "sector_committee", _("大口党委")
    PRIMARY_COMMITTEE = "primary_committee", _("基层党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    JOINT_BRANCH = "joint_branch", _("联合支部")
    GROUP = "group", _("党小组")


# Types under which members are registered directly (the rest are committees above them).
BRANCH_TYPES = (OrgType.BRANCH, OrgType.JOINT_BRANCH)
# Units that hold members' relationships directly and so may receive a transfer.
RECEIVING_TYPES = (*BRANCH_TYPES, OrgType.GENERAL_BRANCH)
COMMITTEE_TYPES = (
    OrgType.CITY_COMMITTEE,
    OrgType.DISTRICT_COMMITTEE,
    OrgType.STREET_COMMITTEE,
    OrgType.TOWN_COMMITTEE,
    OrgType.SECTOR_COMMITTEE,
    OrgType.PRIMARY_COMMITTEE,
)


class Sector(models.TextChoices):
    STREET_COMMUNITY = "street_community", _("街道社区")
    TOWN = "town", _("镇村")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    NEW_ECONOMIC = "new_economic", _("非公有制企业")
    NEW_SOCIAL = "new_social", _("新社会组织")
    UNIVERSITY = "university", _("高校")
    PRIVATE_UNIVERSITY = "private_university", _("民办高校")
    RESEARCH_INSTITUTE = "research_institute", _("科研院所")
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("中小学")
    GOVERNMENT = "government", _("机关")
    POLICE = "police", _("公安")
    TRANSPORT = "transport", _("交通运输")
    AGRICULTURE = "agriculture", _("农工商")
    OTHER = "other", _("其他")


# The "two new" organisations (两新组织: new economic and new social organisations), where the
# workers of S3 were mainly sent and the pairings of S26 reach.
TWO_NEW_SECTORS: tuple[str, ...] = (Sector.NEW_ECONOMIC, Sector.NEW_SOCIAL)


class OrgHealth(models.TextChoices):
    NORMAL = "normal", _("正常")
    WEAK = "weak", _("软弱涣散")


class BranchKind(models.TextChoices):
    STANDARD = "standard", _("单位支部")
    REGIONAL = "regional", _("区域党支部")


class OrganizationQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    def active(self) -> OrganizationQuerySet:
        return self.filter(abolished_on__isnull=True)

    def search(self, query: str, *, is_pinyin: bool) -> OrganizationQuerySet:
        if is_pinyin:
            return self.filter(Q(name_initials__startswith=query) | Q(name_pinyin__contains=query))
        return self.filter(Q(name_simplified__contains=query) | Q(code__startswith=query))


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):  # type: ignore[misc]
    """Treebeard's manager orders by path; ours does the same with the scoped queryset."""

    def get_queryset(self) -> OrganizationQuerySet:
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


class Organization(NameSearchKeys, MP_Node):
    """A unit of the party organisation tree, from the city committee down to groups.

    The materialised ``path`` (django-treebeard) places every domain row in the tree: a subtree
    is the rows whose path starts with the unit's path.
    """

    steplen = tree.STEP

    code = models.CharField(_("组织代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    name_simplified = models.CharField(max_length=120, editable=False, db_index=True)
    name_initials = models.CharField(max_length=60, editable=False, db_index=True)
    name_pinyin = models.CharField(max_length=400, editable=False)
    org_type = models.CharField(_("组织类别"), max_length=30, choices=OrgType.choices)
    sector = models.CharField(
        _("所属领域"), max_length=30, choices=Sector.choices, default=Sector.OTHER
    )
    kind = models.CharField(
        _("支部类型"), max_length=20, choices=BranchKind.choices, default=BranchKind.STANDARD
    )
    host_unit = models.CharField(_("所在单位"), max_length=120, blank=True)
    district = models.ForeignKey(
        "geo.District",
        verbose_name=_("所在区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.ForeignKey(
        "geo.Street",
        verbose_name=_("所在街道/乡镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    coord_source = models.CharField(_("坐标来源"), max_length=30, blank=True)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    # Founding record (S11): the superior committee's approval and the first secretary.
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    approval_no = models.CharField(_("批准文号"), max_length=60, blank=True)
    first_secretary = models.ForeignKey(
        "members.Member",
        verbose_name=_("首任书记"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    abolished_on = models.DateField(_("撤销日期"), null=True, blank=True)
    secretary = models.ForeignKey(
        "members.Member",
        verbose_name=_("书记"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    secretary_vacant_since = models.DateField(_("书记空缺起始"), null=True, blank=True)
    health = models.CharField(
        _("组织状况"), max_length=10, choices=OrgHealth.choices, default=OrgHealth.NORMAL
    )
    is_pilot = models.BooleanField(_("试点单位"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        indexes = [
            models.Index(fields=["org_type", "path"]),
            models.Index(fields=["district", "org_type"]),
            # The secretary vacancy worklist (S11): vacant units, longest vacancy first.
            models.Index(
                fields=["secretary_vacant_since", "path"],
                condition=Q(secretary__isnull=True),
                name="org_secretary_vacancy",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_abolished(self) -> bool:
        return self.abolished_on is not None

    @property
    def is_branch(self) -> bool:
        return self.org_type in BRANCH_TYPES

    @property
    def secretary_vacant(self) -> bool:
        return self.secretary_id is None

    def secretary_vacancy_days(self, today: dt.date | None = None) -> int | None:
        if self.secretary_id is not None or self.secretary_vacant_since is None:
            return None
        return ((today or clock.today()) - self.secretary_vacant_since).days

    def size_warnings(self, *, full_members: int, all_members: int) -> list[str]:
        """Branch-size rules (``orgs.rules``) as warnings an officer can act on."""
        warnings: list[str] = []
        if self.org_type == OrgType.BRANCH:
            if full_members < rules.BRANCH_MIN_FULL_MEMBERS:
                warnings.append(
                    _("正式党员不足 %(n)s 人（现有 %(k)s 人），应与邻近单位组成联合支部")
                    % {"n": rules.BRANCH_MIN_FULL_MEMBERS, "k": full_members}
                )
            if all_members > rules.BRANCH_MAX_MEMBERS:
                target = (
                    _("党总支")
                    if all_members <= rules.GENERAL_BRANCH_MAX_MEMBERS
                    else _("基层党委")
                )
                warnings.append(
                    _("党员 %(k)s 人，超过支部上限 %(n)s 人，应拆分支部或升格为%(t)s")
                    % {"k": all_members, "n": rules.BRANCH_MAX_MEMBERS, "t": target}
                )
        elif self.org_type == OrgType.GENERAL_BRANCH:
            if all_members < rules.GENERAL_BRANCH_MIN_MEMBERS:
                warnings.append(
                    _("党员 %(k)s 人，不足设立党总支的 %(n)s 人")
                    % {"k": all_members, "n": rules.GENERAL_BRANCH_MIN_MEMBERS}
                )
            elif all_members > rules.GENERAL_BRANCH_MAX_MEMBERS:
                warnings.append(
                    _("党员 %(k)s 人，超过党总支上限 %(n)s 人，可设立基层党委")
                    % {"k": all_members, "n": rules.GENERAL_BRANCH_MAX_MEMBERS}
                )
        elif (
            self.org_type == OrgType.PRIMARY_COMMITTEE
            and all_members < rules.PRIMARY_COMMITTEE_MIN_MEMBERS
        ):
            warnings.append(_("党员 %(k)s 人，设立基层党委一般需 100 人以上") % {"k": all_members})
        days = self.secretary_vacancy_days()
        if days is not None and days > rules.SECRETARY_VACANCY_ALERT_DAYS:
            warnings.append(_("书记已空缺 %(d)s 天，超过 3 个月") % {"d": days})
        return warnings


# ----- Organisation health: weak and lax (软弱涣散) designation and rectification (S12) ----------


class WeakCriterion(models.TextChoices):
    """The situations that make an organisation weak and lax (source: ``rules``, S12).

    ``COMPUTED_CRITERIA`` are worked out from data the platform holds; the others are entered
    by the officer with a note until the petitions, surveys and organisational-life records of
    later issues provide the data.
    """

    SECRETARY_VACANT = "secretary_vacant", _("书记空缺超过3个月")
    TOO_FEW_MEMBERS = "too_few_members", _("正式党员不足3人，达不到设置要求")
    IRREGULAR_LIFE = "irregular_life", _("组织生活不正常")
    PETITION_CLUSTER = "petition_cluster", _("信访矛盾集中")
    LOW_SATISFACTION = "low_satisfaction", _("群众满意率不足60％")
    WEAK_LEADERSHIP = "weak_leadership", _("班子软弱、凝聚力不强")


COMPUTED_CRITERIA = frozenset({WeakCriterion.SECRETARY_VACANT, WeakCriterion.TOO_FEW_MEMBERS})


class RectificationState(models.TextChoices):
    DESIGNATED = "designated", _("已认定，待定方案")
    RECTIFYING = "rectifying", _("整顿中")
    CLOSED = "closed", _("已销号")
    REVOKED = "revoked", _("已撤销认定")


class RectificationStep(models.TextChoices):
    PLAN = "plan", _("制定整顿方案")
    NOTE = "note", _("记录整顿进展")
    CLOSE = "close", _("整顿销号")
    REVOKE = "revoke", _("撤销认定")
    REOPEN = "reopen", _("重新整顿")


S, T = RectificationState, RectificationStep
# (state, step) → next state. Every pair not listed is forbidden (``RectificationTransitionError``).
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DESIGNATED, T.PLAN): S.RECTIFYING,
    (S.RECTIFYING, T.PLAN): S.RECTIFYING,  # revise the plan
    (S.RECTIFYING, T.NOTE): S.RECTIFYING,
    (S.RECTIFYING, T.CLOSE): S.CLOSED,
    (S.DESIGNATED, T.REVOKE): S.REVOKED,
    (S.RECTIFYING, T.REVOKE): S.REVOKED,
    (S.CLOSED, T.REOPEN): S.RECTIFYING,  # the check after closing found it weak again
}
OPEN_STATES = (S.DESIGNATED, S.RECTIFYING)
del S, T


class RectificationTransitionError(ValidationError):
    """A step the rectification's state does not allow; the message is for the user."""

    def __init__(self, state: str, step: str) -> None:
        self.state, self.step = state, step
        super().__init__(
            _("“%(state)s”的整顿不能“%(step)s”")
            % {"state": RectificationState(state).label, "step": RectificationStep(step).label},
            code="transition_not_allowed",
        )


def next_state(state: str, step: str) -> str:
    """The state after ``step``, or ``RectificationTransitionError``."""
    try:
        return TRANSITIONS[(state, step)]
    except KeyError:
        raise RectificationTransitionError(state, step) from None


class RectificationQuerySet(ScopedQuerySet["Rectification"]):
    def open(self) -> RectificationQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, today: dt.date | None = None) -> RectificationQuerySet:
        return self.filter(state__in=OPEN_STATES, deadline__lt=today or clock.today())


class Rectification(models.Model):
    """A weak and lax organisation's designation and its rectification (S12).

    ``criteria`` is the criteria state at designation and ``criteria_at_close`` at closing,
    each ``{criterion: {"met": bool, "entered": bool, "detail": str, "note": str}}``: together
    they are the before/after record.
    """

    org = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=RectificationState.choices,
        default=RectificationState.DESIGNATED,
    )
    criteria = models.JSONField(_("认定时情形"), default=dict)
    designated_on = models.DateField(_("认定日期"))
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("认定说明"), blank=True)
    measures = models.TextField(_("整顿措施"), blank=True)
    owner = models.CharField(_("责任人"), max_length=60, blank=True)
    deadline = models.DateField(_("整顿期限"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    criteria_at_close = models.JSONField(_("销号时情形"), default=dict, blank=True)
    result = models.TextField(_("整顿成效"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(RectificationQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org__path",)

    class Meta:
        verbose_name = _("软弱涣散整顿")
        verbose_name_plural = _("软弱涣散整顿")
        constraints = [
            models.UniqueConstraint(
                fields=["org"],
                condition=Q(state__in=OPEN_STATES),
                name="rectification_one_open_per_org",
                violation_error_message=_("该组织已在整顿中"),
            )
        ]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return f"{self.org} · {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Past its deadline and not closed."""
        return (
            self.is_open and self.deadline is not None and self.deadline < (today or clock.today())
        )

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def measure_lines(self) -> list[str]:
        return [line.strip() for line in self.measures.splitlines() if line.strip()]

    @property
    def criteria_met(self) -> list[str]:
        return [c for c in WeakCriterion.values if self.criteria.get(c, {}).get("met")]

    def criteria_rows(self) -> list[dict]:
        """Before/after per criterion, for the closing record."""
        rows = []
        for c in WeakCriterion:
            before = self.criteria.get(c.value, {})
            after = self.criteria_at_close.get(c.value)
            rows.append({"code": c.value, "label": c.label, "before": before, "after": after})
        return rows

    def allows(self, step: str) -> bool:
        return (self.state, step) in TRANSITIONS


class RectificationNote(models.Model):
    """A dated progress note on a rectification (who, when, what)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="notes")
    on = models.DateField(_("日期"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = PersonNameField(_("记录人"), max_length=150)
    text = models.TextField(_("进展情况"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("rectification__org__path",)

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("整顿进展")
        verbose_name_plural = _("整顿进展")

    def __str__(self) -> str:
        return f"{self.on} {self.author_name}"
