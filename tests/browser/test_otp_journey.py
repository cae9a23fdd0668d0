"""The second factor in real Chromium (issue 14): a new officer enrols by reading the key off
the page, keeps the recovery codes, logs in with a code and with a recovery code (used up after
one use), and an account manager resets the device after a lost phone."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import ENROL_PATH, VERIFY_PATH, enrol, shoot, submit_password, verify
from .conftest import log_out as menu_log_out

pytestmark = pytest.mark.browser

USERNAME = "otp.officer"
PASSWORD = "Dengta-Qiao-47x"
HUANGPU_STREET = "310101002"


def log_out(page) -> None:
    menu_log_out(page)
    page.wait_for_url("**/accounts/login/")


def test_an_officer_enrols_logs_in_with_codes_and_a_manager_resets_the_phone(page, log_in):
    # An account manager creates the officer; the demo password is refused.
    log_in("huangpu.officer")
    page.goto("/accounts/new/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_display_name", "南京东路街道 测试干部")
    page.fill("#id_password", "Jiceng@2005")
    page.select_option("#id_role", "committee_officer")
    page.fill("#id_organization", HUANGPU_STREET)
    page.click("main form button.btn-primary")
    expect(page.locator("main")).to_contain_text("演示密码")
    page.fill("#id_password", PASSWORD)
    page.click("main form button.btn-primary")
    expect(page.locator("main h1")).to_contain_text(USERNAME)
    log_out(page)

    # First login: the password, then enrolment with the QR code or the key shown.
    submit_password(page, USERNAME, PASSWORD)
    assert ENROL_PATH in page.url
    expect(page.get_by_test_id("otp-qr")).to_be_visible()
    expect(page.locator("#nav .navbar-nav")).to_have_count(0)  # nothing else until enrolled
    shoot(page, "otp-enrol")
    codes = enrol(page, USERNAME)
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", c) for c in codes)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载（.txt）").click()
    assert codes[0] in download.value.path().read_text(encoding="utf-8")
    shoot(page, "otp-recovery-codes")
    page.get_by_test_id("recovery-saved").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    expect(page.get_by_test_id("whoami")).to_contain_text("测试干部")
    log_out(page)

    # Next login: the password, then a code from the phone.
    submit_password(page, USERNAME, PASSWORD)
    assert VERIFY_PATH in page.url
    expect(page.get_by_text("记住此设备 30 天")).to_be_visible()
    shoot(page, "otp-verify")
    verify(page, USERNAME, remember=False)
    expect(page.get_by_test_id("whoami")).to_contain_text("测试干部")
    log_out(page)

    # Without the phone: a recovery code, once.
    submit_password(page, USERNAME, PASSWORD)
    page.fill("#id_code", codes[0])
    page.click("[data-testid=otp-verify] button[type=submit]")
    expect(page.locator("main")).to_contain_text("还剩 9 个")
    log_out(page)
    submit_password(page, USERNAME, PASSWORD)
    page.fill("#id_code", codes[0])
    page.click("[data-testid=otp-verify] button[type=submit]")
    expect(page.locator("main")).to_contain_text("验证码或恢复码不正确")
    assert VERIFY_PATH in page.url
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/")

    # The phone is lost: the district's account manager resets the second factor.
    log_in("huangpu.officer")
    page.goto(f"/accounts/?q={USERNAME}")
    page.get_by_role("link", name=USERNAME).click()
    expect(page.get_by_test_id("account-otp")).to_contain_text("已启用")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="重置两步验证").click()
    expect(page.locator("main")).to_contain_text("已重置")
    expect(page.get_by_test_id("account-otp")).to_contain_text("未启用")
    shoot(page, "otp-reset")
    log_out(page)

    # The officer enrols again at the next login.
    submit_password(page, USERNAME, PASSWORD)
    assert ENROL_PATH in page.url


def test_a_verified_officer_issues_an_api_token(page, log_in, server):
    log_in("city.admin")
    page.get_by_test_id("nav-more").click()
    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("nav-security").click()
    expect(page.get_by_test_id("otp-status")).to_contain_text("已启用")
    page.get_by_role("button", name="签发令牌").click()
    key = page.get_by_test_id("api-token-key").inner_text()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    shoot(page, "otp-security")
    request = urllib.request.Request(  # noqa: S310 - local server
        f"{server}/api/me/", headers={"Authorization": f"Token {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
        assert json.loads(response.read())["username"] == "city.admin"
