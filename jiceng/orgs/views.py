from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from jiceng.core import clock
from jiceng.core.scoping import Action, can
from jiceng.core.tree import parent_path
from jiceng.core.views import run_service

from . import health, panels, selectors, services
from .forms import (
    AbolishForm,
    DesignateForm,
    OrganizationEditForm,
    OrganizationFoundForm,
    OrganizationPickForm,
    ReasonForm,
    RectificationCloseForm,
    RectificationNoteForm,
    RectificationPlanForm,
)
from .models import (
    COMPUTED_CRITERIA,
    Organization,
    OrgHealth,
    OrgType,
    Rectification,
    RectificationStep,
    WeakCriterion,
)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roots = [
        (root, panels.attach_badges(selectors.tree_children(request.user, root)))
        for root in panels.attach_badges(selectors.tree_roots(request.user))
    ]
    return render(request, "orgs/tree.html", {"roots": roots})


@login_required
def tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    parent = selectors.organization_get(request.user, pk)
    children = panels.attach_badges(selectors.tree_children(request.user, parent))
    return render(request, "orgs/_tree_children.html", {"children": children, "parent": parent})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = selectors.organization_search(request.user, query).select_related("district")[:50]
    template = "orgs/_search_results.html" if request.htmx else "orgs/search.html"
    return render(request, template, {"results": results, "q": query})


