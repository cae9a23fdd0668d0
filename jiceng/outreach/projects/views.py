"""Pages of support projects (S28): the list under a root with the figures per child unit, the
create and edit forms, a project with its goals (baseline → latest → target, and a chart of a
goal's measurements over time), its members and progress, the progress form, the member
assignment page, and a member's own projects (self-service)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.scoping import Action, can, require_somewhere, scope_of
from jiceng.core.views import run_posted_form, run_service
from jiceng.members.selectors import own_member
from jiceng.orgs import selectors as org_selectors

from . import selectors, services
from .forms import ActForm, FilterForm, GoalForm, MemberForm, OwnerForm, ProgressForm, ProjectForm
from .models import SupportProject
from .rules import TRANSITIONS

PAGE_SIZE = 50


def _back(project: SupportProject) -> HttpResponse:
    return redirect(reverse("outreach:project-detail", args=[project.pk]))


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The projects of the user's subtree, filtered by state and beneficiary kind, with the
    figures of each unit one level down."""
    if not scope_of(request.user, Action.VIEW).paths:
        return redirect(reverse("outreach:my-projects"))  # a member (self-service)
    under = org_selectors.subtree_root(request.user, request.GET.get("under"))
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    projects = selectors.project_list(request.user, under=under, **filters)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    figures = selectors.figures_by_unit(request.user, under)
    return render(
        request,
        "outreach/projects/list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "figures": figures,
            "total": selectors.figures_total(figures, under),
            "may_create": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
def my_projects(request: HttpRequest) -> HttpResponse:
    """The projects a member is assigned to (self-service)."""
    member = own_member(request.user)
    if member is None:
        raise Http404
    return render(
        request,
        "outreach/projects/mine.html",
        {"member": member, "projects": selectors.own_projects(request.user)},
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能登记帮扶项目"))
    owner = selectors.default_owner(request.user)
    owner_form = OwnerForm(
        request.POST or None,
        user=request.user,
        initial={"owner": owner.code if owner else ""},
    )
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and owner_form.is_valid() and form.is_valid():
        done = run_service(
            request,
            services.project_create,
            form=form,
            success=_("已登记帮扶项目"),
            owner=owner_form.cleaned_data["owner"],
            **form.cleaned_data,
        )
        if done.value is not None:
            return _back(done.value)
    return render(
        request,
        "outreach/projects/form.html",
        {"form": form, "owner_form": owner_form, "project": None},
    )


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get(request.user, pk, Action.CHANGE)
    initial = {f: getattr(project, f) for f in services.EDITABLE}
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.project_edit,
            form=form,
            success=_("已保存"),
            project=project,
            **form.cleaned_data,
        )
        if done:
            return _back(project)
    return render(
        request,
        "outreach/projects/form.html",
        {"form": form, "owner_form": None, "project": project},
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A project: its beneficiary, goals with progress bars (baseline → latest → target), a
    chart of one goal's measurements over time, its members and progress notes, and the
    buttons the user may use."""
    project = selectors.project_get(request.user, pk)
    outcomes = selectors.goal_outcomes(project)
    chosen = next((o for o in outcomes if str(o.goal.pk) == request.GET.get("goal")), None)
    if chosen is None:
        chosen = next((o for o in outcomes if o.outcome.latest is not None), None)
    chart = None
    if chosen is not None:
        g = chosen.goal
        chart = {
            "measure": g.measure,
            "unit": g.unit,
            "baseline": float(g.baseline),
            "target": float(g.target),
            "points": selectors.goal_series(g),
        }
    rights = services.project_rights(request.user, project)
    return render(
        request,
        "outreach/projects/detail.html",
        {
            "project": project,
            "outcomes": outcomes,
            "chosen": chosen,
            "chart": chart,
            "assignments": selectors.assignments_of(project),
            "progress": selectors.progress_of(project),
            "rights": rights,
            "goal_form": GoalForm(),
            "act_form": ActForm(),
        },
    )


@login_required
@require_POST
def project_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    project = selectors.project_get(request.user, pk)
    if action not in TRANSITIONS:
        raise Http404
    messages_ok = {
        "start": _("项目已开始实施"),
        "complete": _("项目已完成"),
        "close": _("项目已关闭"),
    }
    run_posted_form(
        request,
        ActForm(request.POST),
        services.project_act,
        success=messages_ok[action],
        project=project,
        action=action,
    )
    return _back(project)


@login_required
@require_POST
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get(request.user, pk)
    run_posted_form(
        request, GoalForm(request.POST), services.goal_add, success=_("已增加目标"), project=project
    )
    return _back(project)


@login_required
@require_POST
def goal_remove(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    project = selectors.project_get(request.user, pk)
    goal = selectors.goal_get(project, goal_pk)
    run_service(request, services.goal_remove, success=_("已删除目标"), goal=goal)
    return _back(project)


@login_required
def project_members(request: HttpRequest, pk: int) -> HttpResponse:
    """Who works on the project (lead, members), and the form to assign one more."""
    project = selectors.project_get(request.user, pk)
    rights = services.project_rights(request.user, project)
    form = None
    if rights.change or request.method == "POST":
        form = MemberForm(
            request.POST or None, members=selectors.assignable_members(request.user, project)
        )
        if request.method == "POST" and form.is_valid():
            done = run_service(
                request,
                services.project_member_add,
                form=form,
                success=_("已分配项目成员"),
                project=project,
                **form.cleaned_data,
            )
            if done:
                return redirect(reverse("outreach:project-members", args=[project.pk]))
    return render(
        request,
        "outreach/projects/members.html",
        {
            "project": project,
            "assignments": selectors.assignments_of(project),
            "form": form,
            "rights": rights,
        },
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    project = selectors.project_get(request.user, pk)
    assignment = selectors.assignment_get(project, assignment_pk)
    run_service(request, services.project_member_remove, success=_("已移出"), assignment=assignment)
    return redirect(reverse("outreach:project-members", args=[project.pk]))


@login_required
def project_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Record progress: a dated note and, optionally, the value of each goal measured then (by
    the organisation, or by a member assigned to the project)."""
    project = selectors.project_get(request.user, pk)
    rights = services.project_rights(request.user, project)
    if not rights.progress:
        messages.error(request, _("该项目不在实施中，或您不是项目实施单位或项目成员，不能记录进展"))
        return _back(project)
    goals = list(project.goals.order_by("id"))
    form = ProgressForm(request.POST or None, goals=goals)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.progress_record,
            form=form,
            success=_("已记录进展"),
            project=project,
            **form.service_kwargs(),
        )
        if done:
            return _back(project)
    return render(
        request,
        "outreach/projects/progress.html",
        {"project": project, "form": form, "rights": rights},
    )
