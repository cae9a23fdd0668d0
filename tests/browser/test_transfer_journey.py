"""A transfer of organisational relationship across two districts, in real Chromium (issue 4;
S10, S17): the 黄浦 officer approves and issues the letter, the 徐汇 officer confirms, and
the member counts of both organisations change only then."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_out as menu_log_out
from .conftest import shoot

pytestmark = pytest.mark.browser


def member_total(page, testid: str) -> int:
    """Open the organisation linked from the transfer page and read its member count."""
    detail = page.url
    page.get_by_test_id(testid).click()
    total = int(page.get_by_test_id("member-total").inner_text().replace(",", ""))
    page.goto(detail)
    return total


def log_out(page) -> None:
    page.goto("/")
    menu_log_out(page)
    page.wait_for_url("**/accounts/login/**")


def test_sender_approves_and_issues_receiver_confirms_counts_move_only_then(page, log_in):
    log_in("huangpu.officer")
    page.get_by_test_id("nav-transfers").click()
    expect(page.get_by_test_id("pending-approve")).not_to_have_text("0")
    approve = page.locator('[data-testid^="act-approve-"]').first
    pk = approve.get_attribute("data-testid").rsplit("-", 1)[1]
    page.get_by_test_id(f"transfer-row-{pk}").get_by_role("link").first.click()
    expect(page.get_by_test_id("transfer-state")).to_have_text("已申请")
    sender_before = member_total(page, "from-org-link")

    # The sending side approves, then issues the introduction letter (htmx forms).
    page.get_by_test_id("do-approve").click()
    expect(page.get_by_test_id("transfer-state")).to_have_text("已批准")
    page.get_by_test_id("do-issue").click()
    expect(page.get_by_test_id("transfer-state")).to_have_text("已开具介绍信")
    letter_no = page.get_by_test_id("letter-no").inner_text()
    assert re.fullmatch(r"310101-\d{4}-\d{5}", letter_no), letter_no
    # Approved and issued, not yet received: the member is still the sender's.
    assert member_total(page, "from-org-link") == sender_before
    shoot(page, "transfer-issued")

    # The three-part letter prints from its own page.
    page.goto(f"/members/transfers/{pk}/letter/")
    for part in ("letter-stub", "letter-body", "letter-receipt"):
        expect(page.get_by_test_id(part)).to_contain_text(letter_no)
    shoot(page, "transfer-letter")
    log_out(page)

    # The receiving side sees it in its incoming worklist and confirms it there.
    log_in("xuhui.officer")
    page.goto(f"/members/transfers/{pk}/")
    receiver_before = member_total(page, "to-org-link")
    # The bell tells the receiving officer, and leads to the incoming worklist.
    page.goto("/")
    expect(page.get_by_test_id("notice-count")).to_be_visible()
    page.get_by_test_id("notice-bell").click()
    confirm = page.locator('[data-notice="transfer.confirm"]')
    expect(confirm).to_contain_text("转入待确认接收")
    shoot(page, "notice-bell")
    confirm.click()
    page.wait_for_url("**/members/transfers/?direction=in**")
    row = page.get_by_test_id(f"transfer-row-{pk}")
    expect(row).to_contain_text("已开具介绍信")
    shoot(page, "transfer-worklist")
    row.get_by_test_id(f"act-confirm-{pk}").click()
    expect(page.get_by_role("alert")).to_contain_text("已确认接收")
    page.goto(f"/members/transfers/{pk}/")
    expect(page.get_by_test_id("transfer-state")).to_have_text("已完成")
    assert member_total(page, "to-org-link") == receiver_before + 1
    expect(page.get_by_test_id("transfer-events")).to_contain_text("确认接收")
    log_out(page)

    # Only now has the sending organisation one member fewer.
    log_in("huangpu.officer")
    page.goto(f"/members/transfers/{pk}/")
    assert member_total(page, "from-org-link") == sender_before - 1


def test_a_third_party_gets_not_found(page, log_in):
    """The group's officer is party to its own transfers only (planning may have made some),
    never to one between 黄浦 and 徐汇."""
    log_in("dianqi.officer")
    page.goto("/members/transfers/?state=")
    expect(page.get_by_test_id("transfer-count")).to_be_visible()
    expect(page.get_by_test_id("transfer-row-1")).to_have_count(0)
    response = page.goto("/members/transfers/1/")
    assert response is not None
    assert response.status == 404
