"""Campaign pages: the list of batches, a new batch (from the last one), the progress
dashboard for a subtree, the lagging units, a unit's steps with submit / sign-off / return,
and launching a subtree's units."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiceng.core import audit, generations
from jiceng.core.exports import csv_response
from jiceng.core.scoping import Action, can, get_visible_or_404, scope_of
from jiceng.core.views import error_message, form_errors_from
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, Sector
from jiceng.study import selectors as study_selectors

from . import selectors, services
from .forms import (
    ActivityForm,
    CampaignEditForm,
    CampaignForm,
    CoverageForm,
    FourOnesForm,
    LaunchForm,
    LessonForm,
    PlanItemForm,
    PracticeForm,
    StepActionForm,
    StepTasksForm,
    TaskForm,
    TemplateForm,
)
from .models import (
    Campaign,
    CampaignUnit,
    FourOnesItem,
    PracticeActivity,
    ResponsibilityTask,
    UnitPlanItem,
)
from .rules import (
    ENTERED_COVERAGE,
    PHASE_ORDER,
    Aim,
    Coverage,
    FourOnes,
    Phase,
    StepAction,
    UnitState,
)

PAGE_SIZE = 50


def under_for(request: HttpRequest, campaign: Campaign) -> Organization:
    return selectors.campaign_subtree(request.user, campaign, request.GET.get("under"))


def _crumbs(request: HttpRequest, campaign: Campaign, under: Organization) -> list[Organization]:
    top = len(campaign.root_path)
    paths = [under.path[:i] for i in range(top, len(under.path), Organization.steplen)]
    visible = org_selectors.organization_list(request.user).filter(path__in=paths)
    return list(visible.order_by("path"))


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user, Action.VIEW).paths:
        return redirect(reverse("campaigns:mine"))  # a member (self-service)
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
    children = selectors.progress_by_child(request.user, campaign, under)
    total = selectors.Progress.summed(children, under)
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
    if request.htmx and request.GET.get("part") == "members":
        return _member_summary(request, campaign, under)
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
            "awaiting": total.submitted,
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


# The members' summary aggregates over every member of the subtree (2,000,000 city-wide), so
# it is computed once per campaign, subtree and scope and kept this long (seconds), or until a
# member's four ones or study records change (``core.generations.MEMBER_ACTIVITY``).
MEMBER_SUMMARY_SECONDS = 300
# Study completion is computed member by member (their mode's requirement and sums): about 2 s
# for a district of 150,000 members, 28 s for the whole city (bench/BENCHMARKS.md). Above this
# many members the summary leaves study out and links to the study ledger by district.
STUDY_SUMMARY_MAX_MEMBERS = 300_000


def _member_summary(request: HttpRequest, campaign: Campaign, under: Organization) -> HttpResponse:
    """Members' "four ones" (S18) and study completion (S9) under the subtree: aggregates over
    the members, loaded after the page (htmx) so the progress roll-up shows at once, and
    cached for ``MEMBER_SUMMARY_SECONDS`` per campaign, subtree and the user's scope."""
    scope = ",".join(scope_of(request.user, Action.VIEW).paths)
    gen = generations.generation(generations.MEMBER_ACTIVITY)
    key = f"campaign-members:{gen}:{campaign.pk}:{under.path}:{scope}"
    context = cache.get(key)
    if context is None:
        period = study_selectors.period_current(today=campaign.reference_date())
        four_ones = selectors.four_ones_summary(request.user, campaign, under)
        too_many = four_ones["members"] > STUDY_SUMMARY_MAX_MEMBERS
        context = {
            "four_ones": four_ones,
            "study": (
                study_selectors.unit_totals(request.user, under, period)
                if period and not too_many
                else None
            ),
            "study_too_many": too_many,
            "study_period": period,
            "computed_at": timezone.localtime(),
        }
        cache.set(key, context, MEMBER_SUMMARY_SECONDS)
    return render(
        request,
        "campaigns/_member_summary.html",
        {"campaign": campaign, "under": under, **context},
    )


