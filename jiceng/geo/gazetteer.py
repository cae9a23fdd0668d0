"""Pure-Python access to the Shanghai 2005 gazetteer (``data/shanghai_2005.json``).

No Django here: the module only reads the JSON file shipped next to it, so it can be used
from scripts, the optimiser and tests alike. The data are the 19 districts/counties of
Shanghai as divided in 2005, their streets (街道), towns (镇) and townships (乡) taken from
the Ministry of Civil Affairs list of 2025-12-31 and assigned back to their 2005 district,
and the dated mergers/upgrades since. District points come from ``china-region`` 0.0.11;
street points are SYNTHETIC (see ``data/SOURCES.md``).

Examples
--------
>>> from datetime import date
>>> len(districts_2005())
19
>>> district("310103").name
'卢湾区'
>>> successor("310103", date(2012, 1, 1))
'310101'
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "District",
    "HistoryEvent",
    "Street",
    "district",
    "districts_2005",
    "haversine_km",
    "history",
    "successor",
]

DATA_FILE = "shanghai_2005.json"
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


@dataclass(frozen=True, slots=True)
class Street:
    """A street (街道), town (镇) or township (乡) under its 2005 district.

    Attributes
    ----------
    code : str
        Nine-digit code from the 2025 MCA list (e.g. ``"310101021"``). For streets of a
        district abolished later the first six digits are today's parent, not the 2005 one.
    name : str
        Name as in the 2025 MCA list.
    kind : str
        ``"street"``, ``"town"`` or ``"township"`` (from the name suffix).
    district_code : str
        Code of the 2005 district the street belongs to (e.g. ``"310103"`` 卢湾区).
    lng, lat : float
        SYNTHETIC point near the district point; not a real location.
    coord_source : str
        Always ``"synthetic"`` in the shipped data.
    since : int or None
        Year the unit was created, when it is known to be younger than 2005; ``None``
        otherwise (which does not prove the unit existed in 2005).
    note : str
        Free-text remark (history, uncertainty), possibly empty.
    """

    code: str
    name: str
    kind: str
    district_code: str
    lng: float
    lat: float
    coord_source: str
    since: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class District:
    """A district (区) or county (县) of Shanghai as divided in 2005.

    Attributes
    ----------
    code : str
        Six-digit code in force in 2005 (``"310230"`` for 崇明县).
    name : str
        Name in 2005.
    kind : str
        ``"district"`` or ``"county"``.
    lng, lat : float
        District point from ``china-region`` 0.0.11.
    coord_source : str
        ``"china-region 0.0.11"``.
    streets : tuple of Street
        Streets/towns/townships, sorted by code.
    """

    code: str
    name: str
    kind: str
    lng: float
    lat: float
    coord_source: str
    streets: tuple[Street, ...]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """A dated change of a district after (or, for 南汇, before) 2005.

    Attributes
    ----------
    date : datetime.date
        Date the change was announced/approved (see ``note`` and ``data/SOURCES.md``).
    from_code, from_name : str
        The unit before the change.
    to_code, to_name : str
        The unit after the change.
    event : str
        ``"merge"``, ``"rename"`` or ``"upgrade"`` (county → district).
    note : str
        Details, including other candidate dates.
    """

    date: date
    from_code: str
    from_name: str
    to_code: str
    to_name: str
    event: str
    note: str


@cache
def _raw() -> dict[str, Any]:
    path = resources.files(__package__ or "jiceng.geo") / "data" / DATA_FILE
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def districts_2005() -> tuple[District, ...]:
    """Return the 19 districts/counties of 2005 with their streets, sorted by code.

    The result is built once and cached; the dataclasses are frozen.

    Returns
    -------
    tuple of District

    Examples
    --------
    >>> ds = districts_2005()
    >>> [d.code for d in ds][:3]
    ['310101', '310103', '310104']
    >>> ds[-1].name, ds[-1].kind
    ('崇明县', 'county')
    """
    result = []
    for d in _raw()["districts"]:
        streets = tuple(
            Street(
                code=s["code"],
                name=s["name"],
                kind=s["kind"],
                district_code=d["code"],
                lng=float(s["lng"]),
                lat=float(s["lat"]),
                coord_source=s["coord_source"],
                since=s.get("since"),
                note=s.get("note", ""),
            )
            for s in d["streets"]
        )
        result.append(
            District(
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                lng=float(d["lng"]),
                lat=float(d["lat"]),
                coord_source=d["coord_source"],
                streets=streets,
            )
        )
    return tuple(sorted(result, key=lambda x: x.code))


@cache
def _by_code() -> dict[str, District]:
    return {d.code: d for d in districts_2005()}


def district(code: str) -> District:
    """Return the 2005 district with this six-digit code.

    Parameters
    ----------
    code : str
        A 2005 code, e.g. ``"310108"`` (闸北区). Today's codes that did not exist in 2005
        (e.g. ``"310151"``) are not accepted.

    Returns
    -------
    District

    Raises
    ------
    KeyError
        If no 2005 district has this code.

    Examples
    --------
    >>> d = district("310108")
    >>> d.name, "彭浦镇" in [s.name for s in d.streets]
    ('闸北区', True)
    """
    try:
        return _by_code()[code]
    except KeyError:
        raise KeyError(f"no Shanghai district with code {code!r} in 2005") from None


@cache
def history() -> tuple[HistoryEvent, ...]:
    """Return the recorded changes, oldest first.

    Returns
    -------
    tuple of HistoryEvent

    Examples
    --------
    >>> [(e.from_name, e.to_name, e.date.year) for e in history()][1:3]
    [('南汇区', '浦东新区', 2009), ('卢湾区', '黄浦区', 2011)]
    """
    events = (
        HistoryEvent(
            date=date.fromisoformat(e["date"]),
            from_code=e["from_code"],
            from_name=e["from_name"],
            to_code=e["to_code"],
            to_name=e["to_name"],
            event=e["event"],
            note=e.get("note", ""),
        )
        for e in _raw()["history"]
    )
    return tuple(sorted(events, key=lambda e: (e.date, e.from_code)))


def successor(code: str, on: date) -> str:
    """Return the code that the area of ``code`` belongs to on date ``on``.

    Follows every recorded change dated on or before ``on`` (so a change takes effect on
    its recorded date), e.g. 南汇县 310225 → 南汇区 310119 (2001) → 浦东新区 310115 (2009).
    Dates before a change return the code unchanged; there is no backward mapping.

    Parameters
    ----------
    code : str
        A 2005 district code, or a code that appears as ``from_code`` in :func:`history`.
    on : datetime.date
        The date of interest.

    Returns
    -------
    str
        Six-digit code in force on ``on``.

    Raises
    ------
    KeyError
        If ``code`` is neither a 2005 district nor a code in the history.

    Examples
    --------
    >>> successor("310108", date(2010, 1, 1)), successor("310108", date(2016, 1, 1))
    ('310108', '310106')
    >>> successor("310230", date(2017, 1, 1))
    '310151'
    """
    events = history()
    known = set(_by_code()) | {e.from_code for e in events} | {e.to_code for e in events}
    if code not in known:
        raise KeyError(f"unknown Shanghai district code {code!r}")
    current = code
    for event in events:  # chronological, so chains are followed in order
        if event.date > on:
            break
        if event.from_code == current:
            current = event.to_code
    return current


def haversine_km(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in kilometres between two (lng, lat) points in degrees.

    Uses a spherical Earth of radius 6371.0088 km (error up to about 0.5 %).

    Parameters
    ----------
    lng1, lat1 : float
        First point, decimal degrees.
    lng2, lat2 : float
        Second point, decimal degrees.

    Returns
    -------
    float
        Distance in km.

    Examples
    --------
    >>> round(haversine_km(121.47, 31.23, 116.40, 39.90))  # Shanghai - Beijing
    1067
    >>> haversine_km(121.0, 31.0, 121.0, 31.0)
    0.0
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
