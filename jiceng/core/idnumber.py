"""Chinese resident identity card numbers (公民身份号码).

Parsing, validation, normalisation, masking and synthesis of citizen ID numbers as defined
by GB 11643-1999 《公民身份号码》:

* 18 characters: a 6-digit address code (地址码, GB/T 2260 administrative division of the
  holder's registered residence *when the number was issued*), an 8-digit birth date
  ``YYYYMMDD`` (出生日期码), a 3-digit order code (顺序码, odd for men, even for women) and
  a check character (校验码) computed with ISO 7064:1983 MOD 11-2 (``0``-``9`` or ``X``
  for 10).
* Old 15-digit numbers (issued before the 1999 standard) have a 2-digit year and no check
  character; they are upgraded by inserting ``19`` and computing the check character.

Numbers were first issued in 1984 and carry the address code in force at issue, not at
birth, so an address code is accepted whenever it was valid at *any* time; e.g. 310230
(崇明县, in the code table from 1982) for someone born in 1962. Codes missing from the
historical table only produce a warning, since the table may be incomplete.

The module is pure Python (no Django). Messages in :class:`IdNumberError` and
:attr:`IdNumber.warnings` are in Simplified Chinese for the officers using the system.

Examples
--------
>>> n = parse_id_number("11010519491231002x")
>>> n.value, n.birth_date.isoformat(), n.sex, n.area_name
('11010519491231002X', '1949-12-31', 'F', '朝阳区')
>>> mask_id_number(n.value)
'110105********002X'
"""

from __future__ import annotations

import functools
import json
import operator
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

__all__ = [
    "PROVINCE_CODES",
    "IdNumber",
    "IdNumberError",
    "area_name",
    "check_digit",
    "is_valid_id_number",
    "known_area_codes",
    "make_id_number",
    "mask_id_number",
    "normalize_id_number",
    "parse_id_number",
    "upgrade_15_to_18",
]

#: Province-level prefixes (GB/T 2260), plus 83 used for Taiwan residents' residence permits.
# fmt: off
PROVINCE_CODES: frozenset[str] = frozenset({
    "11", "12", "13", "14", "15",              # 华北
    "21", "22", "23",                          # 东北
    "31", "32", "33", "34", "35", "36", "37",  # 华东
    "41", "42", "43", "44", "45", "46",        # 中南
    "50", "51", "52", "53", "54",              # 西南
    "61", "62", "63", "64", "65",              # 西北
    "71", "81", "82", "83",                    # 台湾、香港、澳门、台湾居民居住证
})
# fmt: on

#: Earliest birth year accepted.
MIN_BIRTH_YEAR = 1880

_AREA_CODES_PATH = Path(__file__).resolve().parent / "data" / "area_codes.json"
_CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
# ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for positions i = 0..16.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"  # index: weighted sum mod 11
_PLAIN_ID = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")
_FULLWIDTH = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
}


