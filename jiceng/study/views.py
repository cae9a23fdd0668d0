"""Study pages (S9): a subtree's completion by unit, a unit's ledger, recording a session with
its attendance checklist, a session, members below the requirement, a member's record,
self-study by the member (self-service) or an officer, and its confirmation by the branch."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.scoping import Action, can, scope_of
from jiceng.core.views import run_service
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import ConfirmForm, PeriodForm, RequirementForm, SelfStudyForm, SessionForm
from .models import StudyPeriod
from .rules import CHECKLIST_MAX, mode_for_sector

BELOW_PAGE = 50
SESSION_PAGE = 30


def _period(request: HttpRequest) -> StudyPeriod | None:
    return selectors.period_current(request.GET.get("period") or request.POST.get("period"))


def _no_period(request: HttpRequest) -> HttpResponse:
    return render(request, "study/no_period.html", {})


def _is_self_service(request: HttpRequest) -> bool:
    return not scope_of(request.user, Action.VIEW).paths


@login_required
def study_home(request: HttpRequest) -> HttpResponse:
    """A subtree's units with their completion rate and members below the requirement."""
    if _is_self_service(request):
        return redirect("study:mine")
    org = org_selectors.subtree_root(request.user, request.GET.get("org"))
    period = _period(request)
    if period is None:
        return _no_period(request)
    rows = selectors.unit_completion(request.user, org, period)
    return render(
        request,
        "study/home.html",
        {
            "org": org,
            "period": period,
            "periods": selectors.period_list(),
            "rows": rows,
            "totals": selectors.unit_totals(request.user, org, period),
            "chart": [
                {"name": r.org.name, "value": None if r.rate is None else round(100 * r.rate, 1)}
                for r in rows
            ],
            "requirements": period.requirements.all(),
        },
    )


@login_required
def unit_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit's ledger: its completion, sessions, self-study waiting for confirmation and
    the members below the requirement."""
    org = org_selectors.organization_get(request.user, pk)
    period = _period(request)
    if period is None:
        return _no_period(request)
    sessions = Paginator(selectors.unit_sessions(request.user, org, period), SESSION_PAGE)
    may_change = can(request.user, Action.CHANGE, org.path)
    return render(
        request,
        "study/unit.html",
        {
            "org": org,
            "period": period,
            "periods": selectors.period_list(),
            "totals": selectors.unit_totals(request.user, org, period),
            "sessions": sessions.get_page(request.GET.get("page")),
            "pending": selectors.selfstudy_pending(request.user, org)[:50] if may_change else [],
            "may_change": may_change,
            "mode": mode_for_sector(org.sector),
            "below": _below_page(request, org, period),
        },
    )


def _below_page(request: HttpRequest, org: Organization, period: StudyPeriod) -> Any:
    rows = selectors.below_requirement(request.user, org, period)
    return Paginator(rows, BELOW_PAGE).get_page(request.GET.get("below_page"))


@login_required
def below_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Members below the requirement in a unit's subtree, paginated (an htmx partial when
    asked by htmx)."""
    org = org_selectors.organization_get(request.user, pk)
    period = _period(request)
    if period is None:
        return _no_period(request)
    context = {"org": org, "period": period, "below": _below_page(request, org, period)}
    if request.htmx:
        return render(request, "study/_below.html", context)
    return render(request, "study/below.html", context)


def _attendance_from(request: HttpRequest) -> list[tuple[str, bool]]:
    """The checklist: every listed member, present when ticked."""
    present = set(request.POST.getlist("present"))
    return [(m, m in present) for m in request.POST.getlist("listed")]


