"""Pages follow the role (issue 17): every page reached by following links, as every demo
role, and every form or action button on it submitted as that role. A page that offers a
write the role is refused (403, 404, or a service's refusal, logged by ``core.views``) fails.

The demo data set is the point here: it is the world the nine demo accounts use.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from conftest import mark_verified

# Roles that write nothing (the role matrix gives them no CHANGE): no page offers them a form
# that writes, not even one whose refusal would come as a validation error.
READ_ONLY = {"party.worker", "auditor"}
ROLES = [
    "city.admin",
    "huangpu.officer",
    "street.officer",
    "dianqi.officer",
    "branch.secretary",
    "party.worker",
    "auditor",
    "member.self",
]
MAX_PAGES = 70  # per role; the walk keeps at most two pages of each URL shape
SKIP = re.compile(r"^/(api|static|media|admin|i18n)/|/logout/|export|download|\.(csv|xlsx|pdf)$")
# Forms that are not writes on the organisation's data.
NOT_WRITES = re.compile(r"/i18n/|/logout/|/security/|/second-factor/|/password")
# Reads that are POSTs because each one is audited (a reveal): offered to a read-only role that
# holds the right (a party worker with outreach rights reads a needy person's categories), and
# still submitted below to check the role is not refused.
AUDITED_READS = re.compile(r"/reveal/")


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    label: str = ""
    offered: bool = False  # has a submit button (a form without one offers nothing)


class PageParser(HTMLParser):
    """Links, POST forms (with their default values and first submit button) and htmx
    ``hx-post`` buttons of one page."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._submitted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, urldefrag(a["href"])[0]))
        if "hx-post" in a and tag != "form":
            action = urljoin(self.url, a["hx-post"])
            self.forms.append(Form(action, label=a.get("data-testid", ""), offered=True))
        if tag == "form":
            method = (a.get("method") or "get").lower()
            action = a.get("hx-post") or a.get("action") or self.url
            self._form = (
                Form(urljoin(self.url, action)) if method == "post" or "hx-post" in a else None
            )
            self._submitted = False
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "submit":
                self._form.offered = True
                if not self._submitted:
                    self._form.fields[name] = a.get("value", "")
                    self._submitted = True
                return
            self._form.fields.setdefault(name, a.get("value", ""))
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            self._form.offered = True
            if name and not self._submitted:
                self._form.fields[name] = a.get("value", "")
            self._submitted = True
            self._form.label = self._form.label or a.get("data-testid", "")
        elif tag == "textarea" and name:
            self._form.fields.setdefault(name, "")
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select and (self._select_value is None or "selected" in a):
            self._select_value = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._form is not None and self._select:
            self._form.fields.setdefault(self._select, self._select_value or "")
            self._select = None
        if tag == "form" and self._form is not None:
            if self._form.offered:
                self.forms.append(self._form)
            self._form = None


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _walk(client) -> tuple[list[str], list[tuple[str, Form]], list[tuple[str, str, int]]]:
    seen: set[str] = set()
    shapes: Counter[str] = Counter()
    queue: deque[tuple[str, str]] = deque([("/", "")])
    broken: list[tuple[str, str, int]] = []  # (page, link, status): offered but refused
    pages: list[str] = []
    forms: dict[str, tuple[str, Form]] = {}
    while queue and len(pages) < MAX_PAGES:
        url, came_from = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or url in seen or SKIP.search(parts.path):
            continue
        seen.add(url)
        shape = _shape(parts.path)
        if shapes[shape] >= 2:
            continue
        shapes[shape] += 1
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.get(local)
        assert response.status_code < 500, local
        if response.status_code in (403, 404):
            broken.append((came_from, local, response.status_code))
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages.append(local)
        parser = PageParser(f"http://testserver{local}")
        parser.feed(response.content.decode())
        queue.extend((link, local) for link in parser.links)
        for form in parser.forms:
            path = urlsplit(form.action).path
            if NOT_WRITES.search(path) or SKIP.search(path):
                continue
            key = (
                _shape(path)
                + "|"
                + ",".join(sorted(k for k in form.fields if k != "csrfmiddlewaretoken"))
            )
            forms.setdefault(key, (local, form))
    return pages, list(forms.values()), broken


@pytest.mark.parametrize("username", ROLES)
def test_no_page_offers_what_its_role_is_refused(client, world, caplog, username):
    user = world.user(username)
    client.force_login(user)
    mark_verified(client, user)
    pages, forms, broken = _walk(client)
    assert len(pages) >= 3, pages  # the walk reached the role's pages
    assert not broken, "links the role cannot open:\n" + "\n".join(map(str, broken))
    if username in READ_ONLY:
        offered = [
            (page, urlsplit(form.action).path, form.label)
            for page, form in forms
            if not AUDITED_READS.search(urlsplit(form.action).path)
        ]
        assert not offered, "write forms offered to a read-only role:\n" + "\n".join(
            map(str, offered)
        )
    caplog.set_level(logging.INFO, logger="jiceng.refusals")
    refused = []
    for page, form in forms:
        path = urlsplit(form.action).path
        data = {k: v for k, v in form.fields.items() if k != "csrfmiddlewaretoken"}
        caplog.clear()
        response = client.post(path, data, HTTP_HX_REQUEST="true")
        why = [r.getMessage() for r in caplog.records if r.name == "jiceng.refusals"]
        if response.status_code in (403, 404) or why:
            refused.append((page, path, form.label, response.status_code, why[:1]))
    assert not refused, "\n".join(map(str, refused))
