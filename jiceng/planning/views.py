"""Planning pages: the list of plans, a new plan, a plan with its progress, map and tables,
moving a member, applying, confirming, reverting, and two plans side by side."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import audit
from jiceng.core.exports import csv_response
from jiceng.core.scoping import Action, Actor, can, require_somewhere, scope_of
from jiceng.core.views import run_service
from jiceng.geo.models import District
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization
from jiceng.outreach.registry.rules import MASK

from . import selectors, services, tasks
from .forms import MoveForm, PlanForm
from .models import Plan, PlanAssignment, PlanPairing
from .rules import UNPAIRED_REASONS, PlanKind, PlanState

PAGE_SIZE = 100


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = Paginator(selectors.plan_list(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "planning/list.html", {"page_obj": plans})


def _queue(*, actor: Actor, plan: Plan) -> Plan:
    """Mark the plan for computing; its task is enqueued once that is committed."""
    with transaction.atomic():
        plan = services.plan_queue(actor=actor, plan=plan)
        transaction.on_commit(lambda: tasks.run_plan.enqueue(plan.pk))
    return plan


def _create_and_queue(*, actor: Actor, **fields: Any) -> Plan:
    """A new plan, queued for computing in the same transaction."""
    with transaction.atomic():
        plan = services.plan_create(actor=actor, **fields)
        return _queue(actor=actor, plan=plan)


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色只能查看，不能新建规划方案"))
    initial: dict[str, Any] = {"kind": request.GET.get("kind") or PlanKind.FORM}
    if request.GET.get("org"):
        org = org_selectors.organization_get(request.user, request.GET["org"], Action.CHANGE)
        initial["root_code"] = org.code
    else:
        # An officer of one subtree (a street officer) plans for it: filled in for them.
        paths = scope_of(request.user, Action.CHANGE).paths
        own = Organization.objects.filter(path=paths[0]).first() if len(paths) == 1 else None
        if own is not None:
            initial["root_code"] = own.code
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        root = data.pop("root_code")
        target = data.pop("target_code")
        plan = run_service(
            request, _create_and_queue, form=form, root=root, target=target, **data
        ).value
        if plan is not None:
            return redirect(reverse("planning:detail", args=[plan.pk]))
    return render(request, "planning/form.html", {"form": form})


def _pair_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    """A pairing plan's page (S26): figures, branches holding someone, people with their
    branch; categories only for a reader with outreach rights over the plan's root."""
    may_change = can(request.user, Action.CHANGE, plan.root_path)
    rows = Paginator(selectors.plan_pairings(plan), PAGE_SIZE).get_page(request.GET.get("page"))
    # A list shows a person's categories masked, as the registry's does (PIPL art. 28): the
    # person's page reveals them, audited.
    show_categories = can(request.user, Action.OUTREACH, plan.root_path)
    reasons = plan.summary.get("unpaired_by_reason", {})
    return {
        "plan": plan,
        "pair_branches": list(selectors.pair_branches(plan)),
        # The branches a person may be moved to: those with a seat left.
        "branches": list(selectors.plan_branches(plan).filter(size__lt=F("capacity"))[:300])
        if may_change and plan.state == PlanState.READY
        else [],
        "page_obj": rows,
        "may_change": may_change,
        "show_categories": show_categories,
        "mask": MASK,
        "unpaired_reasons": [(UNPAIRED_REASONS.get(k, k), n) for k, n in reasons.items()],
        "problems": services.size_problems(plan) if plan.state == PlanState.READY else [],
        "others": selectors.comparable(request.user, plan)[:20],
    }


def _detail_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    if plan.kind == PlanKind.PAIR:
        return _pair_context(request, plan)
    may_change = can(request.user, Action.CHANGE, plan.root_path)
    branches = list(selectors.plan_branches(plan))
    rows = Paginator(selectors.plan_assignments(plan), PAGE_SIZE).get_page(request.GET.get("page"))
    transfers = services.plan_transfers(plan)
    open_count = transfers.filter(state__in=["letter_issued", "in_transit"]).count()
    confirmable = 0
    if plan.state == PlanState.APPLIED and open_count:
        confirmable = sum(
            1
            for path in transfers.filter(state="letter_issued").values_list("to_path", flat=True)
            if can(request.user, Action.CHANGE, path)
        )
    return {
        "plan": plan,
        "branches": branches,
        "branch_rows": _branch_rows(branches),
        "page_obj": rows,
        "farther": selectors.farther_members(plan)[:50],
        "may_change": may_change,
        "problems": services.size_problems(plan) if plan.state == PlanState.READY else [],
        "others": selectors.comparable(request.user, plan)[:20],
        "transfers_total": transfers.count(),
        "transfers_open": open_count,
        "transfers_done": transfers.filter(state="done").count(),
        "confirmable": confirmable,
        "parents": [plan.root],
    }


