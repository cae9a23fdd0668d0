"""Branch work on a phone and the header on a laptop (issue 17 item 3): at 390 px the roster
is a list of compact cards keeping its key values, controls are at least 44 px high and the
open menu stays on the screen; at 1,280 px the navigation bar is one line."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jiceng.core.attachments.tests.files import photo_bytes

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser


def test_the_roster_on_a_phone_is_cards_with_the_key_values(page, log_in):
    log_in("branch.secretary")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/members/")
    table = page.get_by_test_id("member-table")
    expect(table.locator("thead")).to_be_hidden()
    rows = table.locator("tbody tr")
    n = rows.count()
    assert n > 0
    first = rows.first
    expect(first.locator("td.card-title-cell a")).to_be_visible()
    expect(first.locator("td.card-minor").first).to_be_hidden()
    # a card is the width of the screen, and short: name on one line, key values on another
    box = first.bounding_box()
    assert box["width"] <= 390
    assert box["height"] < 120, box
    for button in page.locator("main .btn:visible").all()[:10]:
        assert button.bounding_box()["height"] >= 44, button.inner_text()
    shoot(page, "phone-roster")
    # the menu opens inside the screen
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("nav-more").click()
    menu = page.locator(".navbar .dropdown-menu.show")
    expect(menu).to_be_visible()
    edge = menu.bounding_box()
    assert edge["x"] >= 0
    assert edge["x"] + edge["width"] <= 390


def test_the_navigation_bar_is_one_line_at_1280(page, log_in):
    log_in("city.admin")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    bar = page.locator("nav.navbar").bounding_box()
    assert bar["height"] <= 64, bar


def test_four_ones_with_a_photo_and_campaign_evidence_on_a_phone(page, log_in):
    """A member records a "four ones" item with a photo taken on the phone (S18); the branch
    secretary, also on a phone, sees the photo on the branch's sheet, confirms the item and
    adds a photo of the branch's own materials to its current step."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("member.self")
    page.goto("/campaigns/mine/")
    page.select_option("#id_kind", "pairing")
    page.fill("#id_description", "结对帮扶独居老人（手机）")
    page.fill("#id_done_on", "2005-09-15")
    page.set_input_files(
        "#id_uploads", {"name": "帮扶.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}
    )
    save = page.get_by_test_id("fourones-save")
    assert save.bounding_box()["height"] >= 44
    save.click()
    row = page.get_by_test_id("my-fourones-pairing")
    expect(row.get_by_test_id("attachment-photo")).to_be_visible()
    shoot(page, "phone-four-ones-photo")
    log_out(page)

    log_in("branch.secretary")
    page.goto("/campaigns/")
    page.get_by_role("link", name=re.compile("第二批")).first.click()
    page.get_by_test_id("progress-table").get_by_role("link", name="环节").first.click()
    unit_url = page.url
    page.get_by_test_id("tab-fourones").click()

    # The item's own cell (the member's row may hold other items, confirmed or waiting).
    def cell():
        return page.get_by_test_id("fourones-item").filter(has_text="结对帮扶独居老人（手机）")

    expect(cell().get_by_test_id("attachment-photo")).to_be_visible()
    confirm = cell().get_by_test_id("fourones-confirm")
    assert confirm.bounding_box()["height"] >= 44
    confirm.click()
    expect(cell().locator('[data-state="confirmed"]')).to_have_count(1)

    page.goto(unit_url)
    upload = page.get_by_test_id("attachment-upload")
    upload.get_by_test_id("attachment-input").set_input_files(
        {"name": "支部学习会.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}
    )
    upload.get_by_test_id("attachment-submit").click()
    expect(page.get_by_test_id("attachments").get_by_test_id("attachment-photo")).to_be_visible()
    # A file that is not what its name says is refused in words, and nothing is kept.
    upload = page.get_by_test_id("attachment-upload")
    upload.get_by_test_id("attachment-input").set_input_files(
        {"name": "总结.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}
    )
    upload.get_by_test_id("attachment-submit").click()
    expect(page.locator(".alert-danger, .alert-error").first).to_contain_text(
        "文件内容须与扩展名一致"
    )
    expect(page.get_by_test_id("attachment-photo")).to_have_count(1)
    page.get_by_test_id("attachments").scroll_into_view_if_needed()
    shoot(page, "phone-campaign-evidence")
