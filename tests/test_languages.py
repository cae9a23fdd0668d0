"""Languages done right (issue 17): personal names are never converted for zh-Hant readers,
the rest is converted in the forms readers use today, chart data too; cached summaries keep
to their reader's language; no fact id or note to developers reaches the interface."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from conftest import mark_verified
from jiceng.core.fields import mark_name
from jiceng.core.generations import cache_key
from jiceng.core.middleware import to_traditional_page
from jiceng.core.renderers import JSONRenderer
from jiceng.core.text import to_traditional
from tests.factories import make_member

ROOT = Path(__file__).resolve().parents[1]
# Characters whose Traditional form differs and which are common in names: 余 (餘), 范 (範),
# 干 (幹/乾), 后 (後), 发 (發/髮), 松 (鬆), 谷 (穀), 钟 (鐘/鍾), 云 (雲), 丑 (醜).
NAMES = ["余涛", "范斌", "张干", "后建国", "发小红", "松丽", "谷雨生", "钟发", "云朵", "余范干"]


def _as(client, user, language):
    client.force_login(user)
    mark_verified(client, user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})


@pytest.fixture
def named(small):
    branch = small.a.branches[0]
    return [make_member(branch, name=name) for name in NAMES]


def test_names_are_shown_as_written_on_zh_hant_pages(client, small, named):
    """Fact S10's roll, read in Traditional characters: every page that shows a member."""
    _as(client, small.alice, "zh-hant")
    branch = small.a.branches[0]
    pages = [reverse("members:list") + f"?org={branch.pk}&per_page=100"]
    pages += [reverse("members:detail", args=[m.pk]) for m in named[:3]]
    pages += [reverse("members:edit", args=[named[0].pk])]
    for url in pages:
        body = client.get(url).content.decode()
        assert "黨員" in body, url  # the rest of the page is converted
        assert "\ue000" not in body, url
        assert "\ue001" not in body, url
    body = client.get(pages[0]).content.decode()
    for name in NAMES:
        assert name in body
    for converted in ("餘濤", "範斌", "張乾", "張幹", "後建國", "發小紅", "鬆麗", "穀雨生", "鐘發"):
        assert converted not in body


def test_an_edit_in_zh_hant_saves_the_name_as_written(client, small, named):
    """The edit form shows the name unconverted, so saving it changes nothing."""
    member = named[0]
    _as(client, small.alice, "zh-hant")
    body = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert f'value="{member.name}"' in body
    assert 'value="餘濤"' not in body


def test_a_message_naming_a_member_keeps_the_name(client, small, named):
    """The message after registering a member names them as typed."""
    _as(client, small.alice, "zh-hant")
    page = to_traditional_page(f"已登记党员 {mark_name('余涛')}")
    assert page == "已登記黨員 余涛"


def test_names_in_another_language_lose_their_marks(client, small, named):
    _as(client, small.alice, "en")
    body = client.get(reverse("members:detail", args=[named[1].pk])).content.decode()
    assert "范斌" in body
    assert "\ue000" not in body


def test_the_api_never_shows_the_marks():
    body = JSONRenderer().render({"detail": f"{mark_name('余涛')}：不在您的管理范围内"})
    assert body.decode() == '{"detail":"余涛：不在您的管理范围内"}'


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("晴雨表", "晴雨表"),  # a phrase table, not a character map (晴雨錶)
        ("多种经营", "多種經營"),
        ("为群众审核启动", "為群眾審核啟動"),  # today's forms, not 爲, 羣, 衆, 審覈, 啓
        ("软件信息", "軟件信息"),  # mainland words kept (s2twp would write 軟體資訊)
    ],
)
def test_the_rest_converts_to_the_forms_readers_use(simplified, traditional):
    assert to_traditional(simplified) == traditional


def test_chart_data_is_converted_for_zh_hant(client, small):
    """The home page's chart of members by sub-unit carries names a script reads."""
    _as(client, small.alice, "zh-hant")
    body = client.get("/").content.decode()
    data = re.search(r'<script id="members-by-child" type="application/json">(.*?)</script>', body)
    assert data is not None
    assert "甲區一街道黨工委" in data.group(1)
    assert "\\u" not in data.group(1)


def test_the_language_menu_names_each_language_in_itself(client, small):
    for language in ("zh-hans", "zh-hant", "en"):
        _as(client, small.alice, language)
        body = client.get("/").content.decode()
        for label in ("简体中文", "繁體中文", "English"):
            assert f">{label}</option>" in body, (language, label)
        assert "英语" not in body
        assert "英語" not in body


def test_cached_text_is_kept_per_language():
    keys = set()
    for language in ("zh-hans", "zh-hant", "en"):
        with translation.override(language):
            keys.add(cache_key("campaign-members", 1, 2, "0001", "0001"))
    assert len(keys) == 3


def test_no_fact_id_or_developer_note_reaches_the_interface():
    """Fact ids (S1…S30) belong in docs and tests; every interface string is in the catalogue."""
    catalogue = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    leaks = [
        e.msgid
        for e in catalogue
        if re.search(r"\bS[0-9]{1,2}\b", e.msgid + e.msgstr) or "演示数据" in e.msgid
    ]
    assert not leaks, leaks[:5]
