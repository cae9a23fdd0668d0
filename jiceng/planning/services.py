"""Every write of planning: create a plan, run it (the task's body), move a member within it,
apply it (found the new regional branches, move the members by bulk transfer), confirm the
receipt, revert it. Pages, the API, the task and the commands call these.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng import optimize
from jiceng.core import audit
from jiceng.core.progress import ProgressWriter
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.geo.models import District
from jiceng.members.models import Member, Transfer
from jiceng.members.transfers import services as transfer_services
from jiceng.members.transfers.rules import OPEN_STATES, TransferState
from jiceng.optimize._geo import great_circle
from jiceng.orgs import services as org_services
from jiceng.orgs.models import BranchKind, Organization, OrgType
from jiceng.outreach.pairings.models import Pairing
from jiceng.outreach.pairings.rules import OPEN_STATES as PAIRING_OPEN_STATES
from jiceng.outreach.pairings.services import pairings_from_plan
from jiceng.outreach.registry.models import NeedyCategory, NeedyPerson
from jiceng.outreach.registry.rules import NeedyStatus

from .models import Plan, PlanAssignment, PlanBranch, PlanPairing
from .rules import (
    AFFINITY_PAIRS,
    CAPACITY,
    PAIR_BRANCH_TYPES,
    PARENT_TYPES,
    SITE_TYPES,
    TARGET_TYPES,
    Affinity,
    PlanKind,
    PlanState,
    Selection,
    is_dispersed_q,
)

Progress = Callable[[str, float], None]

PLAN_FIELDS = (
    "name",
    "kind",
    "state",
    "root",
    "target",
    "selection",
    "size_min",
    "size_max",
    "target_size",
    "n_branches",
    "use_sites",
    "same_district",
    "max_distance_km",
    "move_cost_km",
    "seed",
    "per_branch",
    "categories",
    "affinity",
    "affinity_km",
)
PAIR_FIELDS = ("per_branch", "categories", "affinity", "affinity_km")


def _snapshot(plan: Plan) -> dict:
    return audit.snapshot(plan, PLAN_FIELDS)


def _short_name(org: Organization) -> str:
    """中共上海电气（集团）总公司委员会 → 上海电气（集团）总公司."""
    name = org.host_unit or org.name
    name = name.removeprefix("中共")
    for suffix in ("工作委员会", "委员会", "党委", "总支部", "支部"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


# ----- create ---------------------------------------------------------------------------------
@transaction.atomic
def plan_create(
    *, actor: Actor, root: Organization, kind: str, name: str = "", **params: Any
) -> Plan:
    """A new plan for the subtree of ``root`` (state: to be computed)."""
    require(actor, Action.CHANGE, root.path, _("无权为该组织制定规划"))
    if kind not in PlanKind.values:
        raise ValidationError({"kind": _("不支持的方案类型")})
    target = params.pop("target", None)
    if target is not None:
        require(
            actor,
            Action.CHANGE,
            target.path,
            _("无权为该范围的支部安排结对") if kind == PlanKind.PAIR else _("无权向该范围转入党员"),
        )
    if kind == PlanKind.PAIR:
        _validate_pair_params(actor, root, params)
    else:
        for name_ in PAIR_FIELDS:
            params.pop(name_, None)
    plan = Plan(
        root=root,
        root_path=root.path,
        kind=kind,
        name=(name or "").strip() or f"{_short_name(root)}{PlanKind(kind).label}方案",
        target=target,
        created_by=actor_user(actor),
        **params,
    )
    _validate(plan)
    plan.full_clean(exclude=["root_path", "created_by"])
    plan.save()
    audit.record(
        actor=actor, verb="create", obj=plan, org_path=plan.root_path, after=_snapshot(plan)
    )
    return plan


def _validate_pair_params(actor: Actor, root: Organization, params: dict[str, Any]) -> None:
    """S26: a pairing plan filters and weighs needy people by category only for an officer with
    outreach rights over the plan's root (categories are sensitive, PIPL art. 28)."""
    categories = [str(c) for c in params.get("categories") or []]
    affinity = [str(a) for a in params.get("affinity") or []]
    if categories or affinity:
        require(
            actor,
            Action.OUTREACH,
            root.path,
            _("您没有帮扶对象敏感信息的权限，不能按困难类别筛选或设置类别优先"),
        )
    known = set(NeedyCategory.objects.filter(code__in=categories).values_list("code", flat=True))
    if set(categories) - known:
        raise ValidationError({"categories": _("困难类别不存在")})
    if set(affinity) - set(Affinity.values):
        raise ValidationError({"affinity": _("不支持的类别优先")})
    params["categories"] = sorted(set(categories))
    params["affinity"] = sorted(set(affinity))


def _validate(plan: Plan) -> None:
    if plan.size_min < 1 or plan.size_max < plan.size_min:
        raise ValidationError({"size_max": _("最多人数不能少于最少人数")})
    if not plan.size_min <= plan.target_size <= plan.size_max:
        raise ValidationError({"target_size": _("目标人数应在最少和最多人数之间")})
    if plan.max_distance_km is not None and plan.max_distance_km <= 0:
        raise ValidationError({"max_distance_km": _("最远距离应大于 0")})
    if plan.move_cost_km is not None and plan.move_cost_km < 0:
        raise ValidationError({"move_cost_km": _("不调整的距离不能为负数")})
    if plan.kind == PlanKind.PAIR and plan.per_branch < 1:
        raise ValidationError({"per_branch": _("每个支部至少结对 1 人")})
    if plan.kind == PlanKind.PAIR and plan.affinity_km < 0:
        raise ValidationError({"affinity_km": _("类别优先的距离不能为负数")})
    if plan.kind == PlanKind.FORM and plan.root.org_type not in PARENT_TYPES:
        raise ValidationError({"root": _("区域党支部只能设在党委（党工委）之下，请选择党委一级")})


