"""Import fidelity (issue 15): no silent change to anyone's data. Every class is tried on
.xlsx and on CSV in UTF-8 and in GB18030, as officers' files come."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.exports import stream_csv, stream_xlsx
from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.imports import engine, exports, services
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.members.models import Education, EmploymentStatus, Member
from jiceng.members.selectors import MemberFilters, member_list
from jiceng.orgs.models import Organization

from .conftest import HEADER, new_id
from .test_member_import import row, run

FORMATS = ("xlsx", "csv-utf8", "csv-gb18030")


@pytest.fixture
def roster(tmp_path: Path, xlsx):
    """Rows written as the officer's program would: .xlsx, CSV (UTF-8 with BOM) or CSV in
    GB18030 (Chinese Excel's 'CSV')."""

    def _write(rows: list[list[Any]], fmt: str, name: str = "roll") -> Path:
        if fmt == "xlsx":
            return xlsx(rows, name=f"{name}.xlsx")
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        encoding = "utf-8-sig" if fmt == "csv-utf8" else "gb18030"
        path = tmp_path / f"{name}-{fmt}.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    return _write


def notices_of(job: ImportJob) -> dict[int, str]:
    return {e.row_number: e.message for e in job.errors.filter(level=ImportRowError.Level.NOTICE)}


# ----- 1. names are never converted --------------------------------------------------------

# Names whose characters OpenCC's t2s changes: 乾 → 干, 於 → 于, 昇 → 升 are standard in names
# (kept, no notice); 髮, 後, 張 are Traditional forms (kept, with a notice).
NAMES = {"张乾": False, "钱乾": False, "於梅": False, "王昇": False, "周髮": True, "李後": True}


@pytest.mark.parametrize("fmt", FORMATS)
def test_names_are_stored_exactly_as_written(db, officer, branch, roster, fmt):
    rows = [HEADER] + [row(name, new_id(100 + i), branch) for i, name in enumerate(NAMES)]
    job = run(officer, branch, roster(rows, fmt))
    assert job.status == ImportJob.Status.DONE, list(job.errors.values_list("message"))
    assert job.created_count == len(NAMES)
    assert set(Member.objects.filter(name__in=NAMES).values_list("name", flat=True)) == set(NAMES)
    assert not Member.objects.filter(name__in=["张干", "钱干", "于梅", "王升", "周发", "李后"])
    # only the search key is Simplified
    assert Member.objects.get(name="张乾").name_simplified == "张干"
    assert Member.objects.get(name="周髮").name_simplified == "周发"
    # a Traditional form is shown to the officer, not changed
    notices = notices_of(job)
    assert job.notice_count == 2
    assert set(notices) == {i + 2 for i, (_n, flagged) in enumerate(NAMES.items()) if flagged}
    assert "“髮”（简化字作“发”）" in notices[6]
    assert "按原样保存" in notices[6]


def test_a_name_written_in_traditional_is_still_found_by_its_simplified_form(
    db, officer, branch, xlsx
):
    job = run(officer, branch, xlsx([HEADER, row("張後明", new_id(120), branch)]))
    assert job.status == ImportJob.Status.DONE
    found = member_list(officer, MemberFilters(q="张后明"))
    assert [m.name for m in found] == ["張後明"]


def test_reimporting_names_as_written_changes_nothing(db, officer, branch, roster):
    rows = [HEADER] + [row(name, new_id(130 + i), branch) for i, name in enumerate(NAMES)]
    run(officer, branch, roster(rows, "xlsx"))
    again = run(officer, branch, roster(rows, "csv-gb18030", name="again"))
    assert (again.created_count, again.updated_count) == (0, 0)
    assert again.unchanged_count == len(NAMES)
    assert again.rename_count == 0


def test_organisation_names_are_stored_as_written_and_matched_simplified(world, officer, roster):
    street = Organization.objects.filter(path__startswith=world.huangpu.path, depth=3).first()
    header = ["组织代码", "组织名称", "组织类别", "上级党组织代码", "所属领域", "成立日期"]
    rows = [
        header,
        ["F-P1", "乾元里居民區黨委", "基层党委", street.code, "", ""],
        ["F-B1", "乾元里第一党支部", "党支部", "乾元里居民区党委", "", ""],
    ]
    job = services.import_job_create(
        actor=officer,
        organization=world.huangpu,
        kind="organization",
        original_name="orgs.csv",
        chunks=[roster(rows, "csv-gb18030", name="orgs").read_bytes()],
    )
    job = engine.job_validate(job)
    services.import_job_start(actor=officer, job=job)
    job = engine.job_run(job)
    assert job.status == ImportJob.Status.DONE, list(job.errors.values_list("message"))
    parent = Organization.objects.get(code="F-P1")
    assert parent.name == "乾元里居民區黨委"
    assert Organization.objects.get(code="F-B1").path.startswith(parent.path)


# ----- 3. a known ID with another name -----------------------------------------------------


@pytest.fixture
def registered(db, officer, branch, xlsx) -> Member:
    run(officer, branch, xlsx([HEADER, row("王建国", new_id(140), branch)], name="first.xlsx"))
    return Member.objects.get(name="王建国")


def _renamed_file(roster, branch, fmt: str) -> Path:
    rows = [
        HEADER,
        row("王建华", new_id(140), branch, phone="13900000001"),
        row("李明", new_id(141), branch),
    ]
    return roster(rows, fmt, name="renamed")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_known_id_with_another_name_is_a_conflict_the_check_reports(
    officer, branch, registered, roster, fmt
):
    job = run(officer, branch, _renamed_file(roster, branch, fmt), start=False)
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.rename_count, job.rows_invalid) == (1, 0)
    conflict = job.errors.get(level=ImportRowError.Level.RENAME)
    assert conflict.row_number == 2
    assert "王建国" in conflict.message
    assert "王建华" in conflict.message
    with pytest.raises(ValidationError, match="另一姓名"):
        services.import_job_start(actor=officer, job=job)
    registered.refresh_from_db()
    assert registered.name == "王建国"


