"""Visits in real Chromium (issue 20, S19): a member at 390 px records a visit with a need on
the phone page (buttons at least 44 px, nothing wider than the screen); it is confirmed on a
phone (by the city's officer: an earlier journey may have transferred the member to another
district) and the visit figures draw their
chart; with the outreach entry the officer's menu bar still fits one line at 1,280 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser


def test_a_member_records_a_visit_on_a_phone_and_the_branch_confirms(page, log_in):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("member.self")
    page.goto("/")
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("nav-my-visits").click()
    expect(page.get_by_test_id("my-visit-form")).to_be_visible()
    page.select_option("#id_target_kind", "worker")
    page.fill("#id_target_name", "困难职工王师傅（手机）")
    page.fill("#id_visited_on", "2005-09-18")
    page.select_option("#id_kind", "talk")
    page.fill("#id_findings", "家中老人住院")
    page.fill("#id_need1_text", "希望帮助联系医院")
    save = page.get_by_test_id("my-visit-save")
    assert save.bounding_box()["height"] >= 44
    assert save.bounding_box()["x"] + save.bounding_box()["width"] <= 390
    save.click()
    row = page.get_by_test_id("my-visit").filter(has_text="困难职工王师傅（手机）")
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box["width"] <= 390
    for button in page.locator("main .btn:visible").all()[:10]:
        assert button.bounding_box()["height"] >= 44, button.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.set_viewport_size({"width": 1280, "height": 800})
    log_out(page)

    # Confirmed from above on a phone: an earlier journey may have moved the member's unit
    # (placement) or the member (the transfer journey approves the first pending transfer,
    # which can be this member's, to 徐汇); the city's officer confirms for any unit.
    log_in("city.admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/outreach/visits/?state=recorded")
    row = page.get_by_test_id("visit-row").filter(has_text="困难职工王师傅（手机）")
    confirm = row.get_by_test_id("visit-confirm")
    assert confirm.bounding_box()["height"] >= 44
    confirm.click()
    expect(
        page.get_by_test_id("visit-row").filter(has_text="困难职工王师傅（手机）")
    ).to_have_count(0)
    page.goto("/outreach/visits/?state=confirmed")
    row = page.get_by_test_id("visit-row").filter(has_text="困难职工王师傅（手机）")
    expect(row.locator('[data-state="confirmed"]')).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.goto("/outreach/visits/counts/")
    expect(page.get_by_test_id("visit-chart").locator("canvas")).to_have_count(1)
    shoot(page, "visit-counts")


def test_the_officers_menu_bar_stays_one_line(page, log_in):
    log_in("city.admin")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    bar = page.locator("nav.navbar").bounding_box()
    assert bar["height"] <= 64, bar
