"""The site at 1,280 px in English and in Traditional Chinese (issue 17 item 5): the header is
wholly English (no Chinese chrome, no full-width punctuation) and one line; the language menu
names each language in itself; in zh-Hant the interface is converted while a member's name is
shown exactly as written."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_an_officer_works_in_english_and_in_traditional_chinese(page, log_in):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in("huangpu.officer")
    page.goto("/")
    menu = page.locator("select[name=language]")
    labels = [o.inner_text().strip() for o in menu.locator("option").all()]
    assert labels == ["简体中文", "繁體中文", "English"]

    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.locator("nav.navbar")
    expect(nav.get_by_test_id("nav-campaigns")).to_have_text("Campaigns")
    # Every label of the header is English; the signed-in person's name is data, as written.
    chrome = nav.locator(
        "a.nav-link, li.nav-item .dropdown-item, [data-testid=nav-security], [data-testid=logout]"
    ).all_text_contents()
    assert "Log out" in [t.strip() for t in chrome]
    assert not [t for t in chrome if CJK.search(t)], chrome
    assert nav.bounding_box()["height"] <= 64
    page.goto("/campaigns/")
    page.get_by_role("link", name=re.compile("第二批")).first.click()
    expect(page.locator("main")).to_contain_text("Progress")
    shoot(page, "campaign-en")

    # Traditional Chinese: the page is converted, the names in the roster are not.
    page.goto("/members/")
    page.select_option("select[name=language]", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    cells = page.get_by_test_id("member-table").locator("td.card-title-cell a")
    written = cells.all_inner_texts()[:20]
    assert written
    page.select_option("select[name=language]", "zh-hant")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    expect(page.locator("nav.navbar")).to_contain_text("黨員")
    assert cells.all_inner_texts()[:20] == written
    shoot(page, "members-zh-hant")
