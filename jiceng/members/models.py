"""The member roll; the workflows' models live in their packages and are registered here."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField, PersonName, PersonNameField
from jiceng.core.models import NameSearchKeys
from jiceng.core.scoping import Action, ScopedQuerySet, can, scope_of


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class DatePrecision(models.TextChoices):
    """How much of a date the record holds: rolls often give 入党时间 as a month alone
    (1998年6月), stored as the month's first day; rules treat it as any day of that month."""

    DAY = "day", _("日")
    MONTH = "month", _("月")


class MemberCategory(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class EmploymentStatus(models.TextChoices):
    AT_POST = "at_post", _("在岗")
    ON_ROLL_NOT_AT_POST = "on_roll_not_at_post", _("在册不在岗")
    MOBILE = "mobile", _("流动党员")
    RETIRED = "retired", _("离退休")
    UNEMPLOYED = "unemployed", _("无固定职业")
    FARMER = "farmer", _("农牧渔民")
    STUDENT = "student", _("学生")
    OTHER = "other", _("其他")


# Statuses whose members usually take part away from their home organisation (S10, S16).
DISPERSED_STATUSES = (EmploymentStatus.ON_ROLL_NOT_AT_POST, EmploymentStatus.MOBILE)


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    UNIVERSITY = "university", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY = "secondary", _("中专")
    HIGH_SCHOOL = "high_school", _("高中")
    MIDDLE_SCHOOL = "middle_school", _("初中")
    PRIMARY = "primary", _("小学及以下")


# The reveal rule (issue 14): a member's ID number, phone and home address are shown in clear
# only to a role with REVEAL over the member's *home* organisation (组织关系所在党组织). Taking
# part in a unit of the user's subtree makes a member visible, never revealable. The member
# page, its reveal button, the exports and the API all ask ``Member.may_reveal`` (one row) or
# ``reveal_q`` (a filter), which both read this field.
REVEAL_PATH_FIELD = "home_path"


def reveal_q(user: object) -> Q:
    """The reveal rule as a filter: members whose home organisation lies in the user's
    REVEAL scope (none for a user without it)."""
    q = Q(pk__in=[])
    for prefix in scope_of(user, Action.REVEAL).paths:
        q |= Q(**{f"{REVEAL_PATH_FIELD}__startswith": prefix})
    return q


class MemberQuerySet(ScopedQuerySet["Member"]):
    def search(self, query: str, *, is_pinyin: bool) -> MemberQuerySet:
        if is_pinyin:
            return self.filter(
                Q(name_initials__startswith=query) | Q(name_pinyin__startswith=query)
            )
        return self.filter(name_simplified__contains=query)

    def in_subtree(self, path: str) -> MemberQuerySet:
        return self.filter(home_path__startswith=path)

    def on_roll(self) -> MemberQuerySet:
        """Members whose relationship is in the city (not transferred out of it)."""
        return self.filter(transferred_out_on__isnull=True)


class Member(NameSearchKeys, models.Model):
    """A party member with the national roll's fields.

    ``home_org`` is where the organisational relationship lies (组织关系); ``participating_org``
    is where the member takes part in the current campaign (S10), nearby for dispersed members
    (S16). A member is *placed* once a participating unit is set. ``home_path`` and
    ``participating_path`` copy the units' tree paths so that scoping and subtree counts are one
    indexed prefix filter without a join; the services keep them in step.
    """

    PERSON_NAME = True  # pinyin keys read surnames as names are said

    name = PersonNameField(_("姓名"), max_length=50)
    # Searched with LIKE '%…%' (no B-tree helps), so not indexed: every index on this
    # 2-million-row table is paid for by each imported row (issue 3).
    name_simplified = models.CharField(max_length=50, editable=False)
    name_initials = models.CharField(max_length=20, editable=False)
    name_pinyin = models.CharField(max_length=120, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    id_number = EncryptedTextField(_("公民身份号码"))
    # Unique through Meta.constraints, not ``unique=True``: on PostgreSQL the latter adds a
    # second (varchar_pattern_ops) index on the same random keys that no query needs.
    id_number_index = models.CharField(max_length=40, editable=False)
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18, editable=False)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = models.CharField(max_length=40, blank=True, editable=False)  # Meta.indexes
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    category = models.CharField(
        _("党员类别"), max_length=20, choices=MemberCategory.choices, default=MemberCategory.FULL
    )
    joined_on = models.DateField(_("入党日期"))
    joined_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    full_member_on = models.DateField(_("转正日期"), null=True, blank=True)
    full_member_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    employment_status = models.CharField(
        _("工作状态"),
        max_length=30,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.AT_POST,
    )
    work_unit = models.CharField(_("工作单位"), max_length=120, blank=True)
    home_address = models.CharField(_("家庭住址"), max_length=200, blank=True)
    street = models.ForeignKey(
        "geo.Street",
        verbose_name=_("居住街道/乡镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # Meta.indexes (one index, without the pattern-ops twin)
    )
    lng = models.FloatField(_("住址经度"), null=True, blank=True)
    lat = models.FloatField(_("住址纬度"), null=True, blank=True)
    coord_source = models.CharField(_("坐标来源"), max_length=30, blank=True)
    home_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("组织关系所在党组织"),
        on_delete=models.PROTECT,
        db_index=False,  # member_org_category (home_org, category) serves the lookups
        related_name="home_members",
    )
    home_path = models.CharField(max_length=255, editable=False)
    participating_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("参加活动单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participating_members",
    )
    participating_path = models.CharField(max_length=255, blank=True, editable=False)
    entrusted = models.BooleanField(_("组织关系托管"), default=False)
    # Set when a transfer to outside the city is completed (receipt recorded). The row stays,
    # with ``home_org`` as the last organisation in the city, for the history and the audit
    # trail; the roll, the counts and the lists leave such members out (``on_roll``).
    transferred_out_on = models.DateField(_("转出本市日期"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(MemberQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("home_path", "participating_path")
    scope_self_field: ClassVar[str | None] = "user"

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                name="member_id_number_unique",
                violation_error_message=_("该公民身份号码已登记"),
            ),
        ]
        indexes = [
            models.Index(fields=["phone_index"], name="member_phone_index"),
            # Pinyin search (``search``) matches initials OR full pinyin by prefix: without an
            # index on the pinyin the OR cannot use the initials index either, and a large
            # district's search scans its whole scope (3 s at p95 under load at city scale).
            models.Index(
                fields=["name_pinyin"],
                name="member_pinyin_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            # The unplaced worklist (S10): a partial index holds only members without a
            # participating unit, so its count, per-child counts and pages of a subtree are one
            # short range however large the roll.
            models.Index(
                fields=["home_path", "id"],
                name="member_unplaced",
                condition=Q(participating_org__isnull=True, transferred_out_on__isnull=True),
            ),
            models.Index(fields=["street"], name="member_street"),
            models.Index(fields=["participating_path"], name="member_part_path"),
            models.Index(fields=["name_initials"], name="member_initials"),
            models.Index(fields=["home_org", "category"], name="member_org_category"),
            # Serves the subtree prefix filter and covers the subtree counts and filtered list
            # counts (index-only scans).
            models.Index(
                fields=[
                    "home_path",
                    "category",
                    "employment_status",
                    "participating_org",
                    "home_org",
                    "transferred_out_on",
                ],
                name="member_subtree_cover",
            ),
        ]

    def __str__(self) -> str:
        return PersonName(self.name)

    @property
    def placed(self) -> bool:
        return self.participating_org_id is not None

    def may_reveal(self, user: object) -> bool:
        """Whether ``user`` may read this member's ID number, phone and home address in clear
        (the reveal rule, ``REVEAL_PATH_FIELD``)."""
        return can(user, Action.REVEAL, getattr(self, REVEAL_PATH_FIELD))

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


# The workflows' models, imported so that Django registers them with this app (it finds the app
# containing each module): ``from jiceng.members.models import Transfer`` keeps working.
from .duplicates.models import DuplicateDismissal, MemberMerge  # noqa: E402
from .lost_contact.models import (  # noqa: E402
    ContactRecord,
    LastContact,
    LostContactAttempt,
    LostContactCase,
    LostContactCaseQuerySet,
)
from .placement.models import Placement  # noqa: E402
from .transfers.models import LetterCounter, Transfer, TransferEvent, TransferQuerySet  # noqa: E402

__all__ = [
    "DISPERSED_STATUSES",
    "REVEAL_PATH_FIELD",
    "ContactRecord",
    "DatePrecision",
    "DuplicateDismissal",
    "Education",
    "EmploymentStatus",
    "LastContact",
    "LetterCounter",
    "LostContactAttempt",
    "LostContactCase",
    "LostContactCaseQuerySet",
    "Member",
    "MemberCategory",
    "MemberMerge",
    "MemberQuerySet",
    "Placement",
    "Sex",
    "Transfer",
    "TransferEvent",
    "TransferQuerySet",
    "reveal_q",
]
