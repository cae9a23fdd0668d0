"""Likely duplicates in real Chromium (issue 4, item 5): a district officer finds a member
registered twice, compares the two records, merges them (the roll drops by one), and undoes
the merge from its record (the roll is whole again)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def roll_total(page) -> int:
    page.goto("/members/")
    text = page.get_by_text(re.compile(r"共\s*[\d,]+\s*人")).first.inner_text()
    return int(re.sub(r"\D", "", text))


def test_officer_merges_a_duplicate_and_undoes_it(page, log_in):
    log_in("huangpu.officer")
    before = roll_total(page)

    page.get_by_test_id("duplicates-link").click()
    group = page.get_by_test_id("duplicate-group").first
    expect(group).to_be_visible()
    expect(group.locator("td.table-warning").first).to_be_visible()  # differences highlighted
    shoot(page, "duplicates-worklist")
    group.locator('[data-testid^="compare-"]').click()

    expect(page.get_by_test_id("merge-fields")).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("do-merge").click()
    expect(page.get_by_test_id("merge-state")).to_have_text("已合并")
    shoot(page, "duplicates-merged")
    merge_url = page.url
    assert roll_total(page) == before - 1

    page.goto(merge_url)
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("undo-merge").click()
    expect(page.get_by_role("alert").first).to_contain_text("已撤销合并")
    assert roll_total(page) == before
