"""Reads of summary reports, starting from ``visible_to``: a report is read by those who may
see its whole subtree, so the rows behind its figures (all inside that subtree) are theirs to
see too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from jiceng.core.scoping import Action
from jiceng.orgs.models import Organization

from .figures import BY_KEY, Figure, Window
from .models import ReportState, SummaryReport


def report_list(user: Any) -> QuerySet[SummaryReport]:
    return SummaryReport.objects.visible_to(user).select_related("root", "campaign", "created_by")


def report_get(user: Any, pk: Any) -> SummaryReport:
    try:
        return report_list(user).get(pk=int(pk))
    except (SummaryReport.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def default_root(user: Any) -> Organization | None:
    """The highest unit the user may act on: the default subtree of a new summary."""
    return (
        Organization.objects.visible_to(user, Action.CHANGE)
        .active()
        .order_by("depth", "path")
        .first()
    )


@dataclass
class Rows:
    """The rows behind one quoted figure of a report."""

    ref: str
    figure: Figure
    quoted: dict[str, Any]
    rows: QuerySet[Any]
    window: Window
    under: Organization | None


def figure_rows(report: SummaryReport, ref: str) -> Rows:
    """The rows one quoted figure counts (``ref`` as the report quotes it: ``orgs.founded``,
    ``<child path>:orgs.founded``, ``previous:orgs.founded``), listed the way the figure
    counted them, as of now: a report keeps its numbers, the list shows today's rows under the
    same rule, so a change since is visible as a difference."""
    quoted = report.figures.get(ref)
    if quoted is None or quoted.get("figure") not in BY_KEY:
        raise Http404
    figure = BY_KEY[quoted["figure"]]
    window = Window(
        start=dt.date.fromisoformat(quoted["start"]),
        end=dt.date.fromisoformat(quoted["end"]),
        campaign_id=quoted.get("campaign"),
    )
    under = quoted["under"]
    if not under.startswith(report.path):
        raise Http404
    return Rows(
        ref=ref,
        figure=figure,
        quoted=quoted,
        rows=figure.listing(window, under),
        window=window,
        under=Organization.objects.filter(path=under).first(),
    )


@dataclass
class Difference:
    label: str
    unit: str
    ref: str
    older: int | None
    newer: int | None

    @property
    def change(self) -> int | None:
        if self.older is None or self.newer is None:
            return None
        return self.newer - self.older


def comparison(older: SummaryReport, newer: SummaryReport) -> list[Difference]:
    """The whole-subtree figures of two reports of one subtree side by side."""
    out = []
    keys = [
        k
        for k in list(newer.figures) + [k for k in older.figures if k not in newer.figures]
        if ":" not in k
    ]
    for key in keys:
        q = newer.figures.get(key) or older.figures[key]
        out.append(
            Difference(
                label=q["label"],
                unit=q["unit"],
                ref=key,
                older=(older.figures.get(key) or {}).get("value"),
                newer=(newer.figures.get(key) or {}).get("value"),
            )
        )
    return out


def comparable(user: Any, report: SummaryReport) -> QuerySet[SummaryReport]:
    """The other finished reports of the same subtree."""
    return (
        report_list(user)
        .filter(path=report.path, state=ReportState.DONE)
        .exclude(pk=report.pk)
        .order_by("-created_at")
    )


def pending(user: Any) -> SummaryReport | None:
    return (
        report_list(user)
        .filter(state__in=(ReportState.QUEUED, ReportState.RUNNING))
        .order_by("-created_at")
        .first()
    )
