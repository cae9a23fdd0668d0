"""Every read of worker recruitment, starting from ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import TWO_NEW_SECTORS, Organization, OrgType

from .models import (
    PartyWorker,
    WorkerApplication,
    WorkerObjection,
    WorkerPost,
    WorkerRecruitment,
)
from .rules import IN_POST, AppState


def recruitment_list(user: Any) -> QuerySet[WorkerRecruitment]:
    return (
        WorkerRecruitment.objects.visible_to(user)
        .select_related("district")
        .annotate(
            post_count=Count("posts", distinct=True),
            places=Sum("posts__places"),
        )
    )


def recruitment_get(user: Any, pk: int, action: str = Action.VIEW) -> WorkerRecruitment:
    return get_visible_or_404(
        WorkerRecruitment.objects.select_related("district"), user, action, pk=pk
    )


def post_list(recruitment: WorkerRecruitment) -> QuerySet[WorkerPost]:
    return recruitment.posts.annotate(
        applicants=Count("applications"),
        hired=Count("applications", filter=Q(applications__state__in=IN_POST)),
    ).order_by("id")


def post_get(user: Any, pk: int, action: str = Action.VIEW) -> WorkerPost:
    return get_visible_or_404(
        WorkerPost.objects.select_related("recruitment__district"), user, action, pk=pk
    )


def served_orgs(post: WorkerPost) -> list[Organization]:
    """The organisations a post serves, two-new organisations first."""
    orgs = list(post.serves.order_by("path"))
    return sorted(orgs, key=lambda o: (o.sector not in TWO_NEW_SECTORS, o.path))


def application_list(
    user: Any, *, post: WorkerPost | None = None, state: str = ""
) -> QuerySet[WorkerApplication]:
    qs = WorkerApplication.objects.visible_to(user).select_related("post")
    if post is not None:
        qs = qs.filter(post=post)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("rank", "id")


def application_get(user: Any, pk: int, action: str = Action.VIEW) -> WorkerApplication:
    return get_visible_or_404(
        WorkerApplication.objects.select_related("post", "recruitment"), user, action, pk=pk
    )


def objection_get(user: Any, pk: int, action: str = Action.VIEW) -> WorkerObjection:
    return get_visible_or_404(
        WorkerObjection.objects.select_related("application"), user, action, pk=pk
    )


def worker_list(user: Any) -> QuerySet[PartyWorker]:
    return (
        PartyWorker.objects.visible_to(user)
        .select_related("org", "application__post")
        .order_by("path", "id")
    )


def worker_get(user: Any, pk: int, action: str = Action.VIEW) -> PartyWorker:
    return get_visible_or_404(
        PartyWorker.objects.select_related("org", "application__post", "application__recruitment"),
        user,
        action,
        pk=pk,
    )


def public_post(pk: int) -> WorkerPost:
    """A post for the public's application page (any round; the service says when a round is
    not taking applications)."""
    post = WorkerPost.objects.select_related("recruitment__district").filter(pk=pk).first()
    if post is None:
        raise Http404
    return post


def public_open_posts(today: Any) -> QuerySet[WorkerPost]:
    """Posts of rounds taking applications today: the public's list."""
    return (
        WorkerPost.objects.filter(
            recruitment__opens_on__lte=today, recruitment__closes_on__gte=today
        )
        .select_related("recruitment__district")
        .order_by("recruitment__district__path", "id")
    )


def figures(user: Any) -> list[dict[str, Any]]:
    """Per district of the user's scope: places offered, applicants, hired, trained, in
    post (S3: 461 in the city's 2005 round)."""
    rounds = WorkerRecruitment.objects.visible_to(user)
    places = dict(
        WorkerPost.objects.filter(recruitment__in=rounds)
        .values_list("recruitment__district")
        .annotate(n=Sum("places"))
        .values_list("recruitment__district", "n")
    )
    applicants = dict(
        WorkerApplication.objects.filter(recruitment__in=rounds)
        .values("recruitment__district")
        .annotate(n=Count("id"))
        .values_list("recruitment__district", "n")
    )
    workers = (
        PartyWorker.objects.visible_to(user)
        .values("application__recruitment__district")
        .annotate(
            n_hired=Count("id"),
            n_trained=Count("id", filter=Q(trained_on__isnull=False)),
            n_in_post=Count("id", filter=Q(org__isnull=False, until__isnull=True)),
        )
    )
    by_worker: dict[int, dict[str, Any]] = {
        row["application__recruitment__district"]: dict(row) for row in workers
    }
    ids = set(places) | set(applicants) | set(by_worker)
    districts = Organization.objects.filter(
        pk__in=ids, org_type=OrgType.DISTRICT_COMMITTEE
    ).order_by("path")
    out = []
    for d in districts:
        w = by_worker.get(d.pk, {})
        out.append(
            {
                "district": d,
                "places": places.get(d.pk, 0) or 0,
                "applicants": applicants.get(d.pk, 0),
                "hired": w.get("n_hired", 0),
                "trained": w.get("n_trained", 0),
                "in_post": w.get("n_in_post", 0),
            }
        )
    return out


def figures_total(rows: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("places", "applicants", "hired", "trained", "in_post")
    return {k: sum(r[k] for r in rows) for k in keys}


def workers_at(org_ids: list[int]) -> dict[int, int]:
    """How many workers are in post at each of these organisations (the tree's badge)."""
    rows = (
        PartyWorker.objects.filter(org_id__in=org_ids, until__isnull=True)
        .values("org_id")
        .annotate(n=Count("id"))
    )
    return {r["org_id"]: r["n"] for r in rows}


def workers_of_org(user: Any, org: Organization) -> QuerySet[PartyWorker]:
    """The workers in post at ``org`` (and those who served there), as the user may see."""
    return (
        PartyWorker.objects.visible_to(user)
        .filter(org=org)
        .select_related("application__post")
        .order_by("until", "since")
    )


STATES = AppState.choices


def org_panel(user: Any, org: Organization) -> tuple[str, dict[str, Any]] | None:
    """The organisation page's panel (``orgs.panels``): the workers serving it."""
    workers = list(workers_of_org(user, org))
    if not workers:
        return None
    return ("workers/_org_panel.html", {"workers": workers})


def org_badges(org_ids: list[int]) -> dict[int, list[str]]:
    """The tree's badge (``orgs.panels``): how many workers are in post at each unit."""
    from django.utils.translation import gettext as _

    return {pk: [_("党群工作者 %(n)s") % {"n": n}] for pk, n in workers_at(org_ids).items()}
