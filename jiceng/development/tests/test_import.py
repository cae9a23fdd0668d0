"""Importing each applicant's stage dates from a spreadsheet (issue 23) through the import
engine: the check says, row by row in Chinese, what will be created, added, skipped or
refused, and writes nothing; a bad row (out of order, under 18, late without a reason, a
branch unknown or out of scope, a date after today) holds back the import with the rule and
its article; a re-run creates no duplicates and adds only the steps the case lacks; an
admission in the file puts a probationary member on the roll; names stay as written.

The town is ``tests.factories.SmallWorld``: alice is district a's officer, bob district b's,
charlie the secretary of a's first branch; the site's today is 2005-12-31 (``conftest``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from conftest import mark_verified
from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.development import services
from jiceng.development.models import Development
from jiceng.development.services import ImportedCase, ImportedStep
from jiceng.imports import engine
from jiceng.imports import services as import_services
from jiceng.imports.kinds import IMPORTERS
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.members.models import Member, MemberCategory
from jiceng.members.services import id_number_index

from .conftest import STEPS, D, register

ID_A = make_id_number("310101", D(1980, 5, 20), 12, "M")
ID_B = make_id_number("310101", D(1982, 7, 1), 21, "F")
ID_YOUNG = make_id_number("310101", D(1990, 1, 1), 33, "F")  # 15 in 2005
HEADER = [
    "序号",
    "姓名",
    "公民身份号码",
    "联系电话",
    "所在党支部",
    "申请日期",  # a synonym of 递交入党申请书日期
    "党组织派人谈话日期",
    "确定入党积极分子日期",  # a synonym of 推荐和确定入党积极分子日期
    "入党积极分子报上级党委备案日期",
    "指定培养联系人日期",
    "培养教育考察日期",
    "列为发展对象日期",
    "发展对象报上级党委备案日期",
    "确定入党介绍人日期",
    "进行政治审查日期",
    "开展集中培训日期",
    "支部委员会审查日期",
    "上级党委预审日期",
    "填写入党志愿书日期",
    "支部大会讨论日期",
    "上级党委派人谈话日期",
    "上级党委审批日期",
    "再上一级党委组织部门备案日期",
    "编入党支部和党小组日期",
    "入党宣誓日期",
    "提出转正申请日期",
    "支部大会讨论转正日期",
    "上级党委审批转正日期",
    "材料归档日期",
    "入党志愿书编号",
    "逾期原因",
]
COLUMN_OF = {  # step → the header of its date in ``HEADER``
    "apply": "申请日期",
    "talk": "党组织派人谈话日期",
    "activist": "确定入党积极分子日期",
    "activist_filed": "入党积极分子报上级党委备案日期",
    "contacts": "指定培养联系人日期",
    "assess": "培养教育考察日期",
    "candidate": "列为发展对象日期",
    "candidate_filed": "发展对象报上级党委备案日期",
    "introducers": "确定入党介绍人日期",
    "political_review": "进行政治审查日期",
    "training": "开展集中培训日期",
    "committee_review": "支部委员会审查日期",
    "pre_review": "上级党委预审日期",
    "form_filled": "填写入党志愿书日期",
    "general_meeting": "支部大会讨论日期",
    "upper_talk": "上级党委派人谈话日期",
    "approval": "上级党委审批日期",
    "approval_filed": "再上一级党委组织部门备案日期",
    "grouped": "编入党支部和党小组日期",
    "oath": "入党宣誓日期",
    "full_request": "提出转正申请日期",
    "full_meeting": "支部大会讨论转正日期",
    "full_approval": "上级党委审批转正日期",
    "archive": "材料归档日期",
}
APPLIED = D(2003, 1, 10)


def dates_until(until: str | None) -> dict[str, str]:
    """The header → date cells of the conftest walk (applied 2003-01-10), up to and without
    the first step ``until`` (every step when None); the two assessments in one cell."""
    cells: dict[str, list[str]] = {COLUMN_OF["apply"]: [APPLIED.isoformat()]}
    for code, on, _extra in STEPS:
        if code == until:
            break
        cells.setdefault(COLUMN_OF[code], []).append(on.isoformat())
    return {h: "、".join(days) for h, days in cells.items()}


def row(name: str, id_number: str, branch: str, until: str | None = None, **kw: Any) -> list[Any]:
    values: dict[str, Any] = dict.fromkeys(HEADER, "")
    values.update(姓名=name, 公民身份号码=id_number, 联系电话="13812345678", 所在党支部=branch)
    values.update(dates_until(until))
    values.update(kw)
    return [values[h] for h in HEADER]


def xlsx(tmp_path: Path, rows: list[list[Any]], *, name: str = "development.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["甲区 发展党员工作台账"])  # a title above the header, as offices write
    ws.append(HEADER)
    for i, r in enumerate(rows, start=1):
        ws.append([i, *r[1:]])
    path = tmp_path / name
    wb.save(path)
    return path


def run(user: Any, org: Any, path: Path, *, start: bool = True) -> ImportJob:
    with path.open("rb") as fh:
        job = import_services.import_job_create(
            actor=user, organization=org, kind="development", original_name=path.name,
            chunks=[fh.read()],
        )  # fmt: skip
    job = engine.job_validate(job)
    if start and job.status == ImportJob.Status.VALIDATED and job.rows_valid:
        import_services.import_job_start(actor=user, job=job)
        job = engine.job_run(job)
    return job


def said(job: ImportJob, level: str = ImportRowError.Level.PROBLEM) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for e in job.errors.filter(level=level):
        out.setdefault(e.row_number, []).append(f"{e.column}:{e.message}")
    return {n: " | ".join(m) for n, m in out.items()}


def cases(small: Any) -> Any:
    return Development.objects.filter(path__startswith=small.city.path)


def branch(small: Any, i: int = 0) -> str:
    return small.a.branches[i].name


def test_the_development_kind_is_registered_from_development():
    """The engine's table of kinds holds the development importer, which imports never
    names."""
    assert set(IMPORTERS) == set(ImportJob.Kind.values)
    assert type(IMPORTERS["development"]).__module__ == "jiceng.development.importer"


def test_a_good_file_is_previewed_then_creates_cases_with_their_steps(small, tmp_path):
    """The check reads the sheet under its title, says for each row what it will create
    (the steps and the stage) and writes nothing; started, each case has its steps, its
    stage and its next due date from the engine, as a case entered by hand."""
    rows = [
        row("李曉明", ID_A, branch(small), until="activist_filed"),
        row("王芳", ID_B, small.a.branches[1].code, until="talk", 联系电话=""),
    ]
    job = run(small.alice, small.a.org, xlsx(tmp_path, rows), start=False)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    assert (job.rows_valid, job.rows_invalid) == (2, 0)
    notices = said(job, ImportRowError.Level.NOTICE)
    assert "将新建发展党员记录，记录 3 个环节" in notices[3]
    assert "阶段：入党积极分子" in notices[3]
    assert "“曉”（简化字作“晓”）" in notices[3]  # a notice, not a change
    assert "将新建发展党员记录，记录 1 个环节（递交入党申请书 2003-01-10）" in notices[4]
    assert not cases(small).exists()

    import_services.import_job_start(actor=small.alice, job=job)
    job = engine.job_run(job)
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 2)
    d = cases(small).get(id_number_index=id_number_index(ID_A))
    assert d.name == "李曉明"  # as written
    assert d.org == small.a.branches[0]
    assert list(d.steps.values_list("step", "on")) == [
        ("apply", APPLIED),
        ("talk", D(2003, 2, 5)),
        ("activist", D(2003, 3, 1)),
    ]
    assert (d.stage, d.state, d.next_step, d.next_due) == (
        "activist",
        "active",
        "assess",
        D(2003, 9, 1),  # assessed every six months from becoming an activist
    )
    assert d.imported_at is not None
    other = cases(small).get(id_number_index=id_number_index(ID_B))
    assert (other.org, other.stage, other.next_step, other.next_due) == (
        small.a.branches[1],
        "applicant",
        "talk",
        D(2003, 2, 10),  # the talk within a month of the application
    )
    event = AuditEvent.objects.get(
        object_type="development.development", object_id=str(d.pk), verb="create"
    )
    assert "导入：递交入党申请书 2003-01-10" in event.note
    assert event.changes["id_number"][1] == "******"


def test_the_id_number_and_phone_are_stored_encrypted(small, tmp_path):
    run(small.alice, small.a.org, xlsx(tmp_path, [row("李晓明", ID_A, branch(small), "talk")]))
    d = cases(small).get()
    assert d.id_number_masked.endswith(ID_A[-4:])
    assert "12345678" not in d.phone_masked
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM development_development WHERE id = %s", [d.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert ID_A not in raw_id
    assert "13812345678" not in raw_phone


def test_bad_rows_are_named_with_their_rule_and_nothing_is_written(small, tmp_path):
    """Out of order (an activist before the talk), under 18 on the day of application, a talk
    after its month without a reason, an unknown branch, a date after today: each row is a
    problem in Chinese citing its rule, said before anything is written; the start is
    refused and not one case of the file is written."""
    rows = [
        row("甲", ID_A, branch(small), "activist_filed"),
        row("乙", make_id_number("310101", D(1979, 1, 2), 5, "M"), branch(small), "talk",
            党组织派人谈话日期="2003-04-01", 确定入党积极分子日期="2003-03-01"),
        row("丙", ID_YOUNG, branch(small), "talk", 申请日期="2005-03-01"),
        row("丁", make_id_number("310101", D(1978, 3, 4), 7, "F"), branch(small), "talk",
            党组织派人谈话日期="2003-03-20"),
        row("戊", ID_B, "丙区第9党支部", "talk"),
        row("己", make_id_number("310101", D(1977, 5, 6), 9, "M"), branch(small), "talk",
            申请日期="2005-12-01", 党组织派人谈话日期="2006-01-05"),
    ]  # fmt: skip
    job = run(small.alice, small.a.org, xlsx(tmp_path, rows), start=False)
    problems = said(job)
    assert sorted(problems) == [4, 5, 6, 7, 8]
    assert "须先办理「党组织派人谈话」，才能办理「推荐和确定入党积极分子」" in problems[4]
    assert "第八条" in problems[4]
    assert "文件中「党组织派人谈话」的日期 2003-04-01 晚于" in problems[4]
    assert problems[4].startswith("确定入党积极分子日期:")  # the officer's own header
    assert "申请入党须年满十八岁" in problems[5]
    assert "第五条" in problems[5]
    assert "「党组织派人谈话」期限为 2003-02-10" in problems[6]
    assert "逾期办理须写明原因" in problems[6]
    assert "第七条" in problems[6]
    assert "找不到党支部“丙区第9党支部”" in problems[7]
    assert "日期不能晚于今天" in problems[8]
    assert (job.rows_valid, job.rows_invalid) == (1, 5)
    with pytest.raises(ValidationError, match="有 5 行存在问题"):
        import_services.import_job_start(actor=small.alice, job=job)
    assert not cases(small).exists()


def test_a_late_step_with_the_rows_reason_is_recorded_late(small, tmp_path):
    """The row's 逾期原因 is kept on every late step of the row and said in the check."""
    late = row("丁", ID_A, branch(small), "talk", 党组织派人谈话日期="2003-03-20",
               逾期原因="申请人外出学习")  # fmt: skip
    job = run(small.alice, small.a.org, xlsx(tmp_path, [late]))
    assert job.status == ImportJob.Status.DONE, said(job)
    assert "原因按“申请人外出学习”记录" in said(job, ImportRowError.Level.NOTICE)[3]
    talk = cases(small).get().steps.get(step="talk")
    assert (talk.late, talk.reason) == (True, "申请人外出学习")
    assert not cases(small).get().steps.get(step="apply").late


