"""A campaign step in real Chromium (S1, S4): the second batch, launched on 2005-06-30, is
read as of 2005-09-20. A branch secretary opens the campaign, finds their branch's current
step and submits its evidence; the street committee officer sees it waiting, signs it off, and
the branch moves to its next step; the city's dashboard draws progress by district and phase.
An officer of another district gets a 404 for the unit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser


def open_campaign(page) -> None:
    page.get_by_test_id("nav-campaigns").click()
    expect(page.get_by_test_id("campaign-table")).to_be_visible()
    page.get_by_role("link", name=re.compile("第二批")).first.click()
    expect(page.get_by_test_id("campaign-name")).to_contain_text("第二批")


def test_secretary_submits_a_step_and_the_street_signs_it_off(page, log_in):
    log_in("branch.secretary")
    open_campaign(page)
    page.get_by_test_id("progress-table").get_by_role("link", name="环节").first.click()
    expect(page.get_by_test_id("unit-state")).to_have_attribute("data-state", "in_progress")
    current = page.locator('[data-testid="unit-steps"] [data-status="current"]')
    step_name = current.locator(".fw-semibold").inner_text()
    unit_url = page.url

    # Submitting without evidence is refused with a message; nothing changes.
    page.get_by_test_id("act-submit").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写报送材料")
    expect(page.get_by_test_id("step-state")).to_have_attribute("data-state", "pending")
    page.get_by_test_id("step-text").fill("学习记录 12 次、心得体会 28 篇（浏览器）")
    page.get_by_test_id("act-submit").click()
    expect(page.get_by_test_id("step-state")).to_have_attribute("data-state", "submitted")
    expect(page.get_by_test_id("awaiting-parent")).to_be_visible()
    expect(page.get_by_test_id("act-sign_off")).to_have_count(0)
    expect(page.get_by_test_id("unit-records")).to_contain_text("心得体会 28 篇（浏览器）")

    # The street committee signs it off; the branch is on its next step.
    log_out(page)
    log_in("street.officer")
    page.goto(unit_url)
    page.get_by_test_id("step-text").fill("材料齐全，同意")
    page.get_by_test_id("act-sign_off").click()
    expect(page.get_by_test_id("step-state")).to_have_attribute("data-state", "pending")
    now = page.locator('[data-testid="unit-steps"] [data-status="current"] .fw-semibold')
    expect(now).not_to_have_text(step_name)
    expect(page.get_by_test_id("unit-records")).to_contain_text("审核通过")

    # Another district's officer cannot open the unit.
    log_out(page)
    log_in("xuhui.officer")
    response = page.goto(unit_url)
    assert response is not None
    assert response.status == 404


def test_city_dashboard_draws_progress_by_district_and_lists_lagging_units(page, log_in):
    log_in("city.admin")
    open_campaign(page)
    expect(page.get_by_test_id("progress-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("phase-chart").locator("canvas")).to_have_count(1)
    rows = page.get_by_test_id("progress-row")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3  # 黄浦, 徐汇, 崇明 and the sector committees
    total = int(re.sub(r"\D", "", page.get_by_test_id("sum-total").inner_text()))
    assert total > 0
    shoot(page, "campaign-dashboard")
    page.get_by_test_id("lagging-link").click()
    expect(page.get_by_test_id("lagging-table")).to_be_visible()
    first = page.get_by_test_id("lagging-row").first
    expect(first.get_by_test_id("days-late")).to_have_text(re.compile(r"^\d+$"))
