"""Every read of membership development: cases through ``visible_to``, the worklists (due
within 30 days, overdue: one indexed range on ``(path, next_due)``), the funnel by stage and
child unit, and the rows of the standard documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.core import clock, tree
from jiceng.core.notices import Notice, acting_paths
from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import Organization

from .models import Development, DevelopmentStep
from .rules import DUE_SOON_DAYS, DevelopmentStage, DevelopmentState

OPEN_STATES = (DevelopmentState.ACTIVE, DevelopmentState.ADMITTED)
WORKLIST_KINDS = ("due", "overdue")


def development_get(user: Any, pk: Any, action: str = Action.VIEW) -> Development:
    return get_visible_or_404(
        Development.objects.select_related("org", "member"), user, action, pk=pk
    )


def development_list(
    user: Any,
    under: Organization,
    *,
    stage: str = "",
    state: str = "",
    q: str = "",
) -> QuerySet[Development]:
    rows = Development.objects.visible_to(user).filter(path__startswith=under.path)
    if stage:
        rows = rows.filter(stage=stage)
    if state:
        rows = rows.filter(state=state)
    if q:
        rows = rows.filter(name__contains=q.strip())
    return rows.select_related("org")


def worklist(
    user: Any, under: Organization, kind: str = "due", *, today: dt.date | None = None
) -> QuerySet[Development]:
    """Cases of the subtree whose next step is overdue (``overdue``) or due within 30 days
    (``due``), soonest first: one range on the stored ``next_due``."""
    today = today or clock.today()
    rows = Development.objects.visible_to(user).filter(path__startswith=under.path)
    if kind == "overdue":
        rows = rows.filter(next_due__lt=today)
    else:
        rows = rows.filter(next_due__gte=today, next_due__lte=today + dt.timedelta(DUE_SOON_DAYS))
    return rows.order_by("next_due", "id").select_related("org")


def _counts(user: Any, under: Organization, today: dt.date) -> list[dict[str, Any]]:
    """One aggregate over the subtree's open cases: per child unit and stage, the cases, those
    overdue and those due within 30 days (the funnel and every figure of the worklist)."""
    width = len(under.path) + tree.STEP
    soon = today + dt.timedelta(DUE_SOON_DAYS)
    rows = (
        Development.objects.visible_to(user)
        .filter(path__startswith=under.path, state__in=OPEN_STATES)
        .annotate(unit=Substr("path", 1, width))
        .values("unit", "stage")
        .annotate(
            n=Count("id"),
            n_overdue=Count("id", filter=Q(next_due__lt=today)),
            n_due=Count("id", filter=Q(next_due__gte=today, next_due__lte=soon)),
        )
        .order_by()
    )
    return [dict(r) for r in rows]


def overview(
    user: Any, under: Organization, *, today: dt.date | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The figures of the subtree (open cases by stage, due within 30 days, overdue) and the
    funnel (open cases per stage per child unit), from one query."""
    rows = _counts(user, under, today or clock.today())
    by_stage: dict[str, int] = {}
    by_unit: dict[str, dict[str, int]] = {}
    for r in rows:
        by_stage[r["stage"]] = by_stage.get(r["stage"], 0) + r["n"]
        by_unit.setdefault(r["unit"], {})[r["stage"]] = r["n"]
    figures = {
        "stages": [(s, label, by_stage.get(s, 0)) for s, label in DevelopmentStage.choices],
        "overdue": sum(r["n_overdue"] for r in rows),
        "due": sum(r["n_due"] for r in rows),
        "open": sum(by_stage.values()),
    }
    orgs = {
        path: (pk, name)
        for path, pk, name in Organization.objects.filter(path__in=list(by_unit)).values_list(
            "path", "pk", "name"
        )
    }
    funnel = []
    for unit in sorted(by_unit):
        counts = by_unit[unit]
        pk, name = orgs.get(unit, (None, unit))
        funnel.append(
            {
                "path": unit,
                "pk": pk,
                "name": name,
                "counts": [counts.get(s, 0) for s in DevelopmentStage.values],
                "total": sum(counts.values()),
            }
        )
    return figures, funnel


