"""A pairing plan in real Chromium (issue 20, S26: the city paired about 87,000 needy people with
its branches). The street officer of a 黄浦 street asks for a plan pairing the street's still
unpaired needy people (about one in ten in the demo) with its branches, watches it compute,
reads the summary, the map and the tables, and confirms it: the pairs become pairings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser

OFFICER = "street.officer"
READY_TIMEOUT = 60_000


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text) or 0)


def test_street_officer_pairs_the_unpaired_and_confirms(page, log_in):
    log_in(OFFICER)
    page.goto("/planning/new/?kind=pair")
    expect(page.get_by_test_id("plan-form")).to_be_visible()
    # The officer's own street is filled in; categories are offered (outreach rights).
    expect(page.locator("#id_root_code")).not_to_have_value("")
    expect(page.locator('input[name="categories"]').first).to_be_attached()
    page.select_option("#id_kind", "pair")
    page.fill("#id_name", "街道结对帮扶方案（浏览器）")
    # The street's branches already pair six people each in the demo, and S27's programme
    # registered thirty more households here: the officer raises the seats per branch.
    page.fill("#id_per_branch", "15")
    page.get_by_test_id("plan-submit").click()
    page.wait_for_url(re.compile(r"/planning/\d+/$"))

    state = page.get_by_test_id("plan-state")
    expect(state).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    expect(page.get_by_test_id("plan-progress")).to_have_count(0)

    people = number(page.get_by_test_id("sum-people").inner_text())
    paired = number(page.get_by_test_id("sum-paired").inner_text())
    unpaired = number(page.get_by_test_id("sum-unpaired").inner_text())
    assert people >= 1, people
    assert paired + unpaired == people
    assert paired >= 1, (paired, unpaired)

    # The tables: branches holding someone, and every person with a branch or a reason.
    expect(page.get_by_test_id("pair-branch-table")).to_be_visible()
    expect(page.locator('[data-testid^="pair-row-"]')).to_have_count(min(people, 100))
    expect(page.get_by_test_id("pair-table")).to_contain_text("困难类别")

    # The map drew the people and the branches.
    plan_map = page.get_by_test_id("plan-map")
    expect(plan_map).to_have_attribute("data-ready", "1", timeout=15_000)
    expect(plan_map).to_have_attribute("data-homes", str(people))
    expect(plan_map.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(500)
    shoot(page, "pairing-plan")

    # Confirm: the dialog is answered yes; the pairs become pairings.
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("plan-confirm-pairing").click()
    expect(state).to_have_attribute("data-state", "applied")
    expect(page.get_by_role("alert").first).to_contain_text(f"已结对 {paired} 名帮扶对象")
    expect(page.get_by_test_id("plan-applied")).to_contain_text(f"{paired} 名帮扶对象与支部结对")
    expect(page.get_by_test_id("plan-pairings-made")).to_have_text(str(paired))
    expect(page.get_by_test_id("plan-confirm-pairing")).to_have_count(0)
