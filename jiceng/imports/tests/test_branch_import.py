"""A roster imported into one branch needs no column naming the branch (issue 17): the
members' relationship lies in the target, and the check says so before anything is written.
Into a unit with sub-units the column stays required (S10)."""

from __future__ import annotations

from jiceng.imports.models import ImportJob
from jiceng.members.models import Member

from .conftest import HEADER, new_id
from .test_member_import import run

NO_ORG = HEADER[:-1]


def _rows(*names):
    return [
        [n, new_id(i + 40), "男", "2001-07-01", "2002-07-01", "正式党员", "13812345678"]
        for i, n in enumerate(names)
    ]


def test_a_branch_roster_without_the_organisation_column_lands_in_the_branch(small, xlsx):
    branch = small.a.branches[0]
    path = xlsx([NO_ORG, *_rows("郑红梅", "钱乾")])
    job = run(small.alice, branch, path, start=False)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    assert job.rows_valid == 2
    (sheet,) = [s for s in job.sheets if s["read"]]
    assert branch.name in sheet["note"]  # shown to the officer before the write
    job = run(small.alice, branch, path)
    assert job.status == ImportJob.Status.DONE
    assert set(
        Member.objects.filter(home_org=branch, name__in=["郑红梅", "钱乾"]).values_list(
            "name", flat=True
        )
    ) == {"郑红梅", "钱乾"}


def test_into_a_unit_with_sub_units_the_column_is_still_required(small, xlsx):
    path = xlsx([NO_ORG, *_rows("郑红梅")])
    job = run(small.alice, small.a.street, path, start=False)
    assert job.status == ImportJob.Status.FAILED
    assert "组织关系所在党组织" in job.message
    assert not Member.objects.filter(name="郑红梅").exists()


def test_an_education_the_roll_keeps_only_approximately_is_said_before_writing(small, xlsx):
    """硕士研究生肄业 (not graduated) is recorded as 研究生: the check says so; 大学本科 is not
    remarked on."""
    from jiceng.imports.models import ImportRowError
    from jiceng.members.models import Education

    branch = small.a.branches[0]
    rows = _rows("郑红梅", "钱乾")
    rows[0].append("硕士研究生肄业")
    rows[1].append("大学本科")
    job = run(small.alice, branch, xlsx([[*NO_ORG, "学历"], *rows]), start=False)
    notices = list(
        job.errors.filter(level=ImportRowError.Level.NOTICE, column="学历").values_list(
            "row_number", "message"
        )
    )
    assert len(notices) == 1
    assert "“硕士研究生肄业”按“研究生”登记" in notices[0][1]
    job = run(small.alice, branch, xlsx([[*NO_ORG, "学历"], *rows]))
    assert Member.objects.get(name="郑红梅").education == Education.POSTGRADUATE
