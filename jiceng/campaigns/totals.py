"""Every stored total of issue 22 in one table, for ``manage.py totals`` and the scenario
builder: study completion (``jiceng.study.totals``), the four lets' roll figures
(``coverage.totals``) and the four ones (``practices.totals``). Each kind rebuilds its rows
from the records and lists where the stored rows differ from a full recount."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jiceng.study import totals as study_totals

from .coverage import totals as coverage_totals
from .practices import totals as practices_totals


@dataclass(frozen=True)
class Kind:
    label: str
    rebuild: Callable[[], int]
    differences: Callable[[], list[dict[str, Any]]]


KINDS: dict[str, Kind] = {
    "study": Kind("学习完成（按周期、学习单位）", study_totals.rebuild, study_totals.differences),
    "coverage": Kind(
        "四让覆盖（按活动、所在单位）", coverage_totals.rebuild, coverage_totals.differences
    ),
    "four_ones": Kind(
        "四个一（按活动、党员路径）", practices_totals.rebuild, practices_totals.differences
    ),
}


@transaction.atomic
def rebuild_all(progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Every stored total recounted from the records, all or nothing. Returns rows per kind."""
    out = {}
    for name, kind in KINDS.items():
        out[name] = kind.rebuild()
        if progress:
            progress(name)
    return out


def differences_all(
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Per kind, the stored rows that differ from a full recount (empty lists: all agree)."""
    out = {}
    for name, kind in KINDS.items():
        out[name] = kind.differences()
        if progress:
            progress(name)
    return out