def test_a_rerun_creates_no_duplicates_and_adds_only_the_later_steps(small, tmp_path):
    """The same file again: every step already recorded on the same day, skipped, said in
    the check. A later file of the same applicants adds the steps they lack and nothing
    else; a step recorded on another day is refused (an import never changes a step)."""
    first = xlsx(tmp_path, [row("李晓明", ID_A, branch(small), "activist_filed")])
    run(small.alice, small.a.org, first)
    d = cases(small).get()
    again = run(small.alice, small.a.org, first, start=False)
    assert "3 个环节均已记录、日期相同，将跳过" in said(again, ImportRowError.Level.NOTICE)[3]
    import_services.import_job_start(actor=small.alice, job=again)
    again = engine.job_run(again)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)
    assert d.steps.count() == 3

    later = xlsx(tmp_path, [row("李晓明", ID_A, branch(small), "introducers")], name="v2.xlsx")
    job = run(small.alice, small.a.org, later, start=False)
    notices = said(job, ImportRowError.Level.NOTICE)[3]
    assert "已有发展党员记录，将增加 6 个环节" in notices
    assert "阶段：发展对象" in notices
    assert "已记录、日期相同，将跳过" in notices
    import_services.import_job_start(actor=small.alice, job=job)
    job = engine.job_run(job)
    assert (job.created_count, job.updated_count) == (0, 1)
    assert cases(small).count() == 1
    d.refresh_from_db()
    assert d.steps.count() == 9
    assert d.steps.filter(step="assess").count() == 2  # both dates of the one cell
    assert (d.stage, d.next_step) == ("candidate", "introducers")
    assert d.steps.get(step="candidate").on == D(2004, 3, 2)

    moved = row("李晓明", ID_A, branch(small), "introducers", 党组织派人谈话日期="2003-02-06")
    job = run(small.alice, small.a.org, xlsx(tmp_path, [moved], name="v3.xlsx"), start=False)
    assert "「党组织派人谈话」已记录为 2003-02-05，导入不修改已办理的环节" in said(job)[3]
    assert d.steps.get(step="talk").on == D(2003, 2, 5)


