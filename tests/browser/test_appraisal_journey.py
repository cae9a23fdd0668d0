"""The review phase's democratic appraisal in real Chromium (S1): the street committee opens a
branch's appraisal sheet, ends the peer round, tries to grade everyone "excellent" — refused
as a whole, since at most a third of the branch may be excellent — then saves a legal set of
grades, and the counter shows them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_one_third_rule_refuses_a_batch_and_accepts_a_legal_one(page, log_in):
    log_in("street.officer")
    page.get_by_test_id("nav-campaigns").click()
    page.get_by_role("link", name=re.compile("第二批")).first.click()
    row = page.get_by_test_id("progress-row").filter(has_text="南京东路第2居民区党支部")
    row.get_by_role("link", name="环节").click()
    page.get_by_test_id("appraisal-link").click()
    expect(page.get_by_test_id("sheet-title")).to_contain_text("民主评议")
    if page.get_by_test_id("open-appraisal").count():
        page.get_by_test_id("open-appraisal").click()
    if page.get_by_test_id("close-peers").count():
        page.once("dialog", lambda d: d.accept())
        page.get_by_test_id("close-peers").click()
        expect(page.get_by_test_id("close-peers")).to_have_count(0)

    counter = page.get_by_test_id("excellent-counter")
    cap = int(counter.get_attribute("data-cap"))
    selects = page.get_by_test_id("appraisal-sheet").locator("select[name^=grade-]")
    k = selects.count()
    assert k > cap, (k, cap)  # enough members to break the rule
    for i in range(k):
        selects.nth(i).select_option("excellent")
    page.get_by_test_id("save-grades").click()
    expect(page.get_by_role("alert")).to_contain_text("优秀")
    before = int(page.get_by_test_id("excellent-counter").get_attribute("data-excellent"))
    assert before <= cap

    selects = page.get_by_test_id("appraisal-sheet").locator("select[name^=grade-]")
    for i in range(k):
        selects.nth(i).select_option("excellent" if i < cap else "qualified")
    page.get_by_test_id("save-grades").click()
    counter = page.get_by_test_id("excellent-counter")
    expect(counter).to_have_attribute("data-excellent", str(cap))
    decided = page.get_by_test_id("sheet-row").and_(page.locator('[data-state="decided"]'))
    expect(decided).to_have_count(k)