class IdNumberError(ValueError):
    """An ID number is not valid.

    Parameters
    ----------
    message : str
        Simplified Chinese explanation an officer can act on; also ``str(exc)``.
    code : str, optional
        Machine-readable reason: ``"empty"``, ``"length"``, ``"character"``,
        ``"province"``, ``"date"``, ``"future"``, ``"too_old"``, ``"check_digit"`` or
        ``"invalid"``.

    Examples
    --------
    >>> try:
    ...     parse_id_number("1101051949123100")
    ... except IdNumberError as exc:
    ...     print(exc.code, exc)
    length 身份证号码长度应为18位（或15位旧号码），实为 16 位
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class IdNumber:
    """A parsed, valid ID number.

    Attributes
    ----------
    value : str
        The normalised 18-character number (upgraded if the input had 15 digits).
    area_code : str
        The 6-digit address code.
    area_name : str or None
        Name of the area for that code in the birth year (or the nearest year in which the
        code existed); ``None`` if the code is not in the historical table.
    birth_date : datetime.date
        Date of birth.
    sex : str
        ``"M"`` or ``"F"``, from the parity of the 17th digit.
    upgraded_from_15 : bool
        Whether the input was an old 15-digit number.
    warnings : tuple of str
        Non-fatal problems for manual review, in Chinese.
    """

    value: str
    area_code: str
    area_name: str | None
    birth_date: date
    sex: str
    upgraded_from_15: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        """The number masked for display, see :func:`mask_id_number`.

        Examples
        --------
        >>> parse_id_number("11010519491231002X").masked
        '110105********002X'
        """
        return mask_id_number(self.value)


def normalize_id_number(raw: str) -> str:
    """Clean up a typed or pasted ID number without validating it.

    Removes whitespace (including NBSP and ideographic spaces), control and invisible
    format characters (zero-width spaces/joiners, BOM, direction marks), converts
    full-width digits and Latin letters to ASCII and upper-cases letters.

    Parameters
    ----------
    raw : str
        Input as entered.

    Returns
    -------
    str
        The cleaned string; may still be invalid.

    Examples
    --------
    >>> normalize_id_number(" 110105 1949\\u00a01231 002x\\u200b")
    '11010519491231002X'
    >>> normalize_id_number("\\ufeff１１０１０５１９４９１２３１００２ｘ")
    '11010519491231002X'
    """
    if _PLAIN_ID.fullmatch(raw):  # the common case, already clean: skip the per-character walk
        return raw.upper()
    kept = (
        ch
        for ch in raw.translate(_FULLWIDTH)
        if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return "".join(kept).upper()


def check_digit(first17: str) -> str:
    """Compute the ISO 7064 MOD 11-2 check character for the first 17 digits.

    Parameters
    ----------
    first17 : str
        Exactly 17 ASCII digits.

    Returns
    -------
    str
        ``"0"``-``"9"`` or ``"X"``.

    Raises
    ------
    IdNumberError
        If ``first17`` is not 17 digits.

    Examples
    --------
    >>> check_digit("11010519491231002")
    'X'
    >>> check_digit("31023019620501123")
    'X'
    """
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise IdNumberError(
            f"计算校验位需要17位数字，实为 “{first17}”",
            "character" if len(first17) == 17 else "length",
        )
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def upgrade_15_to_18(id15: str) -> str:
    """Convert an old 15-digit number to 18 digits.

    Inserts the century ``19`` before the 2-digit birth year and appends the check
    character. The input is normalised first; the date is not validated.

    Parameters
    ----------
    id15 : str
        A 15-digit number.

    Returns
    -------
    str
        The 18-character number.

    Raises
    ------
    IdNumberError
        If the input is not 15 digits.

    Examples
    --------
    >>> upgrade_15_to_18("110105491231002")
    '11010519491231002X'
    """
    id15 = normalize_id_number(id15)
    if len(id15) != 15:
        raise IdNumberError(f"15位旧身份证号码长度应为15位，实为 {len(id15)} 位", "length")
    _check_characters(id15, allow_x=False)
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_digit(first17)


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate and decode an ID number.

    Accepts 18-character numbers (17 digits and a digit or ``X``) and old 15-digit
    numbers (upgraded to 18). The input is normalised with :func:`normalize_id_number`.

    Parameters
    ----------
    raw : str
        The number as entered.
    today : datetime.date, optional
        Reference date for the "not in the future" check; defaults to today in China.

    Returns
    -------
    IdNumber
        The decoded number; ``warnings`` lists problems needing manual review (such as
        an address code missing from the historical table).

    Raises
    ------
    IdNumberError
        On wrong length or characters, a province prefix that does not exist, an
        impossible, future or pre-1880 birth date, or a wrong check character.

    Examples
    --------
    >>> n = parse_id_number("31023019620501123X")
    >>> n.area_name, n.birth_date.isoformat(), n.sex, n.warnings
    ('崇明县', '1962-05-01', 'M', ())
    >>> parse_id_number("110105491231002").value
    '11010519491231002X'
    >>> try:
    ...     parse_id_number("110105194912310025")
    ... except IdNumberError as exc:
    ...     print(exc)
    身份证号码校验位错误：应为 X，实为 5
    >>> parse_id_number("310999196205011231").warnings
    ('地址码 310999 不在历史行政区划代码表中，请人工核对',)
    """
    value = normalize_id_number(raw)
    if not value:
        raise IdNumberError("身份证号码为空", "empty")
    if len(value) not in (15, 18):
        raise IdNumberError(
            f"身份证号码长度应为18位（或15位旧号码），实为 {len(value)} 位", "length"
        )
    upgraded = len(value) == 15
    _check_characters(value, allow_x=not upgraded)

    province = value[:2]
    if province not in PROVINCE_CODES:
        raise IdNumberError(f"身份证号码前两位 {province} 不是有效的省级行政区划代码", "province")

    first17 = value[:6] + "19" + value[6:] if upgraded else value[:17]
    birth = _birth_date(first17[6:14], today=today)

    expected = check_digit(first17)
    if upgraded:
        value = first17 + expected
    elif value[17] != expected:
        raise IdNumberError(
            f"身份证号码校验位错误：应为 {expected}，实为 {value[17]}", "check_digit"
        )

    area_code = value[:6]
    name = area_name(area_code, birth.year)
    warnings: list[str] = []
    if name is None:
        warnings.append(f"地址码 {area_code} 不在历史行政区划代码表中，请人工核对")
    return IdNumber(
        value=value,
        area_code=area_code,
        area_name=name,
        birth_date=birth,
        sex="M" if int(value[16]) % 2 else "F",
        upgraded_from_15=upgraded,
        warnings=tuple(warnings),
    )


def is_valid_id_number(raw: str) -> bool:
    """Whether :func:`parse_id_number` accepts ``raw`` (warnings allowed).

    Examples
    --------
    >>> is_valid_id_number("11010519491231002X"), is_valid_id_number("110105194912310021")
    (True, False)
    """
    try:
        parse_id_number(raw)
    except IdNumberError:
        return False
    return True


