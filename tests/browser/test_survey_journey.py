"""A public satisfaction survey in real Chromium (issue 21, S23): 黄浦's officer sets up a survey
of one street through the pages (a rating on the 2005 scale, a choice, a free-text question),
issues single-use tokens and opens it; a member of the public on a 390 px phone opens a token
link (no login), reads it in Traditional characters if they like, answers and is thanked.
The same link opened again says it has been answered, and a second tab opened before the
answer was sent cannot answer a second time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import shoot

pytestmark = pytest.mark.browser

STREET = "310101002"
PHONE = {"width": 390, "height": 844}


def site_today() -> dt.date:
    """The site's calendar date (its time zone, not the test machine's)."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def add_question(page, kind: str, text: str, *, choices: str = "", required: bool = True) -> None:
    form = page.get_by_test_id("question-form")
    form.locator("[name=kind]").select_option(kind)
    form.locator("[name=text]").fill(text)
    if choices:
        form.locator("[name=choices]").fill(choices)
    if not required:
        form.locator("[name=required]").uncheck()
    form.get_by_test_id("question-add").click()
    expect(page.get_by_test_id("question-list")).to_contain_text(text)


def set_up_survey(page, title: str, *, tokens: int = 3) -> str:
    """On the officer's pages: a survey of the street with three questions, tokens issued,
    opened. Returns the survey page's address."""
    page.goto("/")
    page.get_by_test_id("nav-voice").click()
    page.get_by_test_id("nav-satisfaction").click()
    page.get_by_test_id("survey-new-link").click()
    form = page.get_by_test_id("survey-form")
    expect(form.locator("[name=owner]")).to_have_value("310101")
    # The 2005 campaign's scale is the default.
    expect(form.locator("[name=scale]")).to_have_value("满意，基本满意，不满意")
    today = site_today()
    form.locator("[name=title]").fill(title)
    form.locator("[name=opens_on]").fill(str(today - dt.timedelta(days=1)))
    form.locator("[name=closes_on]").fill(str(today + dt.timedelta(days=30)))
    page.get_by_test_id("survey-save").click()
    expect(page.get_by_test_id("survey-title")).to_have_text(title)

    add_question(page, "rating", "您对街道社区事务受理服务中心的总体评价")
    add_question(page, "choice", "您办的是哪类事项", choices="社会保障\n计划生育\n其他")
    add_question(page, "text", "您对窗口服务有什么意见和建议", required=False)

    units = page.get_by_test_id("units-form")
    units.locator("[name=org]").fill(STREET)
    units.get_by_test_id("units-add").click()
    expect(page.get_by_test_id("unit-row")).to_have_count(1)

    tokens_form = page.get_by_test_id("tokens-form")
    tokens_form.locator("[name=per_unit]").fill(str(tokens))
    tokens_form.get_by_test_id("tokens-generate").click()
    expect(page.locator("body")).to_contain_text(f"已生成测评码 {tokens} 个")
    page.get_by_test_id("survey-open").click()
    expect(page.locator("body")).to_contain_text("测评已开始")
    return page.url


def token_links(page, survey_url: str) -> list[str]:
    """The unit's printable sheet: a QR code and a link per unused token."""
    page.goto(survey_url)
    page.get_by_test_id("token-sheet").first.click()
    cards = page.get_by_test_id("token-card")
    expect(cards.first).to_be_visible()
    expect(cards.first.locator("img")).to_be_visible()
    return [u.strip() for u in page.locator(".token-url").all_inner_texts()]


def phone_page(browser, server: str):
    """A fresh phone (no session, no cookies), 390 px wide."""
    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=server,
    )
    return context, context.new_page()


def answer(page, *, level: str, choice: str, text: str) -> None:
    form = page.get_by_test_id("answer-form")
    questions = form.get_by_test_id("question")
    questions.nth(0).get_by_label(level, exact=True).check()
    questions.nth(1).get_by_label(choice, exact=True).check()
    questions.nth(2).locator("textarea").fill(text)
    form.get_by_test_id("answer-submit").click()


def test_the_public_answers_a_survey_on_a_phone_once_with_a_token(page, log_in, browser, server):
    log_in("huangpu.officer")
    survey_url = set_up_survey(page, "2005年南京东路街道窗口服务群众满意度测评")
    links = token_links(page, survey_url)
    assert len(links) == 3
    assert len(set(links)) == 3
    link = links[0]

    context, phone = phone_page(browser, server)
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        phone.goto(link)
        expect(phone.get_by_test_id("survey-title")).to_have_text(
            "2005年南京东路街道窗口服务群众满意度测评"
        )
        expect(phone.get_by_test_id("unit-name")).to_contain_text("南京东路街道")
        expect(phone.get_by_test_id("question")).to_have_count(3)
        # Phone-sized: nothing wider than the screen, a submit button easy to press.
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        submit = phone.get_by_test_id("answer-submit").bounding_box()
        assert submit["height"] >= 44
        assert submit["width"] >= 300
        shoot(phone, "survey-phone")

        # Traditional characters for a reader who prefers them: the interface and the survey.
        phone.get_by_test_id("public-language").locator("select").select_option("zh-hant")
        expect(phone.locator("html")).to_have_attribute("lang", "zh-hant")
        expect(phone.locator("header")).to_contain_text("群眾滿意度測評")
        expect(phone.get_by_test_id("survey-title")).to_contain_text("滿意度測評")
        expect(phone.get_by_test_id("question").first).to_contain_text("基本滿意")
        shoot(phone, "survey-phone-zh-hant")
        phone.get_by_test_id("public-language").locator("select").select_option("zh-hans")
        expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
        # Switching language (and opening the link three times) spent nothing.
        expect(phone.get_by_test_id("answer-form")).to_be_visible()

        # A second tab on the same phone has the form open too, before the answer is sent.
        other = context.new_page()
        other.goto(link)
        expect(other.get_by_test_id("answer-form")).to_be_visible()

        # A required question left out: said in words, the token is not spent.
        phone.get_by_test_id("answer-submit").click()
        expect(phone.get_by_test_id("question").first).to_contain_text("请回答此题")

        answer(phone, level="基本满意", choice="社会保障", text="希望中午也能办理业务")
        expect(phone.get_by_test_id("public-thanks")).to_contain_text("提交成功")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(phone, "survey-phone-thanks")

        # The same link again: already answered, no form.
        phone.goto(link)
        expect(phone.get_by_test_id("public-notice")).to_contain_text("此问卷已提交")
        expect(phone.get_by_test_id("answer-form")).to_have_count(0)

        # The tab opened before cannot answer a second time.
        answer(other, level="不满意", choice="其他", text="第二次提交")
        expect(other.get_by_test_id("public-notice")).to_contain_text("此问卷已提交")
        expect(other.get_by_test_id("public-thanks")).to_have_count(0)
    finally:
        context.close()
    assert not errors, errors

    # The officer sees one response and one comment; the other two tokens are unused.
    page.goto(survey_url)
    row = page.get_by_test_id("unit-row")
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(row.locator("td").nth(2)).to_have_text("1")
    page.get_by_test_id("tab-comments").click()
    expect(page.get_by_test_id("comment-row")).to_have_count(1)
    expect(page.get_by_test_id("comment-list")).to_contain_text("希望中午也能办理业务")
    expect(page.get_by_test_id("comment-list")).not_to_contain_text("第二次提交")
    assert len(token_links(page, survey_url)) == 2