def _branch_rows(branches: list[Any]) -> list[tuple[Any, list[tuple[str, int]]]]:
    names = dict(District.objects.values_list("code", "name"))
    return [(b, [(names.get(c, c or "—"), n) for c, n in b.districts.items()]) for b in branches]


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk)
    if request.htmx and request.GET.get("part") == "branches":
        rows = _branch_rows(list(selectors.plan_branches(plan)))
        return render(request, "planning/_branches.html", {"plan": plan, "branch_rows": rows})
    if request.htmx and request.GET.get("part") == "progress":
        if not plan.is_busy:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "planning/_progress.html", {"plan": plan})
    return render(request, "planning/detail.html", _detail_context(request, plan))


@login_required
def plan_map(request: HttpRequest, pk: int) -> JsonResponse:
    plan = selectors.plan_get(request.user, pk)
    return JsonResponse(selectors.map_data(plan))


@login_required
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's members and branches as CSV (UTF-8 with BOM, opens in Excel)."""
    plan = selectors.plan_get(request.user, pk)
    audit.record(
        actor=request.user,
        verb="export",
        obj=plan,
        org_path=plan.root_path,
        note=f"导出规划方案 {plan.summary.get('members', 0)} 名党员（CSV）",
    )
    response, writer = csv_response(f"plan-{plan.pk}.csv")
    if plan.kind == PlanKind.PAIR:
        _export_pairs(plan, writer)
        return response
    writer.writerow(
        [
            _("党员"),
            _("现组织关系所在"),
            _("方案支部"),
            _("距离（公里）"),
            _("原距离（公里）"),
            _("人工调整"),
        ]
    )
    for a in selectors.plan_assignments(plan).iterator(chunk_size=2000):
        writer.writerow(
            [
                a.member.name,
                a.previous_org.name,
                a.branch.name,
                f"{a.distance_km:.2f}",
                "" if a.previous_km is None else f"{a.previous_km:.2f}",
                _("是") if a.edited else "",
            ]
        )
    return response


def _export_pairs(plan: Plan, writer: Any) -> None:
    """A pairing plan's people: their street, branch and distance, or why unpaired (S26)."""
    writer.writerow(
        [_("帮扶对象"), _("居住地街道（乡镇）"), _("结对支部"), _("距离（公里）"), _("未结对原因")]
    )
    for p in selectors.plan_pairings(plan).iterator(chunk_size=2000):
        writer.writerow(
            [
                p.needy.name,
                p.needy.street_org.name,
                p.branch.name if p.branch else "",
                "" if p.distance_km is None else f"{p.distance_km:.2f}",
                p.reason_label if p.reason else "",
            ]
        )


def _back(plan: Plan) -> HttpResponse:
    return redirect(reverse("planning:detail", args=[plan.pk]))


@login_required
@require_POST
def plan_run(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk, Action.CHANGE)
    run_service(request, _queue, plan=plan)
    return _back(plan)


@login_required
@require_POST
def plan_move(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk, Action.CHANGE)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return _back(plan)
    if plan.kind == PlanKind.PAIR:
        return _move_pairing(request, plan, form.cleaned_data)
    data = {k: form.cleaned_data[k] for k in ("member", "branch")}
    assignment = run_service(request, _move_member, plan=plan, **data).value
    if assignment is None:
        return _back(plan)
    if request.htmx:
        response = render(
            request,
            "planning/_assignment_row.html",
            {
                "a": assignment,
                "plan": plan,
                "branches": list(selectors.plan_branches(plan)),
                "may_change": True,
                "moved": True,
            },
        )
        response["HX-Trigger"] = "plan-changed"
        return response
    messages.success(request, _("已调整"))
    return _back(plan)


def _move_pairing(request: HttpRequest, plan: Plan, data: dict[str, Any]) -> HttpResponse:
    """A pairing plan's person moved to another of its branches; the page reloads (the
    branch table, the figures and the map all change)."""
    run_service(
        request,
        _pair_move,
        success=_("已调整结对支部"),
        plan=plan,
        needy=data.get("needy") if data.get("needy") is not None else data.get("member"),
        branch=data["branch"],
    )
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return _back(plan)


def _pair_move(*, actor: Actor, plan: Plan, needy: int, branch: int) -> PlanPairing:
    to = plan.branches.filter(index=branch).first()
    if to is None:
        raise ValidationError(_("请选择本方案中的支部"))
    return services.plan_move_pairing(actor=actor, plan=plan, needy_id=needy, branch=to)


def _move_member(*, actor: Actor, plan: Plan, member: int, branch: int) -> PlanAssignment:
    """The page's move: the member by id, the branch by its index in the plan."""
    to = plan.branches.filter(index=branch).first()
    if to is None:
        raise ValidationError(_("请选择本方案中的支部"))
    return services.plan_move_member(actor=actor, plan=plan, member_id=member, branch=to)


@login_required
@require_POST
def plan_apply(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk, Action.CHANGE)
    run_service(
        request,
        services.plan_apply,
        success=_("方案已实施：介绍信已开具，待接收方确认后党员的组织关系转入新支部"),
        plan=plan,
    )
    return _back(plan)


@login_required
@require_POST
def plan_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk)
    done = run_service(request, services.plan_confirm, plan=plan).value
    if done is not None:
        if plan.kind == PlanKind.PAIR:
            messages.success(request, _("已结对 %(n)s 名帮扶对象") % {"n": done})
        else:
            messages.success(request, _("已确认接收 %(n)s 名党员") % {"n": done})
    return _back(plan)