def test_a_conflict_not_confirmed_leaves_the_member_untouched(officer, branch, registered, roster):
    job = run(officer, branch, _renamed_file(roster, branch, "xlsx"), skip_invalid=True)
    assert job.status == ImportJob.Status.DONE
    registered.refresh_from_db()
    assert registered.name == "王建国"
    assert registered.phone == "+8613812345678"  # the row was not applied at all
    assert Member.objects.filter(name="李明").exists()


def test_a_confirmed_rename_is_applied_and_audited(officer, branch, registered, roster):
    job = run(officer, branch, _renamed_file(roster, branch, "csv-utf8"), start=False)
    services.import_job_start(actor=officer, job=job, accept_renames=True)
    job = engine.job_run(job)
    assert job.status == ImportJob.Status.DONE
    registered.refresh_from_db()
    assert registered.name == "王建华"
    assert registered.name_pinyin == "wangjianhua"
    event = AuditEvent.objects.filter(object_type="imports.importjob", verb="create").latest("id")
    assert event.changes["updated"][1][str(registered.pk)]["name"] == ["王建国", "王建华"]
    assert "经确认更名 1" in event.note
    start = AuditEvent.objects.filter(object_type="imports.importjob", verb="update").latest("id")
    assert "确认更名 1 人" in start.note


def test_the_command_renames_only_with_accept_renames(officer, branch, registered, roster, capsys):
    path = _renamed_file(roster, branch, "csv-gb18030")
    with pytest.raises(Exception, match="另一姓名"):
        call_command("import_members", str(path), into=branch.code, user=officer.username)
    out = capsys.readouterr().out
    assert "王建国" in out
    assert "王建华" in out
    registered.refresh_from_db()
    assert registered.name == "王建国"
    call_command(
        "import_members", str(path), into=branch.code, user=officer.username, accept_renames=True
    )
    registered.refresh_from_db()
    assert registered.name == "王建华"