@login_required
def campaign_lagging(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    sector = request.GET.get("sector", "")
    sector = sector if sector in Sector.values else ""
    waiting = request.GET.get("waiting") == "1"
    if waiting:  # the sign-off worklist: steps submitted and waiting for the parent
        units = selectors.awaiting_sign_off(request.user, campaign, under)
        units = units.filter(sector=sector) if sector else units
        units = units.select_related("org__secretary", "parent__secretary")
    else:
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
            "waiting": waiting,
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
    response, writer = csv_response(f"lagging-{campaign.pk}.csv")
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


UNIT_TABS = {
    "steps": gettext_lazy("环节"),
    "plan": gettext_lazy("单位方案"),
    "tasks": gettext_lazy("责任分解"),
    "coverage": gettext_lazy("四让"),
    "fourones": gettext_lazy("四个一"),
    "pilot": gettext_lazy("试点"),
}


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
    tab = request.GET.get("tab", "steps")
    tab = tab if tab in UNIT_TABS else "steps"
    on = unit.campaign.reference_date()
    context: dict[str, Any] = {
        "unit": unit,
        "campaign": unit.campaign,
        "on": on,
        "tab": tab,
        "may_change": may_change,
        "may_sign": may_sign,
        "tab_labels": list(UNIT_TABS.items()),
    }
    if tab == "steps":
        context |= {
            "steps": _steps_of(unit),
            "records": selectors.unit_records(unit),
            "actions": [(a, StepAction(a).label) for a in actions],
            "form": StepActionForm(),
        }
    elif tab == "plan":
        context |= {
            "template": services.template_for(unit),
            "items": unit.plan_items.select_related("template"),
            "item_form": PlanItemForm(),
        }
    elif tab == "tasks":
        tasks = list(selectors.unit_tasks(unit))
        for t in tasks:
            t.days_late = t.overdue_days(on)
            t.rank_now = t.escalation_rank(on, len(t.links.all()))
        context |= {"tasks": tasks, "task_form": TaskForm()}
    elif tab == "coverage":
        context |= {
            "coverage": selectors.coverage(request.user, unit.campaign, unit.org),
            "entries": {e.indicator: e for e in unit.coverage.all()},
            "coverage_form": CoverageForm(),
            "coverage_labels": [(c, Coverage(c).label) for c in ENTERED_COVERAGE],
        }
    elif tab == "fourones":
        context |= {
            "sheet": selectors.four_ones_sheet(request.user, unit.campaign, unit),
            "kinds": FourOnes.choices,
        }
    else:
        context |= {
            "lessons": unit.lessons.all(),
            "previous_lessons": selectors.lessons_for(unit.campaign, unit.sector)[:20],
            "lesson_form": LessonForm(),
        }
    return render(request, "campaigns/unit.html", context)


def _unit_tab(unit: CampaignUnit, tab: str) -> HttpResponse:
    return redirect(f"{reverse('campaigns:unit', args=[unit.pk])}?tab={tab}")


@login_required
@require_POST
def unit_do(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """The unit page's other writes: pilot flag and lessons (S5), the unit's plan (S7, S14,
    S15), tasks (S6), entered coverage figures (S8)."""
    unit = selectors.unit_get(request.user, pk)
    tabs = {
        "pilot": "pilot",
        "lesson": "pilot",
        "plan": "plan",
        "plan-add": "plan",
        "task": "tasks",
        "coverage": "coverage",
    }
    if what not in tabs:
        raise Http404
    try:
        if what == "pilot":
            services.unit_set_pilot(
                actor=request.user, unit=unit, is_pilot=request.POST.get("on") == "1"
            )
        elif what == "lesson":
            form: Any = LessonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写经验和做法"))
            services.lesson_record(actor=request.user, unit=unit, **form.cleaned_data)
        elif what == "plan":
            n = services.unit_plan_instantiate(actor=request.user, unit=unit)
            messages.success(request, _("已生成 %(n)s 项") % {"n": n})
        elif what == "plan-add":
            form = PlanItemForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写内容"))
            services.unit_plan_add(actor=request.user, unit=unit, **form.cleaned_data)
        elif what == "task":
            form = TaskForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写任务和完成期限"))
            services.task_create(actor=request.user, unit=unit, **form.cleaned_data)
        else:
            form = CoverageForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写达到数和总数（总数至少为 1）"))
            services.coverage_enter(actor=request.user, unit=unit, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_message(exc))
    return _unit_tab(unit, tabs[what])


@login_required
@require_POST
def plan_item_mark(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(UnitPlanItem.objects.select_related("unit"), request.user, pk=pk)
    try:
        services.unit_plan_mark(
            actor=request.user,
            item=item,
            done=request.POST.get("done") == "1",
            note=request.POST.get("note", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_message(exc))
    return _unit_tab(item.unit, "plan")


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(
        ResponsibilityTask.objects.select_related("campaign", "unit"), request.user, pk=pk
    )
    try:
        services.task_done(actor=request.user, task=task)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_message(exc))
    back = request.POST.get("next", "")
    if back.startswith("/campaigns/"):
        return redirect(back)
    return _unit_tab(task.unit, "tasks")


@login_required
@require_POST
def four_ones_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(
        FourOnesItem.objects.select_related("campaign", "member"), request.user, pk=pk
    )
    try:
        services.four_ones_confirm(
            actor=request.user,
            item=item,
            confirm=request.POST.get("confirm", "1") == "1",
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_message(exc))
    unit = CampaignUnit.objects.filter(
        campaign=item.campaign, org_id=item.member.home_org_id
    ).first()
    if unit is None:
        return redirect(reverse("campaigns:detail", args=[item.campaign_id]))
    return _unit_tab(unit, "fourones")


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


@login_required
def campaign_guidance(request: HttpRequest, pk: int) -> HttpResponse:
    """Classified guidance (S14, S15) and the previous batch's pilot lessons (S5)."""
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = TemplateForm(request.POST or None)
    may_issue = can(request.user, Action.CHANGE, under.path)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_create(
                actor=request.user, campaign=campaign, owner=under, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError):
                form_errors_from(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(request, _("已发布指导方案"))
            return redirect(f"{reverse('campaigns:guidance', args=[campaign.pk])}?under={under.pk}")
    return render(
        request,
        "campaigns/guidance.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": _crumbs(request, campaign, under),
            "templates": selectors.templates_for(request.user, campaign),
            "lessons": selectors.lessons_for(campaign),
            "pilots": selectors.campaign_units(request.user, campaign)
            .filter(org_path__startswith=under.path, is_pilot=True)
            .select_related("org"),
            "form": form,
            "may_issue": may_issue,
        },
    )


@login_required
def campaign_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """Overdue tasks under a subtree and the tasks escalated up to the user's unit (S6)."""
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    on = campaign.reference_date()
    page = Paginator(selectors.overdue_tasks(request.user, campaign, under), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    escalated = list(selectors.escalated_to(request.user, campaign, under)[:PAGE_SIZE])
    for t in [*rows, *escalated]:
        t.days_late = t.overdue_days(on)
        t.rank_now = t.escalation_rank(on, len(t.links.all()))
    page.object_list = rows
    step_form = StepTasksForm(campaign=campaign)
    return render(
        request,
        "campaigns/tasks.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": _crumbs(request, campaign, under),
            "page_obj": page,
            "escalated": escalated,
            "step_form": step_form,
            "may_change": can(request.user, Action.CHANGE, under.path),
            "on": on,
        },
    )


@login_required
@require_POST
def campaign_tasks_from_step(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = StepTasksForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            n = services.tasks_from_step(
                actor=request.user, campaign=campaign, step=form.cleaned_data["step"], under=under
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("已分解到 %(n)s 个单位") % {"n": n})
    else:
        messages.error(request, _("请选择环节"))
    return redirect(f"{reverse('campaigns:tasks', args=[campaign.pk])}?under={under.pk}")


@login_required
def campaign_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """The "four lets" (S8) of a subtree, and the units missing each."""
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    indicator = request.GET.get("missing", Coverage.SECRETARY)
    indicator = indicator if indicator in Coverage.values else Coverage.SECRETARY
    missing = Paginator(
        selectors.coverage_missing(request.user, campaign, under, indicator), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/coverage.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": _crumbs(request, campaign, under),
            "coverage": selectors.coverage(request.user, campaign, under),
            "indicator": indicator,
            "indicators": [c for c in Coverage.choices if c[0] != Coverage.MEMBERS],
            "page_obj": missing,
        },
    )


@login_required
def campaign_practices(request: HttpRequest, pk: int) -> HttpResponse:
    """Theme practices (S24, S25) and their activities."""
    campaign = selectors.campaign_get(request.user, pk)
    under = under_for(request, campaign)
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.practice_create(
                actor=request.user, campaign=campaign, owner=under, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_message(exc))
        else:
            return redirect(
                f"{reverse('campaigns:practices', args=[campaign.pk])}?under={under.pk}"
            )
    practices = list(selectors.practices_for(request.user, campaign))
    activities = {
        p.pk: list(
            PracticeActivity.objects.visible_to(request.user)
            .filter(practice=p)
            .select_related("org")[:20]
        )
        for p in practices
    }
    return render(
        request,
        "campaigns/practices.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": _crumbs(request, campaign, under),
            "practices": [(p, activities[p.pk]) for p in practices],
            "form": form,
            "activity_form": ActivityForm(user=request.user),
            "may_change": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
@require_POST
def practice_activity(request: HttpRequest, pk: int) -> HttpResponse:
    practice = selectors.practice_get(request.user, pk)
    form = ActivityForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.activity_record(actor=request.user, practice=practice, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("已记录活动"))
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(reverse("campaigns:practices", args=[practice.campaign_id]))


@login_required
def my_campaign(request: HttpRequest) -> HttpResponse:
    """Member self-service (item 10): the member's unit and its current step, their "four
    ones" with forms to record evidence (the branch confirms), and their study record."""
    member = Member.objects.filter(user_id=request.user.pk or 0).select_related("home_org").first()
    if member is None:
        raise Http404
    campaign = selectors.member_campaign(member)
    if campaign is None:
        return render(request, "campaigns/mine.html", {"member": member, "campaign": None})
    form = FourOnesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.four_ones_record(
                actor=request.user, campaign=campaign, member=member, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已填报，待支部确认"))
            return redirect(reverse("campaigns:mine"))
    unit = (
        CampaignUnit.objects.filter(campaign=campaign, org_id=member.home_org_id)
        .select_related("step", "org")
        .first()
    )
    items = {
        i.kind: i
        for i in FourOnesItem.objects.visible_to(request.user).filter(
            campaign=campaign, member=member
        )
    }
    return render(
        request,
        "campaigns/mine.html",
        {
            "member": member,
            "campaign": campaign,
            "unit": unit,
            "items": [(k, label, items.get(k)) for k, label in FourOnes.choices],
            "form": form,
            "study_url": reverse("study:mine"),
            "tasks": list(unit.tasks.filter(state="open").order_by("due_on")[:10]) if unit else [],
        },
    )
