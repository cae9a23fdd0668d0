"""Every read of service programmes (S27), from ``visible_to``: the programmes, cards and
tasks a user sees, a member's own tasks, the overdue worklist (one indexed query, no count
over everything), completion by commitment and by member (grouped queries) and the bell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.notices import Notice, near
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.orgs.models import Organization

from .models import ScheduleRun, ServiceCard, ServiceProgramme, ServiceTask
from .rules import CardState, TaskState

BELL_CAP = 1000  # the bell says "1000" at most: counting further is the worklist's job
F_DUE = F("due_on")


def programme_list(user: Any, *, under: Organization | None = None) -> QuerySet[ServiceProgramme]:
    programmes = ServiceProgramme.objects.visible_to(user)
    if under is not None:
        programmes = programmes.filter(path__startswith=under.path)
    return programmes.select_related("owner").annotate(
        active_cards=Count("cards", filter=Q(cards__state=CardState.ACTIVE))
    )


def programme_get(user: Any, pk: Any, action: str = Action.VIEW) -> ServiceProgramme:
    return get_visible_or_404(ServiceProgramme.objects.select_related("owner"), user, action, pk=pk)


def schedule_run_latest(programme: ServiceProgramme) -> ScheduleRun | None:
    """The programme's latest scheduling run (its progress, result or failure), if any; the
    caller has the programme through ``programme_get``, so the run is as visible as it."""
    return programme.schedule_runs.select_related("requested_by").first()


def card_list(programme: ServiceProgramme) -> QuerySet[ServiceCard]:
    return programme.cards.select_related("household").order_by("seq")


def card_get(user: Any, pk: Any, action: str = Action.VIEW) -> ServiceCard:
    return get_visible_or_404(
        ServiceCard.objects.select_related("programme", "programme__owner", "household"),
        user,
        action,
        pk=pk,
    )


def task_get(user: Any, pk: Any) -> ServiceTask:
    """A task the user sees: of their subtree's programmes, or their own (self-service)."""
    return get_visible_or_404(
        ServiceTask.objects.select_related("card", "commitment", "responsible", "programme"),
        user,
        pk=pk,
    )


def _rows(tasks: QuerySet[ServiceTask]) -> QuerySet[ServiceTask]:
    return tasks.select_related(
        "card", "card__household", "commitment", "responsible", "programme"
    ).order_by("due_on", "id")


def own_tasks(user: Any) -> QuerySet[ServiceTask]:
    """The tasks a member is responsible for (wherever their unit is now)."""
    if not getattr(user, "is_authenticated", False):
        return ServiceTask.objects.none()
    return _rows(ServiceTask.objects.filter(responsible__user=user))


def task_list(
    user: Any,
    *,
    under: Organization | None = None,
    programme: ServiceProgramme | None = None,
    overdue: bool = False,
    state: str = "",
) -> QuerySet[ServiceTask]:
    tasks = ServiceTask.objects.visible_to(user)
    if under is not None:
        tasks = tasks.filter(path__startswith=under.path)
    if programme is not None:
        tasks = tasks.filter(programme=programme)
    if overdue:
        tasks = tasks.filter(overdue_q())
    elif state:
        tasks = tasks.filter(state=state)
    return _rows(tasks)


def overdue_q(today: dt.date | None = None) -> Q:
    """Overdue: still planned and due before the site's today (missed is an outcome)."""
    return Q(state=TaskState.PLANNED, due_on__lt=today or clock.today())


def overdue_worklist(
    user: Any, under: Organization, *, programme: ServiceProgramme | None = None
) -> QuerySet[ServiceTask]:
    """Overdue tasks of a district or street, oldest first: one query on the index
    (state, due_on, path); pages are sliced, never counted."""
    return task_list(user, under=under, programme=programme, overdue=True)


@dataclass(frozen=True)
class Page:
    """A page of rows without a count: whether there is a next one is one row more."""

    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset: QuerySet[Any], number: Any, size: int) -> Page:
    try:
        n = max(1, min(int(number or 1), 10_000))
    except (TypeError, ValueError):
        n = 1
    rows = list(queryset[(n - 1) * size : n * size + 1])
    return Page(rows[:size], n, len(rows) > size)


# ----- completion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    key: Any
    name: str
    tasks: int
    due: int  # due so far (before or on today)
    done: int
    on_time: int
    overdue: int
    missed: int

    @property
    def rate(self) -> int:
        """Done of due so far, in per cent."""
        return round(100 * self.done / self.due) if self.due else 0


def _aggregates(today: dt.date) -> dict[str, Count]:
    return {
        "tasks": Count("id"),
        "due": Count("id", filter=Q(due_on__lte=today)),
        "done": Count("id", filter=Q(state=TaskState.DONE)),
        "on_time": Count("id", filter=Q(state=TaskState.DONE, done_on__lte=F_DUE)),
        "overdue": Count("id", filter=overdue_q(today)),
        "missed": Count("id", filter=Q(state=TaskState.MISSED)),
    }


def programme_completion(programme: ServiceProgramme) -> tuple[Completion, list[Completion]]:
    """The programme's totals and each commitment's: one grouped query."""
    today = clock.today()
    rows: list[Any] = list(
        ServiceTask.objects.filter(programme=programme)
        .values("commitment")
        .annotate(**_aggregates(today))
        .order_by("commitment")
    )
    labels = dict(programme.commitments.values_list("pk", "label"))
    per = [Completion(r["commitment"], labels.get(r["commitment"], ""), *_numbers(r)) for r in rows]
    fields = ("tasks", "due", "done", "on_time", "overdue", "missed")
    total = Completion(
        programme.pk,
        programme.name,
        *(sum(getattr(c, f) for c in per) for f in fields),
    )
    return total, per


def member_completion(programme: ServiceProgramme) -> list[Completion]:
    """Each responsible member's tasks, done and overdue: one grouped query."""
    today = clock.today()
    rows: list[Any] = list(
        ServiceTask.objects.filter(programme=programme)
        .values("responsible", "responsible__name")
        .annotate(**_aggregates(today))
        .order_by("responsible__name_pinyin", "responsible")
    )
    return [Completion(r["responsible"], r["responsible__name"], *_numbers(r)) for r in rows]


def _numbers(row: dict[str, Any]) -> tuple[int, int, int, int, int, int]:
    return (row["tasks"], row["due"], row["done"], row["on_time"], row["overdue"], row["missed"])


# ----- the bell --------------------------------------------------------------------------------


def service_notices(user: Any) -> list[Notice]:
    """Overdue service tasks: for the units a user acts for and their direct sub-units, and a
    member's own."""
    notices = []
    today = clock.today()
    if scope_of(user, Action.CHANGE).paths:
        unit = (
            ServiceTask.objects.visible_to(user)
            .filter(near(user, "path", "depth"))
            .filter(overdue_q(today))
        )
        count = unit[:BELL_CAP].count()
        if count:
            notices.append(
                Notice(
                    key="service-overdue",
                    label=_("逾期未完成的特色服务任务"),
                    count=count,
                    url=reverse("outreach:service-overdue"),
                    overdue=True,
                )
            )
    mine = ServiceTask.objects.filter(responsible__user=user).filter(overdue_q(today))
    count = mine[:BELL_CAP].count()
    if count:
        notices.append(
            Notice(
                key="service-mine-overdue",
                label=_("我的逾期服务任务"),
                count=count,
                url=reverse("outreach:my-service-tasks"),
                overdue=True,
            )
        )
    return notices
