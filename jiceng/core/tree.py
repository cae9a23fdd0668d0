"""Arithmetic on the organisation tree's materialised paths, in one place.

An organisation's ``path`` is its parent's path plus ``STEP`` characters (django-treebeard's
``MP_Node`` with ``steplen = 4``): the city committee is ``0001``, a district ``00010002``, a
branch below a street ``0001000200030004``. Depth is the number of steps. A row placed at a
path is inside a subtree when its path starts with the subtree's path.
"""

from __future__ import annotations

from collections.abc import Iterable

STEP = 4  # ``Organization.steplen``
DISTRICT_DEPTH = 2  # city 1, district or county 2, street or sector committee 3, ...


def depth(path: str) -> int:
    """The number of steps: 1 for the city, 2 for a district.

    >>> depth("00010002")
    2
    """
    return len(path) // STEP


def parent_path(path: str) -> str:
    """The parent's path ("" for the root).

    >>> parent_path("000100020003")
    '00010002'
    """
    return path[:-STEP]


def ancestor_paths(path: str, *, include_self: bool = False, top: int = 1) -> list[str]:
    """The paths above ``path``, from depth ``top`` down (and ``path`` itself if asked).

    >>> ancestor_paths("000100020003")
    ['0001', '00010002']
    >>> ancestor_paths("000100020003", include_self=True, top=2)
    ['00010002', '000100020003']
    """
    end = len(path) + 1 if include_self else len(path)
    return [path[:i] for i in range(top * STEP, end, STEP)]


def at_depth(path: str, level: int) -> str:
    """The ancestor (or self) of ``path`` at depth ``level``: its district at 2.

    >>> at_depth("000100020003", 2)
    '00010002'
    """
    return path[: level * STEP]


def district_path(path: str) -> str:
    """The district or county a path lies in ("" above district level)."""
    return at_depth(path, DISTRICT_DEPTH) if depth(path) >= DISTRICT_DEPTH else ""


def child_length(path: str) -> int:
    """The length of the paths of ``path``'s children (to group a subtree's rows by child)."""
    return len(path) + STEP


def within(path: str, root: str) -> bool:
    """Whether ``path`` lies in the subtree of ``root`` (itself included)."""
    return path.startswith(root)


def common_path(paths: Iterable[str], step: int = STEP) -> str:
    """The deepest tree path that all ``paths`` lie under.

    >>> common_path(["000100020003", "000100020007", "00010002"])
    '00010002'
    """
    items = list(paths)
    if not items:
        return ""
    first = min(items)
    last = max(items)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[: n - n % step]
