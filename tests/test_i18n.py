"""Languages: zh-Hans (source), zh-Hant made by OpenCC, English by hand; a switch on every page."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from jiceng.core.text import to_traditional

ROOT = Path(__file__).resolve().parents[1]
TRANS = re.compile(r"""{%\s*trans\s+"([^"]+)"\s*%}""")


def catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


def test_zh_hant_catalogue_is_exactly_opencc_s2t_of_the_sources():
    for entry in catalogue("zh_Hant"):
        if entry.msgid_plural:  # Chinese has one plural form
            assert entry.msgstr_plural == {0: to_traditional(entry.msgid)}, entry.msgid
        else:
            assert entry.msgstr == to_traditional(entry.msgid), entry.msgid


def test_english_catalogue_is_complete():
    assert [e.msgid for e in catalogue("en").untranslated_entries()] == []
    # makemessages guesses a translation for a new string from a similar old one and marks it
    # fuzzy; gettext ignores fuzzy entries, so the page would show the Chinese source.
    assert [e.msgid for e in catalogue("en").fuzzy_entries()] == []


def test_every_template_string_is_in_the_catalogues():
    """`scripts/make_messages.py` must be run after adding interface text."""
    known = {e.msgid for e in catalogue("en")}
    missing = set()
    for template in (ROOT / "jiceng").rglob("templates/**/*.html"):
        # makemessages writes a template's literal "%" as "%%" in the catalogue.
        missing |= {
            m
            for m in TRANS.findall(template.read_text())
            if m not in known and m.replace("%", "%%") not in known
        }
    assert not missing, f"run scripts/make_messages.py: {sorted(missing)[:10]}"


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("en", "Log in", "登录基层党建工作平台"),
        ("zh-hant", "登錄基層黨建工作平臺", "登录基层党建工作平台"),
        ("zh-hans", "登录基层党建工作平台", "Log in"),
    ],
)
def test_login_page_in_each_language(client, db, language, expected, absent):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert expected in body
    assert absent not in body


def test_data_is_shown_in_traditional_for_zh_hant_users(client, login, world):
    login("huangpu.officer")
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    body = client.get(reverse("orgs:detail", args=[world.huangpu.pk])).content.decode()
    assert "中共上海市黃浦區委員會" in body
    assert "中共上海市黄浦区委员会" not in body
