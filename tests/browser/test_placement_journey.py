"""Placement in real Chromium (issue 4, item 3; S10, S16): a district officer opens the
unplaced-members worklist from the navigation, places one member at the suggested branch with
one click (htmx), accepts the rest, and sees the count reach zero."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def total(page) -> int:
    text = page.get_by_test_id("unplaced-total").inner_text()
    return int(re.sub(r"\D", "", text))


def test_officer_drives_the_unplaced_worklist_to_zero(page, log_in):
    log_in("huangpu.officer")
    page.get_by_test_id("nav-unplaced").click()
    expect(page.get_by_test_id("unplaced-table")).to_be_visible()
    before = total(page)
    assert before > 1, "the demo district starts with unplaced members"
    expect(page.get_by_test_id("unplaced-by-child")).to_be_visible()

    # One click on the first suggestion: the row turns into "placed at …" in place.
    first = page.locator('[data-testid^="place-"]').first
    pk = first.get_attribute("data-testid").rsplit("-", 1)[1]
    suggested = page.get_by_test_id(f"suggested-{pk}").inner_text()
    shoot(page, "placement-worklist")
    first.click()
    expect(page.get_by_test_id(f"placed-{pk}")).to_contain_text(f"已落实到 {suggested}")
    page.reload()
    assert total(page) == before - 1

    # Accept everything else in the district; the confirm dialog is answered yes.
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("accept-subtree").click()
    expect(page.get_by_role("alert").first).to_contain_text("落实参加活动单位")
    expect(page.get_by_test_id("unplaced-total")).to_contain_text("共 0 人")
    expect(page.get_by_test_id("unplaced-empty")).to_be_visible()
    shoot(page, "placement-done")

    # The member's page shows where they now take part.
    page.goto(f"/members/{pk}/")
    expect(page.get_by_test_id("placement-history")).to_contain_text(suggested)
