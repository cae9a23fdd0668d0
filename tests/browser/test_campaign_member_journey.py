"""Members taking part, seen from the district, in real Chromium (S9, S18): a branch
secretary records a study session with its attendance (the class-hour system, S9); a member
records one of their "four ones" on 我的活动 (S18) and the branch confirms it; the district's
campaign dashboard then shows both — one more confirmed item and the session's hours."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser


def district_figures(page, log_in) -> tuple[int, Decimal]:
    log_in("huangpu.officer")
    page.get_by_test_id("nav-campaigns").click()
    page.get_by_role("link", name=re.compile("第二批")).first.click()
    summary = page.get_by_test_id("member-summary")  # loaded by htmx after the page
    expect(summary).to_be_visible()
    welfare = int(page.get_by_test_id("fourones-welfare").inner_text())
    done = page.get_by_test_id("study-done").inner_text()
    hours = Decimal(re.search(r"[\d.]+", done.replace(",", "")).group(0))
    return welfare, hours


def test_study_session_and_four_ones_reach_the_district_dashboard(page, log_in):
    welfare_before, hours_before = district_figures(page, log_in)
    log_out(page)

    # The secretary records a study session; one member is left unticked.
    log_in("branch.secretary")
    page.get_by_test_id("nav-study").click()
    page.get_by_role("link", name="学习台账").first.click()
    page.get_by_test_id("new-session").click()
    expect(page.get_by_test_id("session-form")).to_be_visible()
    page.fill("#id_held_on", "2005-09-05")  # within the study phase (to 8 September)
    page.fill("#id_topic", "学习《党章》第二章（浏览器）")
    page.fill("#id_amount", "2")
    boxes = page.get_by_test_id("checklist").locator("input[type=checkbox]")
    n = boxes.count()
    assert n >= 2
    for i in range(n - 1):
        boxes.nth(i).check()
    boxes.nth(n - 1).uncheck()  # one member absent
    page.get_by_test_id("session-submit").click()
    expect(page.get_by_test_id("session-topic")).to_contain_text("第二章（浏览器）")
    expect(page.get_by_test_id("attendance-count")).to_contain_text(str(n - 1))
    log_out(page)

    # The member records a public-welfare activity; it waits for the branch.
    log_in("member.self")
    page.get_by_test_id("nav-campaigns").click()
    expect(page.get_by_test_id("my-step")).to_be_visible()
    page.select_option("#id_kind", "welfare")
    page.fill("#id_description", "参加社区义务献血（浏览器）")
    page.fill("#id_evidence", "献血证")
    page.fill("#id_done_on", "2005-09-10")
    page.get_by_test_id("fourones-save").click()
    state = page.get_by_test_id("my-fourones-welfare").get_by_test_id("my-fourones-state")
    expect(state).to_have_attribute("data-state", "recorded")
    shoot(page, "campaign-member-self-service")
    log_out(page)

    # The branch confirms it on its "four ones" sheet.
    log_in("branch.secretary")
    page.get_by_test_id("nav-campaigns").click()
    page.get_by_role("link", name=re.compile("第二批")).first.click()
    page.get_by_test_id("progress-table").get_by_role("link", name="环节").first.click()
    page.get_by_test_id("tab-fourones").click()
    row = page.get_by_test_id("fourones-row").filter(has_text="参加社区义务献血（浏览器）")
    row.get_by_test_id("fourones-confirm").click()
    row = page.get_by_test_id("fourones-row").filter(has_text="参加社区义务献血（浏览器）")
    expect(row.locator('[data-state="confirmed"]')).to_have_count(1)
    log_out(page)

    welfare_after, hours_after = district_figures(page, log_in)
    assert welfare_after == welfare_before + 1
    assert hours_after == hours_before + 2 * (n - 1)
