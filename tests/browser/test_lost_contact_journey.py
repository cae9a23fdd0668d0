"""Lost-contact search in real Chromium (issue 4, item 2; S13): a district officer opens a case
from the candidates worklist, records a search attempt, marks the member found and re-linked,
and sees the count of members found go up in the report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def found_total(page) -> int:
    page.goto("/members/lost/report/")
    return int(re.sub(r"\D", "", page.get_by_test_id("found-total").inner_text()))


def test_officer_opens_searches_and_finds_a_lost_member(page, log_in):
    log_in("huangpu.officer")
    before = found_total(page)
    expect(page.get_by_test_id("found-chart")).to_be_visible()

    page.get_by_test_id("nav-lost").click()
    expect(page.get_by_test_id("lost-candidates")).to_be_visible()
    candidates = int(page.get_by_test_id("count-candidates").inner_text().replace(",", ""))
    assert candidates > 0, "the demo district has members out of contact for six months"
    shoot(page, "lost-candidates")

    # Open a case for the first candidate; the case page opens.
    first = page.locator('[data-testid^="open-"]').first
    first.click()
    expect(page.get_by_test_id("case-state")).to_have_text("查找中")

    # Record a search attempt with a lead.
    form = page.get_by_test_id("attempt-form")
    form.get_by_label("查找方式").select_option("visit")
    form.get_by_label("结果").select_option("lead")
    form.get_by_label("线索").fill("居委会提供了其女儿的联系电话")
    page.get_by_test_id("add-attempt").click()
    expect(page.get_by_test_id("attempts")).to_contain_text("居委会提供了其女儿的联系电话")

    # Found: re-linked with the branch.
    page.get_by_test_id("act-relink").get_by_label("说明").fill("已电话联系，恢复参加组织生活")
    page.get_by_test_id("do-relink").click()
    expect(page.get_by_test_id("case-state")).to_have_text("已找到，恢复联系")
    shoot(page, "lost-case-found")

    # The report counts one more member found.
    assert found_total(page) == before + 1
    page.wait_for_timeout(1500)  # let the chart's bars finish growing for the screenshot
    shoot(page, "lost-report")
