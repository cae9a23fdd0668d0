"""Writes of summary reports: queue one (the officer's request), generate it (the worker),
each audited. A report is written once, with its state, in one transaction: a failed
generation leaves no content, says why, and can be generated again."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.appraisal.services import default_campaign
from jiceng.campaigns.models import Campaign
from jiceng.core import audit, clock
from jiceng.core.models import AuditEvent
from jiceng.core.progress import tracked_run
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.orgs.models import Organization

from . import compose
from .figures import Window, campaign_window
from .models import ReportState, SummaryReport

REFUSE = gettext_lazy("只有负责该范围的组织部门或党组织可以生成综述")


def may_generate(user: Actor, root: Organization) -> bool:
    """Whether ``user`` may generate a summary of ``root``'s subtree (the page asks this; the
    service enforces the same)."""
    return can(user, Action.CHANGE, root.path)


def window_for(campaign: Campaign | None, start: dt.date | None, end: dt.date | None) -> Window:
    """The period a report counts: the batch (from its launch to its reference date, or
    ``end``) or the dates given."""
    if campaign is not None:
        window = campaign_window(campaign, end)
        return Window(start=start or window.start, end=window.end, campaign_id=campaign.pk)
    if start is None or end is None:
        raise ValidationError(_("请选择活动批次，或填写统计起止日期"))
    return Window(start=start, end=end)


@transaction.atomic
def report_queue(
    *,
    actor: Actor,
    root: Organization,
    campaign: Campaign | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> SummaryReport:
    """A report of ``root``'s subtree over ``campaign`` (or from ``start`` to ``end``), waiting
    for the worker (the caller enqueues the task after the commit, or generates it at once)."""
    require(actor, Action.CHANGE, root.path, str(REFUSE))
    window = window_for(campaign, start, end)
    if window.end < window.start:
        raise ValidationError({"end": _("截止日期不能早于起始日期")})
    if window.end > clock.today():
        raise ValidationError({"end": _("截止日期不能晚于今天")})
    if campaign is not None and not (
        root.path.startswith(campaign.root_path) or campaign.root_path.startswith(root.path)
    ):
        raise ValidationError({"campaign": _("该活动批次不包括所选范围")})
    busy = SummaryReport.objects.select_for_update().filter(
        path=root.path, state__in=(ReportState.QUEUED, ReportState.RUNNING)
    )
    if busy.exists():
        raise ValidationError(_("该范围的综述正在生成，请等待完成后再生成新的一份"))
    report = SummaryReport.objects.create(
        root=root,
        path=root.path,
        campaign=campaign,
        period_start=window.start,
        period_end=window.end,
        stage="排队中",
        created_by=actor_user(actor),
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=report,
        org_path=root.path,
        note=_("发起生成综述：%(o)s，%(s)s 至 %(e)s")
        % {"o": root.name, "s": window.start, "e": window.end},
    )
    return report


def report_generate(*, report_id: int, progress: compose.Progress | None = None) -> SummaryReport:
    """Count every figure, write the summary and store it with the time and the data's
    generation (the task body; the command calls it in process). A fault stores nothing of
    the report and leaves it failed with the reason (``core.progress.tracked_run``)."""
    report = SummaryReport.objects.select_related("root", "campaign", "created_by").get(
        pk=report_id
    )
    if report.state not in (ReportState.QUEUED, ReportState.FAILED):
        return report
    with tracked_run(
        SummaryReport.objects.filter(pk=report.pk),
        first_stage="开始统计",
        stage_length=80,
        failure=_("生成出错，未保存任何内容；请稍后重新生成"),
        progress=progress,
    ) as run:
        generation = AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0
        as_of = timezone.now()
        window = Window(
            start=report.period_start, end=report.period_end, campaign_id=report.campaign_id
        )
        figures = compose.gather(report.root, window, report.campaign, run.step)
        run.step("撰写综述", 0.9)
        content, quoted = compose.write(report.root, figures, report.campaign, as_of)
        with transaction.atomic():
            report.content = content
            report.figures = quoted
            report.title = content["title"][:200]
            report.as_of = as_of
            report.data_generation = generation
            run.done(report, ReportState.DONE)
            report.save()
            audit.record(
                actor=report.created_by,
                verb="update",
                obj=report,
                org_path=report.path,
                note=_("综述已生成：%(t)s，引用数据 %(n)s 项")
                % {"t": report.title, "n": len(quoted)},
            )
    return report


def report_now(
    *,
    actor: Actor,
    root: Organization,
    campaign: Campaign | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: compose.Progress | None = None,
) -> SummaryReport:
    """Queue and generate in this process (the command, the demo build, the benchmark)."""
    report = report_queue(actor=actor, root=root, campaign=campaign, start=start, end=end)
    return report_generate(report_id=report.pk, progress=progress)


def summarize_latest(*, actor: Actor = None) -> SummaryReport | None:
    """The summary of the latest city-wide batch over its whole tree, generated now (the demo
    build ends with it, so the report page has one to open)."""
    campaign = default_campaign()
    if campaign is None:
        return None
    return report_now(actor=actor, root=campaign.root, campaign=campaign)