def test_an_admission_in_the_file_puts_a_probationary_member_on_the_roll(small, tmp_path):
    """A row through 上级党委审批: the member enters the roll as probationary at the branch,
    joined on the day of the general meeting, through the path the admission by hand takes;
    a row through full membership makes them full on the day of its approval."""
    before = Member.objects.count()
    rows = [
        row("李晓明", ID_A, branch(small), "approval_filed", 入党志愿书编号="2004-001"),
        row("王芳", ID_B, branch(small), None, 入党志愿书编号="2004-002"),
    ]
    job = run(small.alice, small.a.org, xlsx(tmp_path, rows), start=False)
    assert "上级党委审批后将作为预备党员登记入党员名册" in said(job, ImportRowError.Level.NOTICE)[3]
    import_services.import_job_start(actor=small.alice, job=job)
    job = engine.job_run(job)
    assert job.created_count == 2, said(job)
    assert Member.objects.count() == before + 2
    admitted = cases(small).get(id_number_index=id_number_index(ID_A))
    member = admitted.member
    assert member is not None
    assert (member.category, member.joined_on) == (MemberCategory.PROBATIONARY, D(2004, 6, 1))
    assert (member.name, member.home_org) == ("李晓明", small.a.branches[0])
    assert (admitted.stage, admitted.state) == ("probationary", "admitted")
    assert admitted.application_form_no == "2004-001"
    assert admitted.steps.get(step="approval").approver_path == small.a.street.path
    full = cases(small).get(id_number_index=id_number_index(ID_B))
    assert full.member is not None
    assert (full.member.category, full.member.full_member_on) == (
        MemberCategory.FULL,
        D(2005, 7, 1),
    )
    assert (full.stage, full.state, full.next_due) == ("full", "full", None)


