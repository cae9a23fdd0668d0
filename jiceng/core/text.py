"""Chinese text helpers: phrase-aware Simplified/Traditional conversion and pinyin keys.

Conversion uses OpenCC's phrase tables (never a character map: the seed article shows what a
character map does, e.g. 晴雨錶 for 晴雨表). Search keys are the Simplified text, the full
pinyin and the pinyin initials, so "zsm", "zhangsanming" and "張三明" all find 张三明.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc
from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common reading. pypinyin reads
# 单 as "dan", 曾 as "ceng", 解 as "jie" …; as a surname they are read as below.
SURNAME_READINGS: dict[str, list[str]] = {
    "单": ["shan"],
    "曾": ["zeng"],
    "解": ["xie"],
    "区": ["ou"],
    "仇": ["qiu"],
    "朴": ["piao"],
    "查": ["zha"],
    "盖": ["ge"],
    "乐": ["yue"],
    "尉迟": ["yu", "chi"],
    "万俟": ["mo", "qi"],
    "长孙": ["zhang", "sun"],
    "繁": ["po"],
    "缪": ["miao"],
    "翟": ["zhai"],
    "员": ["yun"],
    "覃": ["qin"],
    "能": ["nai"],
    "秘": ["bi"],
    "种": ["chong"],
    "召": ["shao"],
    "沈": ["shen"],
    "柏": ["bai"],
    "隗": ["wei"],
    "褚": ["chu"],
    "任": ["ren"],
    "华": ["hua"],
    "纪": ["ji"],
    "过": ["guo"],
    "宁": ["ning"],
    "藏": ["zang"],
    "薄": ["bo"],
    "贲": ["ben"],
    "蕃": ["pi"],
    "厍": ["she"],
}

_INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\u00ad]")


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Convert Simplified to Traditional Chinese, phrase by phrase, in the standard forms
    readers use today (OpenCC ``s2tw``: 為, 啟, 眾, 審核, where ``s2t`` writes the older 爲, 啓,
    衆, 審覈). ``s2twp`` would also swap mainland words for Taiwan ones (软件 → 軟體, 审核 →
    稽核), which changes what a mainland text says; ``s2hk`` keeps 啓 and 羣. Never apply it to a
    personal name (``fields.PersonName``).

    >>> to_traditional("组织关系")
    '組織關係'
    """
    return _converter("s2tw").convert(text) if text else text


def to_simplified(text: str) -> str:
    """Convert Traditional to Simplified Chinese (OpenCC ``t2s``).

    >>> to_simplified("黨支部")
    '党支部'
    """
    if not text:
        return text
    if len(text) <= 32:
        return _short_t2s(text)
    return _converter("t2s").convert(text)


@functools.lru_cache(maxsize=131_072)
def _short_t2s(text: str) -> str:
    """``t2s`` of a short text (a name, a choice label), cached: a roll repeats them."""
    return _converter("t2s").convert(text)


def clean(text: str) -> str:
    """Normalise width (NFKC: full-width digits and letters), drop invisible characters, trim.

    >>> clean(" ３１０１\u200b ")
    '3101'
    """
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text.strip()  # NFKC leaves printable ASCII as it is; nothing invisible in it
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).strip()


@functools.lru_cache(maxsize=262_144)
def _syllables(text: str, *, person_name: bool) -> tuple[str, ...]:
    """Pinyin syllables of a name; cached, since names repeat across a roll of millions."""
    return tuple(_read(text, person_name=person_name))


def _read(text: str, *, person_name: bool) -> list[str]:
    text = to_simplified(clean(text))
    if person_name:
        for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
            if text.startswith(surname):
                rest = lazy_pinyin(text[len(surname) :], errors="ignore")
                return SURNAME_READINGS[surname] + rest
    return lazy_pinyin(text, style=Style.NORMAL, errors="ignore")


def pinyin_key(text: str, *, person_name: bool = False) -> str:
    """Full pinyin without tones or spaces, lower case.

    >>> pinyin_key("单田芳", person_name=True)
    'shantianfang'
    """
    return "".join(_syllables(text, person_name=person_name)).lower()


def initials_key(text: str, *, person_name: bool = False) -> str:
    """Pinyin initials, lower case: 张三明 → ``zsm``; 曾 as a surname → ``z``.

    >>> initials_key("曾国藩", person_name=True)
    'zgf'
    """
    return "".join(s[0] for s in _syllables(text, person_name=person_name) if s).lower()


def search_terms(query: str) -> tuple[str, bool]:
    """Normalise a search query: width, invisible characters, Traditional → Simplified.

    Returns the cleaned query and whether it is a pinyin query (ASCII letters only).

    >>> search_terms(" 黨支部 ")
    ('党支部', False)
    >>> search_terms("ZSM")
    ('zsm', True)
    """
    q = to_simplified(clean(query))
    if q.isascii() and q.replace(" ", "").isalpha():
        return q.replace(" ", "").lower(), True
    return q, False
