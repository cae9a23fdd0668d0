"""Likely-duplicate pages: the worklist of groups, the side-by-side comparison with the merge
form, "not a duplicate", and the merge records with their undo."""

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

from jiceng.core.fields import mark_name
from jiceng.core.scoping import Action, can
from jiceng.core.views import run_service
from jiceng.members.models import Member
from jiceng.members.selectors import above_district
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import selectors, services
from .models import DuplicateDismissal

LABELS = {f: getattr(Member._meta.get_field(f), "verbose_name", f) for f in services.CHOOSABLE}


def _root(request: HttpRequest) -> Organization:
    return org_selectors.subtree_root(request.user, request.GET.get("org"))


def _shown(member: Member, f: str) -> Any:
    if f == "id_number":
        return member.id_number_masked
    if f == "phone":
        return member.phone_masked
    if f == "home_address":
        return "******" if member.home_address else ""
    display = getattr(member, f"get_{f}_display", None)
    return display() if display else getattr(member, f)


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    if above_district(root):
        return render(
            request,
            "members/duplicates/worklist.html",
            {"root": root, "districts": org_selectors.tree_children(request.user, root)},
        )
    page = Paginator(selectors.key_list(request.user, root), selectors.GROUPS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    groups = selectors.groups(request.user, root, list(page.object_list))
    for g in groups:
        g.rows = [
            (m, [(LABELS[f], _shown(m, f), f in g.differing) for f in services.CHOOSABLE])
            for m in g.members
        ]
    return render(
        request,
        "members/duplicates/worklist.html",
        {
            "root": root,
            "page_obj": page,
            "groups": groups,
            "may_change": can(request.user, Action.CHANGE, root.path),
        },
    )


@login_required
def compare(request: HttpRequest, keep: int, drop: int) -> HttpResponse:
    kept, dropped = selectors.pair(request.user, keep, drop)
    defaults = services.default_choices(kept, dropped)
    revealed: dict[str, tuple[str, str]] = {}
    if request.method == "POST" and request.POST.get("action") == "reveal":
        revealed = run_service(request, services.pair_reveal, keep=kept, drop=dropped).value or {}
    elif request.method == "POST":
        choices = {f: request.POST.get(f, defaults[f]) for f in services.CHOOSABLE}
        merge = run_service(
            request, services.member_merge, keep=kept, drop=dropped, choices=choices
        ).value
        if merge is not None:
            messages.success(
                request,
                _("已把 %(drop)s 合并到 %(keep)s；如有误可撤销")
                % {
                    "drop": mark_name(f"{merge.dropped_name}（{merge.dropped_id}）"),
                    "keep": mark_name(kept.name),
                },
            )
            return redirect("members:merge", merge.pk)
    differing = services.differing_fields(kept, dropped)
    rows = [
        (f, LABELS[f], *revealed.get(f, (_shown(kept, f), _shown(dropped, f))), defaults[f])
        for f in differing
    ]
    masked = [f for f in differing if f in services.SENSITIVE and f not in revealed]
    return render(
        request,
        "members/duplicates/compare.html",
        {
            "kept": kept,
            "dropped": dropped,
            "rows": rows,
            "masked": masked,
            "may_reveal": bool(masked)
            and kept.may_reveal(request.user)
            and dropped.may_reveal(request.user),
        },
    )


@login_required
@require_POST
def dismiss(request: HttpRequest, keep: int, drop: int) -> HttpResponse:
    a, b = selectors.pair(request.user, keep, drop)
    services.duplicate_dismiss(actor=request.user, a=a, b=b)
    messages.success(request, _("已确认 %(a)s 与 %(b)s 不是同一人") % {"a": a.pk, "b": b.pk})
    return redirect(reverse("members:duplicates") + f"?org={a.home_org_id}")


@login_required
def merge_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.merges(request.user), 50).get_page(request.GET.get("page"))
    dismissals = (
        DuplicateDismissal.objects.visible_to(request.user)
        .select_related("member_a", "member_b", "dismissed_by")
        .order_by("-dismissed_at")[:50]
    )
    return render(
        request, "members/duplicates/merges.html", {"page_obj": page, "dismissals": dismissals}
    )


@login_required
def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    merge = selectors.merge_get(request.user, pk)
    return render(
        request,
        "members/duplicates/merge.html",
        {"merge": merge, "may_undo": can(request.user, Action.CHANGE, merge.member_path)},
    )


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = selectors.merge_get(request.user, pk, Action.CHANGE)
    restored = run_service(request, services.member_merge_undo, merge=merge).value
    if restored is None:
        return redirect("members:merge", merge.pk)
    messages.success(request, _("已撤销合并，恢复了 %(name)s 的记录") % {"name": restored.name})
    return redirect("members:detail", restored.pk)


@login_required
@require_POST
def dismissal_undo(request: HttpRequest, pk: int) -> HttpResponse:
    dismissal = selectors.dismissal_get(request.user, pk)
    services.duplicate_dismissal_undo(actor=request.user, dismissal=dismissal)
    messages.success(request, _("已撤销判断，这对记录重新列入疑似重复"))
    return redirect("members:merges")
