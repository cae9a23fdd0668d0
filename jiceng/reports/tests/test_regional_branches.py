"""The summary's regional branches (S17: "33 regional branches from 1,090 members"): a
formation plan applied in the test's own world is counted by the report's figures, each
counted row is one of the branches founded (or one member moved), and the organisation
section says so, with the rows behind both numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jiceng.core import clock
from jiceng.orgs.models import BranchKind, Organization
from jiceng.planning import services as planning
from jiceng.planning.rules import PlanKind
from jiceng.planning.tests.conftest import officer, sector  # noqa: F401 (fixtures)
from jiceng.reports import selectors, services
from jiceng.reports.figures import BY_KEY, Window

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(sector: Any, officer: Any) -> Any:  # noqa: F811
    plan = planning.plan_create(
        actor=officer, root=sector.sector, kind=PlanKind.FORM, target_size=6
    )
    planning.plan_queue(actor=officer, plan=plan)
    plan = planning.plan_run(plan_id=plan.pk)
    return planning.plan_apply(actor=officer, plan=plan)


def test_branches_formed_and_members_moved_are_counted(applied: Any, small: Any) -> None:
    today = clock.today()
    window = Window(start=today - dt.timedelta(days=30), end=today)
    founded = Organization.objects.filter(
        kind=BranchKind.REGIONAL, path__startswith=small.city.path
    )
    branches = BY_KEY["planning.branches"]
    assert branches.count(window, small.city.path) == founded.count() == applied.branches.count()
    assert founded.count() >= 2
    listed = {row.org_id for row in branches.listing(window, small.city.path)}
    assert listed == set(founded.values_list("pk", flat=True))
    moved = BY_KEY["planning.moved"]
    assert moved.count(window, small.city.path) == applied.assignments.count()
    # a window ending before the branches were founded counts none
    before = Window(start=today - dt.timedelta(days=60), end=today - dt.timedelta(days=1))
    assert branches.count(before, small.city.path) == 0


def test_the_summary_says_how_many_and_links_to_them(applied: Any) -> None:
    today = clock.today()
    report = services.report_now(
        actor=applied.created_by,
        root=applied.root,
        start=today - dt.timedelta(days=30),
        end=today,
    )
    text = "".join(
        seg["text"]
        for section in report.content["sections"]
        for para in section["paragraphs"]
        for seg in para
    )
    n = applied.branches.count()
    assert f"组建了{n}个区域党支部" in text
    assert f"{applied.assignments.count()}名党员的组织关系转到了离家最近的党支部" in text
    ref = next(r for r in report.figures if r.startswith("planning.branches"))
    assert selectors.figure_rows(report, ref).rows.count() == n
