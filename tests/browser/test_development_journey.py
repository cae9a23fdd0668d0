"""Membership development in real Chromium (issue 23 item 2). A branch secretary registers an
application and takes the branch's steps up to the general meeting. The steps reserved for the
committee above (filings, the pre-review that numbers the 入党志愿书, the talk and the approval)
show to the secretary as refused, with the words saying who takes them, and the officer of the
street committee above takes them. After the approval the applicant is on the roll as a
probationary member of the branch."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import log_out, shoot

pytestmark = pytest.mark.browser

SECRETARY = "branch.secretary"
ABOVE = "street.officer"


def _take(page, code: str, on: str, **fields: str) -> None:
    form = page.get_by_test_id(f"development-open-{code}")
    form.locator("[name=on]").fill(on)
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    if code in ("contacts", "introducers"):
        form.locator("select[name=people]").select_option(index=[0, 1])
    form.get_by_test_id(f"development-do-{code}").click()
    expect(page.locator(f"[data-testid=development-steps] tr[data-step={code}]")).to_be_visible()


def _switch(page, log_in, username: str, url: str) -> None:
    log_out(page)
    log_in(username)
    page.goto(url)


def test_branch_takes_an_applicant_to_the_meeting_and_the_committee_above_approves(page, log_in):
    log_in(SECRETARY)
    page.get_by_test_id("nav-more").click()
    page.get_by_test_id("nav-development").click()
    page.get_by_test_id("development-create").click()
    form = page.get_by_test_id("development-form")
    form.locator("#id_name").fill("歐陽曉明")
    form.locator("#id_id_number").fill("310101198005200038")
    form.locator("#id_phone").fill("13912345678")
    form.locator("#id_applied_on").fill("2003-01-10")
    page.get_by_test_id("development-save").click()
    expect(page.get_by_test_id("development-name")).to_have_text("歐陽曉明")
    expect(page.get_by_test_id("development-id-masked")).not_to_contain_text("310101198005200038")
    case = page.url

    # Out of order: the talk comes first; a late talk needs a reason.
    _take(page, "talk", "2003-02-05")
    _take(page, "activist", "2003-03-01")
    refused = page.get_by_test_id("development-refusal-activist_filed")
    expect(refused).to_contain_text("上级党委")
    expect(page.get_by_test_id("development-do-activist_filed")).to_have_count(0)

    _switch(page, log_in, ABOVE, case)
    _take(page, "activist_filed", "2003-03-10")

    _switch(page, log_in, SECRETARY, case)
    _take(page, "contacts", "2003-03-15")
    # a year as an activist first (第十三条)
    form = page.get_by_test_id("development-open-candidate")
    form.locator("[name=on]").fill("2004-02-01")
    form.get_by_test_id("development-do-candidate").click()
    expect(page.locator("body")).to_contain_text("第十三条")
    _take(page, "candidate", "2004-03-02")

    _switch(page, log_in, ABOVE, case)
    _take(page, "candidate_filed", "2004-03-10")

    _switch(page, log_in, SECRETARY, case)
    _take(page, "introducers", "2004-03-15")
    _take(page, "political_review", "2004-04-01")
    _take(page, "training", "2004-04-10", days="3")
    _take(page, "committee_review", "2004-05-01")

    _switch(page, log_in, ABOVE, case)
    _take(page, "pre_review", "2004-05-10", application_form_no="2004-0001")
    expect(page.get_by_test_id("development-form-no")).to_have_text("2004-0001")

    _switch(page, log_in, SECRETARY, case)
    _take(page, "form_filled", "2004-05-20")
    _take(
        page,
        "general_meeting",
        "2004-06-01",
        due="9",
        present="8",
        votes_for="7",
        against="1",
        abstain="0",
    )
    expect(page.get_by_test_id("development-refusal-upper_talk")).to_contain_text("上级党委")

    _switch(page, log_in, ABOVE, case)
    _take(page, "upper_talk", "2004-06-15")
    _take(page, "approval", "2004-07-01")
    expect(page.get_by_test_id("development-stage")).to_contain_text("预备党员")
    shoot(page, "development-case", full_page=True)
    page.get_by_test_id("development-member").click()
    expect(page.locator("body")).to_contain_text("歐陽曉明")
    expect(page.locator("body")).to_contain_text("预备党员")
