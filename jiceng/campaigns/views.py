"""Campaign pages: the list of batches, a new batch (from the last one), the progress
dashboard for a subtree, the lagging units, a unit's steps with submit / sign-off / return,
and launching a subtree's units."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import audit
from jiceng.core.scoping import Action, can
from jiceng.core.views import error_message, form_errors_from
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, Sector

from . import selectors, services
from .forms import CampaignEditForm, CampaignForm, LaunchForm, StepActionForm
from .models import Campaign, CampaignUnit
from .rules import PHASE_ORDER, Aim, Phase, StepAction, UnitState

PAGE_SIZE = 50


def under_for(request: HttpRequest, campaign: Campaign) -> Organization:
    """The subtree a page looks at: ``?under=`` (a 404 outside the user's scope), else the
    user's top unit; never above the campaign's root."""
    under = org_selectors.subtree_root(request.user, request.GET.get("under") or None)
    if under.path.startswith(campaign.root_path):
        return under
    if campaign.root_path.startswith(under.path):
        return campaign.root
    raise Http404


def _crumbs(request: HttpRequest, campaign: Campaign, under: Organization) -> list[Organization]:
    top = len(campaign.root_path)
    paths = [under.path[:i] for i in range(top, len(under.path), Organization.steplen)]
    visible = org_selectors.organization_list(request.user).filter(path__in=paths)
    return list(visible.order_by("path"))


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for campaign in selectors.campaign_list(request.user)[:50]:
        try:
            under = under_for(request, campaign)
        except Http404:
            continue
        rows.append((campaign, selectors.progress_total(request.user, campaign, under)))
    return render(request, "campaigns/list.html", {"rows": rows})


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    previous = None
    initial: dict[str, Any] = {}
    source = request.POST.get("previous") or request.GET.get("from")
    if source:
        previous = selectors.campaign_get(request.user, source)
        initial = {"root": previous.root.code, "description": previous.description}
    form = CampaignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                actor=request.user, previous=previous, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error("root", str(exc))
        else:
            messages.success(request, _("已部署“%(name)s”") % {"name": campaign.name})
            return redirect(reverse("campaigns:detail", args=[campaign.pk]))
    return render(request, "campaigns/form.html", {"form": form, "previous": previous})


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk, Action.CHANGE)
    form = CampaignEditForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            campaign.refresh_from_db()
            services.campaign_update(actor=request.user, campaign=campaign, **fields)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError):
                form_errors_from(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            return redirect(reverse("campaigns:detail", args=[campaign.pk]))
    return render(request, "campaigns/edit.html", {"form": form, "campaign": campaign})


def _step_rows(request: HttpRequest, campaign: Campaign, under: Organization) -> list[dict]:
    on = campaign.reference_date()
    counts = {
        r["step_id"]: r
        for r in selectors.campaign_units(request.user, campaign)
        .filter(org_path__startswith=under.path, state=UnitState.IN_PROGRESS)
        .values("step_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=on)))
    }
    rows = []
    for step in campaign.steps.order_by("order"):
        c: Any = counts.get(step.pk, {})
        rows.append({"step": step, "n": c.get("n", 0), "overdue": c.get("overdue", 0)})
    return rows


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    total = selectors.progress_total(request.user, campaign, under)
    children = selectors.progress_by_child(request.user, campaign, under)
    sectors = selectors.progress_by_sector(request.user, campaign, under)
    lagging = selectors.lagging_units(request.user, campaign, under)
    unit_ids = dict(
        CampaignUnit.objects.filter(
            campaign=campaign, org_id__in=[p.org.pk for p in children if p.org]
        ).values_list("org_id", "id")
    )
    indicators: dict[str, list] = {a: [] for a in Aim.values}
    for i in campaign.indicators.all():
        indicators[i.aim].append(i)
    steps = _step_rows(request, campaign, under)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": _crumbs(request, campaign, under),
            "total": total,
            "children": children,
            "unit_ids": unit_ids,
            "sectors": sectors,
            "lagging": _with_days(lagging[:10], campaign),
            "awaiting": selectors.awaiting_sign_off(request.user, campaign, under).count(),
            "chart": selectors.phase_chart(children),
            "phase_chart": [
                {"name": str(UnitState.NOT_LAUNCHED.label), "value": total.not_launched},
                *[{"name": str(Phase(p).label), "value": getattr(total, p)} for p in PHASE_ORDER],
                {"name": str(UnitState.COMPLETED.label), "value": total.completed},
            ],
            "aims": [(Aim(a).label, indicators[a]) for a in Aim.values],
            "phases": [
                (Phase(p).label, [s for s in steps if s["step"].phase == p]) for p in PHASE_ORDER
            ],
            "may_change": can(request.user, Action.CHANGE, campaign.root_path),
            "may_launch": can(request.user, Action.CHANGE, under.path),
        },
    )


def _with_days(units: Any, campaign: Campaign) -> list[CampaignUnit]:
    on = campaign.reference_date()
    rows = list(units)
    for u in rows:
        u.days_late = u.overdue_days(on)
    return rows


@login_required
def campaign_lagging(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    sector = request.GET.get("sector", "")
    sector = sector if sector in Sector.values else ""
    units = selectors.lagging_units(request.user, campaign, under, sector=sector)
    on = campaign.reference_date()
    if request.GET.get("format") == "csv":
        return _lagging_csv(request, campaign, under, units, on)
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_days(page.object_list, campaign)
    return render(
        request,
        "campaigns/lagging.html",
        {
            "campaign": campaign,
            "under": under,
            "page_obj": page,
            "on": on,
            "sector": sector,
            "sectors": Sector.choices,
            "crumbs": _crumbs(request, campaign, under),
        },
    )


def _secretary(org: Organization | None) -> str:
    if org is None:
        return ""
    return org.secretary.name if org.secretary_id and org.secretary else _("（书记空缺）")


def _lagging_csv(
    request: HttpRequest, campaign: Campaign, under: Organization, units: Any, on: Any
) -> HttpResponse:
    audit.record(
        actor=request.user,
        verb="export",
        obj=campaign,
        org_path=under.path,
        note=f"导出进度滞后单位（{under.name}，CSV）",
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lagging-{campaign.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("单位"),
            _("状态"),
            _("当前环节"),
            _("期限"),
            _("逾期天数"),
            _("书记"),
            _("上级党组织"),
            _("上级书记"),
        ]
    )
    for u in units.iterator(chunk_size=2000):
        writer.writerow(
            [
                u.org.name,
                u.get_state_display(),
                u.step.name if u.step else "",
                u.due_on,
                u.overdue_days(on),
                _secretary(u.org),
                u.parent.name if u.parent else "",
                _secretary(u.parent),
            ]
        )
    return response


@login_required
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = LaunchForm(request.POST or None, user=request.user, initial={"under": under.code})
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["under"]
        if not target.path.startswith(campaign.root_path):
            form.add_error("under", _("该组织不在本活动范围内"))
        else:
            try:
                n = services.units_launch(
                    actor=request.user, campaign=campaign, under=target, on=form.cleaned_data["on"]
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except PermissionDenied as exc:
                form.add_error("under", str(exc))
            else:
                messages.success(request, _("已启动 %(n)s 个单位") % {"n": n})
                url = reverse("campaigns:detail", args=[campaign.pk])
                return redirect(f"{url}?under={target.pk}")
    waiting = (
        selectors.campaign_units(request.user, campaign)
        .filter(org_path__startswith=under.path, state=UnitState.NOT_LAUNCHED)
        .count()
    )
    return render(
        request,
        "campaigns/launch.html",
        {"campaign": campaign, "under": under, "form": form, "waiting": waiting},
    )


def _steps_of(unit: CampaignUnit) -> list[dict]:
    current = unit.step.order if unit.step else None
    rows = []
    for step in unit.campaign.steps.order_by("order"):
        if unit.state == UnitState.COMPLETED or (current is not None and step.order < current):
            status = "done"
        elif step.order == current and unit.state == UnitState.IN_PROGRESS:
            status = "current"
        else:
            status = "todo"
        rows.append({"step": step, "status": status})
    return rows


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_get(request.user, pk)
    parent_path = unit.org_path[:-4]
    may_change = can(request.user, Action.CHANGE, unit.org_path)
    may_sign = bool(parent_path) and can(request.user, Action.CHANGE, parent_path)
    actions = [
        a
        for a in unit.actions
        if (a in (StepAction.LAUNCH, StepAction.SUBMIT) and may_change)
        or (a in (StepAction.SIGN_OFF, StepAction.RETURN) and may_sign)
    ]
    return render(
        request,
        "campaigns/unit.html",
        {
            "unit": unit,
            "campaign": unit.campaign,
            "on": unit.campaign.reference_date(),
            "steps": _steps_of(unit),
            "records": selectors.unit_records(unit),
            "actions": [(a, StepAction(a).label) for a in actions],
            "form": StepActionForm(),
        },
    )


@login_required
@require_POST
def unit_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    unit = selectors.unit_get(request.user, pk)
    back = redirect(reverse("campaigns:unit", args=[unit.pk]))
    if action not in StepAction.values:
        raise Http404
    form = StepActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("日期格式不正确"))
        return back
    try:
        services.unit_act(
            actor=request.user,
            unit=unit,
            action=action,
            text=form.cleaned_data["text"],
            on=form.cleaned_data["on"],
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("已%(action)s") % {"action": StepAction(action).label})
    return back
