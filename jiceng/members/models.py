from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.core.scoping import Action, ScopedQuerySet, can, scope_of
from jiceng.core.text import initials_key, pinyin_key, to_simplified

from .lost_contact_rules import (
    ACTIVE_STATES,
    CaseState,
    ContactChannel,
    SearchChannel,
    SearchResult,
)
from .placement_rules import PlacementReason
from .transfer_rules import OPEN_STATES, TransferAction, TransferKind, TransferState


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


class Member(models.Model):
    """A party member with the national roll's fields.

    ``home_org`` is where the organisational relationship lies (组织关系); ``participating_org``
    is where the member takes part in the current campaign (S10), nearby for dispersed members
    (S16). A member is *placed* once a participating unit is set. ``home_path`` and
    ``participating_path`` copy the units' tree paths so that scoping and subtree counts are one
    indexed prefix filter without a join; the services keep them in step.
    """

    name = models.CharField(_("姓名"), max_length=50)
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
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.fill_search_keys()
        super().save(*args, **kwargs)

    def fill_search_keys(self) -> None:
        """Simplified name, pinyin and initials for search (also called before bulk_create)."""
        self.name_simplified = to_simplified(self.name)
        self.name_initials = initials_key(self.name, person_name=True)[:20]
        self.name_pinyin = pinyin_key(self.name, person_name=True)[:120]

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


