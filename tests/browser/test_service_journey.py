"""Service programmes in real Chromium (S27: 589 households got numbered special-service
cards, 3 home safety checks and 1 free cleaning a year): a member at 390 px marks a service
task done with a note on 我的服务任务 (buttons at least 44 px, nothing wider than the screen);
an officer opens a household's service card and prints it (the card shows, the navigation
does not); a street officer sets up next year's programme, gives two households cards and
schedules the year in the background, watching its progress until the result shows. An
earlier journey may have transferred member.self to 徐汇: the tasks stay theirs, so nothing
here depends on their unit."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser


def test_a_member_marks_a_service_task_done_on_a_phone(page, log_in):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("member.self")
    page.goto("/")
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("nav-my-service-tasks").click()
    task = page.get_by_test_id("my-task").first
    expect(task).to_be_visible()
    task_id = task.get_attribute("data-task")
    for button in page.locator("main .btn:visible").all()[:10]:
        box = button.bounding_box()
        assert box["height"] >= 44, button.inner_text()
        assert box["x"] + box["width"] <= 390, button.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    task.get_by_test_id("my-task-note").fill("检查燃气、电线，更换插座一个")
    task.get_by_test_id("my-task-done").click()
    done = page.get_by_test_id("my-done-task").filter(has_text="检查燃气、电线，更换插座一个")
    expect(done).to_be_visible()
    assert done.first.get_attribute("data-task") == task_id
    expect(page.locator(f'[data-testid="my-task"][data-task="{task_id}"]')).to_have_count(0)
    shoot(page, "phone-service-tasks")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_out(page)


def test_an_officer_prints_a_service_card(page, log_in):
    log_in("huangpu.officer")
    page.goto("/outreach/services/")
    page.get_by_test_id("service-row").filter(has_text="特殊群体").get_by_role("link").click()
    expect(page.get_by_test_id("commitments")).to_contain_text("安全检查")
    expect(page.get_by_test_id("service-chart")).to_have_attribute("data-ready", "1")
    page.get_by_test_id("service-card-row").first.get_by_role("link").click()
    card = page.get_by_test_id("service-card")
    expect(card).to_be_visible()
    expect(page.get_by_test_id("card-number")).to_contain_text("TS2005-0001")
    expect(page.get_by_test_id("card-services")).to_contain_text("每年 3 次")
    expect(page.get_by_test_id("print-card")).to_be_visible()
    page.emulate_media(media="print")
    expect(card).to_be_visible()
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("print-card")).to_be_hidden()
    box = card.bounding_box()
    assert box["width"] <= 600, box  # card-sized, not a page of tables
    shoot(page, "service-card")
    page.emulate_media(media="screen")
    log_out(page)


def test_a_street_officer_schedules_a_programme_in_the_background(page, log_in):
    # A whole year ahead, so the schedule fits whatever day the tests run on.
    year = dt.datetime.now(tz=dt.UTC).year + 1
    log_in("street.officer")
    page.goto("/outreach/services/new/")
    page.get_by_test_id("org-picker-search-owner").fill("310101")
    first = page.locator("[data-pick-code^='310101']").first
    expect(first).to_be_visible()
    first.click()
    page.fill("#id_name", "楼组上门探望")
    page.fill("#id_year", str(year))
    page.fill("#id_card_prefix", f"LZ{year}")
    # the form offers S27's commitments: 3 safety checks ≥ 90 days apart, 1 cleaning
    page.get_by_test_id("service-save").click()
    expect(page.get_by_test_id("programme-name")).to_have_text("楼组上门探望")
    page.get_by_test_id("service-enrol").click()
    people = page.get_by_test_id("enrol-person")
    people.nth(0).check()
    people.nth(1).check()
    page.get_by_test_id("enrol-save").click()
    page.get_by_test_id("service-activate").click()
    page.get_by_test_id("service-schedule").click()
    # Queued or already running: the page polls its progress, then reloads with the result.
    run = page.get_by_test_id("schedule-run")
    expect(run).to_be_visible()
    expect(run).to_have_attribute("data-state", "done", timeout=30_000)
    expect(page.get_by_test_id("schedule-summary")).to_contain_text("已排定 8 项服务任务")
    expect(page.get_by_test_id("service-schedule")).to_be_enabled()
    log_out(page)
