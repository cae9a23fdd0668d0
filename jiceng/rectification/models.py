"""Rectification items (整改事项, S20) raised from the public's voice, tracked to closure, the
public notice of their result and the public's verdict; the standing arrangement (长效管理机制,
S22) that keeps a solved problem solved, with its checks; and the dated history of each item."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core import clock
from jiceng.core.scoping import ScopedManager

from .rules import WORKING_STATES, ItemState, SourceKind, Verdict


class RectificationItem(models.Model):
    """A problem raised by the public, owned by the organisation responsible for solving it
    (``owner``; ``path`` copied for scoping). ``long_running`` and ``reopened_count`` are kept
    by the services (``rules.is_long_running``; every reopening by a verdict or a failed
    check)."""

    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("问题"), max_length=200)
    description = models.TextField(_("群众反映的情况"), blank=True)
    since = models.DateField(_("问题存在自"), null=True, blank=True)
    raised_on = models.DateField(_("立项日期"))
    deadline = models.DateField(_("整改时限"))
    measures = models.TextField(_("整改措施"), blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=ItemState.choices, default=ItemState.OPEN
    )
    started_on = models.DateField(_("开始整改日期"), null=True, blank=True)
    result = models.TextField(_("整改结果"), blank=True)
    completed_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    notice_text = models.TextField(_("公示内容"), blank=True)
    noticed_on = models.DateField(_("公示日期"), null=True, blank=True)
    verdict = models.CharField(_("群众评议"), max_length=14, choices=Verdict.choices, blank=True)
    verdict_note = models.CharField(_("评议说明"), max_length=500, blank=True)
    verdict_on = models.DateField(_("评议日期"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("重新整改次数"), default=0)
    long_running = models.BooleanField(_("长期问题"), default=False, editable=False)
    campaigns = models.ManyToManyField(
        "campaigns.Campaign", verbose_name=_("整改所在批次"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        indexes = [
            models.Index(fields=["path", "state"], name="rect_item_path_state"),
            models.Index(fields=["deadline", "path"], name="rect_item_deadline_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("raised_on")), name="rect_item_deadline_after"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        """Past the deadline and not yet rectified."""
        return self.state in WORKING_STATES and self.deadline < clock.today()


class RectificationSource(models.Model):
    """Where an item was raised: a petition, a need found at a visit, a public survey's free-text
    comment, a consultation meeting
    (its date and who took part) or another source told in words. Many sources merge into one
    item; one source belongs to one item only (a constraint per linked record)."""

    item = models.ForeignKey(RectificationItem, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(_("来源"), max_length=16, choices=SourceKind.choices)
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("信访件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    need = models.ForeignKey(
        "outreach.VisitNeed",
        verbose_name=_("走访中反映的需求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.ForeignKey(
        "satisfaction.SurveyComment",
        verbose_name=_("测评意见"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_on = models.DateField(_("会议日期"), null=True, blank=True)
    participants = models.CharField(_("参加人员"), max_length=300, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("关联时间"))

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("整改事项来源")
        verbose_name_plural = _("整改事项来源")
        constraints = [
            models.UniqueConstraint(
                fields=["petition"],
                condition=Q(petition__isnull=False),
                name="rect_source_petition_once",
            ),
            models.UniqueConstraint(
                fields=["need"], condition=Q(need__isnull=False), name="rect_source_need_once"
            ),
            models.UniqueConstraint(
                fields=["comment"],
                condition=Q(comment__isnull=False),
                name="rect_source_comment_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=SourceKind.PETITION,
                        petition__isnull=False,
                        need__isnull=True,
                        comment__isnull=True,
                    )
                    | Q(
                        kind=SourceKind.VISIT_NEED,
                        need__isnull=False,
                        petition__isnull=True,
                        comment__isnull=True,
                    )
                    | Q(
                        kind=SourceKind.SURVEY_COMMENT,
                        comment__isnull=False,
                        petition__isnull=True,
                        need__isnull=True,
                    )
                    | Q(
                        kind__in=[SourceKind.MEETING, SourceKind.OTHER],
                        petition__isnull=True,
                        need__isnull=True,
                        comment__isnull=True,
                    )
                ),
                name="rect_source_kind_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"

    @property
    def label(self) -> str:
        if self.petition_id is not None:
            return str(self.petition)
        if self.need_id is not None:
            return str(self.need)
        if self.comment_id is not None:
            return str(self.comment)
        return self.note or self.participants


class StandingArrangement(models.Model):
    """Who keeps a closed item solved (``keeper_org``, and the person or role as written), what
    they do, and how often it is checked. ``next_check_on`` is kept by the services (the last
    check, or the start, plus the interval) so the overdue list is one indexed range."""

    item = models.OneToOneField(
        RectificationItem, on_delete=models.CASCADE, related_name="arrangement"
    )
    keeper_org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("长效管理单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    keeper = models.CharField(_("负责人或岗位"), max_length=100)
    duties = models.TextField(_("长效管理措施"))
    check_every_days = models.PositiveSmallIntegerField(_("检查周期（天）"))
    starts_on = models.DateField(_("开始日期"))
    next_check_on = models.DateField(_("下次检查日期"), editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("建立时间"))

    class Meta:
        verbose_name = _("长效管理机制")
        verbose_name_plural = _("长效管理机制")

    def __str__(self) -> str:
        return f"{self.item} · {self.keeper}"


class ArrangementCheck(models.Model):
    """A dated check that the problem stays solved; a failed check reopens the item."""

    arrangement = models.ForeignKey(
        StandingArrangement, on_delete=models.CASCADE, related_name="checks"
    )
    checked_on = models.DateField(_("检查日期"))
    passed = models.BooleanField(_("检查结果"))
    note = models.CharField(_("检查情况"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["-checked_on", "-id"]
        verbose_name = _("长效管理检查")
        verbose_name_plural = _("长效管理检查")

    def __str__(self) -> str:
        return f"{self.checked_on} {'✓' if self.passed else '✗'}"


class RectificationEvent(models.Model):
    """One step of an item's history: created, started, completed, the verdict, reopened by a
    verdict or a failed check, closed."""

    item = models.ForeignKey(RectificationItem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=12, choices=ItemState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, choices=ItemState.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("整改事项记录")
        verbose_name_plural = _("整改事项记录")

    def __str__(self) -> str:
        return f"{self.on} {self.action}"
