"""Importing organisations: parents before children whatever the row order, tree rules,
idempotent by code (issue 3 item 1; S11, S12). alice imports under district a of the test's
own world (``tests.factories.SmallWorld``); district b is outside her scope."""

from __future__ import annotations

import pytest

from jiceng.core.models import AuditEvent
from jiceng.imports import engine, services
from jiceng.imports.models import ImportJob
from jiceng.orgs.models import Organization

# officer and branch (conftest.py) are the small world's: alice and her first branch
SMALL_WORLD = True

HEADER = ["组织代码", "组织名称", "组织类别", "上级党组织代码", "所属领域", "成立日期"]


@pytest.fixture
def officer(small):
    """alice, the officer of district a (the small world's, not the demo's)."""
    return small.alice


def run(officer, org, path, *, start=True, skip_invalid=False):
    job = services.import_job_create(
        actor=officer,
        organization=org,
        kind="organization",
        original_name=path.name,
        chunks=[path.read_bytes()],
    )
    job = engine.job_validate(job)
    if start and job.status == ImportJob.Status.VALIDATED and job.rows_valid:
        services.import_job_start(actor=officer, job=job, skip_invalid=skip_invalid)
        job = engine.job_run(job)
    return job


def problems(job):
    return {(e.row_number, e.column): e.message for e in job.errors.all()}


def test_children_listed_before_their_parent_are_founded_after_it(small, officer, xlsx):
    street = small.a.street
    rows = [
        HEADER,
        ["T-B1", "新华公司党支部", "党支部", "T-P1", "非公有制企业", "2005-07-01"],
        ["T-P1", "南京东路非公企业综合党委", "基层党委", street.code, "非公有制企业", "2005.6.30"],
        ["T-B2", "宏达公司党支部", "党支部", "南京东路非公企业综合党委", "非公有制企业", ""],
    ]
    job = run(officer, small.a.org, xlsx(rows, name="orgs.xlsx"))
    assert job.status == ImportJob.Status.DONE, problems(job)
    assert job.created_count == 3
    parent = Organization.objects.get(code="T-P1")
    child = Organization.objects.get(code="T-B1")
    assert child.path.startswith(parent.path)
    assert parent.path.startswith(street.path)
    assert Organization.objects.get(code="T-B2").path.startswith(parent.path)
    assert (
        AuditEvent.objects.filter(
            verb="create", object_type="orgs.organization", note__contains="批量导入"
        ).count()
        == 3
    )
    # the tree stays consistent for treebeard
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_rerun_changes_nothing_and_a_changed_name_updates(small, officer, xlsx):
    street = small.a.street
    rows = [HEADER, ["T-B9", "某公司党支部", "党支部", street.code, "", ""]]
    run(officer, small.a.org, xlsx(rows, name="a.xlsx"))
    again = run(officer, small.a.org, xlsx(rows, name="b.xlsx"))
    assert (again.created_count, again.unchanged_count) == (0, 1)
    rows[1][1] = "某科技公司党支部"
    renamed = run(officer, small.a.org, xlsx(rows, name="c.xlsx"))
    assert renamed.updated_count == 1
    assert Organization.objects.get(code="T-B9").name == "某科技公司党支部"


def test_tree_rules_cycles_duplicates_and_foreign_codes_are_row_errors(small, officer, xlsx):
    branch = small.a.branches[0]
    rows = [
        HEADER,
        ["T-X1", "支部下的党委", "基层党委", branch.code, "", ""],
        ["T-C1", "甲", "基层党委", "T-C2", "", ""],
        ["T-C2", "乙", "基层党委", "T-C1", "", ""],
        ["T-D1", "丙", "党小组", branch.code, "", ""],
        ["T-D1", "丁", "党小组", branch.code, "", ""],
        [small.b.org.code, "冒用代码", "党支部", small.a.org.code, "", ""],
        ["T-E1", "戊", "支委会", branch.code, "", ""],
    ]
    job = run(officer, small.a.org, xlsx(rows, name="bad.xlsx"), start=False)
    found = problems(job)
    assert "下不能设立" in found[(2, "组织类别")]
    assert "循环" in found[(3, "上级党组织代码")]  # the officer's header (issue 15)
    assert "循环" in found[(4, "上级党组织代码")]
    assert "重复" in found[(6, "组织代码")]
    assert "导入范围以外" in found[(7, "组织代码")]
    assert "不在可选范围内" in found[(8, "组织类别")]
    assert job.rows_valid == 1  # only T-D1 (the group under the branch) is clean
    assert not Organization.objects.filter(code__startswith="T-").exists()
