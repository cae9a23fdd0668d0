from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import mark_verified
from jiceng.core.idnumber import make_id_number

HEADER = [
    "姓名",
    "公民身份号码",
    "性别",
    "入党日期",
    "转正日期",
    "党员类别",
    "联系电话",
    "组织关系所在党组织",
]


def new_id(
    seq: int, *, born: dt.date = dt.date(1970, 3, 8), area: str = "310101", sex: str = "M"
) -> str:
    return make_id_number(area, born, seq, sex)


@pytest.fixture
def sign_in(client: Any) -> Any:
    """``sign_in(user)`` logs the test client in as ``user`` with the second factor passed."""

    def _sign_in(user: Any) -> Any:
        client.force_login(user)
        mark_verified(client, user)
        return user

    return _sign_in


# The officer and the branch an import test works as and into: in a module that sets
# ``SMALL_WORLD = True``, the small world's alice and her first branch (issue 16); elsewhere,
# for the tests still on the demo, the demo's 黄浦 officer and a branch of 黄浦.
@pytest.fixture
def branch(request: pytest.FixtureRequest) -> Any:
    if getattr(request.module, "SMALL_WORLD", False):
        return request.getfixturevalue("small").a.branches[0]
    world = request.getfixturevalue("world")
    return world.branch_in(world.huangpu)


@pytest.fixture
def officer(request: pytest.FixtureRequest) -> Any:
    if getattr(request.module, "SMALL_WORLD", False):
        return request.getfixturevalue("small").alice
    return request.getfixturevalue("world").user("huangpu.officer")


@pytest.fixture
def xlsx(tmp_path: Path):
    """Write rows to a real .xlsx with openpyxl (optionally with a merged title above)."""

    def _write(
        rows: list[list[Any]],
        *,
        title: str | None = None,
        name: str = "roll.xlsx",
        text_columns: tuple[int, ...] = (),
    ) -> Path:
        wb = openpyxl.Workbook()
        ws = wb.active
        if title:
            ws.append([title])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
            ws.append(["填报单位：黄浦区", None, None, "填报日期：2005年7月1日"])
        for row in rows:
            ws.append(row)
        for col in text_columns:
            for cell in ws.iter_cols(min_col=col, max_col=col):
                for c in cell:
                    c.number_format = "@"
        path = tmp_path / name
        wb.save(path)
        return path

    return _write