def mask_id_number(value: str) -> str:
    """Mask an ID number for display, keeping the first 6 and last 4 characters.

    The value is normalised first. Strings shorter than 10 characters are fully masked.

    Parameters
    ----------
    value : str
        The number (need not be valid).

    Returns
    -------
    str
        E.g. ``"310230********123X"`` for 18 characters, 5 asterisks for 15.

    Examples
    --------
    >>> mask_id_number("31023019620501123X")
    '310230********123X'
    >>> mask_id_number("110105491231002")
    '110105*****1002'
    >>> mask_id_number("12345")
    '*****'
    """
    value = normalize_id_number(value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def make_id_number(area_code: str, birth_date: date, sequence: int, sex: str) -> str:
    """Build a valid 18-character ID number (for synthetic data and tests).

    Parameters
    ----------
    area_code : str
        6-digit address code.
    birth_date : datetime.date
        Date of birth (year 1000-9999).
    sequence : int
        0 to 499; the order code is ``2 * sequence + 1`` for men and ``2 * sequence``
        for women, so its parity encodes the sex (odd = male).
    sex : str
        ``"M"`` or ``"F"``.

    Returns
    -------
    str
        The number, including its check character.

    Raises
    ------
    ValueError
        On a malformed area code, sequence out of range or unknown sex.

    Examples
    --------
    >>> make_id_number("110105", date(1949, 12, 31), 1, "F")
    '11010519491231002X'
    >>> make_id_number("310230", date(1962, 5, 1), 61, "M")
    '31023019620501123X'
    """
    if len(area_code) != 6 or not _is_ascii_digits(area_code):
        raise ValueError(f"area_code must be 6 digits, got {area_code!r}")
    if not 0 <= sequence <= 499:
        raise ValueError(f"sequence must be in 0..499, got {sequence}")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    order = 2 * sequence + (1 if sex == "M" else 0)
    first17 = f"{area_code}{birth_date:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def area_name(code: str, year: int | None = None) -> str | None:
    """Look up the name of an address code in the historical GB/T 2260 table.

    Parameters
    ----------
    code : str
        6-digit address code.
    year : int, optional
        If given, the name in force that year; if the code did not exist that year, the
        name from the nearest period in which it did. If omitted, the latest name.

    Returns
    -------
    str or None
        ``None`` if the code is not in the table.

    Examples
    --------
    >>> area_name("310230")
    '崇明县'
    >>> area_name("130123", 1990), area_name("130123", 2000), area_name("130123")
    ('栾城县', '正定县', '正定县')
    >>> area_name("999999") is None
    True
    """
    periods = _area_table().get(code)
    if not periods:
        return None
    if year is None:
        return periods[-1][0]

    def distance(period: tuple[str, int | None, int | None]) -> int:
        _, start, end = period
        if start is not None and year < start:
            return start - year
        if end is not None and year > end:
            return year - end
        return 0

    # min() keeps the first of equals; prefer the later period on ties.
    return min(reversed(periods), key=distance)[0]


def known_area_codes() -> tuple[str, ...]:
    """All address codes in the historical table, sorted.

    Examples
    --------
    >>> codes = known_area_codes()
    >>> "310230" in codes and "110105" in codes
    True
    """
    return tuple(_area_table())


@functools.cache
def _area_table() -> dict[str, tuple[tuple[str, int | None, int | None], ...]]:
    """Load ``data/area_codes.json`` once (code -> periods sorted by start year)."""
    with _AREA_CODES_PATH.open(encoding="utf-8") as fh:
        raw: dict[str, list[list[str | int | None]]] = json.load(fh)
    return {
        code: tuple((str(name), _opt_int(start), _opt_int(end)) for name, start, end in periods)
        for code, periods in sorted(raw.items())
    }


def _opt_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_characters(value: str, *, allow_x: bool) -> None:
    """Raise unless ``value`` is all digits, except a final ``X`` when ``allow_x``."""
    if _is_ascii_digits(value) or (allow_x and value[-1] == "X" and _is_ascii_digits(value[:-1])):
        return
    for position, ch in enumerate(value, start=1):
        if _is_ascii_digits(ch) or (allow_x and ch == "X" and position == len(value)):
            continue
        if allow_x:
            message = f"身份证号码前17位只能是数字，最后一位为数字或 X：第 {position} 位为 “{ch}”"
        else:
            message = f"15位旧身份证号码只能包含数字：第 {position} 位为 “{ch}”"
        raise IdNumberError(message, "character")


@functools.lru_cache(maxsize=2)
def _today_in_china(_minute: int) -> date:
    """Today in China, looked up once a minute (bulk checks parse millions of numbers)."""
    return datetime.now(_CHINA_TZ).date()


def _birth_date(yyyymmdd: str, *, today: date | None) -> date:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    shown = f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"
    try:
        birth = date(year, month, day)
    except ValueError:
        raise IdNumberError(f"身份证号码中的出生日期 {shown} 不存在", "date") from None
    if today is None:
        today = _today_in_china(int(time.time()) // 60)
    if birth > today:
        raise IdNumberError(
            f"出生日期晚于今天：身份证号码中的出生日期为 {shown}，今天是 {today.isoformat()}",
            "future",
        )
    if year < MIN_BIRTH_YEAR:
        raise IdNumberError(
            f"身份证号码中的出生日期 {shown} 早于 {MIN_BIRTH_YEAR} 年，不可能有效", "too_old"
        )
    return birth
