"""Pages of service programmes (S27): the programmes of a subtree, a programme with its
commitments, cards, completion and schedule button, the enrolment form, the printable service
card, the overdue worklist and the member's phone page 我的服务任务."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core import clock
from jiceng.core.scoping import Action, Actor, can, require_somewhere, scope_of
from jiceng.core.views import redirect_back, run_posted_form, run_service
from jiceng.members.selectors import own_member
from jiceng.orgs import selectors as org_selectors

from . import selectors, services, tasks
from .forms import DoneForm, EnrolForm, MissedForm, ProgrammeForm, WithdrawForm, WorklistForm
from .models import ScheduleRun, ServiceProgramme
from .rules import PROGRAMME_TRANSITIONS, TaskState

PAGE_SIZE = 50
CARDS_PAGE = 100


def _back(programme: ServiceProgramme) -> HttpResponse:
    return redirect(reverse("outreach:service-detail", args=[programme.pk]))


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    """The service programmes of the user's subtree (a member: their own tasks)."""
    if not scope_of(request.user, Action.VIEW).paths:
        return redirect(reverse("outreach:my-service-tasks"))
    under = org_selectors.subtree_root(request.user, request.GET.get("under"))
    programmes = selectors.programme_list(request.user, under=under)
    page = selectors.page_of(programmes, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "outreach/programmes/list.html",
        {
            "under": under,
            "page": page,
            "may_create": can(request.user, Action.CHANGE, under.path),
            "tab": "services",
        },
    )


@login_required
def programme_new(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能设立特色服务项目"))
    initial = {"year": clock.today().year}
    form = ProgrammeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.programme_create,
            form=form,
            success=_("已设立特色服务项目（草拟），请发放服务卡后启动"),
            **form.service_kwargs(),
        )
        if done.value is not None:
            return _back(done.value)
    return render(request, "outreach/programmes/form.html", {"form": form, "programme": None})


@login_required
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(request.user, pk, Action.CHANGE)
    form = ProgrammeForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial=ProgrammeForm.initial_for(programme),
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.programme_update,
            form=form,
            success=_("已保存"),
            programme=programme,
            **form.service_kwargs(),
        )
        if done:
            return _back(programme)
    return render(request, "outreach/programmes/form.html", {"form": form, "programme": programme})


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A programme: its commitments, its cards, completion by commitment and by member (with
    a chart), and the buttons of its stage (enrol, activate, schedule, close)."""
    programme = selectors.programme_get(request.user, pk)
    total, per_commitment = selectors.programme_completion(programme)
    cards = selectors.page_of(selectors.card_list(programme), request.GET.get("page"), CARDS_PAGE)
    may_change = can(request.user, Action.CHANGE, programme.path)
    run = selectors.schedule_run_latest(programme)
    chart = {
        "categories": [c.name for c in per_commitment],
        "series": [
            {"name": _("已完成"), "data": [c.done for c in per_commitment]},
            {"name": _("逾期"), "data": [c.overdue for c in per_commitment]},
            {"name": _("未完成"), "data": [c.missed for c in per_commitment]},
            {
                "name": _("待服务"),
                "data": [c.tasks - c.done - c.overdue - c.missed for c in per_commitment],
            },
        ],
    }
    return render(
        request,
        "outreach/programmes/detail.html",
        {
            "programme": programme,
            "commitments": list(programme.commitments.all()),
            "categories": list(programme.categories.all()),
            "cards": cards,
            "total": total,
            "per_commitment": per_commitment,
            "per_member": selectors.member_completion(programme),
            "chart": chart if per_commitment else None,
            "may_change": may_change,
            "may": {
                action: may_change and programme.state in states
                for action, states in PROGRAMME_TRANSITIONS.items()
            },
            "withdraw_form": WithdrawForm(),
            "run": run,
            "tab": "services",
        },
    )


@login_required
@require_POST
def programme_activate(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(request.user, pk)
    run_service(request, services.programme_activate, success=_("项目已启动"), programme=programme)
    return _back(programme)


@login_required
@require_POST
def programme_close(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(request.user, pk)
    run_service(request, services.programme_close, success=_("项目已结束"), programme=programme)
    return _back(programme)


def _queue_schedule(*, actor: Actor, programme: ServiceProgramme) -> ScheduleRun:
    """Queue the schedule; its task is enqueued once that is committed."""
    with transaction.atomic():
        run = services.schedule_queue(actor=actor, programme=programme)
        transaction.on_commit(lambda: tasks.run_schedule.enqueue(run.pk))
    return run


@login_required
@require_POST
def programme_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan the rest of the year's tasks in the background; the programme page shows the
    progress, then the result (a second click while it runs is refused)."""
    programme = selectors.programme_get(request.user, pk)
    run_service(
        request,
        _queue_schedule,
        success=_("已开始排定服务任务，进度见本页"),
        programme=programme,
    )
    return _back(programme)


