"""Organisation health in real Chromium (issue 4, item 4; S11, S12).

A district officer finds a weak-and-lax candidate in the worklist (secretary vacant over
3 months, S11), designates it with an entered criterion, makes the rectification plan, records
progress through htmx, is refused closing while the vacancy lasts, appoints a secretary and
closes the rectification with its before/after record (S12: 623 rectified).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser


def test_officer_designates_plans_notes_and_closes_a_rectification(page, log_in):
    log_in("huangpu.officer")

    # The nav leads to the worklists of the officer's district, with counts.
    page.get_by_role("link", name="组织建设", exact=True).click()
    expect(page.get_by_test_id("health-counts")).to_contain_text("逾期未销号")
    candidates = page.get_by_test_id("health-candidates")
    # the first candidate whose secretary post has been vacant over three months
    row = candidates.locator("tbody tr", has_text="书记空缺超过3个月").first
    expect(row).to_be_visible()
    unit = row.locator("td a").first.inner_text().strip()
    shoot(page, "health-worklists")

    # Overdue rectifications are highlighted in the "under way" tab (htmx tab switch).
    page.locator("[data-tab=open]").click()
    expect(page.get_by_test_id("health-open").locator("tr[data-overdue]").first).to_be_visible()

    # Designate the candidate: the vacancy is ticked from the data, the officer adds one.
    page.locator("[data-tab=candidates]").click()
    page.get_by_test_id("health-candidates").locator("tr", has_text=unit).get_by_role(
        "link", name="认定"
    ).click()
    form = page.get_by_test_id("designate-form")
    expect(form).to_contain_text("书记自")
    form.get_by_label("组织生活不正常").check()
    form.locator("input[name=note_irregular_life]").fill("近半年未召开党员大会")
    form.get_by_label("认定说明").fill("街道党工委排查上报")
    shoot(page, "health-designate")
    form.get_by_role("button", name="认定").click()
    expect(page.get_by_test_id("rect-state")).to_have_text("已认定，待定方案")

    # The plan: several measures, an owner and a deadline.
    page.get_by_role("link", name="制定整顿方案").click()
    page.get_by_label("整顿措施").fill("配齐支部班子\n恢复“三会一课”\n逐户走访党员")
    page.get_by_label("责任人").fill("街道党工委委员 王强")
    deadline = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=90)
    page.get_by_label("整顿期限").fill(deadline.isoformat())
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_test_id("rect-state")).to_have_text("整顿中")
    expect(page.get_by_test_id("measures").locator("li")).to_have_count(3)

    # A progress note goes in through htmx, dated and signed.
    notes = page.get_by_test_id("note-form")
    notes.get_by_label("进展情况").fill("召开支部党员大会，通报整顿方案")
    notes.get_by_role("button", name="记录进展").click()
    expect(page.get_by_test_id("rect-notes")).to_contain_text("召开支部党员大会")
    expect(page.get_by_test_id("rect-notes")).to_contain_text("李敏")

    # Closing is refused while the secretary post is still vacant: a message, not an error.
    page.get_by_role("link", name="整顿销号").click()
    close = page.get_by_test_id("close-form")
    close.get_by_label("整顿成效").fill("班子配齐，组织生活恢复正常")
    close.get_by_role("button", name="销号").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "仍符合以下情形，不能销号：书记空缺超过3个月"
    )
    rect_url = page.url.replace("close/", "")

    # Appoint a secretary (S11), then close with the before/after record.
    page.goto(rect_url)
    page.locator("h1 a").click()  # the organisation's page
    page.get_by_test_id("appoint-secretary").click()
    page.get_by_role("button", name="任命").first.click()
    expect(page.get_by_test_id("open-rectification")).to_contain_text("整顿中")
    page.goto(rect_url + "close/")
    close = page.get_by_test_id("close-form")
    close.get_by_label("整顿成效").fill("班子配齐，组织生活恢复正常")
    close.get_by_role("button", name="销号").click()
    expect(page.get_by_test_id("rect-state")).to_have_text("已销号")
    before_after = page.get_by_test_id("before-after")
    vacancy = before_after.locator("tr", has_text="书记空缺超过3个月")
    expect(vacancy.locator("td").nth(1)).to_contain_text("符合")
    expect(vacancy.locator("td").nth(2)).to_contain_text("已消除")
    expect(page.get_by_test_id("result")).to_contain_text("组织生活恢复正常")
    shoot(page, "health-rectification-closed")

    # The designation and closing are in the audit log of the district.
    page.goto("/audit/")
    expect(page.get_by_test_id("audit-table")).to_contain_text("整顿销号")
