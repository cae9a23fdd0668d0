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


def test_officer_sees_the_sheets_the_unused_columns_and_confirms_a_rename(page, log_in, tmp_path):
    """Issue 15: the check says which sheets it read (never the hidden one) and which columns
    it did not use; an ID registered under another name is renamed only once confirmed."""
    header = ["姓名", "身份证号（18位）", "入党时间（年月日）", "转正日期", "联系电话", "所在支部"]
    ids = [make_id_number("310101", dt.date(1950 + i, 3, 9), 11, "M") for i in range(4)]

    def workbook(name: str, first: str) -> str:
        wb = openpyxl.Workbook()
        old = wb.active
        old.title = "旧名册"
        old.append(header)
        old.append(["过期记录", ids[3], "1980-07-01", "1981-07-01", "", "310101002R001"])
        old.sheet_state = "hidden"
        current = wb.create_sheet("在职党员")
        current.append([*header, "籍贯", "备注"])
        current.append([first, ids[0], "1990-07-01", "1991-07-01", "", "310101002R001", "上海", ""])
        current.append(["钱乾", ids[1], "1990-07-01", "1991-07-01", "", "310101002R001", "", ""])
        retired = wb.create_sheet("退休党员")
        retired.append(header)
        retired.append(["周髮", ids[2], "1975年7月1日", "1976-07-01", "", "310101002R001"])
        retired.append(["合计", "3人", None, None, None, None])
        path = tmp_path / name
        wb.save(path)
        return str(path)

    def upload(path: str) -> None:
        page.goto("/imports/")
        page.select_option("select[name=kind]", "member")
        page.fill("input[name=organization]", "310101")
        page.set_input_files("input[name=file]", path)
        page.get_by_role("button", name="上传并检查").click()
        expect(page.get_by_test_id("job-status")).to_have_attribute(
            "data-status", "validated", timeout=30000
        )

    log_in("huangpu.officer")
    upload(workbook("名册-第一次.xlsx", "王建国"))
    sheets = page.get_by_test_id("sheets")
    expect(sheets).to_contain_text("在职党员")
    expect(sheets).to_contain_text("退休党员")
    expect(sheets.locator("tr", has_text="旧名册")).to_contain_text("隐藏的工作表，未读取")
    expect(page.get_by_test_id("unused-columns")).to_contain_text("籍贯")
    expect(page.get_by_test_id("unused-columns")).to_contain_text("备注")
    expect(page.get_by_test_id("set-aside")).to_contain_text("合计行 1")
    expect(page.get_by_test_id("rows-valid")).to_have_text("3")
    shoot(page, "import-sheets")
    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_test_id("job-status")).to_have_attribute(
        "data-status", "done", timeout=30000
    )

    # the same roll again, the first member's name changed: a conflict to confirm
    upload(workbook("名册-第二次.xlsx", "王建华"))
    renames = page.get_by_test_id("rename-table")
    expect(renames).to_contain_text("已登记姓名“王建国”，文件中为“王建华”")
    shoot(page, "import-rename")
    page.check("#accept_renames")
    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_test_id("job-status")).to_have_attribute(
        "data-status", "done", timeout=30000
    )
    expect(page.get_by_test_id("outcome")).to_contain_text("0 / 1 / 2")

    page.goto("/members/?q=王建华")
    expect(page.get_by_test_id("member-count")).to_contain_text("1")
    page.goto("/members/?q=钱干")  # found by the Simplified key, shown as written
    expect(page.locator("main")).to_contain_text("钱乾")