class TransferQuerySet(ScopedQuerySet["Transfer"]):
    def open(self) -> TransferQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Transfer(models.Model):
    """A transfer of a member's organisational relationship (组织关系转接).

    Within the city the target is an ``Organization``; to outside the city it is a free-text
    organisation name and region. ``from_path``/``to_path`` copy the two units' tree paths
    when the transfer is made, so that officers of either side see it (one scoping mechanism)
    and a third district does not. The member's ``home_org`` changes only when the transfer is
    done (``transfer_rules`` holds the state machine).
    """

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField(
        _("转接类别"), max_length=20, choices=TransferKind.choices, default=TransferKind.IN_CITY
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=TransferState.choices, default=TransferState.REQUESTED
    )
    from_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("转出党组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_path = models.CharField(max_length=255, editable=False)
    to_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("接收党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_path = models.CharField(max_length=255, blank=True, editable=False)
    dest_org_name = models.CharField(_("接收党组织名称（外省市）"), max_length=120, blank=True)
    dest_region = models.CharField(_("接收地区（外省市）"), max_length=60, blank=True)
    reason = models.CharField(_("转接原因"), max_length=200, blank=True)
    letter_no = models.CharField(_("介绍信编号"), max_length=40, null=True, blank=True, unique=True)
    dues_paid_to = models.DateField(_("党费交至"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("有效期（天）"), null=True, blank=True)
    issued_on = models.DateField(_("开具日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    received_on = models.DateField(_("回执日期"), null=True, blank=True)
    receipt_note = models.CharField(_("回执说明"), max_length=200, blank=True)
    closed_reason = models.CharField(_("退回/撤回原因"), max_length=200, blank=True)
    batch = models.UUIDField(_("批量转接批次"), null=True, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(TransferQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("from_path", "to_path")
    scope_self_field: ClassVar[str | None] = "member__user"

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        indexes = [
            models.Index(fields=["from_path", "state"], name="transfer_from"),
            models.Index(fields=["to_path", "state"], name="transfer_to"),
            models.Index(fields=["state", "valid_until"], name="transfer_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="one_open_transfer_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_org_id} → {self.destination_name}"

    @property
    def destination_name(self) -> str:
        if self.to_org is not None:
            return self.to_org.name
        return f"{self.dest_region} {self.dest_org_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class TransferEvent(models.Model):
    """One step of a transfer's history (who did what, from which state to which)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=TransferAction.choices)
    from_state = models.CharField(
        _("原状态"), max_length=20, choices=TransferState.choices, blank=True
    )
    to_state = models.CharField(_("新状态"), max_length=20, choices=TransferState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("转接记录")
        verbose_name_plural = _("转接记录")

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action} {self.to_state}"


class LetterCounter(models.Model):
    """The last introduction-letter number issued per district and year (rows are locked
    while a number is taken, so numbers are unique and without gaps)."""

    district_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "year"], name="letter_counter_key")
        ]

    def __str__(self) -> str:
        return f"{self.district_code}/{self.year}: {self.last}"


class Placement(models.Model):
    """One placement of a member in a participating unit for a campaign period (S10): the
    history behind ``Member.participating_org``, which holds the current one. ``org`` is
    None when an officer took a placement back (the member is unplaced again)."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="placements"
    )
    member_path = models.CharField(max_length=255, editable=False)
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("参加活动单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    period = models.CharField(_("活动批次"), max_length=40)
    reason = models.CharField(_("落实方式"), max_length=20, choices=PlacementReason.choices)
    distance_km = models.FloatField(_("距住址（公里）"), null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path", "org_path")

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("参加活动单位落实记录")
        verbose_name_plural = _("参加活动单位落实记录")
        indexes = [models.Index(fields=["member", "-placed_at"], name="placement_member")]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.org_id} ({self.period})"


class ContactRecord(models.Model):
    """A contact between a member and the organisation: organisational life attended, dues
    paid, a check-in, or a lost member found again (the evidence the six-month rule reads)."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="contacts"
    )
    member_path = models.CharField(max_length=255, editable=False)
    on = models.DateField(_("日期"))
    channel = models.CharField(_("联系方式"), max_length=30, choices=ContactChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        indexes = [models.Index(fields=["member", "-on"], name="contact_member_on")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.on} {self.channel}"


class LastContact(models.Model):
    """Each member's latest contact, one row per member, kept by the contact services, so the
    candidates worklist never takes a max() over the whole log."""

    member = models.OneToOneField(
        Member, primary_key=True, on_delete=models.CASCADE, related_name="last_contact"
    )
    on = models.DateField(_("最近联系日期"), db_index=True)
    channel = models.CharField(_("联系方式"), max_length=30, choices=ContactChannel.choices)

    def __str__(self) -> str:
        return f"{self.member_id} {self.on}"


class LostContactCaseQuerySet(ScopedQuerySet["LostContactCase"]):
    def active(self) -> LostContactCaseQuerySet:
        return self.filter(state__in=ACTIVE_STATES)


class LostContactCase(models.Model):
    """A search for a member out of contact (S13), from opening to found, stopped or restored."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="lost_cases"
    )
    member_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.SEARCHING
    )
    last_contact_on = models.DateField(_("最近联系日期"), null=True, blank=True)
    opened_on = models.DateField(_("立案日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立案人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found_on = models.DateField(_("找到日期"), null=True, blank=True)
    transfer = models.ForeignKey(
        Transfer,
        verbose_name=_("组织关系转接"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stopped_on = models.DateField(_("停止党籍日期"), null=True, blank=True)
    decision_no = models.CharField(_("处置决定文号"), max_length=60, blank=True)
    restored_on = models.DateField(_("恢复党籍日期"), null=True, blank=True)
    outcome_note = models.CharField(_("结果说明"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(LostContactCaseQuerySet)()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("失联党员查找")
        verbose_name_plural = _("失联党员查找")
        constraints = [
            # one search under way (or one stop in force) per member at a time
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=["searching", "stopped"]),
                name="lost_case_one_active",
            )
        ]
        indexes = [models.Index(fields=["member_path", "state"], name="lost_case_path_state")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.state}"


class LostContactAttempt(models.Model):
    """One search attempt: who, when, how, the result and any leads."""

    case = models.ForeignKey(LostContactCase, on_delete=models.PROTECT, related_name="attempts")
    on = models.DateField(_("日期"))
    channel = models.CharField(_("查找方式"), max_length=20, choices=SearchChannel.choices)
    result = models.CharField(_("结果"), max_length=20, choices=SearchResult.choices)
    leads = models.CharField(_("线索"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查找人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(_("查找人"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("查找记录")
        verbose_name_plural = _("查找记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.on} {self.result}"


class DuplicateDismissal(models.Model):
    """An officer's judgement that two members listed as likely duplicates are two people."""

    member_a = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    member_b = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    member_path = models.CharField(max_length=255, editable=False)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member_a", "member_b"], name="dismissal_pair"),
            models.CheckConstraint(
                condition=Q(member_a__lt=models.F("member_b")), name="dismissal_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_a_id} ≠ {self.member_b_id}"


class MemberMerge(models.Model):
    """A merge of a duplicate member record into the one kept, with everything needed to undo
    it: the dropped row as stored (encrypted columns as ciphertext, never in clear), the kept
    row before the merge, the rows that were re-pointed and the related rows removed."""

    kept = models.ForeignKey(
        Member, verbose_name=_("保留的记录"), on_delete=models.PROTECT, related_name="merges"
    )
    dropped_id = models.BigIntegerField(_("被合并记录编号"))
    dropped_name = models.CharField(_("被合并记录姓名"), max_length=50)
    member_path = models.CharField(max_length=255, editable=False)
    dropped_row = models.JSONField()
    kept_before = models.JSONField()
    repointed = models.JSONField(default=list)  # [[model label, pk, field, old member_path]]
    removed = models.JSONField(default=list)  # [[db table, raw row]]
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("合并时间"), auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("member_path",)

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("党员记录合并")
        verbose_name_plural = _("党员记录合并")

    def __str__(self) -> str:
        return f"{self.dropped_name}（{self.dropped_id}）→ {self.kept_id}"
