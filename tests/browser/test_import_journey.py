"""An officer imports a roll from Excel in real Chromium: upload, the worker checks every row,
the problem list appears, the officer starts the import, the progress reaches done (issue 3)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from playwright.sync_api import expect

from jiceng.core.idnumber import make_id_number

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_officer_imports_members_from_excel_through_the_worker(page, log_in, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["黄浦区党员名册（2005年7月）"])
    ws.append(["姓名", "身份证号", "入党日期", "转正日期", "联系电话", "所在支部"])
    for i in range(30):
        idn = make_id_number("310101", dt.date(1940 + i, 5, 4), 7, "F")
        ws.append(
            [f"浏览器导入{i}", idn, "1990年7月1日", "1991.7.1", "13812345678", "310101002R001"]
        )
    ws.append(["坏行", "3101011960", "1990-07-01", "", "", "310101002R001"])
    path = tmp_path / "黄浦名册.xlsx"
    wb.save(path)

    log_in("huangpu.officer")
    page.goto("/imports/")
    page.select_option("select[name=kind]", "member")
    page.fill("input[name=organization]", "310101")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="上传并检查").click()

    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", "validated", timeout=30000)
    expect(page.get_by_test_id("rows-valid")).to_have_text("30")
    expect(page.get_by_test_id("rows-invalid")).to_have_text("1")
    expect(page.get_by_test_id("error-table")).to_contain_text("身份证号码长度")
    shoot(page, "import-checked")

    page.check("#skip_invalid")
    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_test_id("job-status")).to_have_attribute(
        "data-status", "done", timeout=30000
    )
    expect(page.get_by_test_id("outcome")).to_contain_text("30 / 0 / 0")
    shoot(page, "import-done")

    page.goto("/members/?q=浏览器导入")
    expect(page.get_by_test_id("member-count")).to_contain_text("30")
