"""A password validator for what an attacker of this site would try first (issue 14).

Django's validators stay (length, common list, all digits, similarity); this one adds the
guesses a crawler of *this* site makes: the published demo password and its variants, the
city's and the districts' names with a year, and passwords built from the username
(``pw.t5pw.t5x`` for ``pw.t5``, which the similarity validator lets through).

A password is refused when, once digits and punctuation are dropped, what is left is made
only of such words (``Shanghai@2005`` → ``shanghai``; ``huangpushanghai1`` → two names). The
demo accounts are created by ``jiceng.scenario`` with ``set_password`` and keep the published
password; every password set through a form or a service is checked here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiceng.core.text import pinyin_key
from jiceng.geo.gazetteer import districts_2005

# The published demo password (README, scripts/demo.sh) is "Jiceng@2005": its word is
# refused with any digits and symbols around it.
DEMO_WORDS = ("jiceng", "基层")
CITY_WORDS = ("shanghai", "shanghaishi", "上海", "上海市", "沪", "hu")
DATE_WORDS = ("年", "月", "日")  # 上海2005年10月
# pypinyin reads these place names with the common, not the local, reading.
PLACE_READINGS = {"长宁": "changning", "闵行": "minhang"}
_SUFFIXES = ("新区", "区", "县")
_WORD = re.compile(r"[^\W\d_]+")  # letters of any script, no digits, no underscore


def _letters(text: str) -> str:
    return "".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


@functools.cache
def place_words() -> frozenset[str]:
    """The city and its 2005 districts, in Chinese and in pinyin, with and without 区/县."""
    words = {*CITY_WORDS, *DATE_WORDS}
    for d in districts_2005():
        names = {d.name}
        for suffix in _SUFFIXES:
            if d.name.endswith(suffix) and len(d.name) > len(suffix) + 1:
                names.add(d.name.removesuffix(suffix))
        for name in names:
            words.add(name)
            words.add(pinyin_key(name))
            if name in PLACE_READINGS:
                words.add(PLACE_READINGS[name])
    return frozenset(w for w in words if w)


def _made_of(text: str, words: frozenset[str] | set[str]) -> bool:
    """Whether ``text`` is a concatenation of one or more ``words``.

    >>> _made_of("shanghaihuangpu", {"shanghai", "huangpu"})
    True
    >>> _made_of("shanghaixyz", {"shanghai"})
    False
    """
    if not text:
        return False
    reachable = [True] + [False] * len(text)
    for i in range(len(text)):
        if reachable[i]:
            for w in words:
                if text.startswith(w, i):
                    reachable[i + len(w)] = True
    return reachable[-1]


def _username_parts(user: Any) -> set[str]:
    username = _letters_and_digits(getattr(user, "username", "") or "")
    parts = {p for p in re.split(r"[^\w]+|_", username) if len(p) >= 3}
    return {_letters(p) for p in parts if _letters(p)}


def _letters_and_digits(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class GuessablePasswordValidator:
    """Refuse the demo password, city and district names with a year, and the username."""

    def validate(self, password: str, user: Any = None) -> None:
        letters = _letters(password)
        if _made_of(letters, frozenset(DEMO_WORDS) | place_words()):
            if any(w in letters for w in DEMO_WORDS):
                raise ValidationError(
                    _("不能使用公开的演示密码或其变体（如 Jiceng@2005、jiceng2005）。"),
                    code="password_demo",
                )
            raise ValidationError(
                _("密码不能只由“上海”或区县名称加数字、符号组成（如 shanghai2005）。"),
                code="password_place_name",
            )
        username = _letters_and_digits(getattr(user, "username", "") or "")
        compact = _letters_and_digits(password)
        parts = _username_parts(user)
        if (len(username) >= 3 and username in compact) or _made_of(letters, parts | place_words()):
            raise ValidationError(
                _("密码不能包含用户名，也不能由用户名加数字、符号拼成。"),
                code="password_username",
            )

    def get_help_text(self) -> str:
        return _("不能使用演示密码、“上海”或区县名称加年份，也不能包含用户名。")
