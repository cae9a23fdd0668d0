"""Pages of summary reports: the list with the request form and the worker's progress, the
report itself (print styles; every figure a link to its rows), the rows behind a figure, two
reports of one subtree compared, and the .docx."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core.scoping import Actor
from jiceng.core.views import run_service

from . import selectors, services, tasks
from .forms import ReportForm
from .models import SummaryReport

PAGE_SIZE = 30
ROWS_PAGE_SIZE = 100


def _queue(*, actor: Actor, **fields: Any) -> SummaryReport:
    """Queue the report; its task is enqueued once that is committed."""
    with transaction.atomic():
        report = services.report_queue(actor=actor, **fields)
        transaction.on_commit(lambda: tasks.generate_report.enqueue(report.pk))
    return report


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The user's summaries, newest first, and the form asking for a new one."""
    root = selectors.default_root(request.user)
    form = ReportForm(
        request.POST or None,
        user=request.user,
        initial={"root_code": root.code if root else ""},
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("root_code") or root
        if chosen is None:
            form.add_error(None, str(services.REFUSE))
        else:
            outcome = run_service(
                request,
                _queue,
                form=form,
                root=chosen,
                campaign=form.cleaned_data.get("campaign"),
                start=form.cleaned_data.get("start"),
                end=form.cleaned_data.get("end"),
                success=_("已开始生成综述，完成后即可查看"),
            )
            if outcome.ok:
                return redirect(reverse("reports:list"))
    page = Paginator(selectors.report_list(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reports/list.html",
        {
            "form": form,
            "page_obj": page,
            "pending": selectors.pending(request.user),
            "may_generate": root is not None,
        },
    )


@login_required
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(request.user, pk)
    return render(request, "reports/_progress.html", {"pending": report})


def _paragraph(report: SummaryReport, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segments with the link to the rows behind each figure."""
    out = []
    for seg in segments:
        item = dict(seg)
        if "figure" in seg:
            item["href"] = reverse("reports:rows", args=[report.pk, seg["figure"]])
            quoted = report.figures.get(seg["figure"], {})
            item["title"] = quoted.get("label", "")
        out.append(item)
    return out


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(request.user, pk)
    if not report.is_done:
        return render(request, "reports/detail.html", {"report": report, "pending": report})
    content = report.content
    sections = []
    for section in content["sections"]:
        sections.append(
            {
                **section,
                "paragraphs": [_paragraph(report, p) for p in section["paragraphs"]],
                "subsections": [
                    {**sub, "paragraphs": [_paragraph(report, p) for p in sub["paragraphs"]]}
                    for sub in section.get("subsections", [])
                ],
            }
        )
    appendix = content.get("appendix")
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "content": content,
            "lead": _paragraph(report, content["lead"]),
            "sections": sections,
            "appendix": appendix,
            "issued_on": dt.date.fromisoformat(content.get("issued_on") or str(report.period_end)),
            "appendix_rows": _appendix_rows(report, appendix) if appendix else [],
            "others": selectors.comparable(request.user, report)[:10],
        },
    )


def _appendix_rows(report: SummaryReport, appendix: dict[str, Any]) -> list[dict[str, Any]]:
    keys = [c["key"] for c in appendix["columns"]]
    rows = []
    for row in appendix["rows"]:
        cells = [
            (row["values"][k], reverse("reports:rows", args=[report.pk, f"{row['path']}:{k}"]))
            for k in keys
        ]
        rows.append({"name": row["name"], "cells": cells})
    total = [
        (appendix["total"]["values"][k], reverse("reports:rows", args=[report.pk, k])) for k in keys
    ]
    return [*rows, {"name": appendix["total"]["name"], "cells": total, "total": True}]


@login_required
def figure_rows(request: HttpRequest, pk: int, ref: str) -> HttpResponse:
    """The rows one figure of a report counts."""
    report = selectors.report_get(request.user, pk)
    found = selectors.figure_rows(report, ref)
    page = Paginator(found.rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    columns = found.figure.columns
    rows = [[(c.value(r), c.href(r)) for c in columns] for r in page]
    return render(
        request,
        "reports/rows.html",
        {
            "report": report,
            "found": found,
            "columns": columns,
            "rows": rows,
            "page_obj": page,
            "count": page.paginator.count,
        },
    )


@login_required
def report_compare(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    newer = selectors.report_get(request.user, pk)
    older = selectors.report_get(request.user, other)
    if older.path != newer.path or not (older.is_done and newer.is_done):
        raise Http404
    if older.created_at > newer.created_at:
        older, newer = newer, older
    return render(
        request,
        "reports/compare.html",
        {"older": older, "newer": newer, "rows": selectors.comparison(older, newer)},
    )


@login_required
def report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as a .docx laid out to GB/T 9704 (Simplified, or Traditional with
    ``?script=hant``)."""
    from .docx import render_docx

    report = selectors.report_get(request.user, pk)
    if not report.is_done:
        raise Http404
    traditional = request.GET.get("script") == "hant"
    data = render_docx(report.content, traditional=traditional)
    name = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", report.title)[:80] or f"report-{report.pk}"
    response = HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    suffix = "-繁体" if traditional else ""
    response["Content-Disposition"] = (
        f'attachment; filename="report-{report.pk}.docx"; '
        f"filename*=UTF-8''{quote(name + suffix + '.docx')}"
    )
    return response
