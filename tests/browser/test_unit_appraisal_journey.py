"""Unit appraisal in real Chromium (issue 21 item 4; S20–S23, S1): the city's officer starts a
run from the ranking page and watches it finish, opens a unit's score, sees each indicator's
figure and weight (the indicators without data left out and said so), and follows a figure to
the rows behind it, whose count is the figure's denominator."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_a_unit_score_is_explained_down_to_its_rows(page, log_in):
    log_in("city.admin")
    page.get_by_test_id("nav-voice").click()
    page.get_by_test_id("nav-appraisal").click()
    page.get_by_test_id("appraisal-run-start").click()
    # the run (the worker's task) finishes and the ranking fills
    expect(page.get_by_test_id("appraisal-progress-done")).to_be_visible(timeout=30_000)
    page.goto(page.url.split("?")[0])
    rows = page.get_by_test_id("appraisal-row")
    expect(rows.first).to_be_visible()
    assert rows.count() > 1
    shoot(page, "appraisal-ranking")

    rows.first.get_by_role("link").first.click()
    total = page.get_by_test_id("appraisal-total")
    expect(total).to_have_text(re.compile(r"\d+\.\d\d"))
    # the tiny world has no petitions and no surveys: left out of the score, not zeroed
    expect(page.get_by_test_id("appraisal-renormalised")).to_be_visible()
    shoot(page, "appraisal-score")

    part = page.get_by_test_id("appraisal-part").first
    fraction = part.get_by_test_id("appraisal-fraction").inner_text()
    match = re.search(r"([\d,]+)\s*/\s*([\d,]+)", fraction)
    assert match, fraction
    denominator = int(match.group(2).replace(",", ""))
    part.get_by_test_id("appraisal-rows-link").click()
    expect(page.get_by_test_id("appraisal-rows")).to_be_visible()
    expect(page.get_by_test_id("appraisal-rows-count")).to_contain_text(str(denominator))
    expect(page.get_by_test_id("appraisal-row-item")).to_have_count(denominator)
