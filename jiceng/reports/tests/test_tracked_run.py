"""``core.progress.tracked_run``: a background run's row says running while it works, done
with its seconds when it ends, and failed with the user's words when it faults (issue 22:
a summary that failed half way keeps nothing and says so)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.core.progress import tracked_run
from jiceng.reports.models import ReportState, SummaryReport
from jiceng.reports.services import report_generate, report_queue


@pytest.mark.django_db
def test_a_fault_marks_the_report_failed_keeps_nothing_and_raises(small, monkeypatch) -> None:
    from jiceng.reports import compose

    report = report_queue(
        actor=small.alice, root=small.a.org, start=dt.date(2005, 1, 1), end=dt.date(2005, 9, 1)
    )

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(compose, "write", broken)
    with pytest.raises(RuntimeError):
        report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.FAILED
    assert report.message == "生成出错，未保存任何内容；请稍后重新生成"
    assert report.content in ({}, None)
    # the failed report can be generated again and then is done, with its time
    monkeypatch.undo()
    report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.DONE
    assert report.seconds is not None
    assert report.progress == 1.0


@pytest.mark.django_db
def test_progress_reaches_the_callback_and_ends_complete(small) -> None:
    report = report_queue(
        actor=small.alice, root=small.a.org, start=dt.date(2005, 1, 1), end=dt.date(2005, 9, 1)
    )
    seen: list[tuple[str, float]] = []
    with tracked_run(
        SummaryReport.objects.filter(pk=report.pk),
        first_stage="开始",
        stage_length=80,
        failure="x",
        progress=lambda s, f: seen.append((s, f)),
    ) as t:
        assert SummaryReport.objects.get(pk=report.pk).state == "running"
        t.step("一半", 0.5)
    assert seen == [("一半", 0.5), ("完成", 1.0)]
