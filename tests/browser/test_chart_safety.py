"""Charts under a strict Content-Security-Policy, with hostile names (issue 14).

An organisation named like markup must show as text in every chart's tooltip, never as live
markup, and showing a tooltip must not trip the Content-Security-Policy (the ``page`` fixture
fails a test on any console error, a CSP violation included). The district organisation of
黄浦 is renamed through the edit form for the dashboards; the planning map's branch names are
computed when a plan is made, so its map data is given a hostile branch name on the way to the
page. The name is put back afterwards.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from .test_planning_journey import READY_TIMEOUT, create_plan

pytestmark = pytest.mark.browser

HOSTILE = '黄浦"><img src=x id=xss-probe onerror="window.__xss=1"><b>粗</b>'

# Show the tooltip of the data item whose category or name contains the marker, through
# ECharts' own action (the same path a mouse hover takes to the formatter); return the text.
SHOW_TIP = """([el, marker]) => {
  const chart = echarts.getInstanceByDom(el);
  const option = chart.getOption();
  let dataIndex = -1, seriesIndex = 0;
  const axis = option.xAxis && option.xAxis[0] && option.xAxis[0].data;
  if (axis) {
    dataIndex = axis.findIndex((n) => String(n).includes(marker));
  } else {
    option.series.forEach((s, si) => {
      (s.data || []).forEach((d, di) => {
        if (dataIndex < 0 && d && String(d.name || "").includes(marker)) {
          dataIndex = di; seriesIndex = si;
        }
      });
    });
  }
  if (dataIndex < 0) { return null; }
  chart.dispatchAction({type: "showTip", seriesIndex: seriesIndex, dataIndex: dataIndex});
  const tip = el.querySelector(".jc-tooltip");
  return tip ? tip.innerText : "";
}"""


def rename(page, pk: int, name: str) -> None:
    page.goto(f"/orgs/{pk}/edit/")
    page.fill("#id_name", name)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_role("alert").first).to_be_visible()


def assert_tooltip_is_text(page, testid: str) -> None:
    chart = page.get_by_test_id(testid)
    expect(chart.locator("canvas")).to_have_count(1)
    text = page.evaluate(SHOW_TIP, [chart.element_handle(), "xss-probe"])
    assert text is not None, f"{testid}: no item named with the probe"
    assert 'id=xss-probe onerror="window.__xss=1"' in text, text  # shown as characters
    assert "<b>粗</b>" in text
    assert page.locator("#xss-probe").count() == 0  # never parsed as markup
    assert page.evaluate("window.__xss") is None


def test_every_dashboard_chart_shows_hostile_names_as_text(page, log_in):
    log_in("city.admin")
    page.goto("/orgs/search/?q=310101")
    page.locator(".list-group-item", has_text="310101").first.click()
    pk = int(re.search(r"/orgs/(\d+)/", page.url).group(1))
    page.goto(f"/orgs/{pk}/edit/")
    original = page.input_value("#id_name")
    rename(page, pk, HOSTILE)
    try:
        page.goto("/")
        assert_tooltip_is_text(page, "members-chart")

        page.get_by_test_id("nav-campaigns").click()
        page.get_by_role("link", name=re.compile("第二批")).first.click()
        assert_tooltip_is_text(page, "progress-chart")
        # The ring is by phase (no organisation names) but goes through the same tooltip.
        ring = page.get_by_test_id("phase-chart")
        page.evaluate(
            "el => echarts.getInstanceByDom(el).dispatchAction("
            "{type: 'showTip', seriesIndex: 0, dataIndex: 0})",
            ring.element_handle(),
        )
        expect(ring.locator(".jc-tooltip .jc-tip-row")).to_have_count(1)

        page.goto("/study/")
        assert_tooltip_is_text(page, "study-chart")

        page.get_by_test_id("nav-campaigns").click()
        page.get_by_role("link", name=re.compile("第二批")).first.click()
        page.get_by_test_id("appraisal-results-link").click()
        assert_tooltip_is_text(page, "results-chart")
    finally:
        rename(page, pk, original)


def test_planning_map_shows_hostile_branch_names_as_text(page, log_in):
    log_in("dianqi.officer")

    def hostile_map(route):
        response = route.fetch()
        data = response.json()
        assert data["branches"], "the plan has no branches to draw"
        data["branches"][0]["name"] = HOSTILE
        route.fulfill(response=response, body=json.dumps(data))

    page.route(re.compile(r"/planning/\d+/map\.json"), hostile_map)
    create_plan(page, "区域党支部（名称安全）")
    state = page.get_by_test_id("plan-state")
    expect(state).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    plan_map = page.get_by_test_id("plan-map")
    expect(plan_map).to_have_attribute("data-ready", "1", timeout=20_000)
    text = page.evaluate(
        """el => {
          const chart = echarts.getInstanceByDom(el);
          chart.dispatchAction({type: "showTip", seriesIndex: 2, dataIndex: 0});
          const tip = el.querySelector(".jc-tooltip");
          return tip ? tip.innerText : "";
        }""",
        plan_map.element_handle(),
    )
    assert 'id=xss-probe onerror="window.__xss=1"' in text, text
    assert page.locator("#xss-probe").count() == 0
    assert page.evaluate("window.__xss") is None


def test_api_docs_render_under_the_strict_policy(page, log_in):
    """The Swagger UI page used to be the one page allowed inline scripts and styles; it now
    loads its start-up script as a file and renders the operations with no CSP violation."""
    log_in("city.admin")
    response = page.goto("/api/docs/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".opblock-tag").first).to_be_visible()