def test_the_downloaded_report_lists_name_conflicts_and_notices_with_their_kind(
    client, login, officer, branch, registered, roster
):
    """What the page lists (a rename to confirm, a row imported with a notice) is in the file
    the officer downloads too, each row as sent with its kind, beside the rows with problems."""
    rows = [
        HEADER,
        row("王建华", new_id(140), branch),
        row("秦三", "'" + new_id(178), branch),
        row("秦四", "12345", branch),
        row("秦五", new_id(179), branch),
    ]
    job = run(officer, branch, roster(rows, "xlsx", name="mixed"), start=False)
    assert (job.rename_count, job.notice_count, job.rows_invalid) == (1, 1, 1)
    login("huangpu.officer")
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "下载核对清单" in page
    response = client.get(reverse("imports:errors", args=[job.pk]))
    sheet = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values
    )
    assert sheet[0][-2:] == ("类别", "问题说明")
    by_row = {line[0]: line for line in sheet[1:]}
    assert set(by_row) == {2, 3, 4}  # 秦五 is clean and not listed
    assert by_row[2][1] == "王建华"
    assert by_row[2][-2] == "姓名不一致"
    assert "王建国" in by_row[2][-1]
    assert by_row[3][-2] == "提示"
    assert "单引号" in by_row[3][-1]
    assert by_row[4][-2] == "问题"


def test_the_command_writes_the_report_when_only_names_differ(
    officer, branch, registered, roster, tmp_path, capsys
):
    report = tmp_path / "check.xlsx"
    call_command(
        "import_members",
        str(_renamed_file(roster, branch, "csv-utf8")),
        into=branch.code,
        user=officer.username,
        dry_run=True,
        report=report,
    )
    assert f"核对清单（姓名不一致和有提示的各行）：{report}" in capsys.readouterr().out
    lines = list(openpyxl.load_workbook(report).active.values)
    assert [line[-2] for line in lines[1:]] == ["姓名不一致"]


# ----- 4. columns not used are listed before anything is written ---------------------------

UNUSED = ["序号", "籍贯", "备注（其他）"]


