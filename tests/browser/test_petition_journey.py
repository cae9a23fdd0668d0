"""A petition from intake to closure in real Chromium (issue 21, S21): 黄浦's officer registers
a letter with the petitioner's ID number (masked once saved), routes it to the unit the system
suggests, accepts it, replies and closes it with the petitioner's satisfaction; every step is in
the case's history, and the deadlines of the 2005 regulations are on its page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def _step(page, action: str, **fields: str) -> None:
    form = page.get_by_test_id(f"petition-act-{action}")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_test_id(f"petition-do-{action}").click()


def test_a_petition_from_intake_to_closure_with_satisfaction(page, log_in):
    log_in("huangpu.officer")
    page.goto("/")
    page.get_by_test_id("nav-voice").click()
    page.get_by_test_id("nav-petitions").click()
    page.get_by_test_id("petition-create").click()
    form = page.get_by_test_id("petition-form")
    form.locator("#id_intake_org").fill("310101")
    form.locator("#id_channel").select_option("letter")
    form.locator("#id_received_on").fill("2005-09-12")
    form.locator("#id_petitioner_name").fill("欧阳秀英")
    form.locator("#id_id_number").fill("310101195003070029")
    form.locator("#id_phone").fill("13812345678")
    form.locator("#id_subject").fill("楼道违章搭建影响通行")
    form.locator("#id_street").select_option(label="南京东路街道")
    shoot(page, "petition-intake")
    page.get_by_test_id("petition-save").click()

    expect(page.get_by_test_id("petition-state")).to_be_visible()
    expect(page.get_by_test_id("petition-id-masked")).not_to_contain_text("310101195003070029")
    expect(page.get_by_test_id("petition-deadlines")).to_contain_text("第二十一条")

    # The suggested unit is filled in; the officer confirms it.
    expect(page.get_by_test_id("petition-suggestion")).to_be_visible()
    page.get_by_test_id("petition-route-form").locator("[name=on]").fill("2005-09-13")
    page.get_by_test_id("petition-route").click()
    expect(page.get_by_test_id("petition-org")).not_to_be_empty()

    # A step dated before the one before it is refused, in words.
    _step(page, "accept", on="2005-09-12")
    expect(page.locator("body")).to_contain_text("日期不能早于上一环节的日期")
    _step(page, "accept", on="2005-09-14")
    _step(page, "reply", on="2005-10-20", reply="已协调拆除违章搭建，楼道恢复通行")
    expect(page.get_by_test_id("petition-reply")).to_contain_text("已协调拆除")
    close = page.get_by_test_id("petition-act-close")
    close.locator("[name=on]").fill("2005-10-25")
    close.locator("[name=satisfaction]").select_option("satisfied")
    page.get_by_test_id("petition-do-close").click()

    expect(page.get_by_test_id("petition-satisfaction")).to_contain_text("满意")
    history = page.get_by_test_id("petition-history")
    for step in ("登记", "受理", "答复"):
        expect(history).to_contain_text(step)
    shoot(page, "petition-closed")