@login_required
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a session of the unit with the attendance checklist of its members."""
    org = org_selectors.organization_get(request.user, pk, Action.CHANGE)
    period = _period(request)
    if period is None:
        return _no_period(request)
    mode = mode_for_sector(org.sector)
    roster = list(selectors.unit_roster(request.user, org, mode)[: CHECKLIST_MAX + 1])
    too_many = len(roster) > CHECKLIST_MAX
    form = SessionForm(request.POST or None, initial={"period": period})
    ticked: set[str] = {str(m.pk) for m in roster}
    if request.method == "POST":
        ticked = set(request.POST.getlist("present"))
        if form.is_valid():
            data = form.cleaned_data
            session = run_service(
                request,
                services.session_record,
                form=form,
                period=data["period"],
                org=org,
                held_on=data["held_on"],
                topic=data["topic"],
                amount=data["amount"],
                evidence=data["evidence"],
                evidence_file=data["evidence_file"],
                attendance=_attendance_from(request),
            ).value
            if session is not None:
                messages.success(request, _("已登记本次学习及出勤"))
                url = reverse("study:session", args=[session.pk])
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
    return render(
        request,
        "study/session_form.html",
        {
            "org": org,
            "period": period,
            "form": form,
            "mode": mode,
            "roster": roster[:CHECKLIST_MAX],
            "too_many": too_many,
            "checklist_max": CHECKLIST_MAX,
            "ticked": ticked,
        },
    )


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    rows = list(selectors.session_attendance(session))
    return render(
        request,
        "study/session.html",
        {
            "session": session,
            "rows": rows,
            "n_present": sum(1 for a in rows if a.present),
        },
    )


def _record_context(request: HttpRequest, member: Member, period: StudyPeriod) -> dict:
    unit = services.member_study_unit(member)
    is_self = member.user_id is not None and member.user_id == request.user.pk
    record = selectors.member_record(request.user, member, period)
    required = record.required
    return {
        "member": member,
        "record": record,
        "unit": unit,
        "period": period,
        "periods": selectors.period_list(),
        "percent": min(100, round(100 * record.done / required)) if required else None,
        "attendance": selectors.member_attendance(request.user, member, period),
        "entries": selectors.member_selfstudy(request.user, member, period),
        "is_self": is_self,
        "may_record": is_self or can(request.user, Action.CHANGE, unit.path),
        "may_confirm": not is_self and can(request.user, Action.CHANGE, unit.path),
        "form": SelfStudyForm(initial={"period": period}),
    }


@login_required
def member_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's study record in a period: sessions attended, self-study, total."""
    member = member_selectors.member_get(request.user, pk)
    period = _period(request)
    if period is None:
        return _no_period(request)
    return render(request, "study/member.html", _record_context(request, member, period))


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    """Self-service: the member's own record and self-study entry."""
    member = member_selectors.own_member(request.user)
    if member is None:
        return render(request, "study/not_linked.html", {})
    period = _period(request)
    if period is None:
        return _no_period(request)
    return render(request, "study/member.html", _record_context(request, member, period))


@login_required
def selfstudy_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Self-study entered by the member themselves or by an officer of their unit."""
    member = member_selectors.member_get(request.user, pk)
    period = _period(request)
    if period is None:
        return _no_period(request)
    form = SelfStudyForm(request.POST or None, initial={"period": period})
    is_self = member.user_id is not None and member.user_id == request.user.pk
    back = reverse("study:mine") if is_self else reverse("study:member", args=[member.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = run_service(
            request, services.selfstudy_record, form=form, member=member, **data
        ).value
        if entry is not None:
            if entry.is_confirmed:
                messages.success(request, _("已登记并确认自学记录"))
            else:
                messages.success(request, _("已登记自学记录，待支部确认后计入"))
            return redirect(f"{back}?period={entry.period_id}")
    return render(
        request,
        "study/selfstudy_form.html",
        {"member": member, "form": form, "period": period, "back": back},
    )


@login_required
@require_POST
def selfstudy_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch confirms a member's self-study; with htmx the row is swapped in place."""
    entry = selectors.selfstudy_get(request.user, pk, Action.CHANGE)
    if request.htmx:
        row = ConfirmForm(request.POST)
        confirmed = run_service(request, services.selfstudy_confirm, form=row, entry=entry)
        return render(
            request,
            "study/_pending_row.html",
            {
                "e": confirmed.value or entry,
                "error": "；".join(str(e) for e in row.non_field_errors()),
                "confirmed": confirmed.ok,
            },
        )
    run_service(request, services.selfstudy_confirm, success=_("已确认自学记录"), entry=entry)
    return redirect(f"{reverse('study:unit', args=[entry.org_id])}?period={entry.period_id}")


@login_required
def period_list(request: HttpRequest) -> HttpResponse:
    """Study periods and their requirements (city-wide reference data, S9); the city's
    organisation department creates periods here."""
    form = PeriodForm(request.POST or None)
    may_set = services.may_set_reference(request.user)
    if request.method == "POST" and form.is_valid():
        period = run_service(request, services.period_create, form=form, **form.cleaned_data).value
        if period is not None:
            return redirect(reverse("study:period", args=[period.pk]))
    periods = selectors.period_list().prefetch_related("requirements")
    return render(
        request, "study/periods.html", {"periods": periods, "form": form, "may_set": may_set}
    )


@login_required
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A period's requirements by mode, sector and organisation type; set one (the city)."""
    period = selectors.period_get(pk)
    form = RequirementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        requirement = run_service(
            request,
            services.requirement_set,
            form=form,
            success=_("已设定学习要求"),
            period=period,
            **form.cleaned_data,
        )
        if requirement:
            return redirect(reverse("study:period", args=[period.pk]))
    return render(
        request,
        "study/period.html",
        {
            "period": period,
            "requirements": period.requirements.all(),
            "form": form,
            "may_set": services.may_set_reference(request.user),
        },
    )