@login_required
def pick(request: HttpRequest) -> HttpResponse:
    """Results of an organisation picker (``forms.OrgPickerInput``), as you type."""
    scope = request.GET.get("scope", "change")
    results = selectors.organization_pick(request.user, request.GET.get("q", ""), scope)
    return render(
        request,
        "orgs/_pick_results.html",
        {"results": results, "target": request.GET.get("target", ""), "q": request.GET.get("q")},
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.organization_get(request.user, pk)
    counts = selectors.subtree_member_counts(org)
    context = {
        "org": org,
        "ancestors": [
            a
            for a in Organization.objects.get_ancestors(org)
            if can(request.user, Action.VIEW, a.path)
        ],
        "counts": counts,
        "unit_counts": selectors.subtree_unit_counts(org),
        # A general branch or a primary committee holds its members through its branches, so
        # the size rules count the whole subtree, not only members registered directly.
        "warnings": org.size_warnings(full_members=counts["full"], all_members=counts["total"]),
        "children": selectors.tree_children(request.user, org)[:200],
        "can_change": can(request.user, Action.CHANGE, org.path),
        # Only a weak unit has a rectification under way: no query for the others.
        "rectification": (
            selectors.open_rectification(request.user, org)
            if org.health == OrgHealth.WEAK
            else None
        ),
        # what the apps above the tree place here (party-mass workers serving it, S3)
        "panels": panels.panels_for(request.user, org),
    }
    return render(request, "orgs/detail.html", context)


@login_required
def found(request: HttpRequest, pk: int) -> HttpResponse:
    parent = selectors.organization_get(request.user, pk, Action.CHANGE)
    allowed = services.organization_types_below(parent)
    if not allowed:
        raise Http404
    # Suggested actions (split, upgrade, joint branch) open this form prefilled.
    initial = {
        k: request.GET[k] for k in ("org_type", "name", "sector", "host_unit") if k in request.GET
    }
    form = OrganizationFoundForm(
        request.POST or None, parent=parent, allowed_types=allowed, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        org = run_service(
            request, services.organization_found, form=form, parent=parent, **form.cleaned_data
        ).value
        if org is not None:
            messages.success(request, _("已设立 %(n)s") % {"n": org.name})
            return _redirect(request, org_url(org))
    return render(
        request, "orgs/form.html", {"form": form, "org": parent, "title": _("设立下级组织")}
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    permitted = services.organization_permitted_actions(request.user, org)
    form = OrganizationEditForm(request.POST or None, instance=org, permitted=permitted)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        updated = run_service(
            request,
            services.organization_update,
            form=form,
            success=_("已保存"),
            org=org,
            **changes,
        )
        if updated:
            return _redirect(request, org_url(org))
    return render(request, "orgs/form.html", {"form": form, "org": org, "title": _("修改组织信息")})


@login_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    return _pick_and_apply(request, pk, "move")


@login_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    return _pick_and_apply(request, pk, "merge")


def _pick_and_apply(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    targets = (
        selectors.organization_list(request.user, Action.CHANGE)
        .active()
        .exclude(path__startswith=org.path)
        .order_by("path")
    )
    if op == "merge":
        targets = targets.filter(org_type__in=("branch", "joint_branch", "general_branch"))
    else:
        targets = targets.exclude(org_type__in=("branch", "joint_branch", "group"))
    form = OrganizationPickForm(request.POST or None, queryset=targets[:2000])
    suggested = request.GET.get("target", "")
    if request.method == "GET" and suggested.isdigit():
        # A "join a joint branch" suggestion: the units under the same parent, one preselected.
        nearby = targets.filter(path__startswith=parent_path(org.path))
        form = OrganizationPickForm(queryset=nearby, initial={"target": int(suggested)})
    if request.method == "POST":
        form.fields["target"].queryset = targets
        if form.is_valid():
            target = form.cleaned_data["target"]
            if op == "move":
                moved = run_service(
                    request,
                    services.organization_move,
                    form=form,
                    success=_("已迁至 %(t)s") % {"t": target.name},
                    org=org,
                    new_parent=target,
                )
                if moved:
                    return _redirect(request, org_url(org))
            else:
                merged = run_service(
                    request,
                    services.organization_merge,
                    form=form,
                    success=_("已并入 %(t)s") % {"t": target.name},
                    source=org,
                    target=target,
                )
                if merged:
                    return _redirect(request, org_url(target))
    title = _("迁移组织（含全部下级）") if op == "move" else _("合并到其他组织")
    return render(request, "orgs/form.html", {"form": form, "org": org, "title": title})


@login_required
def abolish(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    form = AbolishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        abolished = run_service(
            request,
            services.organization_abolish,
            form=form,
            success=_("已撤销 %(n)s") % {"n": org.name},
            org=org,
            reason=form.cleaned_data["reason"],
        )
        if abolished:
            return _redirect(request, org_url(org))
    return render(
        request,
        "orgs/form.html",
        {"form": form, "org": org, "title": _("撤销组织"), "danger": True},
    )


def org_url(org: Organization) -> str:
    return reverse("orgs:detail", args=[org.pk])


# ----- Organisation health: worklists, designation, rectification (S11, S12) --------------------

HEALTH_TABS = ("candidates", "open", "closed", "vacancies", "suggestions")


@login_required
def health_home(request: HttpRequest) -> HttpResponse:
    """The health worklists of the user's own top unit (the nav link)."""
    root = selectors.tree_roots(request.user).first()
    return _health_page(request, root)


@login_required
def health_overview(request: HttpRequest, pk: int) -> HttpResponse:
    return _health_page(request, selectors.organization_get(request.user, pk))


def _health_page(request: HttpRequest, root: Organization | None) -> HttpResponse:
    """Worklists per subtree with counts: weak-organisation candidates, rectifications under
    way (overdue highlighted) and closed, secretary vacancies, size suggestions. Every count is
    one aggregate query and every list one page of a queryset."""
    tab = request.GET.get("tab", "candidates")
    if tab not in HEALTH_TABS:
        tab = "candidates"
    tabs = [
        ("candidates", _("软弱涣散待排查")),
        ("open", _("整顿中")),
        ("closed", _("已结束")),
        ("vacancies", _("书记空缺")),
        ("suggestions", _("支部设置建议")),
    ]
    context: dict[str, Any] = {
        "root": root,
        "tab": tab,
        "tabs": tabs,
        "today": clock.today(),
    }
    if root is None:
        return render(request, "orgs/health.html", context)
    user, today = request.user, context["today"]
    rect_counts = selectors.rectification_counts(user, root, today)
    vacancy_counts = selectors.secretary_vacancy_counts(user, root, today)
    lists = {
        "candidates": selectors.weak_candidates(user, root, today),
        "open": selectors.rectifications_in(user, root, "open"),
        "closed": selectors.rectifications_in(user, root, "closed"),
        "vacancies": selectors.secretary_vacancies(user, root),
        "suggestions": selectors.size_suggestion_rows(user, root),
    }
    counts = {
        "candidates": lists["candidates"].count(),
        "open": rect_counts["designated"] + rect_counts["rectifying"],
        "closed": rect_counts["closed"] + rect_counts["revoked"],
        "vacancies": vacancy_counts["total"],
        "suggestions": lists["suggestions"].count(),
    }
    paginator = Paginator(lists[tab], 50)
    paginator.count = counts[tab]  # already counted above: no second COUNT query
    page = paginator.get_page(request.GET.get("page"))
    rows: list[Any] = list(page.object_list)
    if tab == "candidates":
        rows = [(o, health.candidate_reasons(o, today)) for o in rows]
    elif tab == "vacancies":
        rows = [
            (
                o,
                (today - o.secretary_vacant_since).days,
                health.months_between(o.secretary_vacant_since, today),
            )
            for o in rows
        ]
    elif tab == "suggestions":
        rows = [(s, suggestion_actions(s)) for s in selectors.size_suggestions(user, rows)]
    context.update(
        counts=counts,
        rect_counts=rect_counts,
        vacancy_counts=vacancy_counts,
        page_obj=page,
        rows=rows,
        can_change=can(user, Action.CHANGE, root.path),
        alert_days=health.rules.SECRETARY_VACANCY_ALERT_DAYS,
    )
    template = "orgs/_health_table.html" if request.htmx else "orgs/health.html"
    return render(request, template, context)


@login_required
def designate(request: HttpRequest, pk: int) -> HttpResponse:
    """Designate an organisation weak and lax: the computed criteria are shown as the data
    gives them, the others are ticked by the officer with a note (S12)."""
    org = selectors.organization_get(request.user, pk, Action.CHANGE)
    today = clock.today()
    computed = health.assess(org, full_members=selectors.full_member_count(org), today=today)
    form = DesignateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rect = run_service(
            request,
            services.rectification_designate,
            form=form,
            success=_("已认定 %(n)s 为软弱涣散党组织") % {"n": org.name},
            org=org,
            entered=form.entered(),
            note=form.cleaned_data["note"],
            on=form.cleaned_data["on"],
        ).value
        if rect is not None:
            return _redirect(request, reverse("orgs:rectification", args=[rect.pk]))
    computed_rows = [
        (WeakCriterion(c).label, v) for c, v in computed.items() if c in COMPUTED_CRITERIA
    ]
    return render(
        request,
        "orgs/designate.html",
        {
            "org": org,
            "form": form,
            "computed": computed_rows,
            "existing": selectors.open_rectification(request.user, org),
        },
    )


def _rect_context(request: HttpRequest, rect: Rectification, **extra: Any) -> dict[str, Any]:
    return {
        "rect": rect,
        "org": rect.org,
        "notes": selectors.rectification_notes(request.user, rect).select_related("author"),
        "can_change": can(request.user, Action.CHANGE, rect.org.path),
        "steps": RectificationStep,
        "note_form": extra.pop("note_form", None) or RectificationNoteForm(),
        **extra,
    }


@login_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rect = selectors.rectification_get(request.user, pk)
    return render(request, "orgs/rectification.html", _rect_context(request, rect))


@login_required
def rectification_plan(request: HttpRequest, pk: int) -> HttpResponse:
    rect = selectors.rectification_get(request.user, pk, Action.CHANGE)
    initial = {"measures": rect.measures, "owner": rect.owner, "deadline": rect.deadline}
    form = RectificationPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        planned = run_service(
            request,
            services.rectification_plan,
            form=form,
            success=_("已保存整顿方案"),
            rectification=rect,
            **form.cleaned_data,
        )
        if planned:
            return _redirect(request, reverse("orgs:rectification", args=[rect.pk]))
    return render(
        request,
        "orgs/rectification_form.html",
        {"form": form, "rect": rect, "org": rect.org, "title": _("整顿方案")},
    )


@login_required
def rectification_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a progress note; with htmx the notes list is swapped in place."""
    rect = selectors.rectification_get(request.user, pk, Action.CHANGE)
    form = RectificationNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        noted = run_service(
            request,
            services.rectification_add_note,
            form=form,
            rectification=rect,
            **form.cleaned_data,
        )
        if noted:
            if not request.htmx:
                messages.success(request, _("已记录整顿进展"))
                return redirect(reverse("orgs:rectification", args=[rect.pk]))
            form = RectificationNoteForm()
    context = _rect_context(request, rect, note_form=form)
    if request.htmx:
        return render(request, "orgs/_rectification_notes.html", context)
    return render(request, "orgs/rectification.html", context)


@login_required
def rectification_close(request: HttpRequest, pk: int) -> HttpResponse:
    rect = selectors.rectification_get(request.user, pk, Action.CHANGE)
    form = RectificationCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        closed = run_service(
            request,
            services.rectification_close,
            form=form,
            success=_("已整顿销号"),
            rectification=rect,
            result=form.cleaned_data["result"],
            still_met=form.entered(),
            on=form.cleaned_data["on"],
        )
        if closed:
            return _redirect(request, reverse("orgs:rectification", args=[rect.pk]))
    today = clock.today()
    now = health.assess(rect.org, full_members=selectors.full_member_count(rect.org), today=today)
    return render(
        request,
        "orgs/rectification_close.html",
        {
            "form": form,
            "rect": rect,
            "org": rect.org,
            "now": [(WeakCriterion(c).label, v) for c, v in now.items()],
        },
    )


STEP_SERVICES: dict[str, Callable[..., Rectification]] = {
    RectificationStep.REVOKE: services.rectification_revoke,
    RectificationStep.REOPEN: services.rectification_reopen,
}


@login_required
def rectification_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Revoke a designation or reopen a closed rectification, with a reason. A step the state
    does not allow comes back as a message, never an error page."""
    rect = selectors.rectification_get(request.user, pk, Action.CHANGE)
    if step not in STEP_SERVICES:
        raise Http404
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        run_service(
            request,
            STEP_SERVICES[step],
            success=_("已%(s)s") % {"s": RectificationStep(step).label},
            rectification=rect,
            **form.cleaned_data,
        )
        return _redirect(request, reverse("orgs:rectification", args=[rect.pk]))
    return render(
        request,
        "orgs/rectification_form.html",
        {
            "form": form,
            "rect": rect,
            "org": rect.org,
            "title": RectificationStep(step).label,
            "danger": step == "revoke",
        },
    )


def _found_url(parent: Organization, org: Organization, org_type: str, name: str) -> str:
    query = urlencode(
        {"org_type": org_type, "name": name, "sector": org.sector, "host_unit": org.host_unit}
    )
    return f"{reverse('orgs:found', args=[parent.pk])}?{query}"


def _renamed(name: str, old: str, new: str, fallback: str) -> str:
    return name.replace(old, new) if old in name else name + fallback


def suggestion_actions(s: health.Suggestion) -> list[tuple[str, str]]:
    """The buttons of a size suggestion: the existing found and merge forms, prefilled."""
    org, parent = s.org, s.parent
    actions: list[tuple[str, str]] = []
    if s.kind == health.SuggestionKind.JOIN:
        for p in s.partners:
            url = f"{reverse('orgs:merge', args=[org.pk])}?{urlencode({'target': p.pk})}"
            actions.append((_("并入 %(n)s") % {"n": p.name}, url))
        if parent is not None:
            name = _renamed(org.name, "党支部", "等单位联合党支部", "联合党支部")
            actions.append((_("设立联合支部"), _found_url(parent, org, OrgType.JOINT_BRANCH, name)))
        return actions
    if parent is None:
        return actions
    if s.kind == health.SuggestionKind.SPLIT:
        name = _renamed(org.name, "党支部", "第二党支部", "（二）")
        actions.append((_("拆分：设立新支部"), _found_url(parent, org, OrgType.BRANCH, name)))
    target = OrgType(s.target_type)
    name = _renamed(
        org.name, "党支部", "党总支" if target == OrgType.GENERAL_BRANCH else "党委", ""
    )
    actions.append(
        (_("升格：设立%(t)s") % {"t": target.label}, _found_url(parent, org, target, name))
    )
    return actions
