"""Points on the sphere: unit vectors for k-d trees, great-circle distances in metres, and
compact tiles of points for problems solved piece by piece.

A k-d tree over unit vectors finds nearest neighbours by chord length, and the chord is a
monotone function of the great-circle distance, so "nearest by chord" is "nearest on the
Earth" and the optimisers never measure a distance in a projection (``tangent_plane`` only
serves to cut tiles).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .exceptions import InputError

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius, metres

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def as_points(points: npt.ArrayLike, name: str) -> FloatArray:
    """``points`` as an ``(n, 2)`` float array of (latitude, longitude) in degrees.

    Raises
    ------
    InputError
        When the shape is wrong or a coordinate is missing or out of range.

    Examples
    --------
    >>> as_points([(31.23, 121.47)], "members").shape
    (1, 2)
    >>> as_points([(95.0, 121.47)], "members")
    Traceback (most recent call last):
    ...
    jiceng.optimize.exceptions.InputError: members: latitude out of range at row 0
    """
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"{name}: expected (latitude, longitude) rows, got shape {arr.shape}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise InputError(f"{name}: missing coordinate at row {int(np.flatnonzero(bad)[0])}")
    lat_bad = np.abs(arr[:, 0]) > 90
    if lat_bad.any():
        raise InputError(f"{name}: latitude out of range at row {int(np.flatnonzero(lat_bad)[0])}")
    lng_bad = np.abs(arr[:, 1]) > 180
    if lng_bad.any():
        raise InputError(f"{name}: longitude out of range at row {int(np.flatnonzero(lng_bad)[0])}")
    return arr


def unit_vectors(points: FloatArray) -> FloatArray:
    """(latitude, longitude) degrees → unit vectors on the sphere, shape ``(n, 3)``.

    Examples
    --------
    >>> unit_vectors(np.array([[0.0, 0.0], [90.0, 0.0]])).round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    lat = np.radians(points[:, 0])
    lng = np.radians(points[:, 1])
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lng), cos_lat * np.sin(lng), np.sin(lat)))


def chord_to_metres(chord: npt.ArrayLike) -> FloatArray:
    """Great-circle distance in metres for a chord length between unit vectors."""
    c = np.minimum(np.asarray(chord, dtype=np.float64) / 2.0, 1.0)
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(c), dtype=np.float64)


def metres_to_chord(metres: float) -> float:
    """The chord length of a great-circle distance in metres (inverse of ``chord_to_metres``).

    Examples
    --------
    >>> round(float(chord_to_metres(metres_to_chord(5_000.0))), 6)
    5000.0
    """
    angle = min(float(metres) / EARTH_RADIUS_M, np.pi)
    return float(2.0 * np.sin(angle / 2.0))


def great_circle(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise great-circle distance in metres between two ``(n, 2)`` arrays of points.

    Examples
    --------
    >>> people_square, xujiahui = np.array([[31.2304, 121.4737]]), np.array([[31.1880, 121.4370]])
    >>> round(float(great_circle(people_square, xujiahui)[0]))
    5866
    """
    return chord_to_metres(np.linalg.norm(unit_vectors(a) - unit_vectors(b), axis=1))


def to_points(xyz: FloatArray) -> FloatArray:
    """Unit (or any non-zero) vectors → (latitude, longitude) degrees."""
    norm = np.linalg.norm(xyz, axis=1, keepdims=True)
    v = xyz / np.where(norm == 0, 1.0, norm)
    lat = np.degrees(np.arcsin(np.clip(v[:, 2], -1.0, 1.0)))
    lng = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    return np.column_stack((lat, lng))


def tangent_plane(xyz: FloatArray) -> FloatArray:
    """Points as (east, north) coordinates in the tangent plane at their centre."""
    centre = xyz.mean(axis=0)
    norm = np.linalg.norm(centre)
    up = centre / norm if norm > 0 else np.array([0.0, 0.0, 1.0])
    east = np.cross([0.0, 0.0, 1.0], up)
    if np.linalg.norm(east) < 1e-9:
        east = np.array([1.0, 0.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    return np.column_stack((xyz @ east, xyz @ north))


def compact_tiles(points: FloatArray, weight: IntArray, per_tile: int) -> IntArray:
    """Split points (2-d) into compact tiles of about ``per_tile`` total weight: recursive
    bisection at the weighted median of the wider coordinate."""
    tile = np.zeros(len(points), dtype=np.int64)
    stack = [np.arange(len(points), dtype=np.int64)]
    parts: list[IntArray] = []
    while stack:
        idx = stack.pop()
        total = int(weight[idx].sum())
        if total <= per_tile * 1.5 or len(idx) < 4:
            parts.append(idx)
            continue
        pts = points[idx]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        order = np.argsort(pts[:, axis], kind="stable")
        cut = int(np.searchsorted(np.cumsum(weight[idx][order]), total / 2))
        cut = min(max(cut, 1), len(idx) - 1)
        stack += [idx[order[:cut]], idx[order[cut:]]]
    for t, idx in enumerate(parts):
        tile[idx] = t
    return tile
