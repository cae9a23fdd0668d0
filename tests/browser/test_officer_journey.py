"""A district officer's day, in real Chromium (issue 2's browser journey; S10, S16)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_district_officer_browses_tree_searches_reveals_and_switches_language(page, log_in):
    log_in("huangpu.officer")
    expect(page.get_by_test_id("whoami")).to_contain_text("黄浦")
    shoot(page, "home")

    # Browse the tree: the district is expanded; open a street committee lazily (htmx).
    page.get_by_role("link", name="组织").first.click()
    tree = page.get_by_test_id("org-tree")
    expect(tree).to_contain_text("中共上海市黄浦区委员会")
    expect(tree).not_to_contain_text("徐汇区")
    street = tree.locator("li li").first
    street.locator(".toggle").click()
    children = street.locator(":scope > ul")
    expect(children.locator("li").first).to_be_visible()
    expect(children).to_contain_text("居民区党支部")
    shoot(page, "tree")

    # Search a member by pinyin initials.
    page.goto("/members/")
    first_name = page.get_by_test_id("member-table").locator("tbody tr td a").first
    name = first_name.inner_text()
    from jiceng.core.text import initials_key

    initials = initials_key(name, person_name=True)
    page.fill("input[name=q]", initials)
    expect(page.get_by_test_id("member-table")).to_contain_text(name)
    expect(page).to_have_url(re.compile(rf"q={initials}"))
    shoot(page, "members")

    # Open the member and reveal the full ID number: masked first, clear after the audited
    # action.
    page.get_by_test_id("member-table").get_by_role("link", name=name).first.click()
    expect(page.get_by_test_id("member-name")).to_have_text(name)
    masked = page.get_by_test_id("id-number").inner_text()
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", masked), masked
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("reveal-id").click()
    revealed = page.get_by_test_id("revealed-id_number")
    expect(revealed).to_have_text(re.compile(r"^\d{17}[\dX]$"))
    assert revealed.inner_text()[:6] == masked[:6]
    assert revealed.inner_text()[-4:] == masked[-4:]
    shoot(page, "member")

    # The reveal is in the audit log, without the value.
    page.goto("/audit/?verb=reveal")
    table = page.get_by_test_id("audit-table")
    expect(table).to_contain_text(name)
    expect(table).to_contain_text("查看公民身份号码")
    assert revealed_value_absent(table.inner_text(), masked)

    # Switch to Traditional Chinese: the interface and the data are converted (OpenCC).
    page.goto("/orgs/")
    page.select_option("select[name=language]", "zh-hant")
    page.wait_for_load_state("load")
    expect(page.get_by_test_id("org-tree")).to_contain_text("中共上海市黃浦區委員會")
    expect(page.get_by_role("link", name="黨員")).to_be_visible()
    shoot(page, "tree-zh-hant")


def revealed_value_absent(text: str, masked: str) -> bool:
    return not re.search(rf"{masked[:6]}\d{{8}}{masked[-4:]}", text)


def test_outsider_sees_not_found_for_another_district(page, log_in):
    log_in("xuhui.officer")
    page.goto("/orgs/search/?q=hpq")
    expect(page.get_by_test_id("org-search-results")).not_to_contain_text("黄浦")
    response = page.goto("/orgs/2/")
    assert response is not None
    # the root city committee is outside a district officer's scope
    assert response.status == 404