def _with_unused_columns(branch) -> list[list[Any]]:
    return [
        [UNUSED[0], *HEADER, *UNUSED[1:]],
        [1, *row("赵一", new_id(150), branch), "上海", "无"],
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_check_lists_every_column_it_did_not_use(officer, branch, roster, fmt):
    job = run(officer, branch, roster(_with_unused_columns(branch), fmt), start=False)
    assert job.status == ImportJob.Status.VALIDATED
    assert job.unknown_columns == UNUSED


def test_the_page_shows_the_unused_columns_before_the_start(client, login, branch, roster):
    login("huangpu.officer")
    path = roster(_with_unused_columns(branch), "csv-gb18030")
    with path.open("rb") as fh:
        client.post(
            reverse("imports:list"),
            {"kind": "member", "organization": branch.code, "file": fh},
            follow=True,
        )
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="unused-columns"' in page
    assert all(f">{column}<" in page for column in UNUSED)
    assert not Member.objects.filter(name="赵一").exists()


def test_the_command_prints_the_unused_columns(officer, branch, roster, capsys):
    path = roster(_with_unused_columns(branch), "xlsx")
    call_command("import_members", str(path), into=branch.code, user=officer.username, dry_run=True)
    out = capsys.readouterr().out
    assert "未使用（不导入）的列：序号、籍贯、备注（其他）" in out


# ----- 2. sheets: the visible rosters, never a hidden sheet unasked -------------------------


@pytest.fixture
def workbook(tmp_path: Path, branch):
    """A workbook as offices keep it: an out-of-date hidden sheet first, the roll of members at
    post, the retired members' sheet (its columns in another order) and a sheet of notes."""

    def _write(*, huge_notes: bool = False) -> Path:
        wb = openpyxl.Workbook()
        old = wb.active
        old.title = "旧名册"
        old.append(HEADER)
        old.append(row("钱旧", new_id(160), branch))
        old.append(row("孙一", new_id(161), branch, phone="13900000099"))
        old.sheet_state = "hidden"
        current = wb.create_sheet("在职党员")
        current.append(HEADER)
        current.append(row("孙一", new_id(161), branch))
        retired = wb.create_sheet("退休党员")
        retired.append(["序号", *reversed(HEADER)])
        retired.append([1, *reversed(row("周退", new_id(162), branch, full="2002-07-01"))])
        retired.append([2, *reversed(row("吴退", "31010119", branch))])
        notes = wb.create_sheet("填表说明")
        notes.append(["身份证号请设为文本格式"])
        if huge_notes:
            notes.cell(row=1, column=300, value="x")
        path = tmp_path / "workbook.xlsx"
        wb.save(path)
        return path

    return _write


def _sheets(job: ImportJob) -> dict[str, tuple[bool, str]]:
    return {s["name"]: (s["read"], s["reason"]) for s in job.sheets}


def test_visible_roster_sheets_are_read_and_the_others_skipped_with_the_reason(
    officer, branch, workbook
):
    job = run(officer, branch, workbook(), start=False)
    assert job.status == ImportJob.Status.VALIDATED
    sheets = _sheets(job)
    assert sheets["在职党员"] == (True, "")
    assert sheets["退休党员"] == (True, "")
    assert sheets["旧名册"][0] is False
    assert "隐藏" in sheets["旧名册"][1]
    assert sheets["填表说明"][0] is False
    assert "不像名册" in sheets["填表说明"][1]
    assert (job.rows_total, job.rows_valid, job.rows_invalid) == (3, 2, 1)
    problem = job.errors.get(level=ImportRowError.Level.PROBLEM)
    assert (problem.sheet, problem.row_number) == ("退休党员", 3)
    assert problem.place == "“退休党员”表第 3 行"
    services.import_job_start(actor=officer, job=job, skip_invalid=True)
    engine.job_run(job)
    assert set(
        Member.objects.filter(name__in=["孙一", "周退", "钱旧"]).values_list("name", flat=True)
    ) == {
        "孙一",
        "周退",
    }
    assert Member.objects.get(name="孙一").phone == "+8613812345678"  # not the hidden sheet's


def test_the_error_report_names_the_sheet_of_each_row(client, login, officer, branch, workbook):
    job = run(officer, branch, workbook(), start=False)
    login("huangpu.officer")
    response = client.get(reverse("imports:errors", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("工作表", "行号")
    assert rows[1][:3] == ("退休党员", 3, 2)


def test_a_hidden_sheet_is_read_when_the_officer_names_it(officer, branch, workbook):
    path = workbook()
    job = services.import_job_create(
        actor=officer,
        organization=branch,
        kind="member",
        original_name=path.name,
        chunks=[path.read_bytes()],
        sheet="旧名册",
    )
    job = engine.job_validate(job)
    assert job.status == ImportJob.Status.VALIDATED
    assert [s["name"] for s in job.sheets_read] == ["旧名册"]
    assert job.rows_valid == 2


def test_the_command_reads_the_sheet_asked_for_and_says_what_it_read(
    officer, branch, workbook, capsys
):
    path = workbook()
    call_command("import_members", str(path), into=branch.code, user=officer.username, dry_run=True)
    out = capsys.readouterr().out
    assert "工作表“在职党员”：读取" in out
    assert "工作表“旧名册”：跳过（隐藏的工作表" in out
    call_command(
        "import_members",
        str(path),
        into=branch.code,
        user=officer.username,
        sheet="退休党员",
        skip_invalid=True,
    )
    out = capsys.readouterr().out
    assert "工作表“退休党员”：读取" in out
    assert "工作表“在职党员”" not in out


def test_every_sheet_read_has_its_extent_checked(officer, branch, workbook):
    path = workbook(huge_notes=True)
    job = run(officer, branch, path, start=False)
    assert job.status == ImportJob.Status.VALIDATED
    read, reason = _sheets(job)["填表说明"]
    assert not read
    assert "数据范围过大" in reason
    asked = services.import_job_create(
        actor=officer,
        organization=branch,
        kind="member",
        original_name=path.name,
        chunks=[path.read_bytes()],
        sheet="填表说明",
    )
    asked = engine.job_validate(asked)
    assert asked.status == ImportJob.Status.FAILED
    assert "数据范围过大" in asked.message


def test_the_page_lists_the_sheets_read_and_skipped(client, login, branch, workbook):
    login("huangpu.officer")
    with workbook().open("rb") as fh:
        client.post(
            reverse("imports:list"), {"kind": "member", "organization": branch.code, "file": fh}
        )
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="sheets"' in page
    assert page.count('data-sheet-read="1"') == 2
    assert page.count('data-sheet-read="0"') == 2
    assert "隐藏的工作表，未读取" in page


def test_the_upload_page_offers_the_sheet_choice(client, login, branch, workbook):
    login("huangpu.officer")
    assert 'name="sheet"' in client.get(reverse("imports:list")).content.decode()
    with workbook().open("rb") as fh:
        client.post(
            reverse("imports:list"),
            {"kind": "member", "organization": branch.code, "file": fh, "sheet": "旧名册"},
        )
    assert ImportJob.objects.get().sheets_read[0]["name"] == "旧名册"


# ----- headers and rows refused wrongly ----------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_words_are_matched_after_script_brackets_and_notes(officer, branch, roster, fmt):
    header = [
        "姓名",
        "身分證號（18位）",
        "性别",
        "入党时间（年月日）",
        "转正时间(年月日)",
        "党员类别",
        "联系电话（手机）",
        "党支部名称",
    ]
    job = run(officer, branch, roster([header, row("郑一", new_id(170), branch)], fmt))
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.unknown_columns == []
    assert Member.objects.get(name="郑一").phone == "+8613812345678"


def test_a_two_row_header_with_merged_cells_is_read(officer, branch, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["姓名", "公民身份号码", "性别", "入党情况", None, "党员类别", "联系电话", "所在支部"]
    )
    ws.append([None, None, None, "入党日期", "转正日期", None, None, None])
    for col in (1, 2, 3, 6, 7, 8):
        ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
    ws.merge_cells(start_row=1, start_column=4, end_row=1, end_column=5)
    ws.append(row("冯一", new_id(171), branch))
    path = tmp_path / "two-rows.xlsx"
    wb.save(path)
    job = run(officer, branch, path)
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.header_row == 1
    member = Member.objects.get(name="冯一")
    assert (member.joined_on.isoformat(), member.full_member_on.isoformat()) == (
        "2001-07-01",
        "2002-07-01",
    )


def test_a_date_typed_as_the_number_20050630_imports(officer, branch, xlsx):
    rows = [HEADER, row("褚一", new_id(172), branch, joined=20010701, full=20020701.0)]
    job = run(officer, branch, xlsx(rows))
    assert job.status == ImportJob.Status.DONE, list(job.errors.values_list("message"))
    assert Member.objects.get(name="褚一").joined_on.isoformat() == "2001-07-01"


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_that_are_not_members_are_set_aside_with_a_count(officer, branch, roster, fmt):
    header = ["序号", *HEADER]
    rows = [
        header,
        [1, *row("卫一", new_id(173), branch)],
        [2, *row("卫二", new_id(174), branch)],
        [3, None, None, None, None, None, None, None, None],
        [4, "", "", "", "", "", "", "", ""],
        ["合计", "2人", None, None, None, None, None, None, None],
        ["填表说明：身份证号请设为文本格式", None, None, None, None, None, None, None, None],
        ["填表人：张三", None, None, "审核人：李四", None, None, None, None, None],
    ]
    job = run(officer, branch, roster(rows, fmt))
    assert job.status == ImportJob.Status.DONE, list(job.errors.values_list("message"))
    assert (job.rows_total, job.rows_invalid, job.created_count) == (2, 0, 2)
    assert job.set_aside == {"空白模板行": 2, "合计行": 1, "说明或签名行": 2}


def test_a_member_row_with_a_bad_id_is_still_a_problem_not_set_aside(officer, branch, xlsx):
    rows = [HEADER, row("说明", "31010119", branch), row("蒋一", new_id(175), branch)]
    job = run(officer, branch, xlsx(rows), start=False)
    assert (job.rows_invalid, job.set_aside) == (1, {})


def test_a_date_excel_turned_into_the_number_2005_6_is_said_as_such(officer, branch, xlsx):
    rows = [HEADER, row("韩一", new_id(176), branch, joined=2001.7, full=2002)]
    job = run(officer, branch, xlsx(rows), start=False)
    messages = [e.message for e in job.errors.all()]
    assert any("“2001.7”被 Excel 当成了数字" in m for m in messages), messages
    assert any("只有年份：2002" in m for m in messages), messages
    assert not Member.objects.filter(name="韩一").exists()


# ----- messages ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv-utf8", "csv-gb18030"])
def test_an_id_excel_showed_in_e_notation_is_said_as_such(officer, branch, roster, fmt):
    rows = [HEADER, row("杨一", "3.10101E+17", branch)]
    job = run(officer, branch, roster(rows, fmt), start=False)
    (problem,) = job.errors.filter(level=ImportRowError.Level.PROBLEM)
    assert "科学计数法" in problem.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_id_with_excels_apostrophe_or_zeroed_end_imports_with_a_notice(
    officer, branch, roster, fmt
):
    zeroed = "310101195801024000"  # passes the check digit; Excel zeroes the last digits
    rows = [HEADER, row("秦一", "'" + new_id(177), branch), row("秦二", zeroed, branch, sex="女")]
    job = run(officer, branch, roster(rows, fmt))
    assert job.status == ImportJob.Status.DONE
    assert Member.objects.filter(name__in=["秦一", "秦二"]).count() == 2
    notices = notices_of(job)
    assert "单引号" in notices[2]
    assert "末三位为 000" in notices[3]


def test_messages_name_the_column_by_the_officers_header(officer, branch, roster):
    header = [*HEADER[:-1], "所在支部"]
    job = run(
        officer,
        branch,
        roster([header, [*row("尤一", new_id(178), branch)[:-1], "无此支部"]], "xlsx"),
        start=False,
    )
    (problem,) = job.errors.all()
    assert problem.column == "所在支部"
    assert job.problem_counts == {"所在支部": 1}


def test_the_command_prints_the_total_and_writes_the_full_report(
    officer, branch, roster, tmp_path, capsys
):
    rows = [HEADER] + [row(f"许{i}", "12345", branch) for i in range(25)]
    report = tmp_path / "report.xlsx"
    call_command(
        "import_members",
        str(roster(rows, "csv-utf8")),
        into=branch.code,
        user=officer.username,
        dry_run=True,
        report=report,
    )
    out = capsys.readouterr().out
    assert "共 25 行有问题、25 个问题" in out
    assert f"完整问题清单（含姓名不一致和提示）：{report}" in out
    sheet = openpyxl.load_workbook(report).active
    assert sheet.max_row == 26


def test_a_batch_that_fails_ends_with_what_is_in_and_how_to_resume(
    officer, branch, roster, settings, monkeypatch, capsys, tmp_path
):
    from django.db import DatabaseError

    from jiceng.imports import members

    settings.IMPORT_BATCH_SIZE = 2
    rows = [HEADER] + [row(f"施{i}", new_id(180 + i), branch) for i in range(5)]
    real = members.insert_lines
    calls = {"n": 0}

    def failing(lines):
        calls["n"] += 1
        if calls["n"] == 2:
            raise DatabaseError("disk full")
        return real(lines)

    monkeypatch.setattr(members, "insert_lines", failing)
    with pytest.raises(Exception, match="前 1 批共 2 行已完整写入") as caught:
        call_command(
            "import_members", str(roster(rows, "xlsx")), into=branch.code, user=officer.username
        )
    assert "--resume" in str(caught.value)
    assert "Traceback" not in capsys.readouterr().out
    job = ImportJob.objects.get()
    assert (job.status, job.batches_done) == (ImportJob.Status.IMPORTING, 1)
    monkeypatch.setattr(members, "insert_lines", real)
    # A resumed run has no file beside which to write its report: it goes to the working folder.
    monkeypatch.chdir(tmp_path)
    call_command("import_members", user=officer.username, resume=str(job.pk))
    assert Member.objects.filter(name__startswith="施").count() == 5


# ----- a property: an export imported again changes nothing -------------------------------

_SEQUENCE = itertools.count(1)
_NAME_CHARS = "张王李赵钱孙乾於昇髮後黃陳周吴郑冯建国华明红英芳伟秀兰"
_FREE_TEXT = st.text(alphabet="单位公司街道里弄号室-=+@'甲乙ABC12 ", max_size=30)


@st.composite
def generated_rolls(draw: st.DrawFn) -> list[list[Any]]:
    people = []
    for _ in range(draw(st.integers(1, 6))):
        born = draw(st.dates(dt.date(1930, 1, 1), dt.date(1985, 12, 31)))
        joined = born + dt.timedelta(days=draw(st.integers(18 * 366 + 31, 40 * 365)))
        month_only = draw(st.booleans())
        sex = draw(st.sampled_from(["男", "女"]))
        people.append(
            [
                draw(st.text(alphabet=_NAME_CHARS, min_size=2, max_size=4)),
                make_id_number(
                    "310101", born, next(_SEQUENCE) % 499 + 1, "M" if sex == "男" else "F"
                ),
                sex,
                draw(st.sampled_from(["汉族", "回族", "满族"])),
                draw(st.sampled_from([str(label) for _v, label in Education.choices])),
                draw(st.sampled_from(["", "13812345678", "021-63211234"])),
                f"{joined.year}年{joined.month}月" if month_only else joined.isoformat(),
                (joined + dt.timedelta(days=365)).isoformat(),
                draw(st.sampled_from([str(label) for _v, label in EmploymentStatus.choices])),
                draw(_FREE_TEXT),
                draw(_FREE_TEXT),
            ]
        )
    return people


ROLL_HEADER = [
    "姓名", "公民身份号码", "性别", "民族", "学历", "联系电话", "入党日期", "转正日期", "工作状态",
    "工作单位", "家庭住址", "组织关系所在党组织代码",
]  # fmt: skip
SNAPSHOT = [f.attname for f in Member._meta.concrete_fields if f.attname != "updated_at"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(roll=generated_rolls(), fmt=st.sampled_from(["csv", "xlsx"]))
def test_importing_an_export_of_any_roll_changes_no_stored_value(
    officer, branch, tmp_path, roll, fmt
):
    source = tmp_path / f"roll-{next(_SEQUENCE)}.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([ROLL_HEADER] + [[*p, branch.code] for p in roll])
    source.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    first = run(officer, branch, source)
    assert first.status == ImportJob.Status.DONE, list(first.errors.values_list("message"))
    ids = [p[1] for p in roll]
    members = [m for m in Member.objects.filter(home_org=branch) if m.id_number in ids]
    before = {m.pk: [getattr(m, f) for f in SNAPSHOT] for m in members}
    assert len(before) == len(set(ids))

    rows = exports.member_rows(
        Member.objects.filter(pk__in=before).select_related("home_org", "participating_org"),
        revealer=officer,
    )
    body = (
        stream_csv(exports.MEMBER_HEADER, rows)
        if fmt == "csv"
        else stream_xlsx(exports.MEMBER_HEADER, rows, "党员名册")
    )
    export = tmp_path / f"export-{next(_SEQUENCE)}.{fmt}"
    export.write_bytes(b"".join(body))
    again = run(officer, branch, export)
    assert again.status == ImportJob.Status.DONE, list(again.errors.values_list("message"))
    assert (again.created_count, again.updated_count, again.rename_count) == (0, 0, 0)
    after = {m.pk: [getattr(m, f) for f in SNAPSHOT] for m in Member.objects.filter(pk__in=before)}
    assert after == before


# ----- dates known to the month only --------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_month_only_date_keeps_its_precision_and_rules_do_not_fire_falsely(
    officer, branch, roster, fmt
):
    born = dt.date(1980, 6, 15)
    rows = [
        HEADER,
        row(
            "曹一",
            make_id_number("310101", born, 21, "M"),
            branch,
            joined="1998年6月",
            full="1999-06",
        ),
        row(
            "曹二",
            make_id_number("310101", born, 22, "M"),
            branch,
            joined="1998年5月",
            full="1999-05",
        ),
        row("曹三", new_id(190), branch, joined="2001年7月", full="2001年6月"),
    ]
    job = run(officer, branch, roster(rows, fmt), start=False)
    found = {e.row_number: e.message for e in job.errors.all()}
    assert 2 not in found  # born 1980-06-15, joined 1998年6月: may be 18 (any day of June)
    assert "不满 18 周岁" in found[3]  # joined by 1998-05-31 at the latest: 17
    assert "转正日期不能早于入党日期" in found[4]
    services.import_job_start(actor=officer, job=job, skip_invalid=True)
    engine.job_run(job)
    member = Member.objects.get(name="曹一")
    assert (member.joined_on, member.joined_on_precision) == (dt.date(1998, 6, 1), "month")
    assert member.full_member_on_precision == "month"
    exported = next(exports.member_rows([member]))
    assert exported[exports.MEMBER_HEADER.index("入党日期")] == "1998-06"


def test_the_member_page_shows_a_month_only_date_as_a_month(client, login, officer, branch, xlsx):
    born = dt.date(1980, 6, 15)
    idn = make_id_number("310101", born, 23, "M")
    run(
        officer,
        branch,
        xlsx([HEADER, row("曹四", idn, branch, joined="1998年6月", full="1999-07-01")]),
    )
    login("huangpu.officer")
    member = Member.objects.get(name="曹四")
    page = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert ">1998年6月<" in page  # one date format per language (issue 17)
    assert "1998年6月1日" not in page
    assert ">1999年7月1日<" in page


def test_the_page_names_the_recognised_columns_by_the_officers_headers(officer, branch, roster):
    header = [*HEADER[:-1], "党支部名称"]
    job = run(
        officer, branch, roster([header, row("曹五", new_id(191), branch)], "csv-utf8"), start=False
    )
    assert job.mapped_labels[-1] == "党支部名称"


def test_a_member_with_a_month_only_date_can_still_be_edited(officer, branch, xlsx):
    from jiceng.members.services import member_update

    idn = make_id_number("310101", dt.date(1980, 6, 15), 24, "M")
    run(
        officer,
        branch,
        xlsx([HEADER, row("曹六", idn, branch, joined="1998年6月", full="1999-07-01")]),
    )
    member = Member.objects.get(name="曹六")
    member, _warnings = member_update(actor=officer, member=member, work_unit="新单位")
    assert (member.work_unit, member.joined_on_precision) == ("新单位", "month")
    member, _warnings = member_update(actor=officer, member=member, joined_on=dt.date(1998, 6, 20))
    assert member.joined_on_precision == "day"
