"""Appraisal pages: a unit's appraisal sheet for the branch committee (members, self-analysis,
peer tallies, grades, the one-third counter), one member's appraisal, the member's own page
(self-analysis, rating fellow members) and the results of a subtree."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from jiceng.campaigns.models import Campaign
from jiceng.campaigns.progress import selectors as campaign_selectors
from jiceng.core import tree
from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service
from jiceng.members import selectors as member_selectors
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .forms import DecideForm, PeerRatingForm, SelfAnalysisForm
from .models import Appraisal
from .rules import EXCELLENT_MAX_SHARE, AppraisalState, Grade


def _done(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _form_error(request: HttpRequest, form: Any) -> None:
    text = "；".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, text or _("输入有误"))


@login_required
def unit_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    unit = campaign_selectors.unit_get(request.user, pk)
    rows = list(selectors.unit_sheet(request.user, unit))
    may_change = can(request.user, Action.CHANGE, unit.org_path)
    states = {s: sum(r.state == s for r in rows) for s in AppraisalState.values}
    return render(
        request,
        "surveys/unit.html",
        {
            "unit": unit,
            "campaign": unit.campaign,
            "rows": rows,
            "counter": selectors.unit_counter(unit),
            "share": EXCELLENT_MAX_SHARE,
            "states": states,
            "may_change": may_change,
            "in_review": services.is_in_review(unit),
            "may_open": may_change and services.may_open(unit),
            "grades": Grade.choices,
            "on": unit.campaign.reference_date(),
        },
    )


@login_required
@require_POST
def unit_open(request: HttpRequest, pk: int) -> HttpResponse:
    unit = campaign_selectors.unit_get(request.user, pk)
    opened = run_service(request, services.appraisals_open, unit=unit)
    if opened.value:
        messages.success(request, _("已开始民主评议，新增评议党员 %(n)s 名") % {"n": opened.value})
    elif opened:
        messages.info(request, _("评议名单已是最新，没有新加入的党员"))
    return _done(request, reverse("surveys:unit", args=[unit.pk]))


@login_required
@require_POST
def unit_close_peers(request: HttpRequest, pk: int) -> HttpResponse:
    unit = campaign_selectors.unit_get(request.user, pk)
    n = run_service(request, services.peer_review_close, unit=unit).value
    if n is not None:
        messages.success(request, _("已结束党员互评，%(n)s 名党员待支部委员会评定") % {"n": n})
    return _done(request, reverse("surveys:unit", args=[unit.pk]))


def _decisions_from(request: HttpRequest, unit_pk: int) -> list[services.Decision]:
    """``grade-<id>`` / ``note-<id>`` pairs of the sheet's form; rows left blank, or whose
    grade and note did not change, are not decisions."""
    current = selectors.unit_grades(unit_pk)
    out = []
    for key in request.POST:
        grade = request.POST.get(key, "")
        if not key.startswith("grade-") or not grade:
            continue
        raw = key.removeprefix("grade-")
        if not raw.isdigit():
            continue
        pk = int(raw)
        note = request.POST.get(f"note-{pk}", "").strip()
        if current.get(pk) == (grade, note):
            continue
        out.append(services.Decision(pk, grade, note))
    return out


@login_required
@require_POST
def unit_decide(request: HttpRequest, pk: int) -> HttpResponse:
    unit = campaign_selectors.unit_get(request.user, pk)
    decisions = _decisions_from(request, unit.pk)
    done = run_service(request, services.appraisals_decide, unit=unit, decisions=decisions).value
    if done is not None:
        messages.success(request, _("已评定 %(n)s 名党员") % {"n": len(done)})
    return _done(request, reverse("surveys:unit", args=[unit.pk]))


@login_required
def appraisal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal = selectors.appraisal_get(request.user, pk)
    officer = can(request.user, Action.VIEW, appraisal.org_path)
    may_change = can(request.user, Action.CHANGE, appraisal.org_path)
    analysis = getattr(appraisal, "self_analysis", None)
    return render(
        request,
        "surveys/appraisal.html",
        {
            "a": appraisal,
            "unit": appraisal.unit,
            "campaign": appraisal.unit.campaign,
            "analysis": analysis,
            "officer": officer,
            "may_change": may_change,
            "tally": selectors.appraisal_tally(appraisal) if officer else None,
            "comments": selectors.appraisal_comments(appraisal) if officer else [],
            "counter": selectors.unit_counter(appraisal.unit),
            "decide_form": DecideForm(
                initial={
                    "grade": appraisal.grade or Grade.QUALIFIED,
                    "note": appraisal.decision_note,
                }
            ),
            "self_form": SelfAnalysisForm(initial={"text": analysis.text if analysis else ""}),
            "may_decide": may_change
            and appraisal.state in (AppraisalState.COMMITTEE_REVIEW, AppraisalState.DECIDED),
            "may_write": appraisal.state
            in (AppraisalState.SELF_PENDING, AppraisalState.PEER_REVIEW)
            and (may_change or appraisal.member.user_id == request.user.pk),
        },
    )


@login_required
@require_POST
def appraisal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal = selectors.appraisal_get(request.user, pk)
    back = reverse("surveys:appraisal", args=[appraisal.pk])
    form = DecideForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _done(request, back)
    decided = run_service(
        request,
        services.appraisal_decide,
        success=_("已评定 %(name)s：%(grade)s")
        % {
            "name": mark_name(appraisal.member.name),
            "grade": Grade(form.cleaned_data["grade"]).label,
        },
        appraisal=appraisal,
        grade=form.cleaned_data["grade"],
        note=form.cleaned_data["note"],
        on=form.cleaned_data["on"],
    )
    if not decided:
        return _done(request, back)
    return _done(request, reverse("surveys:unit", args=[appraisal.unit_id]))


def _back_to(request: HttpRequest, appraisal: Appraisal) -> str:
    if appraisal.member.user_id == request.user.pk:
        return reverse("surveys:mine")
    return reverse("surveys:appraisal", args=[appraisal.pk])


@login_required
@require_POST
def self_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal = selectors.appraisal_get(request.user, pk)
    back = _back_to(request, appraisal)
    form = SelfAnalysisForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _done(request, back)
    run_service(
        request,
        services.self_analysis_submit,
        success=_("党性分析材料已提交"),
        appraisal=appraisal,
        text=form.cleaned_data["text"],
        on=form.cleaned_data["on"],
    )
    return _done(request, back)


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    rater, appraisal = selectors.peer_of(request.user, pk)
    back = reverse("surveys:mine")
    form = PeerRatingForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _done(request, back)
    run_service(
        request,
        services.peer_rating_submit,
        success=_("已评议 %(name)s") % {"name": mark_name(appraisal.member.name)},
        appraisal=appraisal,
        rater=rater,
        grade=form.cleaned_data["grade"],
        comment=form.cleaned_data["comment"],
    )
    return _done(request, back)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The member's own appraisals: write the self-analysis, rate the fellow members."""
    member = member_selectors.own_member(request.user)
    items = []
    if member is not None:
        for a in selectors.own_appraisals(request.user):
            analysis = getattr(a, "self_analysis", None)
            items.append(
                {
                    "a": a,
                    "analysis": analysis,
                    "form": SelfAnalysisForm(initial={"text": analysis.text if analysis else ""}),
                    "may_write": a.state
                    in (AppraisalState.SELF_PENDING, AppraisalState.PEER_REVIEW),
                    "peers": list(selectors.peers_to_rate(a)),
                }
            )
    return render(
        request,
        "surveys/mine.html",
        {"member": member, "items": items, "grades": Grade.choices},
    )


def _under(request: HttpRequest, campaign: Campaign) -> Organization:
    return campaign_selectors.campaign_subtree(request.user, campaign, request.GET.get("under"))


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_get(request.user, pk)
    under = _under(request, campaign)
    rows = selectors.results_by_child(request.user, campaign, under)
    paths = tree.ancestor_paths(under.path, top=tree.depth(campaign.root_path))
    crumbs = org_selectors.organization_list(request.user).filter(path__in=paths).order_by("path")
    return render(
        request,
        "surveys/results.html",
        {
            "campaign": campaign,
            "under": under,
            "crumbs": crumbs,
            "total": selectors.results_total(request.user, campaign, under),
            "rows": rows,
            "unit_ids": selectors.unit_ids(campaign, [r.org for r in rows if r.org]),
            "chart": selectors.results_chart(rows),
            "share": EXCELLENT_MAX_SHARE,
        },
    )