def figures(user: Any, under: Organization, *, today: dt.date | None = None) -> dict[str, Any]:
    """Counts of the subtree: open cases by stage, due within 30 days, overdue."""
    return overview(user, under, today=today)[0]


def funnel(user: Any, under: Organization) -> list[dict[str, Any]]:
    """Open cases per stage per child unit of ``under`` (the funnel chart and its table)."""
    return overview(user, under)[1]


def step_dates(cases: list[Development], codes: tuple[str, ...]) -> dict[int, dict[str, Any]]:
    """The first date of each step ``codes`` per case (documents, import previews)."""
    out: dict[int, dict[str, Any]] = {}
    rows = (
        DevelopmentStep.objects.filter(development__in=[c.pk for c in cases], step__in=codes)
        .order_by("on")
        .values_list("development_id", "step", "on")
    )
    for pk, step, on in rows:
        out.setdefault(pk, {}).setdefault(step, on)
    return out


def register_rows(user: Any, under: Organization) -> list[list[Any]]:
    """入党申请人登记表: every applicant of the subtree with the dates of application and talk."""
    cases = list(
        Development.objects.visible_to(user)
        .filter(path__startswith=under.path)
        .select_related("org")
        .order_by("org__code", "applied_on", "id")
    )
    dates = step_dates(cases, ("talk", "activist"))
    return [
        [
            c.name,
            str({"M": _("男"), "F": _("女")}.get(c.sex, "")),
            c.birth_date,
            c.org.name,
            c.work_unit,
            c.applied_on,
            dates.get(c.pk, {}).get("talk"),
            dates.get(c.pk, {}).get("activist"),
            c.get_stage_display(),
        ]
        for c in cases
    ]


def form_rows(user: Any, under: Organization) -> list[list[Any]]:
    """The numbered 入党志愿书 list: the form's number, the applicant, the branch, the dates of
    the pre-review that issued it and of the general meeting."""
    cases = list(
        Development.objects.visible_to(user)
        .filter(path__startswith=under.path)
        .exclude(application_form_no="")
        .select_related("org")
        .order_by("form_committee_path", "application_form_no")
    )
    dates = step_dates(cases, ("pre_review", "general_meeting", "approval"))
    return [
        [
            c.application_form_no,
            c.name,
            c.org.name,
            dates.get(c.pk, {}).get("pre_review"),
            dates.get(c.pk, {}).get("general_meeting"),
            dates.get(c.pk, {}).get("approval"),
            c.get_state_display(),
        ]
        for c in cases
    ]


REGISTER_HEADER = [
    _("姓名"),
    _("性别"),
    _("出生日期"),
    _("党支部"),
    _("工作单位"),
    _("递交申请书日期"),
    _("谈话日期"),
    _("确定为入党积极分子日期"),
    _("阶段"),
]
FORM_HEADER = [
    _("入党志愿书编号"),
    _("姓名"),
    _("党支部"),
    _("预审日期"),
    _("支部大会日期"),
    _("上级党委审批日期"),
    _("状态"),
]


def development_notices(user: Any) -> list[Notice]:
    """The bell: cases at the user's own units and their direct sub-units whose next step is
    overdue (a branch's talk or assessment, a committee's approval of its branches)."""
    own = acting_paths(user)
    if not own:
        return []
    near = Q(pk__in=[])
    for path in own:
        near |= Q(path__startswith=path, path_len__lte=len(path) + tree.STEP)
    count = (
        Development.objects.visible_to(user)
        .filter(next_due__lt=clock.today())
        .annotate(path_len=Length("path"))
        .filter(near)
        .count()
    )
    url = reverse("development:worklist") + "?kind=overdue"
    return [Notice("development.overdue", str(_("逾期未办的发展党员环节")), count, url, True)]
