"""Branch work on a phone and the header on a laptop (issue 17 item 3): at 390 px the roster
is a list of compact cards keeping its key values, controls are at least 44 px high and the
open menu stays on the screen; at 1,280 px the navigation bar is one line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import shoot

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
