"""The officer's dashboard and map in real Chromium (issue 22 item 2): the city's officer
sees the figures of every app on the home page once the panel has loaded, follows a number to
exactly the rows it counts, colours the map of the districts by another figure, clicks 黄浦 on
the map and sees its streets as points, and clicks a street down to that street's figures."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser

# A point inside today's 黄浦 outline (geo/shanghai.geojson), away from its borders.
HUANGPU_INSIDE = (121.475, 31.215)


def click_on_map(page: Any, lng_lat: tuple[float, float] | list[float]) -> None:
    """Click the map where ``lng_lat`` is drawn (ECharts converts it to the canvas' pixels)."""
    map_el = page.get_by_test_id("dashboard-map")
    x, y = page.evaluate(
        "([lng, lat]) => echarts.getInstanceByDom(document.querySelector("
        "'[data-testid=dashboard-map]')).convertToPixel({geoIndex: 0}, [lng, lat])",
        list(lng_lat),
    )
    box = map_el.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def map_data(page: Any) -> dict[str, Any]:
    return json.loads(page.locator("#dashboard-map-data").text_content())


def test_city_officer_reads_the_dashboard_and_goes_down_the_map(page, log_in):
    log_in("city.admin")
    panel = page.get_by_test_id("dashboard-panel")
    expect(panel).to_be_visible(timeout=30_000)
    groups = page.get_by_test_id("dashboard-group")
    expect(groups.first).to_be_visible()
    assert groups.count() >= 3  # members, campaign, study, outreach … as the data has them
    map_el = page.locator("[data-testid=dashboard-map][data-ready='1']")
    expect(map_el).to_be_visible(timeout=15_000)
    expect(map_el).to_have_attribute("data-measure", "placed_share")
    shoot(page, "dashboard", full_page=True)

    # a number leads to exactly the rows it counts
    figure = page.locator("[data-testid=dashboard-figure][data-key='outreach.visits']")
    count = figure.get_attribute("data-count")
    figure.click()
    expect(page.get_by_test_id("rows-count")).to_have_attribute("data-count", count)
    page.go_back()
    expect(page.locator("[data-testid=dashboard-map][data-ready='1']")).to_be_visible(
        timeout=15_000
    )

    # colour the districts by the visits instead
    page.get_by_test_id("dashboard-measure").select_option("outreach.visits")
    expect(page.get_by_test_id("dashboard-map")).to_have_attribute(
        "data-measure", "outreach.visits"
    )
    page.get_by_test_id("dashboard-map").scroll_into_view_if_needed()
    click_on_map(page, HUANGPU_INSIDE)  # hovering first shows the tooltip (escaped text)
    page.wait_for_url(re.compile(r"/reports/dashboard/\?under=\d+"))

    # 黄浦's page: its figures, its outline and its streets as points
    expect(page.get_by_test_id("dashboard-title")).to_have_text("中共上海市黄浦区委员会")
    expect(page.locator("[data-testid=dashboard-map][data-ready='1']")).to_be_visible(
        timeout=30_000
    )
    data = map_data(page)
    assert data["level"] == "district"
    assert len(data["points"]) >= 2
    expect(page.get_by_test_id("dashboard-group").first).to_be_visible()
    shoot(page, "dashboard-map", full_page=True)

    # down to one street, from its point on the map
    street = data["points"][0]
    page.get_by_test_id("dashboard-map").scroll_into_view_if_needed()
    click_on_map(page, street["coord"])
    page.wait_for_url(re.compile(re.escape(street["href"]).replace(r"\?", r"\?") + "$"))
    expect(page.get_by_test_id("dashboard-title")).to_have_text(street["label"])
    expect(page.get_by_test_id("dashboard-trail")).to_contain_text("中共上海市黄浦区委员会")
    expect(page.get_by_test_id("dashboard-panel")).to_be_visible(timeout=30_000)
