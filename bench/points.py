"""Synthetic city-like points for the optimisation benchmarks: clusters around Shanghai's 2005
street and town centres (which cluster around the district centres), plus uniform noise over
the city's extent. Deterministic for a seed; no Django needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

GAZETTEER = Path(__file__).resolve().parent.parent / "jiceng/geo/data/shanghai_2005.json"


def centres() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(lat, lng) of every street/town centre, its weight (central districts denser) and
    its district code."""
    data = json.loads(GAZETTEER.read_text(encoding="utf-8"))
    pts, weight, district = [], [], []
    for d in data["districts"]:
        central = d["kind"] == "district" and d["code"] < "310112"  # the old urban districts
        for st in d["streets"]:
            pts.append((st["lat"], st["lng"]))
            weight.append(3.0 if central else 1.0)
            district.append(d["code"])
    w = np.array(weight)
    return np.array(pts), w / w.sum(), district


def city_points(n: int, seed: int, *, spread_m: float = 900.0, noise: float = 0.05):
    """``n`` points: 95% around street centres (Gaussian, ``spread_m`` metres), 5% uniform
    noise over the city's bounding box. Returns (points (n, 2), district code per point)."""
    rng = np.random.default_rng(seed)
    c, w, district = centres()
    k = rng.choice(len(c), size=n, p=w)
    deg = spread_m / 111_000.0
    pts = c[k] + rng.normal(0.0, deg, size=(n, 2)) * np.array([1.0, 1.17])
    codes = np.array(district)[k]
    noisy = rng.random(n) < noise
    lo, hi = c.min(axis=0), c.max(axis=0)
    pts[noisy] = rng.uniform(lo, hi, size=(int(noisy.sum()), 2))
    # Noise points belong to the district of the nearest street centre.
    if noisy.any():
        from scipy.spatial import cKDTree

        _d, j = cKDTree(c).query(pts[noisy])
        codes[noisy] = np.array(district)[j]
    return pts, codes
