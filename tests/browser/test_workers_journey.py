"""Recruiting party-mass workers in real Chromium (issue 23 item 1, S3).

黄浦's officer opens a recruitment round and a post through the pages; a member of the public
applies on a 390 px phone without logging in (name as written, ID number, phone, the
self-hosted captcha), is given a receipt number and follows the application with it and the
last four characters of the ID number. Then the officer works the district's supplementary
round of September 2005 (the demo data): screens the applications (one too old, refused with
the reason), enters the scores, ranks (ties broken by the stated rule), publishes the public
notice, hires after the notice's working days, records the training, issues the certificate
and deploys the worker to a two-new organisation, whose page then shows the worker."""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from jiceng.core.idnumber import make_id_number
from jiceng.satisfaction import guard

from .conftest import shoot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# the browser tests' server runs config.settings.local: its key derives the captcha's answer
SERVER_KEY = os.environ.get("SECRET_KEY") or "local-development-only-not-secret"


def site_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def open_round(page) -> str:
    """The officer's round and post, taking applications today; the post's apply address."""
    page.goto("/workers/")
    page.get_by_test_id("round-new").click()
    form = page.get_by_test_id("workers-form")
    today = site_today()
    form.locator("[name=title]").fill("黄浦区社区党群工作者招聘（测试）")
    form.locator("[name=opens_on]").fill(str(today - dt.timedelta(days=1)))
    form.locator("[name=closes_on]").fill(str(today + dt.timedelta(days=30)))
    page.get_by_test_id("workers-save").click()
    expect(page.get_by_test_id("round-title")).to_have_text("黄浦区社区党群工作者招聘（测试）")
    page.get_by_test_id("post-new").click()
    form = page.get_by_test_id("workers-form")
    form.locator("[name=title]").fill("社区党群工作者")
    form.locator("[name=places]").fill("1")
    page.get_by_test_id("workers-save").click()
    expect(page.get_by_test_id("post-title")).to_have_text("社区党群工作者")
    pk = re.search(r"/workers/posts/(\d+)/", page.url).group(1)
    return f"/workers/jobs/{pk}/apply/"


