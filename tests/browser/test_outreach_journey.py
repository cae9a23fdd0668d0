"""Outreach in real Chromium (issue 20, S26): a street officer registers a needy household,
with its categories and health, which the list shows masked and the person's page shows only
after an audited reveal; an officer of the same district without outreach rights sees the
person but never the categories."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser


def test_a_street_officer_registers_a_needy_household(page, log_in):
    log_in("street.officer")
    page.goto("/")
    page.get_by_test_id("nav-outreach").click()
    page.get_by_test_id("needy-create").click()
    page.fill("#id_name", "单阿婆")
    page.fill("#id_id_number", "310101193804020022")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_address", "黄浦区福佑路88弄5号")
    # the officer's own street is filled in (the only one they may register in)
    expect(page.locator("#id_street_org")).not_to_have_value("")
    page.fill("#id_household_size", "2")
    page.get_by_label("独居老人").check()
    page.get_by_label("重病患者").check()
    page.fill("#id_health", "糖尿病，需定期送药")
    page.fill("#id_needs", "希望有人定期上门看望")
    shoot(page, "needy-register")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_test_id("needy-name")).to_have_text("单阿婆")
    expect(page.get_by_test_id("needy-id")).not_to_contain_text("310101193804020022")
    expect(page.get_by_test_id("needy-sensitive")).to_have_text("＊＊＊")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("needy-reveal-sensitive").click()
    revealed = page.get_by_test_id("revealed-sensitive")
    expect(revealed).to_contain_text("独居老人")
    expect(revealed).to_contain_text("糖尿病")
    shoot(page, "needy-detail")
    url = page.url

    # On the list the categories stay masked.
    page.get_by_test_id("nav-outreach").click()
    row = page.get_by_test_id("needy-table").locator("tr", has_text="单阿婆")
    expect(row).to_contain_text("＊＊＊")
    expect(row).not_to_contain_text("独居老人")

    # 徐汇's officer cannot open it at all; an auditor of 黄浦 sees no categories.
    log_out(page)
    log_in("auditor")
    page.goto(url)
    expect(page.get_by_test_id("needy-name")).to_have_text("单阿婆")
    expect(page.get_by_test_id("needy-sensitive-refusal")).to_be_visible()
    expect(page.get_by_test_id("needy-reveal-sensitive")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("糖尿病")
