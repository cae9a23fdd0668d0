"""Plans: an officer's proposal for a subtree, computed by ``jiceng.optimize``, reviewed,
edited, compared and applied (S10, S16, S17).

A ``Plan`` belongs to the subtree of its ``root`` (``root_path`` places it in the tree, so the
one scoping mechanism shows it only to officers of that subtree). Its result is a list of
``PlanBranch`` rows (new regional branches, or the existing branches assigned to) and one
``PlanAssignment`` per member. Applying founds the new branches and moves the members through
the lifecycle's bulk transfer; until the receiving side confirms, the plan can be reverted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

if TYPE_CHECKING:
    from jiceng.orgs.models import Organization

from .rules import (
    PAIR_AFFINITY_KM,
    PAIR_PER_BRANCH,
    SIZE_MAX,
    SIZE_MIN,
    TARGET_SIZE,
    UNPAIRED_REASONS,
    PlanKind,
    PlanState,
    Selection,
)


class Plan(models.Model):
    name = models.CharField(_("方案名称"), max_length=120)
    kind = models.CharField(_("方案类型"), max_length=20, choices=PlanKind.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=PlanState.choices, default=PlanState.DRAFT
    )
    root = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("规划范围（含下级）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    root_path = models.CharField(max_length=255, editable=False)
    target = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("转入支部的范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("就近转入时可接收党员的支部所在范围；默认同规划范围"),
    )
    selection = models.CharField(
        _("参与规划的党员"),
        max_length=20,
        choices=Selection.choices,
        default=Selection.DISPERSED,
    )
    size_min = models.PositiveSmallIntegerField(_("每支部最少人数"), default=SIZE_MIN)
    size_max = models.PositiveSmallIntegerField(_("每支部最多人数"), default=SIZE_MAX)
    target_size = models.PositiveSmallIntegerField(_("每支部目标人数"), default=TARGET_SIZE)
    n_branches = models.PositiveIntegerField(
        _("支部数"), null=True, blank=True, help_text=_("留空则按目标人数确定")
    )
    use_sites = models.BooleanField(
        _("设在社区党建服务中心"),
        default=False,
        help_text=_("区域党支部只设在街道（镇）党建服务中心所在地"),
    )
    same_district = models.BooleanField(_("不跨区县"), default=False)
    max_distance_km = models.FloatField(_("最远距离（公里）"), null=True, blank=True)
    move_cost_km = models.FloatField(
        _("调整代价（公里）"),
        default=0,
        help_text=_("已在合适支部的党员，除非能近这么多公里，否则不调整"),
    )
    seed = models.PositiveIntegerField(_("随机种子"), default=2005)
    # Pairing plans (S26): seats per branch, which needy categories (empty: all), affinities.
    per_branch = models.PositiveSmallIntegerField(_("每个支部结对人数"), default=PAIR_PER_BRANCH)
    categories = models.JSONField(_("帮扶对象类别"), default=list, blank=True)
    affinity = models.JSONField(_("类别优先"), default=list, blank=True)
    affinity_km = models.FloatField(_("类别优先相当于近多少公里"), default=PAIR_AFFINITY_KM)

    progress = models.FloatField(default=0)
    stage = models.CharField(max_length=60, blank=True)
    message = models.TextField(_("说明"), blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    transfer_batch = models.UUIDField(null=True, blank=True, editable=False)
    reverted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("root_path",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("规划方案")
        verbose_name_plural = _("规划方案")
        indexes = [models.Index(fields=["root_path", "created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_busy(self) -> bool:
        return self.state in (PlanState.QUEUED, PlanState.RUNNING)

    @property
    def percent(self) -> int:
        return round(100 * min(max(self.progress, 0.0), 1.0))

    @property
    def target_or_root(self) -> Organization:
        return self.target or self.root


class PlanBranch(models.Model):
    """One branch of a plan: a new regional branch (``org`` set once founded) or an existing
    branch members are assigned to (``org`` set from the start)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="branches")
    index = models.PositiveIntegerField()
    name = models.CharField(_("支部名称"), max_length=120)
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    site = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("所在社区党建服务中心"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    district = models.ForeignKey(
        "geo.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lat = models.FloatField()
    lng = models.FloatField()
    capacity = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    mean_m = models.FloatField(default=0)
    max_m = models.FloatField(default=0)
    districts = models.JSONField(default=dict, blank=True)  # district code → members

    class Meta:
        ordering = ["plan", "index"]
        constraints = [models.UniqueConstraint(fields=["plan", "index"], name="plan_branch_index")]

    def __str__(self) -> str:
        return self.name

    @property
    def mean_km(self) -> float:
        return self.mean_m / 1000

    @property
    def max_km(self) -> float:
        return self.max_m / 1000


class PlanAssignment(models.Model):
    """Where a plan puts one member, how far that is, and where the member was."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(PlanBranch, on_delete=models.CASCADE, related_name="assignments")
    distance_m = models.FloatField()
    previous_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    previous_distance_m = models.FloatField(null=True, blank=True)
    edited = models.BooleanField(default=False)
    transfer = models.ForeignKey(
        "members.Transfer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["plan", "branch__index", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "member"], name="plan_assignment_member")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.branch_id}"

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000

    @property
    def previous_km(self) -> float | None:
        return None if self.previous_distance_m is None else self.previous_distance_m / 1000

    @property
    def grows(self) -> bool:
        """Whether the member ends up farther from home than their current branch."""
        return self.previous_distance_m is not None and self.distance_m > self.previous_distance_m


class PlanPairing(models.Model):
    """A pairing plan's proposal for one needy person (S26): the branch (a ``PlanBranch`` whose
    ``org`` is the existing branch) and the distance, or no branch and why (``reason``)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="pairings")
    needy = models.ForeignKey(
        "outreach.NeedyPerson",
        verbose_name=_("帮扶对象"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    branch = models.ForeignKey(
        PlanBranch, null=True, blank=True, on_delete=models.CASCADE, related_name="pairings"
    )
    distance_m = models.FloatField(null=True, blank=True)
    reason = models.CharField(_("未结对原因"), max_length=20, blank=True)
    edited = models.BooleanField(default=False)

    class Meta:
        ordering = ["plan", "branch__index", "needy_id"]
        constraints = [models.UniqueConstraint(fields=["plan", "needy"], name="plan_pairing_needy")]

    def __str__(self) -> str:
        return f"{self.needy_id} → {self.branch_id}"

    @property
    def distance_km(self) -> float | None:
        return None if self.distance_m is None else self.distance_m / 1000

    @property
    def reason_label(self) -> str:
        return str(UNPAIRED_REASONS.get(self.reason, self.reason))
