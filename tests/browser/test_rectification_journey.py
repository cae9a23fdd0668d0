"""Survey comments become a rectification item that is closed and then reopened by a failed
check, in real Chromium (issue 21, S20, S22, S23): two members of the public write about the
same problem in a survey; 黄浦's officer ticks both comments and raises one item from them
(many comments, one item), records the measures and a photo as evidence, publishes the result,
records the public's verdict (closed), sets the standing arrangement (who keeps it solved, how
often it is checked), and a check finds the problem back: the item is reopened, and its page
says so."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from jiceng.core.attachments.tests.files import photo_bytes

from .conftest import shoot
from .test_survey_journey import answer, phone_page, set_up_survey, site_today, token_links

pytestmark = pytest.mark.browser

COMMENTS = ("弄堂口违章搭建的棚子挡住了消防通道", "违章棚子占了弄堂，老人进出不方便")


def step(page, **fields: str) -> None:
    """Fill the step form of an item and submit it."""
    form = page.get_by_test_id("step-form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_test_id("step-save").click()


def test_survey_comments_become_an_item_closed_then_reopened_by_a_failed_check(
    page, log_in, browser, server
):
    log_in("huangpu.officer")
    survey_url = set_up_survey(page, "2005年南京东路街道居民区群众满意度测评", tokens=2)
    links = token_links(page, survey_url)

    context, phone = phone_page(browser, server)
    try:
        for link, text in zip(links, COMMENTS, strict=True):
            phone.goto(link)
            answer(phone, level="不满意", choice="其他", text=text)
            expect(phone.get_by_test_id("public-thanks")).to_be_visible()
    finally:
        context.close()

    # The officer ticks both comments on the survey's comments page: one item from them.
    page.goto(survey_url)
    page.get_by_test_id("tab-comments").click()
    expect(page.get_by_test_id("comment-row")).to_have_count(2)
    for row in page.get_by_test_id("comment-row").all():
        row.get_by_test_id("comment-pick").check()
    page.get_by_test_id("comments-merge-submit").click()
    expect(page.get_by_test_id("item-origin")).to_contain_text("2 条测评意见")
    form = page.get_by_test_id("item-form")
    # The unit surveyed is the unit responsible; the problem is filled in from the comments.
    expect(form.locator("[name=owner]")).to_have_value("310101002")
    described = form.locator("[name=description]").input_value()
    assert all(text in described for text in COMMENTS), described
    today = site_today()
    form.locator("[name=title]").fill("弄堂口违章搭建堵塞消防通道")
    form.locator("[name=since]").fill(str(today - dt.timedelta(days=3650)))
    form.locator("[name=deadline]").fill(str(today + dt.timedelta(days=30)))
    page.get_by_test_id("item-save").click()

    expect(page.get_by_test_id("item-title")).to_have_text("弄堂口违章搭建堵塞消防通道")
    sources = page.get_by_test_id("item-source")
    expect(sources).to_have_count(2)
    for text in COMMENTS:
        expect(page.get_by_test_id("item-sources")).to_contain_text(text)
    # Open for ten years when raised: a long-running problem (S22).
    expect(page.get_by_test_id("item-long-running")).to_be_visible()

    # The owner starts, records the measures and a photo of the site as evidence.
    page.get_by_test_id("item-start").click()
    expect(page.locator("body")).to_contain_text("已开始整改")
    page.get_by_test_id("item-edit-link").click()
    page.get_by_test_id("item-form").locator("[name=measures]").fill(
        "街道城管科会同居委会约谈搭建户，限期自行拆除；逾期依法拆除"
    )
    page.get_by_test_id("item-save").click()
    expect(page.get_by_test_id("item-measures")).to_contain_text("限期自行拆除")
    upload = page.get_by_test_id("attachment-upload")
    upload.get_by_test_id("attachment-input").set_input_files(
        {"name": "拆除后现场.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}
    )
    upload.get_by_test_id("attachment-submit").click()
    expect(page.get_by_test_id("attachments").get_by_test_id("attachment-photo")).to_be_visible()

    # Rectified: the result published, then the public's verdict closes it.
    page.get_by_test_id("item-complete").click()
    step(
        page,
        result="违章棚子已拆除，消防通道恢复畅通",
        notice_text="弄堂口违章搭建已于本周拆除，欢迎居民监督",
        noticed_on=str(today),
    )
    expect(page.get_by_test_id("item-notice")).to_contain_text("消防通道恢复畅通")
    page.get_by_test_id("item-verdict-link").click()
    page.get_by_test_id("step-form").get_by_label("满意", exact=True).check()
    step(page)
    expect(page.get_by_test_id("item-verdict")).to_contain_text("满意")
    expect(page.get_by_test_id("item-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("[data-testid=item-actions]")).to_have_count(0)

    # Kept solved: who looks after it and how often it is checked.
    page.get_by_test_id("arrangement-link").click()
    step(
        page,
        keeper="居委会主任",
        duties="每周巡查弄堂口，发现新搭建当日劝阻并报城管",
        check_every_days="30",
    )
    arrangement = page.get_by_test_id("item-arrangement")
    expect(arrangement).to_contain_text("居委会主任")
    expect(page.get_by_test_id("next-check")).to_be_visible()

    # A check finds the problem back: the item is reopened.
    page.get_by_test_id("check-add-link").click()
    page.get_by_test_id("step-form").get_by_label("未通过：问题反弹，重新整改").check()
    step(page, checked_on=str(today), note="弄堂口又搭起了新的棚子")

    expect(page.get_by_test_id("item-state")).to_have_text("整改中")
    expect(page.get_by_test_id("item-reopened")).to_contain_text("重新整改 1 次")
    # the earlier round's notice and verdict are said to be the earlier round's
    expect(page.get_by_test_id("item-notice-earlier")).to_contain_text("上一轮整改")
    expect(page.get_by_test_id("item-check")).to_have_count(1)
    expect(page.get_by_test_id("item-check")).to_have_attribute("data-passed", "0")
    expect(page.get_by_test_id("item-checks")).to_contain_text("弄堂口又搭起了新的棚子")
    events = page.get_by_test_id("item-events")
    expect(events.locator("[data-action=check_failed]")).to_contain_text(
        "长效管理检查未通过，重新整改"
    )
    # Back to work: the owner can complete it again; no check until it is closed again.
    expect(page.get_by_test_id("item-complete")).to_be_visible()
    expect(page.get_by_test_id("check-add-link")).to_have_count(0)
    shoot(page, "rectification-reopened")