@transaction.atomic
def plan_queue(*, actor: Actor, plan: Plan) -> Plan:
    """Mark a plan for computing (the caller enqueues the task after the commit)."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require(actor, Action.CHANGE, plan.root.path, _("无权为该组织制定规划"))
    if plan.state in (PlanState.APPLIED, PlanState.QUEUED, PlanState.RUNNING):
        raise ValidationError(_("该方案正在计算或已实施，不能重新计算"))
    plan.state = PlanState.QUEUED
    plan.progress = 0
    plan.stage = "排队中"
    plan.message = ""
    plan.save(update_fields=["state", "progress", "stage", "message", "updated_at"])
    return plan


# ----- inputs -----------------------------------------------------------------------------------
@dataclass
class Inputs:
    """The arrays a plan hands to ``jiceng.optimize``, with who was left out and why."""

    member_ids: np.ndarray
    points: np.ndarray  # (n, 2) latitude, longitude of homes
    district: np.ndarray  # district code per member
    home_org: np.ndarray
    home_points: np.ndarray  # (n, 2), NaN where the home unit has no location
    skipped: dict[str, int] = field(default_factory=dict)


def plan_members(plan: Plan) -> Inputs:
    """The plan's members: on the roll in the subtree, of the chosen kind, not already in a
    transfer, with a location (home, else the street's centre)."""
    qs = Member.objects.on_roll().filter(home_path__startswith=plan.root_path)
    if plan.selection == Selection.DISPERSED:
        qs = qs.filter(is_dispersed_q())
    elif plan.selection == Selection.UNPLACED:
        qs = qs.filter(participating_org__isnull=True)
    busy = set(
        Transfer.objects.filter(state__in=OPEN_STATES, member__in=qs).values_list(
            "member_id", flat=True
        )
    )
    rows = list(
        qs.order_by("id").values_list(
            "id",
            "lat",
            "lng",
            "street__lat",
            "street__lng",
            "street__district_id",
            "home_org_id",
            "home_org__lat",
            "home_org__lng",
            "home_org__district_id",
        )
    )
    keep: list[tuple[Any, ...]] = []
    skipped: Counter[str] = Counter()
    for r in rows:
        if r[0] in busy:
            skipped["open_transfer"] += 1
            continue
        lat, lng = (r[1], r[2]) if r[1] is not None and r[2] is not None else (r[3], r[4])
        if lat is None or lng is None:
            skipped["no_location"] += 1
            continue
        keep.append((r[0], lat, lng, r[5] or r[9] or "", r[6], r[7], r[8]))
    arr = np.array(keep, dtype=object).reshape(len(keep), 7)
    home_pts = np.array(
        [(np.nan if a is None else a, np.nan if b is None else b) for a, b in arr[:, 5:7]],
        dtype=np.float64,
    ).reshape(len(keep), 2)
    return Inputs(
        member_ids=arr[:, 0].astype(np.int64),
        points=arr[:, 1:3].astype(np.float64),
        district=arr[:, 3].astype(str),
        home_org=arr[:, 4].astype(np.int64),
        home_points=home_pts,
        skipped=dict(skipped),
    )


@dataclass
class Targets:
    org_ids: np.ndarray
    points: np.ndarray
    district: np.ndarray
    capacity: np.ndarray
    names: list[str]


def plan_targets(plan: Plan, inputs: Inputs) -> Targets:
    """Existing branches members may be assigned to, with the room each has left: its size
    limit minus the members it holds who are not in the plan."""
    scope = plan.target_or_root
    orgs = list(
        Organization.objects.active()
        .filter(path__startswith=scope.path, org_type__in=TARGET_TYPES)
        .exclude(lat__isnull=True)
        .exclude(lng__isnull=True)
        .order_by("path")
        .values_list("id", "lat", "lng", "district_id", "org_type", "name")
    )
    held = dict(
        Member.objects.on_roll()
        .filter(home_path__startswith=scope.path)
        .values_list("home_org_id")
        .annotate(n=Count("id"))
        .values_list("home_org_id", "n")
    )
    mine = Counter(inputs.home_org.tolist())
    capacity = [max(CAPACITY[o[4]] - held.get(o[0], 0) + mine.get(o[0], 0), 0) for o in orgs]
    return Targets(
        org_ids=np.array([o[0] for o in orgs], dtype=np.int64),
        points=np.array([(o[1], o[2]) for o in orgs], dtype=np.float64).reshape(len(orgs), 2),
        district=np.array([o[3] or "" for o in orgs]).astype(str),
        capacity=np.array(capacity, dtype=np.int64),
        names=[o[5] for o in orgs],
    )


# ----- run ----------------------------------------------------------------------------------------
STAGES = {
    "candidates": "查找邻近支部",
    "solve": "求解最优分配",
    "certificate": "验证最优性",
    "windows": "分区求解",
    "iterate": "调整支部位置",
    "tiles": "分区组建",
    "done": "完成",
}


def _stage_label(stage: str) -> str:
    return STAGES.get(stage, stage)[:60]


def plan_run(*, plan_id: int, progress: Progress | None = None) -> Plan:
    """Compute the plan (the task body; the command runs it in-process). An infeasible plan
    ends ``failed`` with the reason in Chinese; nothing half-written is left."""
    plan = Plan.objects.select_related("root", "target", "created_by").get(pk=plan_id)
    if plan.state not in (
        PlanState.QUEUED,
        PlanState.DRAFT,
        PlanState.READY,
        PlanState.FAILED,
        PlanState.REVERTED,
    ):
        return plan
    Plan.objects.filter(pk=plan.pk).update(
        state=PlanState.RUNNING, started_at=timezone.now(), progress=0.02, stage="读取党员"
    )
    report = progress or ProgressWriter(
        Plan.objects.filter(pk=plan.pk), stage_length=60, low=0.1, high=0.9, label=_stage_label
    )
    started = time.perf_counter()
    if plan.kind == PlanKind.PAIR:
        return _run_and_store_pair(plan, report, started)
    try:
        inputs = plan_members(plan)
        report("candidates", 0.0)
        if plan.kind == PlanKind.FORM:
            rows = _run_form(plan, inputs, report)
        else:
            rows = _run_assign(plan, inputs, report)
    except optimize.InfeasibleError as exc:
        return _fail(plan, _infeasible_message(exc, plan))
    except (optimize.InputError, ValidationError) as exc:
        return _fail(plan, "；".join(getattr(exc, "messages", [str(exc)])))
    except Exception:
        # A fault, not a property of the plan: the plan says so instead of "computing" forever,
        # and the worker's log has the traceback.
        _fail(plan, _("计算出错，请稍后重新计算；如仍出错请联系系统管理员"))
        raise
    branches, assignments, extra = rows
    seconds = time.perf_counter() - started
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        plan.assignments.all().delete()
        plan.branches.all().delete()
        PlanBranch.objects.bulk_create(branches, batch_size=1000)
        saved = {b.index: b for b in PlanBranch.objects.filter(plan=plan)}
        for a in assignments:
            a.branch = saved[a.branch.index]
        PlanAssignment.objects.bulk_create(assignments, batch_size=2000)
        _ready(
            plan,
            _summary(branches, assignments, inputs, seconds, extra),
            f"计算方案：{len(assignments)} 名党员，{len(branches)} 个支部",
        )
    return plan


def _ready(plan: Plan, summary: dict[str, Any], note: str) -> None:
    """A computed plan's figures stored and its state ready, audited (inside the caller's
    transaction, after its rows)."""
    plan.summary = summary
    plan.state = PlanState.READY
    plan.progress = 1.0
    plan.stage = "完成"
    plan.message = ""
    plan.finished_at = timezone.now()
    plan.save()
    audit.record(actor=plan.created_by, verb="update", obj=plan, org_path=plan.root_path, note=note)


def _fail(plan: Plan, message: str) -> Plan:
    Plan.objects.filter(pk=plan.pk).update(
        state=PlanState.FAILED, message=message[:4000], finished_at=timezone.now(), stage=""
    )
    plan.refresh_from_db()
    return plan


def _district_names() -> dict[str, str]:
    return dict(District.objects.values_list("code", "name"))


def _infeasible_message(exc: optimize.InfeasibleError, plan: Plan) -> str:
    names = _district_names()
    if plan.kind == PlanKind.FORM:
        parts = [_("党员人数不足以组建合规模的支部：还差 %(n)s 名党员。") % {"n": exc.missing}]
    else:
        parts = [_("可转入的支部名额不足：缺少 %(n)s 个名额。") % {"n": exc.missing}]
    for s in exc.shortages[:10]:
        where = names.get(s.label, s.label) or _("（%(lat).3f, %(lng).3f）附近") % {
            "lat": s.centre[0],
            "lng": s.centre[1],
        }
        parts.append(
            _("%(where)s：%(members)s 名党员，%(capacity)s 个名额，缺 %(missing)s 个。")
            % {"where": where, "members": s.members, "capacity": s.capacity, "missing": s.missing}
        )
    if len(exc.unreachable):
        parts.append(
            _("%(n)s 名党员在允许范围内没有可转入的支部（请放宽最远距离或取消“不跨区县”）。")
            % {"n": len(exc.unreachable)}
        )
    parts.append(_("可新建区域党支部、放宽条件或缩小规划范围后重新计算。"))
    return "".join(parts)


def _previous_distance(inputs: Inputs) -> np.ndarray:
    out = np.full(len(inputs.member_ids), np.nan)
    ok = np.isfinite(inputs.home_points).all(axis=1)
    if ok.any():
        out[ok] = great_circle(inputs.points[ok], inputs.home_points[ok])
    return out


def _run_form(
    plan: Plan, inputs: Inputs, report: Progress
) -> tuple[list[PlanBranch], list[PlanAssignment], dict]:
    sites = site_orgs = None
    if plan.use_sites:
        site_orgs = list(
            Organization.objects.active()
            .filter(org_type__in=SITE_TYPES)
            .exclude(lat__isnull=True)
            .exclude(lng__isnull=True)
            .order_by("path")
            .values_list("id", "lat", "lng", "district_id", "street_id")
        )
        sites = np.array([(s[1], s[2]) for s in site_orgs], dtype=np.float64).reshape(-1, 2)
    groups = (
        [np.flatnonzero(inputs.district == d) for d in np.unique(inputs.district)]
        if plan.same_district
        else [np.arange(len(inputs.member_ids))]
    )
    names = _district_names()
    short = _short_name(plan.root)
    branches: list[PlanBranch] = []
    assignments: list[PlanAssignment] = []
    previous = _previous_distance(inputs)
    seq: Counter[str] = Counter()
    iterations = 0
    for g, who in enumerate(groups):
        if not len(who):
            continue

        def step(stage: str, fraction: float, g: int = g) -> None:
            report(stage, (g + fraction) / len(groups))

        result = optimize.form_branches(
            inputs.points[who],
            plan.size_min,
            plan.size_max,
            target_size=plan.target_size,
            n_branches=plan.n_branches if len(groups) == 1 else None,
            sites=sites,
            member_district=inputs.district[who],
            seed=plan.seed,
            progress=step,
        )
        iterations = max(iterations, result.iterations)
        for fb in result.branches:
            site = site_orgs[fb.site] if site_orgs is not None and fb.site is not None else None
            district = (site[3] if site else None) or next(iter(fb.districts), "") or None
            seq[district or ""] += 1
            label = names.get(district or "", "")
            pb = PlanBranch(
                plan=plan,
                index=len(branches),
                name=f"{short}{label}第{seq[district or '']}区域党支部",
                site_id=site[0] if site else None,
                district_id=district,
                lat=round(fb.centre[0], 6),
                lng=round(fb.centre[1], 6),
                capacity=plan.size_max,
                size=fb.size,
                mean_m=fb.mean_distance,
                max_m=fb.max_distance,
                districts=fb.districts,
            )
            branches.append(pb)
            for local in fb.members.tolist():
                i = int(who[local])
                assignments.append(
                    PlanAssignment(
                        plan=plan,
                        member_id=int(inputs.member_ids[i]),
                        branch=pb,
                        distance_m=float(result.distance[local]),
                        previous_org_id=int(inputs.home_org[i]),
                        previous_distance_m=None if np.isnan(previous[i]) else float(previous[i]),
                    )
                )
    return branches, assignments, {"iterations": iterations, "optimal": None}


def _run_assign(
    plan: Plan, inputs: Inputs, report: Progress
) -> tuple[list[PlanBranch], list[PlanAssignment], dict]:
    targets = plan_targets(plan, inputs)
    if not len(targets.org_ids):
        raise ValidationError(_("转入范围内没有有坐标的支部"))
    index = {int(o): i for i, o in enumerate(targets.org_ids.tolist())}
    current = np.array([index.get(int(h), -1) for h in inputs.home_org], dtype=np.int64)
    result = optimize.assign(
        inputs.points,
        targets.points,
        targets.capacity,
        member_district=inputs.district if plan.same_district else None,
        branch_district=targets.district if plan.same_district else None,
        current=current,
        move_cost=(plan.move_cost_km or 0) * 1000,
        max_distance=plan.max_distance_km * 1000 if plan.max_distance_km else None,
        progress=report,
    )
    previous = _previous_distance(inputs)
    used = np.unique(result.branch)
    branches: dict[int, PlanBranch] = {}
    for j in used.tolist():
        who = np.flatnonzero(result.branch == j)
        d = result.distance[who]
        branches[j] = PlanBranch(
            plan=plan,
            index=len(branches),
            name=targets.names[j],
            org_id=int(targets.org_ids[j]),
            district_id=targets.district[j] or None,
            lat=float(targets.points[j, 0]),
            lng=float(targets.points[j, 1]),
            capacity=int(targets.capacity[j]),
            size=len(who),
            mean_m=float(d.mean()),
            max_m=float(d.max()),
            districts=dict(Counter(inputs.district[who].tolist()).most_common()),
        )
    assignments = [
        PlanAssignment(
            plan=plan,
            member_id=int(inputs.member_ids[i]),
            branch=branches[int(result.branch[i])],
            distance_m=float(result.distance[i]),
            previous_org_id=int(inputs.home_org[i]),
            previous_distance_m=None if np.isnan(previous[i]) else float(previous[i]),
        )
        for i in range(len(inputs.member_ids))
    ]
    extra = {
        "optimal": result.optimal,
        "cost_km": result.cost / 1000,
        "lower_bound_km": result.lower_bound / 1000,
        "gap": result.gap,
        "moved": int(result.moved.sum()) if result.moved is not None else None,
        "rounds": result.rounds,
    }
    return list(branches.values()), assignments, extra


def _summary(
    branches: list[PlanBranch],
    assignments: list[PlanAssignment],
    inputs: Inputs,
    seconds: float,
    extra: dict,
) -> dict:
    d = np.array([a.distance_m for a in assignments]) if assignments else np.zeros(0)
    sizes = [b.size for b in branches]
    covered = {code for b in branches for code in b.districts}
    return {
        "members": len(assignments),
        "branches": len(branches),
        "mean_km": round(float(d.mean()) / 1000, 3) if len(d) else 0,
        "max_km": round(float(d.max()) / 1000, 3) if len(d) else 0,
        "size_min": min(sizes) if sizes else 0,
        "size_max": max(sizes) if sizes else 0,
        "districts": len(covered),
        "grows": sum(1 for a in assignments if a.grows),
        "skipped": inputs.skipped,
        "seconds": round(seconds, 2),
        **extra,
    }


def plan_refresh_summary(plan: Plan) -> None:
    """Recount sizes and distances after an edit."""
    rows = list(plan.assignments.values_list("branch_id", "distance_m"))
    by_branch: dict[int, list[float]] = {}
    for branch_id, d in rows:
        by_branch.setdefault(branch_id, []).append(d or 0.0)
    branches = list(plan.branches.all())
    member_districts = dict(
        plan.assignments.values_list("member_id", "member__street__district_id")
    )
    per_branch_members: dict[int, list[int]] = {}
    for branch_id, m in plan.assignments.values_list("branch_id", "member_id"):
        per_branch_members.setdefault(branch_id, []).append(m)
    for b in branches:
        ds = by_branch.get(b.pk, [])
        b.size = len(ds)
        b.mean_m = float(np.mean(ds)) if ds else 0.0
        b.max_m = float(np.max(ds)) if ds else 0.0
        b.districts = dict(
            Counter(
                member_districts.get(m) or "" for m in per_branch_members.get(b.pk, [])
            ).most_common()
        )
    PlanBranch.objects.bulk_update(branches, ["size", "mean_m", "max_m", "districts"])
    all_d = np.array([d for _branch, d in rows]) if rows else np.zeros(0)
    plan.summary = {
        **plan.summary,
        "mean_km": round(float(all_d.mean()) / 1000, 3) if len(all_d) else 0,
        "max_km": round(float(all_d.max()) / 1000, 3) if len(all_d) else 0,
        "size_min": min((b.size for b in branches), default=0),
        "size_max": max((b.size for b in branches), default=0),
        "grows": plan.assignments.filter(distance_m__gt=F("previous_distance_m")).count(),
        "edited": plan.assignments.filter(edited=True).count(),
        "optimal": False
        if plan.assignments.filter(edited=True).exists()
        else plan.summary.get("optimal"),
    }
    plan.save(update_fields=["summary", "updated_at"])


# ----- pairing plans (S26) ----------------------------------------------------------------------
@dataclass
class PairInputs:
    """The arrays a pairing plan hands to ``optimize.pair``, with who was left out and why."""

    needy_ids: np.ndarray
    points: np.ndarray  # (n, 2) latitude, longitude of homes
    categories: np.ndarray  # the person's category an affinity names, else ""
    org_ids: np.ndarray
    branch_points: np.ndarray  # (m, 2)
    sectors: np.ndarray
    capacity: np.ndarray  # seats left per branch
    names: list[str]
    districts: list[str | None]
    affinity: dict[tuple[str, str], float]
    max_distance: float | None
    skipped: dict[str, int] = field(default_factory=dict)


def pair_needy(plan: Plan) -> QuerySet[Any]:
    """The plan's needy people: active, registered under its root, not merged, and neither
    paired nor proposed for a pairing; only the chosen categories when the plan names some."""
    qs = NeedyPerson.objects.filter(
        status=NeedyStatus.ACTIVE,
        merged_into__isnull=True,
        path__startswith=plan.root_path,
        paired_path="",
    ).exclude(Exists(Pairing.objects.filter(needy=OuterRef("pk"), state__in=PAIRING_OPEN_STATES)))
    if plan.categories:
        qs = qs.filter(
            pk__in=NeedyPerson.categories.through.objects.filter(
                needycategory__code__in=plan.categories
            ).values("needyperson_id")
        )
    return qs


def pair_inputs(plan: Plan) -> PairInputs:
    """People (home, else the street's centre) and the branches under the plan's target (or
    root) with a location, each with ``per_branch`` seats less the pairings it already has."""
    rows = list(
        pair_needy(plan)
        .order_by("id")
        .values_list("id", "lat", "lng", "street__lat", "street__lng")
    )
    skipped: Counter[str] = Counter()
    keep: list[tuple[int, float, float]] = []
    for pk, lat, lng, slat, slng in rows:
        la, ln = (lat, lng) if lat is not None and lng is not None else (slat, slng)
        if la is None or ln is None:
            skipped["no_location"] += 1
            continue
        keep.append((pk, la, ln))
    wanted = {pc for key in plan.affinity for pc, _sector in AFFINITY_PAIRS.get(key, ())}
    category: dict[int, str] = {}
    if wanted and keep:
        for pk, code in (
            NeedyPerson.categories.through.objects.filter(
                needyperson_id__in=[k[0] for k in keep], needycategory__code__in=wanted
            )
            .order_by("needyperson_id", "needycategory__code")
            .values_list("needyperson_id", "needycategory__code")
        ):
            category.setdefault(pk, code)
    scope = plan.target_or_root
    orgs = list(
        Organization.objects.active()
        .filter(path__startswith=scope.path, org_type__in=PAIR_BRANCH_TYPES)
        .exclude(lat__isnull=True)
        .exclude(lng__isnull=True)
        .order_by("path")
        .values_list("id", "lat", "lng", "sector", "name", "district_id")
    )
    held = dict(
        Pairing.objects.filter(state__in=PAIRING_OPEN_STATES, branch_id__in=[o[0] for o in orgs])
        .values_list("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )
    metres = plan.affinity_km * 1000
    return PairInputs(
        needy_ids=np.array([k[0] for k in keep], dtype=np.int64),
        points=np.array([(k[1], k[2]) for k in keep], dtype=np.float64).reshape(len(keep), 2),
        categories=np.array([category.get(k[0], "") for k in keep], dtype=object).astype(str),
        org_ids=np.array([o[0] for o in orgs], dtype=np.int64),
        branch_points=np.array([(o[1], o[2]) for o in orgs], dtype=np.float64).reshape(
            len(orgs), 2
        ),
        sectors=np.array([o[3] or "" for o in orgs], dtype=object).astype(str),
        capacity=np.array(
            [max(plan.per_branch - held.get(o[0], 0), 0) for o in orgs], dtype=np.int64
        ),
        names=[o[4] for o in orgs],
        districts=[o[5] or None for o in orgs],
        affinity={pair_: metres for key in plan.affinity for pair_ in AFFINITY_PAIRS.get(key, ())},
        max_distance=plan.max_distance_km * 1000 if plan.max_distance_km else None,
        skipped=dict(skipped),
    )


def pair_solve(inputs: PairInputs, progress: Progress | None = None) -> optimize.Pairing:
    """``optimize.pair`` on the plan's arrays (the tests call it too, to compare)."""
    return optimize.pair(
        inputs.points,
        inputs.branch_points,
        inputs.capacity,
        people_category=inputs.categories if inputs.affinity else None,
        branch_category=inputs.sectors if inputs.affinity else None,
        affinity=inputs.affinity or None,
        max_distance=inputs.max_distance,
        progress=progress,
    )


def _run_and_store_pair(plan: Plan, report: Progress, started: float) -> Plan:
    try:
        inputs = pair_inputs(plan)
        if not len(inputs.org_ids):
            raise ValidationError(_("结对范围内没有有坐标的支部"))
        if not len(inputs.needy_ids):
            raise ValidationError(_("规划范围内没有待结对的帮扶对象"))
        report("candidates", 0.0)
        result = pair_solve(inputs, report)
    except (optimize.InputError, ValidationError) as exc:
        return _fail(plan, "；".join(getattr(exc, "messages", [str(exc)])))
    except Exception:
        _fail(plan, _("计算出错，请稍后重新计算；如仍出错请联系系统管理员"))
        raise
    branches = []
    for j in range(len(inputs.org_ids)):
        who = np.flatnonzero(result.branch == j)
        d = result.distance[who]
        branches.append(
            PlanBranch(
                plan=plan,
                index=j,
                name=inputs.names[j],
                org_id=int(inputs.org_ids[j]),
                district_id=inputs.districts[j],
                lat=float(inputs.branch_points[j, 0]),
                lng=float(inputs.branch_points[j, 1]),
                capacity=int(inputs.capacity[j]),
                size=len(who),
                mean_m=float(d.mean()) if len(who) else 0.0,
                max_m=float(d.max()) if len(who) else 0.0,
            )
        )
    seconds = time.perf_counter() - started
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        plan.pairings.all().delete()
        plan.branches.all().delete()
        PlanBranch.objects.bulk_create(branches, batch_size=1000)
        saved = dict(PlanBranch.objects.filter(plan=plan).values_list("index", "pk"))
        PlanPairing.objects.bulk_create(
            [
                PlanPairing(
                    plan=plan,
                    needy_id=int(inputs.needy_ids[i]),
                    branch_id=saved[int(j)] if j >= 0 else None,
                    distance_m=float(result.distance[i]) if j >= 0 else None,
                    reason=result.reason[i],
                )
                for i, j in enumerate(result.branch.tolist())
            ],
            batch_size=2000,
        )
        _ready(
            plan,
            {
                **_pair_figures(plan),
                "skipped": inputs.skipped,
                "seconds": round(seconds, 2),
                "optimal": result.optimal,
            },
            f"计算结对方案：{len(inputs.needy_ids)} 名帮扶对象，结对 {result.paired} 名",
        )
    return plan


def _pair_figures(plan: Plan) -> dict[str, Any]:
    """A pairing plan's figures from its rows: people, paired, unpaired by reason, distances,
    branches with a pair, people moved by hand."""
    rows = list(plan.pairings.values_list("branch_id", "distance_m", "reason", "edited"))
    d = np.array([r[1] for r in rows if r[0] is not None], dtype=np.float64)
    reasons = Counter(r[2] or "unknown" for r in rows if r[0] is None)
    return {
        "members": len(rows),
        "people": len(rows),
        "paired": len(d),
        "unpaired": len(rows) - len(d),
        "unpaired_by_reason": dict(reasons.most_common()),
        "branches": len({r[0] for r in rows if r[0] is not None}),
        "branches_total": plan.branches.count(),
        "mean_km": round(float(d.mean()) / 1000, 3) if len(d) else 0,
        "max_km": round(float(d.max()) / 1000, 3) if len(d) else 0,
        "edited": sum(1 for r in rows if r[3]),
    }


def _pair_refresh(plan: Plan) -> None:
    """Recount a pairing plan's branches and figures after an edit."""
    by_branch: dict[int, list[float]] = {}
    for branch_id, d in plan.pairings.filter(branch__isnull=False).values_list(
        "branch_id", "distance_m"
    ):
        by_branch.setdefault(branch_id, []).append(d or 0.0)
    branches = list(plan.branches.all())
    for b in branches:
        ds = by_branch.get(b.pk, [])
        b.size = len(ds)
        b.mean_m = float(np.mean(ds)) if ds else 0.0
        b.max_m = float(np.max(ds)) if ds else 0.0
    PlanBranch.objects.bulk_update(branches, ["size", "mean_m", "max_m"], batch_size=1000)
    figures = _pair_figures(plan)
    plan.summary = {
        **plan.summary,
        **figures,
        "optimal": False if figures["edited"] else plan.summary.get("optimal"),
    }
    plan.save(update_fields=["summary", "updated_at"])


@transaction.atomic
def plan_move_pairing(
    *, actor: Actor, plan: Plan, needy_id: int, branch: PlanBranch
) -> PlanPairing:
    """Pair one person of a pairing plan with another of its branches (an officer's correction;
    an unpaired person too), within the branch's seats."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require(actor, Action.CHANGE, plan.root_path, _("无权为该组织制定规划"))
    if plan.kind != PlanKind.PAIR:
        raise ValidationError(_("该方案不是结对帮扶方案"))
    if plan.state != PlanState.READY:
        raise ValidationError(_("只有已生成、尚未确认的方案可以调整"))
    locked = PlanBranch.objects.select_for_update().filter(pk=branch.pk, plan=plan).first()
    if locked is None:
        raise ValidationError(_("该支部不属于本方案"))
    branch = locked
    p = (
        plan.pairings.select_related("needy", "needy__street", "branch")
        .filter(needy_id=needy_id)
        .first()
    )
    if p is None:
        raise ValidationError(_("该帮扶对象不在本方案中"))
    if p.branch_id == branch.pk:
        raise ValidationError(_("该帮扶对象已在这个支部"))
    if branch.pairings.count() >= branch.capacity:
        raise ValidationError(
            _("%(name)s 的结对名额已满（%(n)s 人）") % {"name": branch.name, "n": branch.capacity}
        )
    before = {
        "branch": p.branch.name if p.branch else "",
        "distance_m": None if p.distance_m is None else round(p.distance_m),
        "reason": p.reason,
    }
    person = p.needy
    lat, lng = person.lat, person.lng
    if lat is None or lng is None:
        street = person.street
        lat, lng = (street.lat, street.lng) if street is not None else (branch.lat, branch.lng)
    p.branch = branch
    p.distance_m = float(
        great_circle(np.array([[lat, lng]]), np.array([[branch.lat, branch.lng]]))[0]
    )
    p.reason = ""
    p.edited = True
    p.save(update_fields=["branch", "distance_m", "reason", "edited"])
    _pair_refresh(plan)
    audit.record(
        actor=actor,
        verb="update",
        obj=plan,
        org_path=plan.root_path,
        before=before,
        after={"branch": branch.name, "distance_m": round(p.distance_m), "reason": ""},
        note=f"调整帮扶对象 {person.name} 的结对支部",
    )
    return p


def _confirm_pairing(*, actor: Actor, plan: Plan, note: str = "") -> int:
    """Write a pairing plan's pairs as pairings (all or nothing) and mark it applied."""
    require(actor, Action.CHANGE, plan.root_path, _("无权为该组织制定规划"))
    if plan.state != PlanState.READY:
        raise ValidationError(_("只有已生成、尚未确认的结对方案可以确认"))
    problems = size_problems(plan)
    if problems:
        raise ValidationError([_("支部结对人数超过名额，请调整后再确认："), *problems[:10]])
    rows = [
        (needy_id, org_id, distance)
        for needy_id, org_id, distance in plan.pairings.filter(branch__isnull=False)
        .order_by("id")
        .values_list("needy_id", "branch__org_id", "distance_m")
    ]
    if not rows:
        raise ValidationError(_("方案中没有可结对的帮扶对象"))
    made = pairings_from_plan(
        actor=actor, rows=rows, plan_id=plan.pk, note=note or f"结对方案“{plan.name}”"
    )
    before = _snapshot(plan)
    plan.state = PlanState.APPLIED
    plan.applied_at = timezone.now()
    plan.applied_by = actor_user(actor)
    plan.summary = {**plan.summary, "pairings_made": made}
    plan.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=plan,
        org_path=plan.root_path,
        before=before,
        after=_snapshot(plan),
        note=f"确认结对方案：{made} 名帮扶对象与支部结对",
    )
    return made


# ----- edit -----------------------------------------------------------------------------------
@transaction.atomic
def plan_move_member(
    *, actor: Actor, plan: Plan, member_id: int, branch: PlanBranch
) -> PlanAssignment:
    """Put one member of the plan in another of its branches (an officer's correction)."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require(actor, Action.CHANGE, plan.root.path, _("无权为该组织制定规划"))
    if plan.state != PlanState.READY:
        raise ValidationError(_("只有已生成、尚未实施的方案可以调整"))
    if branch.plan_id != plan.pk:
        raise ValidationError(_("该支部不属于本方案"))
    a = plan.assignments.select_related("member").filter(member_id=member_id).first()
    if a is None:
        raise ValidationError(_("该党员不在本方案中"))
    before = {"branch": a.branch.name, "distance_m": round(a.distance_m)}
    member = a.member
    lat, lng = member.lat, member.lng
    if lat is None or lng is None:
        street = member.street
        lat, lng = (street.lat, street.lng) if street is not None else (branch.lat, branch.lng)
    a.branch = branch
    a.distance_m = float(
        great_circle(np.array([[lat, lng]]), np.array([[branch.lat, branch.lng]]))[0]
    )
    a.edited = True
    a.save(update_fields=["branch", "distance_m", "edited"])
    plan_refresh_summary(plan)
    audit.record(
        actor=actor,
        verb="update",
        obj=plan,
        org_path=plan.root_path,
        before=before,
        after={"branch": branch.name, "distance_m": round(a.distance_m)},
        note=f"调整党员 {member.name} 的支部",
    )
    return a


def size_problems(plan: Plan) -> list[str]:
    """Branches outside the legal size (new branches) or over their room (existing ones)."""
    problems = []
    for b in plan.branches.all():
        if plan.kind == PlanKind.FORM and not plan.size_min <= b.size <= plan.size_max:
            problems.append(
                _("%(name)s：%(size)s 人，不在 %(low)s–%(high)s 人之间")
                % {"name": b.name, "size": b.size, "low": plan.size_min, "high": plan.size_max}
            )
        if plan.kind in (PlanKind.ASSIGN, PlanKind.PAIR) and b.size > b.capacity:
            problems.append(
                _("%(name)s：%(size)s 人，超过可接收的 %(capacity)s 人")
                % {"name": b.name, "size": b.size, "capacity": b.capacity}
            )
    return problems


# ----- apply ----------------------------------------------------------------------------------
def _next_codes(prefix: str, n: int) -> list[str]:
    taken = set(Organization.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    out: list[str] = []
    i = 1
    while len(out) < n:
        code = f"{prefix}{i:03d}"
        if code not in taken:
            out.append(code)
        i += 1
    return out


@transaction.atomic
def plan_apply(*, actor: Actor, plan: Plan, parent: Organization | None = None) -> Plan:
    """Carry the plan out: found its new regional branches under ``parent`` (default: the
    plan's root), then move every member whose branch changes through one bulk transfer with
    introduction letters issued; each receiving side confirms. All or nothing."""
    plan = Plan.objects.select_for_update().select_related("root").get(pk=plan.pk)
    require(actor, Action.CHANGE, plan.root.path, _("无权为该组织制定规划"))
    if plan.kind == PlanKind.PAIR:
        raise ValidationError(_("结对帮扶方案经“确认结对”生效"))
    if plan.state != PlanState.READY:
        raise ValidationError(_("只有已生成、尚未实施的方案可以实施"))
    problems = size_problems(plan)
    if problems:
        raise ValidationError([_("支部规模不合规，请调整后再实施："), *problems[:10]])
    branches = list(plan.branches.select_related("site").order_by("index"))
    if plan.kind == PlanKind.FORM:
        parent = parent or plan.root
        require(actor, Action.CHANGE, parent.path, _("无权在该组织下设立支部"))
        if parent.org_type not in PARENT_TYPES:
            raise ValidationError(_("区域党支部只能设在党委（党工委）之下"))
        codes = _next_codes(f"{parent.code}Q", len(branches))
        for b, code in zip(branches, codes, strict=True):
            org = org_services.organization_found(
                actor=actor,
                parent=parent,
                code=code,
                name=b.name,
                org_type=OrgType.BRANCH,
                kind=BranchKind.REGIONAL,
                sector=parent.sector,
                district_id=b.district_id,
                street_id=b.site.street_id if b.site is not None else None,
                lat=b.lat,
                lng=b.lng,
                coord_source="plan",
                audit_note=f"规划方案“{plan.name}”（{plan.pk}）组建",
            )
            b.org = org
        PlanBranch.objects.bulk_update(branches, ["org"])
    orgs = {b.pk: b.org for b in branches if b.org is not None}
    rows = list(plan.assignments.select_related("member", "member__home_org"))
    moves = [
        (a.member, orgs[a.branch_id])
        for a in rows
        if a.branch_id in orgs and a.member.home_org_id != orgs[a.branch_id].pk
    ]
    reason = (
        f"组建区域党支部（规划方案“{plan.name}”）"
        if plan.kind == PlanKind.FORM
        else f"就近转入（规划方案“{plan.name}”）"
    )
    batch = None
    if moves:
        result = transfer_services.transfer_bulk(actor=actor, moves=moves, reason=reason)
        batch = result.batch
        by_member = dict(Transfer.objects.filter(batch=batch).values_list("member_id", "id"))
        for a in rows:
            a.transfer_id = by_member.get(a.member_id)
        PlanAssignment.objects.bulk_update(rows, ["transfer"], batch_size=2000)
    before = _snapshot(plan)
    plan.state = PlanState.APPLIED
    plan.applied_at = timezone.now()
    plan.applied_by = actor_user(actor)
    plan.transfer_batch = batch
    plan.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=plan,
        org_path=plan.root_path,
        before=before,
        after=_snapshot(plan),
        note=f"实施方案：新建 {len(branches) if plan.kind == PlanKind.FORM else 0} 个支部，"
        f"{len(moves)} 名党员办理组织关系转接（批次 {batch}）",
    )
    return plan


def plan_transfers(plan: Plan) -> QuerySet[Transfer]:
    if plan.transfer_batch is None:
        return Transfer.objects.none()
    return Transfer.objects.filter(batch=plan.transfer_batch)


@transaction.atomic
def plan_confirm(*, actor: Actor, plan: Plan, note: str = "") -> int:
    """The receiving side confirms every open transfer of the plan it may confirm (the
    receipt); returns how many. A pairing plan (S26) is confirmed by its officer instead:
    its pairs become pairings."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.kind == PlanKind.PAIR:
        return _confirm_pairing(actor=actor, plan=plan, note=note)
    if plan.state != PlanState.APPLIED:
        raise ValidationError(_("方案尚未实施"))
    done = 0
    for t in (
        plan_transfers(plan)
        .filter(state=TransferState.LETTER_ISSUED)
        .select_related("member", "from_org", "to_org")
    ):
        if actor is not None and not can(actor, Action.CHANGE, t.to_path):
            continue
        transfer_services.transfer_confirm(actor=actor, transfer=t, note=note or "按规划方案接收")
        done += 1
    if not done:
        raise ValidationError(_("没有您可以确认接收的转接"))
    audit.record(
        actor=actor,
        verb="update",
        obj=plan,
        org_path=plan.root_path,
        note=f"确认接收 {done} 名党员",
    )
    return done


@transaction.atomic
def plan_revert(*, actor: Actor, plan: Plan, reason: str = "") -> Plan:
    """Undo an applied plan while no receiving side has confirmed: withdraw its transfers and
    abolish the branches it founded (they hold nobody again)."""
    plan = Plan.objects.select_for_update().select_related("root").get(pk=plan.pk)
    require(actor, Action.CHANGE, plan.root.path, _("无权为该组织制定规划"))
    if plan.kind == PlanKind.PAIR:
        raise ValidationError(_("结对方案不能整体撤回，请在结对帮扶中逐一结束结对"))
    if plan.state != PlanState.APPLIED:
        raise ValidationError(_("只有已实施的方案可以撤回"))
    transfers = plan_transfers(plan).select_for_update()
    confirmed = transfers.filter(state=TransferState.DONE).count()
    if confirmed:
        raise ValidationError(
            _(
                "已有 %(n)s 名党员的组织关系由接收方确认，方案不能整体撤回；"
                "如需调整，请为这些党员另行办理转接"
            )
            % {"n": confirmed}
        )
    reason = reason.strip() or f"撤回规划方案“{plan.name}”"
    for t in transfers.filter(state__in=OPEN_STATES):
        transfer_services.transfer_withdraw(actor=actor, transfer=t, reason=reason)
    if plan.kind == PlanKind.FORM:
        for b in plan.branches.select_related("org"):
            if b.org is not None and not b.org.is_abolished:
                org_services.organization_abolish(actor=actor, org=b.org, reason=reason)
    before = _snapshot(plan)
    plan.state = PlanState.REVERTED
    plan.reverted_at = timezone.now()
    plan.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=plan,
        org_path=plan.root_path,
        before=before,
        after=_snapshot(plan),
        note=reason,
    )
    return plan
