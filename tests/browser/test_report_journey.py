"""The summary report in real Chromium (issue 22 item 1; S29): the city's officer asks for the
summary of the second batch, watches the worker write it, reads it with its charts, follows a
number to exactly the rows it counts, compares it with the summary the demo build wrote, and
downloads the .docx."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_a_summary_is_written_read_traced_and_compared(page, log_in):
    log_in("city.admin")
    page.get_by_test_id("nav-more").click()
    page.get_by_test_id("nav-reports").click()
    form = page.get_by_test_id("report-form")
    form.get_by_label("活动批次").select_option(label="保持共产党员先进性教育活动（第二批）")
    page.get_by_test_id("report-generate").click()
    expect(page.get_by_test_id("report-progress-done")).to_be_visible(timeout=60_000)
    page.get_by_test_id("report-progress-done").click()

    expect(page.get_by_test_id("report-title")).to_have_text(
        "上海市第二批保持共产党员先进性教育活动综述"
    )
    sections = page.get_by_test_id("report-section")
    assert sections.count() >= 3
    expect(page.locator("[data-testid=report-chart][data-ready='1']").first).to_be_visible()
    expect(page.get_by_test_id("report-appendix")).to_be_visible()
    shoot(page, "report", full_page=True)

    # a number of the lead leads to exactly the rows it counts
    figure = page.get_by_test_id("report-lead").locator("[data-ref='members.on_roll']")
    quoted = int(figure.inner_text())
    figure.click()
    expect(page.get_by_test_id("rows-count")).to_have_attribute("data-count", str(quoted))
    expect(page.get_by_test_id("report-row-item")).to_have_count(min(quoted, 100))
    shoot(page, "report-rows")
    page.go_back()

    # an appendix figure of one district leads to that district's rows
    cell = page.get_by_test_id("appendix-figure").first
    value = int(cell.get_attribute("data-value"))
    cell.click()
    expect(page.get_by_test_id("rows-count")).to_have_attribute("data-count", str(value))
    page.go_back()

    # the .docx downloads
    with page.expect_download() as download:
        page.get_by_test_id("report-docx").click()
    assert download.value.suggested_filename.endswith(".docx")

    # compared with the summary the demo build wrote
    page.get_by_test_id("report-compare-menu").click()
    page.get_by_test_id("report-compare-link").first.click()
    rows = page.get_by_test_id("compare-row")
    expect(rows.first).to_be_visible()
    # each row's change is the newer figure less the older one
    row = page.locator("[data-testid=compare-row][data-ref='members.on_roll']")
    older, newer = (int(row.locator("td").nth(i).inner_text().replace(",", "")) for i in (1, 2))
    expected = "0" if newer == older else f"{newer - older:+,}"
    expect(row.get_by_test_id("compare-change")).to_have_text(expected)
    shoot(page, "report-compare")
