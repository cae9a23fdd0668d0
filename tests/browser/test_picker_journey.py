"""The organisation picker in real Chromium (issue 17 item 2): a branch secretary sends a
member to a branch of another district, found by typing, without knowing its code (S10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_a_secretary_finds_the_receiving_branch_of_another_district_by_typing(page, log_in):
    log_in("branch.secretary")
    page.goto("/members/")
    links = page.locator("#member-table a[href^='/members/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(min(links.count(), 10))]
    for href in hrefs:  # the first member with no transfer under way
        page.goto(href)
        if page.get_by_test_id("request-transfer").count():
            break
    page.get_by_test_id("request-transfer").click()
    search = page.get_by_test_id("org-picker-search-to_org")
    search.fill("310104")  # 徐汇's units begin with its code; names work the same way
    first = page.locator("[data-pick-code^='310104']").first
    expect(first).to_be_visible()
    code = first.get_attribute("data-pick-code")
    shoot(page, "org-picker")
    first.click()
    expect(page.locator("#id_to_org")).to_have_value(code)
    expect(page.get_by_test_id("pick-chosen")).to_contain_text(code)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_test_id("transfer-state")).to_have_text("已申请")
    # the receiver is outside the secretary's subtree: named on the transfer, not opened
    expect(page.get_by_test_id("transfer-destination")).to_contain_text(code)