def test_applicant_applies_on_a_phone_and_the_district_hires(browser, server, page, log_in):
    log_in("huangpu.officer")
    apply_url = open_round(page)

    # ---- a member of the public, on a phone, no login ----
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, base_url=server)
    public = phone.new_page()
    public.goto(apply_url)
    expect(public.get_by_test_id("apply-title")).to_contain_text("社区党群工作者")
    id_number = make_id_number("310101", dt.date(1984, 6, 15), 123, "F")
    form = public.get_by_test_id("apply-form")
    form.locator("[name=name]").fill("顧曉雯")
    form.locator("[name=id_number]").fill(id_number)
    form.locator("[name=phone]").fill("13912345678")
    form.locator("[name=education]").select_option("university")
    challenge = form.locator("[name=challenge]").input_value()
    with override_settings(SECRET_KEY=SERVER_KEY):
        answer = guard.captcha_answer(challenge)
    form.locator("[name=captcha]").fill(str(answer))
    shoot(public, "workers-apply-phone", full_page=True)
    public.get_by_test_id("apply-submit").click()
    receipt = public.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    number = receipt.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", number)
    public.get_by_test_id("follow-button").click()
    follow = public.get_by_test_id("follow-form")
    follow.locator("[name=receipt]").fill(number.lower())
    follow.locator("[name=id_last4]").fill(id_number[-4:])
    public.get_by_test_id("follow-submit").click()
    expect(public.get_by_test_id("follow-state")).to_have_text("已报名")
    expect(public.locator("body")).not_to_contain_text("顧曉雯")
    # the same ID number again: a clear message
    public.goto(apply_url)
    form = public.get_by_test_id("apply-form")
    form.locator("[name=name]").fill("顧曉雯")
    form.locator("[name=id_number]").fill(id_number)
    form.locator("[name=phone]").fill("13912345678")
    challenge = form.locator("[name=challenge]").input_value()
    with override_settings(SECRET_KEY=SERVER_KEY):
        answer = guard.captcha_answer(challenge)
    form.locator("[name=captcha]").fill(str(answer))
    public.get_by_test_id("apply-submit").click()
    expect(public.get_by_test_id("error-id_number")).to_contain_text("已报名本次招聘")
    phone.close()

    # ---- the district: the supplementary round of September 2005 ----
    page.goto("/workers/")
    page.get_by_test_id("round-row").filter(has_text="补充招聘").get_by_role("link").click()
    page.get_by_test_id("post-row").first.get_by_role("link").first.click()
    post_url = page.url
    page.locator("#screen-on").fill("2005-09-19")
    page.get_by_test_id("post-screen").click()
    expect(page.locator("body")).to_contain_text("资格审查：符合 3 人，不符合 1 人")
    expect(page.get_by_test_id("app-table")).to_contain_text("不在 22 至 35 岁之间")

    page.get_by_test_id("post-scores").click()
    page.get_by_test_id("scores-form").locator("[name=on]").fill("2005-09-24")
    marks = [("80", "70"), ("70", "80"), ("90", "60")]  # totals 75, 75, 75: the tie rule
    rows = page.get_by_test_id("score-row")
    expect(rows).to_have_count(3)
    for i, (w, iv) in enumerate(marks):
        rows.nth(i).get_by_test_id("score-w").fill(w)
        rows.nth(i).get_by_test_id("score-i").fill(iv)
    page.get_by_test_id("scores-save").click()
    expect(page.locator("body")).to_contain_text("已保存 3 人的成绩")
    page.get_by_test_id("post-rank").click()
    expect(page.locator("body")).to_contain_text("已排名")
    expect(page.get_by_test_id("tie-rule")).to_contain_text("面试成绩高者在前")
    first = page.locator("[data-testid=app-row][data-rank='1']")
    expect(first).to_contain_text("80.00")  # the higher interview first among equal totals
    shoot(page, "workers-ranking", full_page=True)

    page.goto(post_url)
    code = page.get_by_test_id("served-org").first.get_attribute("data-code")
    page.locator("#notice-on").fill("2005-09-26")
    page.get_by_test_id("post-notice").click()
    expect(page.locator("body")).to_contain_text("已公示拟聘用人员")
    page.locator("[data-testid=app-row][data-rank='1']").get_by_role("link").click()
    name = page.get_by_test_id("app-name").inner_text()
    # five working days from 27 Sep: the National Day week is not counted, 8 Oct is worked
    expect(page.get_by_test_id("app-notice")).to_contain_text("2005年10月8日")
    page.locator("#hire-on").fill("2005-10-08")
    page.get_by_test_id("hire").click()
    expect(page.locator("body")).to_contain_text("最早在 2005-10-09")
    page.locator("#hire-on").fill("2005-10-10")
    page.get_by_test_id("hire").click()
    expect(page.get_by_test_id("worker-name")).to_have_text(name)

    training = page.get_by_test_id("training-form")
    training.locator("[name=course]").fill("两新组织党建实务")
    training.locator("[name=hours]").fill("40")
    training.locator("[name=finished_on]").fill("2005-10-20")
    page.get_by_test_id("training-save").click()
    expect(page.get_by_test_id("worker-hours")).to_contain_text("40 学时")
    certificate = page.get_by_test_id("certificate-form")
    certificate.locator("[name=certificate_no]").fill("DQ2005-310101-B01")
    certificate.locator("[name=on]").fill("2005-10-25")
    page.get_by_test_id("certificate-save").click()
    expect(page.get_by_test_id("worker-certificate")).to_contain_text("DQ2005-310101-B01")
    deploy = page.get_by_test_id("deploy-form")
    deploy.locator("[name=org]").fill(code)
    deploy.locator("[name=on]").fill("2005-10-28")
    page.get_by_test_id("deploy-save").click()
    expect(page.locator("body")).to_contain_text("已派驻上岗")
    page.get_by_test_id("worker-org").get_by_role("link").click()
    expect(page.get_by_test_id("org-workers")).to_contain_text(name)
