"""Planning regional branches in real Chromium (S16, S17): members "on the roll but not at
post", flowing and entrusted (S16) take part away from their home unit; Shanghai Electric
formed 33 regional branches for 1,090 such members (S17). Here its committee officer asks for
a plan, watches the background worker compute it, reads the summary, the map and the tables,
moves one member to another branch, applies the plan as bulk transfers and confirms the
receipt. An officer of another district cannot open the plan at all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser

OFFICER = "dianqi.officer"
ELECTRIC = "31SDQ"
READY_TIMEOUT = 60_000
SIZE_MIN, SIZE_MAX = 3, 50


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def create_plan(page, name: str) -> int:
    """Ask for a plan of regional branches for Shanghai Electric on the form; its id."""
    page.get_by_test_id("nav-more").click()  # planning is under "more"
    page.get_by_test_id("nav-planning").click()
    expect(page.get_by_test_id("plan-table")).to_be_visible()
    page.get_by_test_id("new-plan").click()
    expect(page.get_by_test_id("plan-form")).to_be_visible()
    page.fill("#id_root_code", ELECTRIC)
    page.select_option("#id_kind", "form")
    page.fill("#id_name", name)
    page.fill("#id_target_size", "8")
    page.get_by_test_id("plan-submit").click()
    page.wait_for_url(re.compile(r"/planning/\d+/$"))
    expect(page.get_by_test_id("plan-name")).to_have_text(name)
    return int(re.search(r"/planning/(\d+)/$", page.url).group(1))


def branch_sizes(page) -> dict[int, int]:
    cells = page.locator('[data-testid^="branch-size-"]')
    return {
        int(cell.get_attribute("data-testid").rsplit("-", 1)[1]): number(cell.inner_text())
        for cell in cells.all()
    }


def test_officer_forms_regional_branches_moves_one_member_applies_and_confirms(page, log_in):
    log_in(OFFICER)
    create_plan(page, "电气区域党支部（浏览器）")

    # While the worker computes, the page shows its progress and polls (htmx); when the plan
    # is done the server answers HX-Refresh and the page reloads itself.
    state = page.get_by_test_id("plan-state")
    if state.get_attribute("data-state") in ("queued", "running"):
        expect(page.get_by_test_id("plan-progress")).to_be_visible()
    expect(state).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    expect(page.get_by_test_id("plan-progress")).to_have_count(0)

    # The summary: several regional branches of legal size.
    members = number(page.get_by_test_id("sum-members").inner_text())
    branches = number(page.get_by_test_id("sum-branches").inner_text())
    assert branches >= 2, branches
    assert members >= 2 * SIZE_MIN, members
    low, high = (int(n) for n in re.findall(r"\d+", page.get_by_test_id("sum-sizes").inner_text()))
    assert SIZE_MIN <= low <= high <= SIZE_MAX, (low, high)
    expect(page.get_by_test_id("plan-problems")).to_have_count(0)

    # The branch table has one row per branch, the sizes adding up to the members.
    sizes = branch_sizes(page)
    assert len(sizes) == branches
    assert sum(sizes.values()) == members
    assert all(SIZE_MIN <= n <= SIZE_MAX for n in sizes.values()), sizes
    assert min(sizes.values()) == low
    assert max(sizes.values()) == high
    rows = page.locator('[data-testid^="assign-row-"]')
    expect(rows).to_have_count(min(members, 100))

    # The map drew every member's home and the branches.
    plan_map = page.get_by_test_id("plan-map")
    expect(plan_map).to_have_attribute("data-ready", "1", timeout=15_000)
    expect(plan_map).to_have_attribute("data-homes", str(members))
    expect(plan_map).to_have_attribute("data-branches", str(branches))
    expect(plan_map.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(500)
    shoot(page, "planning-plan")

    # Move one member of the largest branch into the smallest: both stay of legal size.
    source = max(sizes, key=lambda i: sizes[i])
    target = min((i for i in sizes if i != source), key=lambda i: sizes[i])
    assert sizes[source] > SIZE_MIN, sizes
    assert sizes[target] < SIZE_MAX, sizes
    member_id = next(
        pk
        for pk in (int(r.get_attribute("data-testid").rsplit("-", 1)[1]) for r in rows.all())
        if page.get_by_test_id(f"move-select-{pk}").input_value() == str(source)
    )
    select = page.get_by_test_id(f"move-select-{member_id}")
    label = select.locator(f'option[value="{target}"]').inner_text()
    target_name = re.sub(r"（\d+）$", "", label.strip())
    select.select_option(str(target))
    page.get_by_test_id(f"move-{member_id}").click()
    cell = page.get_by_test_id(f"assign-branch-{member_id}")
    expect(cell).to_have_text(target_name)
    expect(page.get_by_test_id(f"assign-row-{member_id}")).to_contain_text("人工调整")
    # The branch table refreshes itself (plan-changed) with the new sizes; the map redraws.
    expect(page.get_by_test_id(f"branch-size-{source}")).to_have_text(str(sizes[source] - 1))
    expect(page.get_by_test_id(f"branch-size-{target}")).to_have_text(str(sizes[target] + 1))
    expect(plan_map).to_have_attribute("data-homes", str(members))

    # After a reload the correction is still there, counted in the summary.
    page.reload()
    expect(cell).to_have_text(target_name)
    expect(page.get_by_test_id("sum-quality")).to_contain_text("人工调整 1 人")

    # Apply: the confirm dialog is answered yes; the branches are founded and the members'
    # letters issued, waiting for the receiving side.
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("plan-apply").click()
    applied = page.get_by_test_id("plan-applied")
    expect(applied).to_be_visible()
    expect(page.get_by_test_id("plan-state")).to_have_attribute("data-state", "applied")
    expect(page.get_by_role("alert").first).to_contain_text("方案已实施")
    moved = number(re.search(r"(\d+) 名党员办理", applied.inner_text()).group(1))
    assert 0 < moved <= members
    expect(applied).to_contain_text(f"待接收 {moved}，已接收 0")
    expect(page.get_by_test_id("plan-revert")).to_be_visible()
    expect(page.get_by_test_id("plan-apply")).to_have_count(0)

    # The officer of the receiving branches confirms the receipt of all of them.
    confirm = page.get_by_test_id("plan-confirm")
    expect(confirm).to_contain_text(f"确认接收（{moved} 人）")
    confirm.click()
    expect(page.get_by_role("alert").first).to_contain_text(f"已确认接收 {moved} 名党员")
    expect(applied).to_contain_text(f"{moved} 名党员办理组织关系转接，待接收 0，已接收 {moved}")
    expect(page.get_by_test_id("plan-confirm")).to_have_count(0)
    expect(page.get_by_test_id("plan-revert")).to_have_count(0)
    expect(page.get_by_test_id(f"assign-row-{member_id}")).to_contain_text("已完成")
    expect(plan_map).to_have_attribute("data-ready", "1", timeout=15_000)
    page.wait_for_timeout(500)
    shoot(page, "planning-applied")


def test_another_districts_officer_cannot_open_the_plan(page, log_in):
    log_in(OFFICER)
    pk = create_plan(page, "电气区域党支部（范围检查）")
    log_out(page)
    page.wait_for_url("**/accounts/login/**")

    log_in("xuhui.officer")
    for url in (f"/planning/{pk}/", f"/planning/{pk}/map.json", f"/planning/{pk}/export.csv"):
        response = page.goto(url)
        assert response.status == 404, url
    # Nor is it in their list of plans.
    page.goto("/")
    page.get_by_test_id("nav-more").click()  # planning is under "more"
    page.get_by_test_id("nav-planning").click()
    expect(page.get_by_test_id("plan-table")).not_to_contain_text("电气区域党支部（范围检查）")