@login_required
@require_POST
def plan_revert(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk, Action.CHANGE)
    run_service(
        request,
        services.plan_revert,
        success=_("方案已撤回：转接已撤回，新建支部已撤销"),
        plan=plan,
        reason=request.POST.get("reason", ""),
    )
    return _back(plan)


@login_required
def plan_compare(request: HttpRequest) -> HttpResponse:
    """Two plans of one kind side by side: their figures, and how many members (people, for
    pairing plans) they place differently. Plans of different kinds are not compared."""
    ids = [request.GET.get("a"), request.GET.get("b")]
    if not all(ids):
        raise Http404
    a, b = (selectors.plan_get(request.user, pk) for pk in ids)
    if a.kind != b.kind:
        messages.error(
            request,
            _("只能比较同一类型的方案：“%(a)s”是%(ka)s，“%(b)s”是%(kb)s")
            % {"a": a.name, "ka": a.get_kind_display(), "b": b.name, "kb": b.get_kind_display()},
        )
        return _back(a)
    if a.kind == PlanKind.PAIR:
        return _pair_compare(request, a, b)
    pairs = _pairs(a, b)
    differ = sum(1 for _m, x, y in pairs if x != y)
    return render(
        request,
        "planning/compare.html",
        {
            "a": a,
            "b": b,
            "common": len(pairs),
            "plans": [a, b],
            "differ": differ,
            "rows": _compare_rows(a, b),
        },
    )


def _pair_compare(request: HttpRequest, a: Plan, b: Plan) -> HttpResponse:
    """Two pairing plans (S26): people paired and unpaired, branches used, distances, the
    categories' affinity met (for a reader with outreach rights over both) and each branch's
    load."""
    with_categories = can(request.user, Action.OUTREACH, a.root_path) and can(
        request.user, Action.OUTREACH, b.root_path
    )
    found = selectors.pair_compare(a, b, with_categories=with_categories)
    return render(
        request,
        "planning/compare.html",
        {
            "a": a,
            "b": b,
            "plans": [a, b],
            "pair": found,
            "common": found.common,
            "differ": found.differ,
            "rows": _pair_rows(a, b, found, with_categories=with_categories),
        },
    )


def _pair_rows(
    a: Plan, b: Plan, found: selectors.PairComparison, *, with_categories: bool
) -> list[tuple[str, Any, Any]]:
    def both(value: Any) -> tuple[Any, Any]:
        return value(found.a), value(found.b)

    def percent(f: selectors.PairFigures) -> str:
        return "—" if f.paired_percent is None else f"{f.paired_percent}%"

    rows: list[tuple[str, Any, Any]] = [
        (_("帮扶对象"), *both(lambda f: f.people)),
        (_("已结对"), *both(lambda f: f.paired)),
        (_("未结对"), *both(lambda f: f.unpaired)),
        (_("结对率"), *both(percent)),
        (_("结对支部 / 可结对支部"), *both(lambda f: f"{f.branches} / {f.branches_total}")),
        (_("平均距离（公里）"), *both(lambda f: f"{f.mean_km:.2f}")),
        (_("最远距离（公里）"), *both(lambda f: f"{f.max_km:.2f}")),
        (_("每支部名额"), a.per_branch, b.per_branch),
        (
            _("每支部结对人数（最少 / 平均 / 最多）"),
            *both(lambda f: f"{f.load_min} / {f.load_mean:g} / {f.load_max}"),
        ),
        (_("名额已满的支部"), *both(lambda f: f.full)),
    ]
    if with_categories:
        rows.append(
            (
                _("类别优先满足（人）"),
                *both(lambda f: f"{f.affinity_met} / {f.affinity_people}"),
            )
        )
    rows.append((_("计算用时（秒）"), a.summary.get("seconds", "—"), b.summary.get("seconds", "—")))
    return rows


def _pairs(a: Plan, b: Plan) -> list[tuple[int, tuple[float, float], tuple[float, float]]]:
    """Members in both plans with the (rounded) location of their branch in each."""
    pa = {
        m: (round(lat, 4), round(lng, 4))
        for m, lat, lng in a.assignments.values_list("member_id", "branch__lat", "branch__lng")
    }
    out = []
    for m, lat, lng in b.assignments.values_list("member_id", "branch__lat", "branch__lng"):
        if m in pa:
            out.append((m, pa[m], (round(lat, 4), round(lng, 4))))
    return out


def _compare_rows(a: Plan, b: Plan) -> list[tuple[str, Any, Any]]:
    keys = [
        (_("党员数"), "members"),
        (_("支部数"), "branches"),
        (_("平均距离（公里）"), "mean_km"),
        (_("最远距离（公里）"), "max_km"),
        (_("最小支部人数"), "size_min"),
        (_("最大支部人数"), "size_max"),
        (_("覆盖区县数"), "districts"),
        (_("距离变远的党员"), "grows"),
        (_("计算用时（秒）"), "seconds"),
    ]
    return [(label, a.summary.get(k, "—"), b.summary.get(k, "—")) for label, k in keys]