def test_an_admission_of_someone_already_on_the_roll_is_a_problem(small, tmp_path):
    on_roll = small.a.members[0]
    rows = [row("李晓明", on_roll.id_number, branch(small), "approval_filed",
                入党志愿书编号="2004-001")]  # fmt: skip
    job = run(small.alice, small.a.org, xlsx(tmp_path, rows), start=False)
    assert "已登记在党员名册中，不能再接收为预备党员" in said(job)[3]


def test_another_district_cannot_import_into_district_a(small, tmp_path):
    """Bob may not import into district a; into his own district, a row naming a's branch is
    a problem naming it; the service refuses him too."""
    path = xlsx(tmp_path, [row("李晓明", ID_A, branch(small), "talk")])
    with pytest.raises(PermissionDenied), path.open("rb") as fh:
        import_services.import_job_create(
            actor=small.bob, organization=small.a.org, kind="development",
            original_name=path.name, chunks=[fh.read()],
        )  # fmt: skip
    job = run(small.bob, small.b.org, path, start=False)
    assert "党支部“甲区第1党支部”不在您的管辖范围内" in said(job)[3]
    case = ImportedCase(name="李晓明", id_number=ID_A, steps=(ImportedStep("apply", APPLIED),))
    with pytest.raises(PermissionDenied):
        services.development_import_row(actor=small.bob, org=small.a.branches[0], imported=case)
    assert not cases(small).exists()


