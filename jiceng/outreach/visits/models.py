"""Visits (S19) and the needs raised at them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import NeedKind, NeedState, TargetKind, VisitKind, VisitState


class Visit(models.Model):
    """Who visited (members of an organisation), whom (a needy person, a worker, a unit), when,
    what was found. Recorded by a member (self-service, on a phone) or the branch; confirmed or
    returned by the branch.

    Placed at the visiting organisation (``org_path``) and, for a needy person, at their street
    too (``target_path``), so the street officer sees every visit to its residents; a member
    sees the visits they recorded (``recorded_by``)."""

    org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("走访单位"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    visitors = models.ManyToManyField(
        "members.Member",
        verbose_name=_("走访党员"),
        related_name="+",
        blank=True,
        through="VisitVisitor",
    )
    target_kind = models.CharField(_("走访对象类型"), max_length=10, choices=TargetKind.choices)
    needy = models.ForeignKey(
        "outreach.NeedyPerson",
        verbose_name=_("帮扶对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    target_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("走访的单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_name = models.CharField(_("走访对象"), max_length=100, blank=True)
    target_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    visited_on = models.DateField(_("走访日期"))
    kind = models.CharField(_("走访形式"), max_length=20, choices=VisitKind.choices)
    findings = models.TextField(_("了解到的情况"), blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=VisitState.choices, default=VisitState.RECORDED
    )
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # Kept by the services (``services.firsts_refresh``), never edited: bit k is set when the
    # visit is the first counted one (not returned) to its needy person among the counted
    # visits whose unit paths agree in their first k steps (``first_needy_month``: and in the
    # same month). Counting set bits counts distinct households without a DISTINCT (rules.py).
    first_needy = models.IntegerField(default=0, editable=False)
    first_needy_month = models.IntegerField(default=0, editable=False)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path", "target_path")
    scope_self_field: ClassVar[str] = "recorded_by"

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        indexes = [
            models.Index(fields=["visited_on", "org_path"], name="visit_on_org"),
            # The counts of a subtree read only this index (PostgreSQL: index-only scan).
            models.Index(
                fields=["org_path"],
                name="visit_counts",
                opclasses=["varchar_pattern_ops"],
                include=["visited_on", "state", "first_needy", "first_needy_month"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.needy_id:
            return str(self.needy)
        if self.target_org_id:
            return str(self.target_org)
        return self.target_name


class VisitVisitor(models.Model):
    """A member taking part in a visit, carrying copies of the visit's unit path, date and
    state (written by the same services in the same transaction, and following a moved
    subtree), so that the members taking part are counted from this table alone, without
    joining the visits. ``first`` and ``first_month`` mark, as ``Visit.first_needy`` does
    for households, the row counted for its member in each group (rules.py)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, default="", editable=False)
    visited_on = models.DateField(null=True, editable=False)
    state = models.CharField(
        max_length=10, choices=VisitState.choices, default=VisitState.RECORDED, editable=False
    )
    first = models.IntegerField(default=0, editable=False)
    first_month = models.IntegerField(default=0, editable=False)

    class Meta:
        db_table = "outreach_visit_visitors"  # the table of the former automatic link
        unique_together = [("visit", "member")]
        verbose_name = _("走访党员")
        verbose_name_plural = _("走访党员")
        indexes = [
            models.Index(
                fields=["org_path"],
                name="visit_visitor_counts",
                opclasses=["varchar_pattern_ops"],
                include=["visited_on", "first", "first_month"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}:{self.member_id}"

    @classmethod
    def after_member_repointed(cls, member_ids: list[int]) -> None:
        """Called by the merge of duplicate member records (and its undo) after it points
        these rows at another member: the counted rows are marked afresh."""
        from .services import counts_refresh

        counts_refresh(member_ids=member_ids)


class VisitTally(models.Model):
    """Stored totals of the visit counts for one group of units (their paths' first ``level``
    steps, ``key``) and month, kept by the visits' services in the same transaction (rules.py,
    ``TALLIED_LEVELS``): visits counted (not returned), confirmed ones, and the marked rows
    of households and members at ``level`` (the group's own figures) and at ``level - 1`` (what
    the group adds to its parent's total and month)."""

    level = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=255)
    month = models.DateField()
    visits = models.IntegerField(default=0)
    confirmed = models.IntegerField(default=0)
    households = models.IntegerField(default=0)
    households_above = models.IntegerField(default=0)
    households_month = models.IntegerField(default=0)
    members = models.IntegerField(default=0)
    members_above = models.IntegerField(default=0)
    members_month = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("走访统计")
        verbose_name_plural = _("走访统计")
        constraints = [
            models.UniqueConstraint(fields=["level", "key", "month"], name="visit_tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.level}:{self.key}:{self.month}"


class VisitCategoryTally(models.Model):
    """Stored totals of the visits to needy people by category for one group of units (as
    ``VisitTally``, all months together): visits counted, and the visits marked first of
    their household at ``level - 1`` (what the group adds to its parent's households). Read
    only by a reader whose outreach rights cover every needy person (the city's)."""

    level = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=255)
    category = models.ForeignKey(
        "outreach.NeedyCategory", on_delete=models.CASCADE, related_name="+"
    )
    visits = models.IntegerField(default=0)
    households_above = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("按类别走访统计")
        verbose_name_plural = _("按类别走访统计")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "key", "category"], name="visit_category_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level}:{self.key}:{self.category_id}"


class VisitNeed(models.Model):
    """A need raised at a visit, followed up until resolved or closed with a reason; a record
    others link to (the public's voice, issue 21)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="needs")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    kind = models.CharField(_("类别"), max_length=20, choices=NeedKind.choices)
    text = models.CharField(_("反映的需求"), max_length=300)
    state = models.CharField(
        _("状态"), max_length=20, choices=NeedState.choices, default=NeedState.OPEN
    )
    raised_on = models.DateField(_("提出日期"))
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["state", "-raised_on", "-id"]
        verbose_name = _("走访中反映的需求")
        verbose_name_plural = _("走访中反映的需求")

    def __str__(self) -> str:
        return self.text


class NeedFollowUp(models.Model):
    need = models.ForeignKey(VisitNeed, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.CharField(_("跟进情况"), max_length=300)
    state = models.CharField(_("跟进后状态"), max_length=20, choices=NeedState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("需求跟进")
        verbose_name_plural = _("需求跟进")

    def __str__(self) -> str:
        return self.note
