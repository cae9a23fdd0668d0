"""An officer exports the district's roll in real Chromium: above the threshold the export
runs in the worker, the page shows the progress, then the download link (issue 17 item 8)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_officer_exports_a_large_roll_through_the_worker(page, log_in):
    log_in("huangpu.officer")
    page.goto("/members/")
    total = int("".join(c for c in page.get_by_test_id("member-count").inner_text() if c.isdigit()))
    assert total >= 20, "the threshold of the browser server is 20 rows"
    page.get_by_role("link", name="导出 CSV").click()

    status = page.get_by_test_id("export-status")
    expect(status).to_have_attribute("data-status", "done", timeout=60000)
    expect(page.get_by_test_id("export-percent")).to_have_text("100%")
    expect(page.get_by_test_id("export-rows-done")).to_have_text(f"{total:,}")
    shoot(page, "export-done")

    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    download = info.value
    assert download.suggested_filename == "党员名册.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "姓名"
    assert len(rows) - 1 == total

    page.goto("/imports/export/jobs/")
    expect(page.get_by_test_id("export-jobs")).to_contain_text("党员名册")