@login_required
def schedule_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest scheduling run of a programme: its progress while it is queued or running
    (the page polls this every second); once it ended, a polling page is told to reload."""
    programme = selectors.programme_get(request.user, pk)
    run = selectors.schedule_run_latest(programme)
    if run is None:
        raise Http404
    if request.htmx and not run.is_busy:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "outreach/programmes/_schedule_run.html",
        {"programme": programme, "run": run},
    )


@login_required
def programme_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick households of the owner's area and target categories and give them cards. The
    list is read through the user's outreach scope (choosing by category reads it)."""
    programme = selectors.programme_get(request.user, pk, Action.CHANGE)
    has_outreach = not scope_of(request.user, Action.OUTREACH).is_empty
    people = services.enrolable(request.user, programme).exclude(
        pk__in=programme.cards.filter(state="active").values("household_id")
    )
    form = EnrolForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.cards_enrol,
            form=form,
            programme=programme,
            households=list(form.cleaned_data["households"]),
        )
        if done.value is not None:
            messages.success(request, _("已发放服务卡 %(n)s 张") % {"n": len(done.value)})
            return _back(programme)
    shown = list(people.order_by("name_pinyin", "id")[: EnrolForm.LIST_MAX + 1])
    return render(
        request,
        "outreach/programmes/enrol.html",
        {
            "programme": programme,
            "form": form,
            "people": shown[: EnrolForm.LIST_MAX],
            "more": len(shown) > EnrolForm.LIST_MAX,
            "has_outreach": has_outreach,
            "chosen": {str(v) for v in request.POST.getlist("households")},
            "tab": "services",
        },
    )


@login_required
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's service card, printable (card-sized, A6)."""
    card = selectors.card_get(request.user, pk)
    return render(
        request,
        "outreach/programmes/card.html",
        {
            "card": card,
            "programme": card.programme,
            "commitments": list(card.programme.commitments.all()),
            "may_change": can(request.user, Action.CHANGE, card.path),
            "withdraw_form": WithdrawForm(),
        },
    )


@login_required
@require_POST
def card_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    card = selectors.card_get(request.user, pk)
    run_posted_form(
        request, WithdrawForm(request.POST), services.card_withdraw, success=_("已收回"), card=card
    )
    return redirect(reverse("outreach:service-card", args=[card.pk]))


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Overdue service tasks of a district or street, oldest first, by programme if asked."""
    under = org_selectors.subtree_root(request.user, request.GET.get("under"))
    programmes = selectors.programme_list(request.user, under=under).order_by("-year", "name")
    form = WorklistForm(request.GET or None, programmes=programmes)
    programme = form.cleaned_data.get("programme") if form.is_valid() else None
    rows = selectors.overdue_worklist(request.user, under, programme=programme)
    page = selectors.page_of(rows, request.GET.get("page"), PAGE_SIZE)
    paths = scope_of(request.user, Action.CHANGE).paths
    return render(
        request,
        "outreach/programmes/overdue.html",
        {
            "under": under,
            "form": form,
            "page": page,
            "rows": [(t, any(t.path.startswith(p) for p in paths)) for t in page.rows],
            "programme": programme,
            "missed_form": MissedForm(),
            "today": clock.today(),
            "tab": "services",
        },
    )


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """我的服务任务 (a member, on a phone): overdue and coming tasks, each with a done button."""
    member = own_member(request.user)
    if member is None:
        raise Http404
    today = clock.today()
    tasks = selectors.own_tasks(request.user)
    open_tasks = list(tasks.filter(state=TaskState.PLANNED)[:60])
    done = list(tasks.filter(state=TaskState.DONE).order_by("-done_on", "-id")[:10])
    return render(
        request,
        "outreach/programmes/mine.html",
        {
            "member": member,
            "overdue": [t for t in open_tasks if t.due_on < today],
            "coming": [t for t in open_tasks if t.due_on >= today],
            "done": done,
            "today": today,
            "form": DoneForm(),
        },
    )


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    run_posted_form(
        request, DoneForm(request.POST), services.task_done, success=_("已登记完成"), task=task
    )
    return redirect_back(request, reverse("outreach:my-service-tasks"))


@login_required
@require_POST
def task_missed(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    run_posted_form(
        request,
        MissedForm(request.POST),
        services.task_missed,
        success=_("已登记未完成"),
        task=task,
    )
    return redirect_back(request, reverse("outreach:service-overdue"))
