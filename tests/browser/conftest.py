"""Browser tests run real Chromium (Debian's /usr/bin/chromium) through Playwright against a
real server process: ``manage.py runserver`` on a throw-away SQLite database holding the tiny
scenario. Nothing is mocked; what the tests check is what a user sees."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import b32decode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django_otp.oath import hotp
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "Jiceng@2005"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "JICENG_VAR_DIR": str(var),
        "DEBUG": "1",
        # A district's roll (some fifty members in the tiny scenario) exports as a job.
        "JICENG_EXPORT_JOB_THRESHOLD": "20",
        "JICENG_EXPORT_PROGRESS_ROWS": "10",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "scenario", "--scale", "tiny", "--seed", "7"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    port = _free_port()
    # The server's log goes to a file: a pipe nobody reads fills after some hundred requests
    # and then blocks the server in the middle of a test.
    server_log = var / "server.log"
    proc = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=server_log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/health/", timeout=1)  # noqa: S310 - local server
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("the test server did not start: " + server_log.read_text()[-4000:])
    # The task worker (django-tasks database backend) runs imports queued from the pages.
    worker = subprocess.Popen(
        [*manage, "db_worker", "--interval", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield url
    for p in (proc, worker):
        p.terminate()
        p.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make chromium` installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1360, "height": 900}, base_url=server
    )
    pg = context.new_page()
    # Console errors (a script failing, a Content-Security-Policy violation) fail the test:
    # users would meet a page that silently does less than it should.
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"{pg.url}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(f"{pg.url}: {exc}"))
    yield pg
    context.close()
    # 404 pages asked for on purpose by the scoping tests log a failed resource load
    errors = [e for e in errors if "the server responded with a status of 404" not in e]
    assert not errors, "console errors:\n" + "\n".join(errors[:10])


@dataclass
class Authenticator:
    """What a user's phone app knows: the secret read from the enrolment page, and the last
    time step used (the server accepts each step once, within one step of its clock)."""

    key: bytes
    last_step: int = -1
    drift: int = 0

    def code(self) -> str:
        """The next code the server will accept (waits for the next step when needed)."""
        while True:
            now = int(time.time()) // 30
            step = max(self.last_step + 1, now + self.drift - 1)
            if step <= now + self.drift + 1:
                break
            time.sleep(30 - time.time() % 30 + 0.1)
        self.last_step, self.drift = step, step - now
        return f"{hotp(self.key, step):06d}"


# The phones of the users who enrolled during this test session, and the cookies of the
# devices they asked the site to remember (the server and its database live as long).
AUTHENTICATORS: dict[str, Authenticator] = {}
REMEMBERED: dict[str, dict[str, Any]] = {}
ENROL_PATH = "/accounts/security/enrol/"
VERIFY_PATH = "/accounts/security/verify/"


def enrol(page: Any, username: str) -> list[str]:
    """On the enrolment page: read the manual key, confirm with a code, keep the recovery
    codes shown; returns them."""
    key = page.inner_text("[data-testid=otp-manual-key]").replace(" ", "")
    phone = AUTHENTICATORS[username] = Authenticator(key=b32decode(key))
    page.fill("#id_code", phone.code())
    page.click("form[novalidate] button[type=submit]")
    page.wait_for_selector("[data-testid=recovery-codes]")
    return [c.strip() for c in page.locator("[data-testid=recovery-codes] li").all_inner_texts()]


def verify(page: Any, username: str, *, remember: bool = True) -> None:
    """On the verification page: a code from the user's phone, remembering the device."""
    page.fill("#id_code", AUTHENTICATORS[username].code())
    if remember:
        page.check("#id_remember")
    page.click("[data-testid=otp-verify] button[type=submit]")
    page.wait_for_url(lambda url: VERIFY_PATH not in url)
    if remember:
        cookies = [c for c in page.context.cookies() if c["name"] == "jiceng_device"]
        if cookies:
            REMEMBERED[username] = cookies[0]


def submit_password(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def log_in(page: Any) -> Any:
    """Log in with the password, then the second factor: enrol on first login (reading the
    key from the page), a code afterwards, a remembered device after that."""

    def _log_in(username: str) -> Any:
        if username in REMEMBERED:
            page.context.add_cookies([REMEMBERED[username]])
        submit_password(page, username)
        if ENROL_PATH in page.url:
            enrol(page, username)
            page.click("[data-testid=recovery-saved]")
        elif VERIFY_PATH in page.url:
            verify(page, username)
        page.wait_for_url(lambda url: urlparse(url).path == "/")
        return page

    return _log_in


def shoot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot for the README (docs/screenshots); ``full_page`` takes the whole
    page, not only the window."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def log_out(page: Any) -> None:
    """Log out from the account menu (opening the collapsed navigation first on a phone)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and not page.get_by_test_id("account-menu").is_visible():
        toggler.click()
        # Bootstrap's collapse animates ("collapsing") before it is "show": a click on the
        # account menu during the animation can be lost.
        expect(page.locator(".navbar-collapse.show")).to_be_visible()
    page.get_by_test_id("account-menu").click()
    logout = page.get_by_test_id("logout")
    if not logout.is_visible():
        page.wait_for_timeout(300)
        if not logout.is_visible():
            page.get_by_test_id("account-menu").click()
    logout.click()
