"""Tests of the pure-Python Shanghai 2005 gazetteer (no Django, no database)."""

from __future__ import annotations

import dataclasses
import doctest
import math
from datetime import date

import pytest

from jiceng.geo import gazetteer
from jiceng.geo.gazetteer import (
    District,
    district,
    districts_2005,
    haversine_km,
    history,
    successor,
)

CODES_2005 = {
    "310101": "黄浦区",
    "310103": "卢湾区",
    "310104": "徐汇区",
    "310105": "长宁区",
    "310106": "静安区",
    "310107": "普陀区",
    "310108": "闸北区",
    "310109": "虹口区",
    "310110": "杨浦区",
    "310112": "闵行区",
    "310113": "宝山区",
    "310114": "嘉定区",
    "310115": "浦东新区",
    "310116": "金山区",
    "310117": "松江区",
    "310118": "青浦区",
    "310119": "南汇区",
    "310120": "奉贤区",
    "310230": "崇明县",
}


def test_nineteen_districts_with_exact_codes():
    ds = districts_2005()
    assert len(ds) == 19
    assert {d.code: d.name for d in ds} == CODES_2005
    assert [d.code for d in ds] == sorted(CODES_2005)


def test_districts_cached_and_frozen():
    assert districts_2005() is districts_2005()
    d = district("310101")
    assert isinstance(d, District)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.name = "x"  # type: ignore[misc]


def test_district_kinds():
    kinds = {d.code: d.kind for d in districts_2005()}
    assert kinds.pop("310230") == "county"
    assert set(kinds.values()) == {"district"}


def test_unknown_district_raises_key_error():
    with pytest.raises(KeyError):
        district("310151")  # 崇明区 did not exist in 2005
    with pytest.raises(KeyError):
        district("999999")


def test_luwan_has_its_four_streets():
    names = {s.name for s in district("310103").streets}
    assert names == {"打浦桥街道", "淮海中路街道", "瑞金二路街道", "五里桥街道"}
    assert "打浦桥街道" in names
    assert not {"打浦桥街道"} & {s.name for s in district("310101").streets}


def test_zhabei_streets_include_pengpu_town():
    streets = district("310108").streets
    names = {s.name for s in streets}
    assert "彭浦镇" in names
    assert len(streets) == 9
    assert next(s for s in streets if s.name == "彭浦镇").kind == "town"
    assert all(s.district_code == "310108" for s in streets)


def test_nanhui_towns_assigned_back():
    names = {s.name for s in district("310119").streets}
    assert {"惠南镇", "周浦镇", "康桥镇", "祝桥镇", "南汇新城镇"} <= names
    assert not names & {s.name for s in district("310115").streets}
    lingang = next(s for s in district("310119").streets if s.name == "南汇新城镇")
    assert lingang.since == 2012


def test_chongming_county_and_its_towns():
    cm = district("310230")
    assert cm.name == "崇明县"
    names = {s.name for s in cm.streets}
    assert {"城桥镇", "堡镇", "陈家镇", "长兴镇", "横沙乡", "新村乡"} <= names
    assert len(cm.streets) == 18
    assert all(s.code.startswith("310151") for s in cm.streets)  # 2025 MCA codes kept
    assert all(s.district_code == "310230" for s in cm.streets)
    assert {s.kind for s in cm.streets if s.name.endswith("乡")} == {"township"}


def test_every_street_unique_and_well_formed():
    streets = [s for d in districts_2005() for s in d.streets]
    codes = [s.code for s in streets]
    assert len(codes) == len(set(codes))
    for s in streets:
        assert len(s.code) == 9
        assert s.code.isdigit()
        expected = {"街道": "street", "镇": "town", "乡": "township"}
        suffix = "街道" if s.name.endswith("街道") else s.name[-1]
        assert s.kind == expected[suffix], s


def test_street_points_synthetic_and_near_district_point():
    for d in districts_2005():
        assert d.coord_source == "china-region 0.0.11"
        assert d.streets
        for s in d.streets:
            assert s.coord_source == "synthetic"
            assert math.hypot(s.lng - d.lng, s.lat - d.lat) <= 0.25, (d.name, s.name)


def test_chongming_points_on_the_island():
    for s in district("310230").streets:
        assert 121.2 <= s.lng <= 121.95
        assert 31.45 <= s.lat <= 31.85


def test_successor_luwan():
    assert successor("310103", date(2011, 6, 7)) == "310103"
    assert successor("310103", date(2012, 1, 1)) == "310101"


def test_successor_zhabei():
    assert successor("310108", date(2010, 1, 1)) == "310108"
    assert successor("310108", date(2016, 1, 1)) == "310106"


def test_successor_chongming():
    assert successor("310230", date(2005, 6, 1)) == "310230"
    assert successor("310230", date(2017, 1, 1)) == "310151"


def test_successor_nanhui_chain():
    assert successor("310119", date(2008, 12, 31)) == "310119"
    assert successor("310119", date(2010, 1, 1)) == "310115"
    assert successor("310225", date(2000, 1, 1)) == "310225"
    assert successor("310225", date(2005, 1, 1)) == "310119"
    assert successor("310225", date(2020, 1, 1)) == "310115"


def test_successor_unchanged_and_unknown():
    assert successor("310104", date(2025, 1, 1)) == "310104"
    with pytest.raises(KeyError):
        successor("110101", date(2020, 1, 1))


def test_history_sorted_and_dated():
    events = history()
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert {e.event for e in events} <= {"merge", "rename", "upgrade"}
    pairs = {(e.from_code, e.to_code) for e in events}
    assert pairs == {
        ("310225", "310119"),
        ("310119", "310115"),
        ("310103", "310101"),
        ("310108", "310106"),
        ("310230", "310151"),
    }
    assert all(isinstance(e.date, date) for e in events)


def test_haversine_shanghai_beijing():
    km = haversine_km(121.47, 31.23, 116.40, 39.90)
    assert abs(km - 1067) <= 15


def test_haversine_symmetric_and_zero():
    assert haversine_km(121.4, 31.2, 121.4, 31.2) == 0.0
    a = haversine_km(121.40, 31.62, 121.75, 31.05)
    b = haversine_km(121.75, 31.05, 121.40, 31.62)
    assert a == pytest.approx(b)


def test_docstring_examples():
    result = doctest.testmod(gazetteer, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
