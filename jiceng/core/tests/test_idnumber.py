"""Tests for :mod:`jiceng.core.idnumber` (GB 11643-1999 citizen ID numbers)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.core import idnumber
from jiceng.core.idnumber import (
    IdNumber,
    IdNumberError,
    area_name,
    check_digit,
    is_valid_id_number,
    known_area_codes,
    make_id_number,
    mask_id_number,
    normalize_id_number,
    parse_id_number,
    upgrade_15_to_18,
)

TODAY = date(2026, 11, 28)
STANDARD_EXAMPLE = "11010519491231002X"


def _with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


# --- known valid numbers -------------------------------------------------------------


def test_it_computes_the_check_digit_of_the_standard_example_by_hand() -> None:
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2
    # weights 2^(17-i) mod 11: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # sum = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> "X"
    assert check_digit("11010519491231002") == "X"


def test_it_accepts_the_standard_example() -> None:
    parsed = parse_id_number(STANDARD_EXAMPLE, today=TODAY)
    assert parsed == IdNumber(
        value=STANDARD_EXAMPLE,
        area_code="110105",
        area_name="朝阳区",
        birth_date=date(1949, 12, 31),
        sex="F",
        upgraded_from_15=False,
        warnings=(),
    )


def test_it_accepts_a_lower_case_x() -> None:
    assert parse_id_number("11010519491231002x", today=TODAY).value == STANDARD_EXAMPLE


def test_it_ignores_spaces_invisible_characters_and_full_width_characters() -> None:
    raw = "\ufeff１１０１０５ 1949\u00a01231\u3000００２ｘ\u200b\u200d\n"
    assert normalize_id_number(raw) == STANDARD_EXAMPLE
    assert parse_id_number(raw, today=TODAY).value == STANDARD_EXAMPLE


def test_normalize_does_not_validate() -> None:
    assert normalize_id_number(" abc 12 ") == "ABC12"


def test_it_accepts_chongming_county_code_of_1962() -> None:
    # 310230 (崇明县) is in the code table only from 1982, but numbers carry the code of
    # residence at issue (1984 onwards), so a 1962 birth with this code is genuine.
    number = make_id_number("310230", date(1962, 5, 1), 61, "M")
    assert number == "31023019620501123X"
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.area_name == "崇明县"
    assert parsed.birth_date == date(1962, 5, 1)
    assert parsed.sex == "M"
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("310230", "崇明县"),
        ("310103", "卢湾区"),
        ("310108", "闸北区"),
        ("310225", "南汇县"),
        ("310119", "南汇区"),
    ],
)
def test_it_knows_withdrawn_shanghai_codes_for_any_birth_year(code: str, name: str) -> None:
    for year in (1930, 1962, 1990, 2005):
        parsed = parse_id_number(make_id_number(code, date(year, 3, 1), 10, "F"), today=TODAY)
        assert parsed.area_name == name
        assert parsed.warnings == ()


def test_it_takes_the_sex_from_the_parity_of_the_17th_digit() -> None:
    assert parse_id_number(_with_check_digit("11010519800101001"), today=TODAY).sex == "M"
    assert parse_id_number(_with_check_digit("11010519800101998"), today=TODAY).sex == "F"


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000", "710000"])
def test_it_accepts_hong_kong_macao_and_taiwan_prefixes(prefix: str) -> None:
    assert is_valid_id_number(make_id_number(prefix, date(1990, 1, 1), 0, "M"))


def test_it_accepts_29_february_in_a_leap_year() -> None:
    number = _with_check_digit("11010520000229001")
    assert parse_id_number(number, today=TODAY).birth_date == date(2000, 2, 29)


def test_it_accepts_a_birth_date_of_today() -> None:
    number = make_id_number("110105", TODAY, 0, "F")
    assert parse_id_number(number, today=TODAY).birth_date == TODAY


# --- 15-digit numbers ----------------------------------------------------------------


def test_it_upgrades_15_digit_numbers() -> None:
    assert upgrade_15_to_18("110105491231002") == STANDARD_EXAMPLE
    parsed = parse_id_number(" 110105 491231 002 ", today=TODAY)
    assert parsed.value == STANDARD_EXAMPLE
    assert parsed.upgraded_from_15 is True
    assert parsed.birth_date == date(1949, 12, 31)


def test_it_rejects_an_x_in_a_15_digit_number() -> None:
    with pytest.raises(IdNumberError, match="15位旧身份证号码只能包含数字"):
        parse_id_number("11010549123100X", today=TODAY)


def test_upgrade_rejects_input_that_is_not_15_digits() -> None:
    with pytest.raises(IdNumberError):
        upgrade_15_to_18(STANDARD_EXAMPLE)


def test_it_rejects_an_impossible_date_in_a_15_digit_number() -> None:
    with pytest.raises(IdNumberError, match="1962-02-30 不存在"):
        parse_id_number("310230620230123", today=TODAY)


# --- errors --------------------------------------------------------------------------


def test_it_reports_the_expected_and_actual_check_digit() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        parse_id_number("110105194912310025", today=TODAY)
    assert excinfo.value.message == "身份证号码校验位错误：应为 X，实为 5"
    assert str(excinfo.value) == excinfo.value.message
    assert excinfo.value.code == "check_digit"


def test_the_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="校验位"):
        parse_id_number("110105194912310025", today=TODAY)


def test_it_rejects_30_february() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        parse_id_number(_with_check_digit("31023019620230123"), today=TODAY)
    assert excinfo.value.message == "身份证号码中的出生日期 1962-02-30 不存在"


@pytest.mark.parametrize("mmdd", ["1301", "0001", "0100", "0431"])
def test_it_rejects_nonexistent_months_and_days(mmdd: str) -> None:
    with pytest.raises(IdNumberError, match="不存在"):
        parse_id_number(_with_check_digit(f"3102301962{mmdd}123"), today=TODAY)


def test_it_rejects_a_birth_date_in_the_future() -> None:
    number = make_id_number("110105", date(2026, 11, 29), 0, "F")
    with pytest.raises(IdNumberError, match="出生日期晚于今天") as excinfo:
        parse_id_number(number, today=TODAY)
    assert "2026-11-29" in excinfo.value.message
    assert excinfo.value.code == "future"


def test_it_rejects_a_birth_date_before_1880() -> None:
    with pytest.raises(IdNumberError, match="早于 1880 年"):
        parse_id_number(make_id_number("110105", date(1879, 12, 31), 0, "F"), today=TODAY)
    assert is_valid_id_number(make_id_number("110105", date(1880, 1, 1), 0, "F"))


@pytest.mark.parametrize(
    "prefix", ["00", "10", "16", "24", "30", "39", "47", "55", "66", "72", "99"]
)
def test_it_rejects_a_province_prefix_that_does_not_exist(prefix: str) -> None:
    number = make_id_number(f"{prefix}0101", date(1980, 1, 1), 5, "M")
    with pytest.raises(IdNumberError) as excinfo:
        parse_id_number(number, today=TODAY)
    assert excinfo.value.message == f"身份证号码前两位 {prefix} 不是有效的省级行政区划代码"


def test_an_unknown_area_code_gives_a_warning_not_an_error() -> None:
    number = make_id_number("310999", date(1962, 5, 1), 61, "M")
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.area_name is None
    assert parsed.warnings == ("地址码 310999 不在历史行政区划代码表中，请人工核对",)
    assert is_valid_id_number(number)


@pytest.mark.parametrize(
    ("raw", "length"),
    [("1101051949123100", 16), ("11010519491231002X1", 19), ("1", 1)],
)
def test_it_rejects_a_wrong_length_with_the_actual_length(raw: str, length: int) -> None:
    with pytest.raises(IdNumberError) as excinfo:
        parse_id_number(raw, today=TODAY)
    assert excinfo.value.message == (f"身份证号码长度应为18位（或15位旧号码），实为 {length} 位")


def test_it_rejects_an_empty_input() -> None:
    with pytest.raises(IdNumberError, match="身份证号码为空"):
        parse_id_number(" \u200b ", today=TODAY)


def test_it_rejects_a_letter_before_the_last_position() -> None:
    with pytest.raises(IdNumberError, match="第 10 位为 “X”"):
        parse_id_number("110105194X12310021", today=TODAY)


def test_it_rejects_non_ascii_digits() -> None:
    # Arabic-Indic digit five is a Unicode digit but not allowed.
    assert not is_valid_id_number("11010519491231002\u0665")


def test_is_valid_id_number_answers_true_or_false() -> None:
    assert is_valid_id_number(STANDARD_EXAMPLE)
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("")


# --- masking -------------------------------------------------------------------------


def test_it_masks_the_middle_of_an_18_character_number() -> None:
    assert mask_id_number("31023019620501123X") == "310230********123X"
    assert parse_id_number("31023019620501123x", today=TODAY).masked == "310230********123X"


def test_it_masks_a_15_digit_number_keeping_6_and_4() -> None:
    assert mask_id_number("110105491231002") == "110105*****1002"


@pytest.mark.parametrize("value", ["", "1", "123456789"])
def test_it_masks_short_strings_entirely(value: str) -> None:
    assert mask_id_number(value) == "*" * len(value)


# --- make_id_number ------------------------------------------------------------------


def test_make_id_number_maps_sequence_to_an_order_code_of_the_right_parity() -> None:
    assert make_id_number("110105", date(1980, 1, 1), 0, "M")[14:17] == "001"
    assert make_id_number("110105", date(1980, 1, 1), 0, "F")[14:17] == "000"
    assert make_id_number("110105", date(1980, 1, 1), 499, "M")[14:17] == "999"
    assert make_id_number("110105", date(1980, 1, 1), 499, "F")[14:17] == "998"


@pytest.mark.parametrize(
    ("area_code", "sequence", "sex"),
    [
        ("11010", 0, "M"),
        ("11010X", 0, "M"),
        ("110105", -1, "M"),
        ("110105", 500, "F"),
        ("110105", 0, "male"),
    ],
)
def test_make_id_number_rejects_bad_arguments(area_code: str, sequence: int, sex: str) -> None:
    with pytest.raises(ValueError):
        make_id_number(area_code, date(1980, 1, 1), sequence, sex)


# --- area table ----------------------------------------------------------------------


def test_area_name_picks_the_name_in_force_in_the_given_year() -> None:
    assert area_name("130123", 1990) == "栾城县"
    assert area_name("130123", 1993) == "正定县"
    assert area_name("130123") == "正定县"
    assert area_name("130123", 1950) == "栾城县"  # before the table: nearest period
    assert area_name("000000") is None


def test_the_area_table_file_is_compact_and_well_formed() -> None:
    path = Path(idnumber.__file__).parent / "data" / "area_codes.json"
    assert path.stat().st_size < 1024 * 1024
    table = json.loads(path.read_text(encoding="utf-8"))
    assert len(table) > 5000
    assert table["310230"] == [["崇明县", 1982, 2015]]
    for code, periods in table.items():
        assert len(code) == 6
        assert code.isdigit()
        assert code[:2] in idnumber.PROVINCE_CODES
        for name, start, end in periods:
            assert name
            assert start is None or isinstance(start, int)
            assert end is None or isinstance(end, int)
    assert set(known_area_codes()) == set(table)


# --- properties ----------------------------------------------------------------------

AREA_CODES = known_area_codes()
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2005, 12, 31))


@settings(database=None, max_examples=300)
@given(
    area_code=st.sampled_from(AREA_CODES),
    birth_date=birth_dates,
    sequence=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["M", "F"]),
)
def test_make_id_number_round_trips_through_parse(
    area_code: str, birth_date: date, sequence: int, sex: str
) -> None:
    number = make_id_number(area_code, birth_date, sequence, sex)
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.value == number
    assert parsed.area_code == area_code
    assert parsed.birth_date == birth_date
    assert parsed.sex == sex
    assert parsed.area_name is not None
    assert parsed.warnings == ()
    assert parse_id_number(number.lower(), today=TODAY) == parsed


@settings(database=None, max_examples=300)
@given(
    area_code=st.sampled_from(AREA_CODES),
    birth_date=birth_dates,
    sequence=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["M", "F"]),
    position=st.integers(min_value=0, max_value=16),
    shift=st.integers(min_value=1, max_value=9),
)
def test_the_check_digit_catches_every_single_digit_substitution(
    area_code: str, birth_date: date, sequence: int, sex: str, position: int, shift: int
) -> None:
    number = make_id_number(area_code, birth_date, sequence, sex)
    digit = str((int(number[position]) + shift) % 10)
    altered = number[:position] + digit + number[position + 1 :]
    assert check_digit(altered[:17]) != number[17]
    assert not is_valid_id_number(altered)


def test_the_check_digit_catches_every_single_digit_substitution_exhaustively() -> None:
    first17 = STANDARD_EXAMPLE[:17]
    for position in range(17):
        for digit in "0123456789":
            if digit == first17[position]:
                continue
            altered = first17[:position] + digit + first17[position + 1 :]
            assert check_digit(altered) != "X"