def test_a_branch_secretary_cannot_import_the_steps_of_the_committee_above(small, tmp_path):
    """The steps taken by the committee above (备案, 预审, 审批) need the right over it, as by
    hand: a branch secretary's file with them is refused with the reason; without them it
    passes."""
    rows = [
        row("李晓明", ID_A, branch(small), "activist_filed"),
        row("王芳", ID_B, branch(small), "contacts"),
    ]
    job = run(small.charlie, small.a.branches[0], xlsx(tmp_path, rows), start=False)
    problems = said(job)
    assert list(problems) == [4]
    assert "须由上级党委办理" in problems[4]
    assert problems[4].startswith("入党积极分子报上级党委备案日期:")


def test_a_unit_that_is_not_a_branch_is_a_problem(small, tmp_path):
    job = run(
        small.alice,
        small.a.org,
        xlsx(tmp_path, [row("李晓明", ID_A, small.a.street.name, "talk")]),
        start=False,
    )
    assert "不是党支部（党总支）" in said(job)[3]


def test_the_worklist_leads_to_the_import_with_the_kind_chosen(small, client):
    client.force_login(small.alice)
    mark_verified(client, small.alice)
    page = client.get(reverse("development:worklist")).content.decode()
    assert 'data-testid="development-import"' in page
    assert "?kind=development" in page
    imports_page = client.get(reverse("imports:list") + "?kind=development").content.decode()
    assert '<option value="development" selected>发展党员记录</option>' in imports_page


def test_a_step_taken_by_hand_between_the_check_and_the_run_holds_its_row_back(small, tmp_path):
    """The run checks each row again through the service: a case changed since the check is
    not half-written, its row is reported with the reason, and the other rows are written."""
    register(small, applied_on=APPLIED)  # the same applicant, already at the branch
    rows = [
        row("李晓明", ID_A, branch(small), "activist_filed"),
        row("王芳", ID_B, branch(small), "activist_filed"),
    ]
    job = run(small.alice, small.a.org, xlsx(tmp_path, rows), start=False)
    assert "已有发展党员记录，将增加 2 个环节" in said(job, ImportRowError.Level.NOTICE)[3]
    d = cases(small).get(id_number_index=id_number_index(ID_A))
    services.development_step(actor=small.alice, development=d, step="talk", on=D(2003, 2, 4))
    import_services.import_job_start(actor=small.alice, job=job)
    job = engine.job_run(job)
    assert job.created_count == 1
    assert "未导入：「党组织派人谈话」已记录为 2003-02-04" in said(job)[3]
    assert list(d.steps.values_list("step", flat=True)) == ["apply", "talk"]
    assert cases(small).count() == 2


def test_the_service_refuses_a_row_out_of_order(small):
    """``development_import_row`` checks the row itself (the API of the engine's check), so a
    caller other than the importer cannot write steps out of order."""
    case = ImportedCase(
        name="李晓明",
        id_number=ID_A,
        steps=(ImportedStep("apply", APPLIED), ImportedStep("activist", D(2003, 3, 1))),
    )
    with pytest.raises(ValidationError, match="须先办理「党组织派人谈话」"):
        services.development_import_row(actor=small.alice, org=small.a.branches[0], imported=case)
    assert not cases(small).exists()
