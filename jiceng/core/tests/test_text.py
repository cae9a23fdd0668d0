"""Chinese text helpers: phrase-aware conversion (OpenCC) and pinyin search keys.

The seed article was converted character by character and shows "晴雨錶" for 晴雨表; the product
must convert phrase by phrase (FACTS.md, note on the text; S29 summaries in both scripts).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.text import (
    clean,
    initials_key,
    pinyin_key,
    search_terms,
    to_simplified,
    to_traditional,
)


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("晴雨表", "晴雨表"),  # a barometer is not a watch (錶): the article's conversion error
        ("钟表", "鐘錶"),  # …but a clock-and-watch is
        ("头发", "頭髮"),  # hair (髮), not issue (發)
        ("发展", "發展"),
        ("理发", "理髮"),
        ("干部", "幹部"),
        ("后来", "後來"),
        ("皇后", "皇后"),
        ("多种", "多種"),  # left unconverted in the article
        ("组织关系", "組織關係"),
        ("党员先进性教育", "黨員先進性教育"),
    ],
)
def test_to_traditional_converts_phrase_by_phrase(simplified, traditional):
    assert to_traditional(simplified) == traditional


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("頭髮", "头发"),
        ("晴雨錶", "晴雨表"),  # the article's wrong form still reads back correctly
        ("黨支部", "党支部"),
        ("幹部", "干部"),
        ("先進性", "先进性"),
        ("保持共產黨員先進性教育活動", "保持共产党员先进性教育活动"),
    ],
)
def test_to_simplified_converts_traditional_text(traditional, simplified):
    assert to_simplified(traditional) == simplified


@pytest.mark.parametrize("empty", ["", None])
def test_conversions_pass_empty_values_through(empty):
    assert to_traditional(empty) == empty
    assert to_simplified(empty) == empty


@pytest.mark.parametrize(
    ("name", "initials", "pinyin"),
    [
        ("张三明", "zsm", "zhangsanming"),
        ("单田芳", "stf", "shantianfang"),  # 单 as a surname is shan, not dan
        ("曾国藩", "zgf", "zengguofan"),  # 曾 as a surname is zeng, not ceng
        ("解缙", "xj", "xiejin"),  # 解 as a surname is xie, not jie
        ("朴槿惠", "pjh", "piaojinhui"),
        ("尉迟恭", "ycg", "yuchigong"),  # two-character surname
        ("長孫無忌", "zswj", "zhangsunwuji"),  # Traditional input, two-character surname
    ],
)
def test_person_names_use_surname_readings(name, initials, pinyin):
    assert initials_key(name, person_name=True) == initials
    assert pinyin_key(name, person_name=True) == pinyin


@pytest.mark.parametrize(
    ("word", "initials", "pinyin"),
    [
        ("单位", "dw", "danwei"),
        ("曾经", "cj", "cengjing"),
        ("解放", "jf", "jiefang"),
    ],
)
def test_ordinary_words_keep_the_common_reading(word, initials, pinyin):
    assert initials_key(word) == initials
    assert pinyin_key(word) == pinyin


def test_surname_reading_applies_only_at_the_start_of_a_name():
    assert pinyin_key("王单", person_name=True) == "wangdan"


def test_keys_ignore_width_and_invisible_characters():
    assert pinyin_key("张\u200b三明 ", person_name=True) == "zhangsanming"
    assert initials_key("張三明", person_name=True) == "zsm"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ＺＳＭ", ("zsm", True)),  # full-width letters
        ("Ｚhang", ("zhang", True)),
        (" zhang san ", ("zhangsan", True)),  # spaces inside pinyin dropped
        ("z s m", ("zsm", True)),
        ("张\u200b三", ("张三", False)),  # zero-width space
        ("  黨支部\ufeff ", ("党支部", False)),  # BOM, Traditional → Simplified
        ("張三明", ("张三明", False)),
        ("１２３", ("123", False)),  # digits are not pinyin
        ("zhang三", ("zhang三", False)),  # mixed script is not pinyin
        ("", ("", False)),
    ],
)
def test_search_terms_normalise_the_query(query, expected):
    assert search_terms(query) == expected


def test_clean_normalises_width_and_drops_invisible_characters():
    assert clean("\u00ad ３１０１\u200b\u2060 ") == "3101"
    assert clean(None) == ""  # type: ignore[arg-type]


_QUERY_ALPHABET = st.sampled_from(
    [
        *"张三明黨支部頭髮晴雨錶abcXYZ019 ",
        *("\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u3000", "Ａ", "ｚ", "５"),
    ]
)
_INVISIBLE_OR_FULLWIDTH = re.compile("[\u200b-\u200f\u2060-\u206f\ufeff\u00ad\uff01-\uff5e]")


@given(st.text(alphabet=_QUERY_ALPHABET, max_size=20))
def test_search_terms_never_keep_invisible_or_full_width_characters(query):
    term, is_pinyin = search_terms(query)
    assert not _INVISIBLE_OR_FULLWIDTH.search(term)
    assert term == term.strip()
    if is_pinyin:
        assert term.isascii()
        assert term.isalpha()
        assert term == term.lower()
    assert search_terms(term) == (term, is_pinyin)
