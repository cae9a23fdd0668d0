"""Pages of unit appraisal: the ranking (district and sector filters, sortable, the run's
progress while one is computing), a unit's explanation down to the rows behind each figure,
and the city's weights."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.campaigns.progress import selectors as campaign_selectors
from jiceng.core.scoping import Action, Actor, can
from jiceng.core.views import run_service
from jiceng.orgs.models import Organization, Sector

from . import rules, selectors, services, tasks
from .forms import RankingForm, RunForm, WeightsForm
from .models import AppraisalRun, UnitScore

PAGE_SIZE = 50
ROWS_PAGE_SIZE = 100


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """The scores of a run (the latest finished one unless ``run`` is asked for: a ranking
    handed over stays as it was), in the user's scope, filtered and sorted."""
    run: AppraisalRun | None
    if request.GET.get("run"):
        run = selectors.run_get(request.user, request.GET["run"])
    else:
        run = selectors.run_current(request.user)
    campaign = run.campaign if run else services.default_campaign()
    if (
        campaign is not None
        and not campaign_selectors.campaign_list(request.user).filter(pk=campaign.pk).exists()
    ):
        campaign = None
    districts = selectors.district_choices(request.user, run) if run else []
    form = RankingForm(request.GET or None, districts=districts)
    filters = form.cleaned_data if form.is_valid() else {}
    page = None
    if run is not None:
        rows = selectors.score_list(
            request.user,
            run,
            district=filters.get("district", ""),
            sector=filters.get("sector", ""),
            q=filters.get("q", ""),
            order=filters.get("order") or "score",
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = selectors.run_pending(request.user, campaign.pk) if campaign else None
    runs = selectors.run_list(request.user).filter(campaign=campaign)[:20] if campaign else []
    return render(
        request,
        "appraisal/ranking.html",
        {
            "run": run,
            "runs": runs,
            "campaign": campaign,
            "pending": pending,
            "form": form,
            "page_obj": page,
            "run_form": RunForm(),
            "may_recompute": bool(
                campaign and can(request.user, Action.CHANGE, campaign.root_path)
            ),
        },
    )


def _queue(*, actor: Actor, **fields: object) -> AppraisalRun:
    """Queue the run; its task is enqueued once that is committed."""
    with transaction.atomic():
        run = services.run_queue(actor=actor, **fields)  # type: ignore[arg-type]
        transaction.on_commit(lambda: tasks.run_appraisal.enqueue(run.pk))
    return run


@login_required
@require_POST
def run_start(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = campaign_selectors.campaign_get(request.user, campaign_pk)
    form = RunForm(request.POST)
    as_of = form.cleaned_data.get("as_of") if form.is_valid() else None
    run_service(
        request,
        _queue,
        campaign=campaign,
        as_of=as_of,
        success=_("已开始计算考核得分，完成后排名自动更新"),
    )
    return redirect(reverse("appraisal:ranking"))


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a run (polled by htmx while it computes)."""
    run = selectors.run_get(request.user, pk)
    return render(request, "appraisal/_progress.html", {"pending": run})


@login_required
def score_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's score explained: each indicator's figures, weight set and used, contribution,
    what was left out and why, and links to the rows behind each figure."""
    score = selectors.score_get(request.user, pk)
    parts = score.parts()
    missing = [p for p in parts if not p.present]
    in_district, in_sector = selectors.group_sizes(score.run, score)
    district = Organization.objects.filter(path=score.district_path).first()
    return render(
        request,
        "appraisal/score.html",
        {
            "score": score,
            "run": score.run,
            "parts": [(p, rules.RULE_BY_KEY[p.indicator]) for p in parts],
            "missing": missing,
            "lets": _lets(score),
            "in_district": in_district,
            "in_sector": in_sector,
            "district": district,
            "sector_label": Sector(score.sector).label if score.sector in Sector.values else "",
            "linked": _LINKED,
        },
    )


# Indicators whose rows are listed in the appraisal app (coverage's lets are on the page).
_LINKED = frozenset(k for k in rules.KEYS if k != rules.Indicator.COVERAGE)


def _lets(score: UnitScore) -> list[tuple[str, float, float, float]]:
    from jiceng.campaigns.coverage.rules import Coverage

    out = []
    for key, (n, d) in score.lets.items():
        label = str(Coverage(key).label) if key in Coverage.values else key
        out.append((label, n, d, round(100 * min(n / d, 1.0), 1) if d else 0.0))
    return out


@login_required
def score_rows(request: HttpRequest, pk: int, indicator: str) -> HttpResponse:
    """The rows behind one figure of a unit's score, those counted in the numerator marked."""
    score = selectors.score_get(request.user, pk)
    if indicator not in _LINKED:
        raise Http404
    found = selectors.rows_for(request.user, score, indicator)
    page = Paginator(found.rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appraisal/rows.html",
        {
            "score": score,
            "run": score.run,
            "rule": rules.RULE_BY_KEY[indicator],
            "found": found,
            "page_obj": page,
            "rows": [(r, selectors.is_counted(indicator, r)) for r in page],
            "figure": score.figures.get(indicator, [0, 0]),
        },
    )


@login_required
def weights(request: HttpRequest) -> HttpResponse:
    """The weights in force and their versions; the city adds a version from a date."""
    may_edit = services.may_set_weights(request.user)
    form = WeightsForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        if form is None:
            form = WeightsForm(request.POST)
        if form.is_valid():
            done = run_service(
                request,
                services.weight_set_create,
                form=form,
                effective_on=form.cleaned_data["effective_on"],
                weights=form.weights(),
                note=form.cleaned_data["note"],
                success=_("已设定新的考核权重"),
            )
            if done:
                return redirect(reverse("appraisal:weights"))
    return render(
        request,
        "appraisal/weights.html",
        {
            "rules": rules.RULES,
            "sets": selectors.weight_sets(request.user),
            "form": form,
            "may_edit": may_edit,
        },
    )
