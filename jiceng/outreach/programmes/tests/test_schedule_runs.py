"""Scheduling a service programme's year in the background (S27: 589 households, 3 safety
checks and 1 cleaning a year): the button queues a run, the task writes the schedule through
the one audited service, the page shows the progress then the result; a second click while
it runs is refused; a failure writes nothing; the progress is another district's 404; the
management command takes the same path."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from jiceng.core import audit
from jiceng.core.models import AuditEvent
from jiceng.outreach.programmes import services
from jiceng.outreach.programmes.models import ScheduleRun, ServiceProgramme, ServiceTask
from jiceng.outreach.programmes.tasks import run_schedule

DEMO_DAY = "2005-06-01"  # mid-year: three checks 90 days apart still fit


@pytest.fixture
def s27(world, settings) -> ServiceProgramme:
    settings.JICENG_TODAY = DEMO_DAY
    return ServiceProgramme.objects.get(card_prefix="TS2005")


def _planned_future(programme: ServiceProgramme) -> set[int]:
    return set(
        ServiceTask.objects.filter(
            programme=programme, state="planned", due_on__gte=dt.date.fromisoformat(DEMO_DAY)
        ).values_list("pk", flat=True)
    )


def _all_tasks(programme: ServiceProgramme) -> set[int]:
    return set(ServiceTask.objects.filter(programme=programme).values_list("pk", flat=True))


def test_the_button_queues_a_run_and_the_task_writes_the_schedule(
    s27, client, login, django_capture_on_commit_callbacks
):
    login("huangpu.officer")
    before = _planned_future(s27)
    assert before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("outreach:service-schedule", args=[s27.pk]))
    assert response.status_code == 302
    run = ScheduleRun.objects.get(programme=s27)
    assert run.state == "done"
    assert run.percent == 100
    assert run.requested_by.username == "huangpu.officer"
    after = _planned_future(s27)
    assert after
    assert not before & after  # the planned future tasks were replaced
    assert run.result["tasks"] == len(after)
    logged = AuditEvent.objects.filter(note="排定服务任务", object_id=str(s27.pk)).latest("id")
    assert logged.actor.username == "huangpu.officer"
    page = client.get(reverse("outreach:service-detail", args=[s27.pk])).content.decode()
    assert 'data-testid="schedule-summary"' in page
    assert f"已排定 {len(after)} 项服务任务" in page
    assert 'hx-trigger="every 1s"' not in page


def test_the_task_body_runs_the_service_as_the_officer(s27, world):
    officer = world.user("huangpu.officer")
    run = services.schedule_queue(actor=officer, programme=s27)
    run_schedule.call(run.pk)
    run.refresh_from_db()
    assert run.state == "done"
    assert (
        ServiceTask.objects.filter(programme=s27, state="planned").count()
        == run.result["tasks"]
        + ServiceTask.objects.filter(
            programme=s27, state="planned", due_on__lt=dt.date.fromisoformat(DEMO_DAY)
        ).count()
    )


def test_a_second_click_while_it_runs_is_refused(s27, client, login, world):
    login("huangpu.officer")
    run = services.schedule_queue(actor=world.user("huangpu.officer"), programme=s27)
    response = client.post(reverse("outreach:service-schedule", args=[s27.pk]), follow=True)
    assert "该项目正在排定服务任务，请等待完成后再试" in response.content.decode()
    assert ScheduleRun.objects.filter(programme=s27).count() == 1
    # The page shows the run waiting, polling its progress, with the button disabled.
    page = client.get(reverse("outreach:service-detail", args=[s27.pk])).content.decode()
    assert 'data-testid="schedule-run" data-state="queued"' in page
    assert reverse("outreach:service-schedule-progress", args=[s27.pk]) in page
    assert 'data-testid="service-schedule" disabled' in page
    # While it runs the partial says the stage and the percentage.
    ScheduleRun.objects.filter(pk=run.pk).update(state="running", progress=0.2, stage="solve")
    url = reverse("outreach:service-schedule-progress", args=[s27.pk])
    part = client.get(url, headers={"HX-Request": "true"})
    assert part.status_code == 200
    text = part.content.decode()
    assert "分配负责党员、安排日期" in text
    assert "20%" in text
    assert 'data-state="running"' in text
    with pytest.raises(ValidationError, match="正在排定"):
        services.schedule_queue(actor=None, programme=s27)


def test_the_api_schedules_nothing_while_a_background_run_is_busy(s27, client, login, world):
    """The API schedules at once through the same service; while the page's run waits or
    runs it is refused in words, so two schedules never race, and no task is changed."""
    login("huangpu.officer")
    services.schedule_queue(actor=world.user("huangpu.officer"), programme=s27)
    before = _all_tasks(s27)
    response = client.post(reverse("api-service-schedule", args=[s27.pk]))
    assert response.status_code == 400
    assert "该项目正在排定服务任务" in response.content.decode()
    assert _all_tasks(s27) == before


def test_the_polling_page_reloads_once_the_run_ended(s27, client, login, world):
    login("huangpu.officer")
    run = services.schedule_queue(actor=world.user("huangpu.officer"), programme=s27)
    services.schedule_run(run_id=run.pk)
    url = reverse("outreach:service-schedule-progress", args=[s27.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    # Without htmx the endpoint shows the outcome.
    assert "已排定" in client.get(url).content.decode()
    # A new run may be queued once the last one ended.
    assert services.schedule_queue(actor=None, programme=s27).state == "queued"


def test_a_run_left_busy_by_a_dead_worker_does_not_block_for_ever(s27, settings):
    run = services.schedule_queue(actor=None, programme=s27)
    ScheduleRun.objects.filter(pk=run.pk).update(
        state="running", created_at=dt.datetime(2005, 9, 20, 6, tzinfo=dt.UTC)
    )
    again = services.schedule_queue(actor=None, programme=s27)
    run.refresh_from_db()
    assert run.state == "failed"
    assert "超时" in run.message
    assert again.state == "queued"


def test_a_fault_while_writing_leaves_the_schedule_as_it_was(s27, monkeypatch):
    """A fault after the tasks were written (here the audit) rolls all of it back: the old
    schedule stands, no task half-written, and the run says so in Chinese."""
    before = _all_tasks(s27)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    run = services.schedule_queue(actor=None, programme=s27)
    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.schedule_run(run_id=run.pk)
    monkeypatch.undo()
    run.refresh_from_db()
    assert run.state == "failed"
    assert "未写入任何任务" in run.message
    assert _all_tasks(s27) == before


def test_a_refused_schedule_writes_no_task(world, s27, client, login, monkeypatch):
    """A new programme whose owner has no member with a home on the map: the run fails with
    the reason, shown on the page, and no task exists."""
    programme = services.programme_create(
        actor=None,
        owner=s27.owner,
        name="无人可排",
        year=2005,
        card_prefix="NONE",
        commitments=[services.CommitmentSpec("visit", "上门探望", 2, 30)],
    )
    households = list(services.enrolable(None, programme).order_by("id")[:3])
    services.cards_enrol(actor=None, programme=programme, households=households)
    services.programme_activate(actor=None, programme=programme)
    monkeypatch.setattr(services, "serving_members", lambda owner, limit=None: [])
    run = services.schedule_queue(actor=None, programme=programme)
    run = services.schedule_run(run_id=run.pk)
    assert run.state == "failed"
    assert run.message == "实施单位没有登记住址坐标的党员，无法排定服务任务"
    assert not ServiceTask.objects.filter(programme=programme).exists()
    login("huangpu.officer")
    page = client.get(reverse("outreach:service-detail", args=[programme.pk])).content.decode()
    assert 'data-state="failed"' in page
    assert "实施单位没有登记住址坐标的党员" in page


def test_cards_changed_while_computing_write_nothing(s27):
    """A card withdrawn while the schedule is computed: the write finds the cards changed
    and refuses, keeping the old schedule whole."""
    before = _all_tasks(s27)
    card = s27.cards.filter(state="active").order_by("seq").last()

    def meanwhile(stage: str, fraction: float) -> None:
        if stage == "solve":
            card.state = "withdrawn"
            card.save(update_fields=["state"])

    with pytest.raises(ValidationError, match="有变动"):
        services.programme_schedule(actor=None, programme=s27, progress=meanwhile)
    assert _all_tasks(s27) == before


def test_the_progress_is_another_districts_404(s27, client, login):
    services.schedule_queue(actor=None, programme=s27)
    url = reverse("outreach:service-schedule-progress", args=[s27.pk])
    login("xuhui.officer")
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    assert client.post(reverse("outreach:service-schedule", args=[s27.pk])).status_code == 404
    login("huangpu.officer")
    assert client.get(url).status_code == 200


def test_the_command_schedules_with_a_progress_bar(s27):
    out = StringIO()
    call_command("schedule_programme", s27.pk, "--user", "huangpu.officer", stdout=out)
    run = ScheduleRun.objects.get(programme=s27)
    assert run.state == "done"
    assert "已排定" in out.getvalue()
    services.schedule_queue(actor=None, programme=s27)
    with pytest.raises(CommandError, match="正在排定"):
        call_command("schedule_programme", s27.pk, "--user", "huangpu.officer", stdout=out)
    with pytest.raises(CommandError, match="找不到"):
        call_command("schedule_programme", s27.pk, "--user", "xuhui.officer", stdout=out)


def test_a_past_year_is_refused_at_the_click(s27, client, login, settings):
    settings.JICENG_TODAY = "2006-01-05"
    login("huangpu.officer")
    response = client.post(reverse("outreach:service-schedule", args=[s27.pk]), follow=True)
    assert "该项目的年度已过，不能再排定服务任务" in response.content.decode()
    assert not ScheduleRun.objects.filter(programme=s27).exists()
