"""Importing members from the files officers really have (issue 3 item 2; S10, S16).

The world is the test's own (``tests.factories.SmallWorld``): alice imports into district a,
mostly into its first branch; district b is the foreign district."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from jiceng.core.models import AuditEvent
from jiceng.imports import engine, services
from jiceng.imports.models import ImportJob
from jiceng.members.models import Member

from .conftest import HEADER, new_id

# officer and branch (conftest.py) are the small world's: alice and her first branch
SMALL_WORLD = True


def run(officer, org, path: Path, *, skip_invalid: bool = False, start: bool = True):
    with path.open("rb") as fh:
        job = services.import_job_create(
            actor=officer,
            organization=org,
            kind="member",
            original_name=path.name,
            chunks=[fh.read()],
        )
    job = engine.job_validate(job)
    if start and job.status == ImportJob.Status.VALIDATED and job.rows_valid:
        services.import_job_start(actor=officer, job=job, skip_invalid=skip_invalid)
        job = engine.job_run(job)
    return job


def errors_of(job) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for e in job.errors.all():
        out.setdefault(e.row_number, []).append(f"{e.column}:{e.message}")
    return out


def row(
    name,
    id_number,
    branch,
    *,
    joined="2001-07-01",
    full="2002-07-01",
    phone="13812345678",
    sex="男",
    category="正式党员",
):
    return [name, id_number, sex, joined, full, category, phone, branch.code]


def test_title_rows_and_merged_cells_above_the_header_are_skipped(small, officer, branch, xlsx):
    path = xlsx([HEADER, row("王建国", new_id(1), branch)], title="黄浦区党员名册（2005年）")
    job = run(officer, small.a.org, path)
    assert job.header_row == 2
    assert job.status == ImportJob.Status.DONE
    assert Member.objects.filter(name="王建国", home_org=branch).exists()


def test_messy_id_numbers_are_cleaned_or_explained(db, officer, branch, xlsx):
    lower_x = new_id(7, born=dt.date(1949, 12, 31))
    while not lower_x.endswith("X"):  # find a number whose check character is X
        lower_x = new_id(int(lower_x[14:17]) // 2 + 3, born=dt.date(1949, 12, 31))
    full_width = new_id(3).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    spaced = new_id(4)
    spaced = f" {spaced[:6]} {spaced[6:14]} {spaced[14:]}\u200b "
    fifteen = "310101" + "700308" + "123"  # 1970-03-08, old 15-digit number
    rows = [
        HEADER,
        row("甲", lower_x.lower(), branch, sex="女" if int(lower_x[16]) % 2 == 0 else "男"),
        row("乙", full_width, branch),
        row("丙", spaced, branch),
        row("丁", fifteen, branch),
        row("戊", int(new_id(5)), branch),  # stored by Excel as a number
        row("己", new_id(6)[:-1] + ("0" if new_id(6)[-1] != "0" else "1"), branch),
    ]
    job = run(officer, branch, xlsx(rows), start=False)
    problems = errors_of(job)
    assert set(problems) == {6, 7}, problems
    assert "Excel 只保留 15 位有效数字" in problems[6][0]
    assert "校验位" in problems[7][0]
    services.import_job_start(actor=officer, job=job, skip_invalid=True)
    engine.job_run(job)
    assert Member.objects.get(name="甲").id_number == lower_x
    assert Member.objects.get(name="乙").id_number == new_id(3)
    assert Member.objects.get(name="丙").id_number == new_id(4)
    assert Member.objects.get(name="丁").id_number.startswith("31010119700308123")


@pytest.mark.parametrize(
    "cell",
    [dt.date(2001, 7, 1), 37073, "2001-07-01", "2001/7/1", "2001.7.1", "2001年7月1日", "200107"],
)
def test_every_date_spelling_becomes_a_date(db, officer, branch, xlsx, cell):
    path = xlsx([HEADER, row("张三", new_id(11), branch, joined=cell, full="2002-07-01")])
    job = run(officer, branch, path)
    assert job.status == ImportJob.Status.DONE, errors_of(job)
    assert Member.objects.get(name="张三").joined_on == dt.date(2001, 7, 1)


def test_traditional_organisations_and_invisible_spaces_are_matched_names_kept(
    db, officer, branch, xlsx
):
    traditional_branch = branch.name.replace("东", "東").replace("区", "區").replace("党", "黨")
    rows = [
        HEADER,
        [
            "張三豐 ",
            new_id(12),
            "男",
            "2001-07-01",
            "2002-07-01",
            "正式黨員",
            "１３８１２３４５６７８",
            traditional_branch + "\u200b",
        ],
    ]
    job = run(officer, branch, xlsx(rows))
    assert job.status == ImportJob.Status.DONE, errors_of(job)
    m = Member.objects.get(name="張三豐")  # a name as written (issue 15), searched Simplified
    assert m.name_simplified == "张三丰"
    assert m.home_org == branch
    assert m.phone == "+8613812345678"
    assert m.category == "full"


def test_duplicates_inside_a_file_and_unknown_organisations_are_row_errors(
    db, officer, branch, xlsx
):
    rows = [
        HEADER,
        row("李四", new_id(21), branch),
        row("李四", new_id(21), branch),
        ["王五", new_id(22), "男", "2001-07-01", "2002-07-01", "正式党员", "", "不存在的支部"],
    ]
    job = run(officer, branch, xlsx(rows), start=False)
    problems = errors_of(job)
    assert "与第 2 行的身份证号重复" in problems[3][0]
    assert "找不到党组织“不存在的支部”" in problems[4][0]
    assert job.rows_valid == 1
    assert not Member.objects.filter(name__in=["李四", "王五"]).exists()  # dry run wrote nothing


def test_rerunning_the_same_file_changes_nothing(db, officer, branch, xlsx):
    path = xlsx([HEADER, *[row(f"赵{i}", new_id(30 + i), branch) for i in range(5)]])
    first = run(officer, branch, path)
    before = Member.objects.count()
    second = run(officer, branch, path)
    assert (first.created_count, second.created_count) == (5, 0)
    assert second.unchanged_count == 5
    assert second.updated_count == 0
    assert Member.objects.count() == before


def test_a_changed_row_updates_the_member_and_is_audited(db, officer, branch, xlsx):
    run(officer, branch, xlsx([HEADER, row("钱七", new_id(40), branch)], name="a.xlsx"))
    job = run(
        officer,
        branch,
        xlsx([HEADER, row("钱七", new_id(40), branch, phone="021-64331234")], name="b.xlsx"),
    )
    assert job.updated_count == 1
    assert Member.objects.get(name="钱七").phone == "+862164331234"
    event = AuditEvent.objects.filter(
        object_type="imports.importjob", object_id=str(job.pk), object_repr__contains="批"
    ).get()
    assert "64331234" not in str(event.changes)


def test_a_member_registered_outside_the_subtree_is_refused_not_moved(small, officer, branch, xlsx):
    foreign = small.b.members[0]
    sex = "男" if foreign.sex == "M" else "女"
    rows = [HEADER, row(foreign.name, foreign.id_number, branch, sex=sex)]
    job = run(officer, branch, xlsx(rows), start=False)
    assert "不能通过导入修改" in errors_of(job)[2][0]
    foreign.refresh_from_db()
    assert foreign.home_path.startswith(small.b.org.path)


def test_csv_in_gbk_and_utf8_with_bom_are_both_read(db, officer, branch, tmp_path):
    for i, encoding in enumerate(("gbk", "utf-8-sig")):
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(HEADER)
        writer.writerow(row(f"孙{i}", new_id(50 + i), branch))
        path = tmp_path / f"roll-{encoding}.csv"
        path.write_bytes(buf.getvalue().encode(encoding))
        job = run(officer, branch, path)
        assert job.status == ImportJob.Status.DONE, (encoding, errors_of(job))
        assert Member.objects.filter(name=f"孙{i}").exists()


def test_missing_required_columns_fail_with_a_clear_message(db, officer, branch, xlsx):
    job = run(officer, branch, xlsx([["姓名", "备注"], ["张三", "x"]]))
    assert job.status == ImportJob.Status.FAILED
    assert "公民身份号码" in job.message


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("roll.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "旧版 Excel"),
        ("roll.pdf", b"%PDF-1.4 hello", "只能导入"),
        ("empty.csv", b"", "空的"),
    ],
)
def test_wrong_file_types_are_refused_with_a_message(db, officer, branch, name, data, message):
    with pytest.raises(ValidationError) as exc:
        services.import_job_create(
            actor=officer, organization=branch, kind="member", original_name=name, chunks=[data]
        )
    assert message in exc.value.messages[0]
    assert not ImportJob.objects.exists()


def test_a_zip_bomb_disguised_as_xlsx_is_refused(db, officer, branch, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        services.import_job_create(
            actor=officer,
            organization=branch,
            kind="member",
            original_name="bomb.xlsx",
            chunks=[buf.getvalue()],
        )
    assert "压缩" in exc.value.messages[0]


def test_error_report_holds_original_rows_and_the_problem_column(db, officer, branch, tmp_path):
    from jiceng.imports.reports import error_report

    buf = io.StringIO()
    writer = csv.writer(buf)
    for r in [HEADER, row("好人", new_id(60), branch), row("=cmd|' /C calc'!A0", "123", branch)]:
        writer.writerow(r)
    path = tmp_path / "roll.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    job = run(officer, branch, path, start=False)
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(error_report(job))))
    sheet = list(wb.active.values)
    assert sheet[0][0] == "行号"
    assert sheet[0][-1] == "问题说明"
    assert sheet[1][0] == 3
    assert sheet[1][1] == "'=cmd|' /C calc'!A0"  # formula injection neutralised
    assert "身份证号码长度" in sheet[1][-1]
    assert len(sheet) == 2


def test_a_column_missing_from_the_file_keeps_the_stored_value(db, officer, branch, xlsx):
    run(
        officer,
        branch,
        xlsx(
            [[*HEADER, "家庭住址"], [*row("冯八", new_id(80), branch), "黄浦区南京东路1号"]],
            name="a.xlsx",
        ),
    )
    job = run(officer, branch, xlsx([HEADER, row("冯八", new_id(80), branch)], name="b.xlsx"))
    assert job.unchanged_count == 1
    assert Member.objects.get(name="冯八").home_address == "黄浦区南京东路1号"


def test_a_large_file_checked_by_worker_processes_gives_the_same_result(
    db, officer, branch, xlsx, settings
):
    """Checking is spread over forked processes for large files; results, problems and
    their order are those of the single-process check."""
    rows = [row(f"并行{i}", new_id(300 + i), branch) for i in range(60)]
    rows[10][1] = "310101197003081234"  # wrong check digit
    rows[20][1] = rows[5][1]  # duplicate of a row above
    path = xlsx([HEADER, *rows])
    inline = run(officer, branch, path, start=False)
    settings.IMPORT_PARALLEL_MIN_BYTES = 0
    settings.IMPORT_WORKERS = 2
    engine.CHUNK_ROWS, saved = 7, engine.CHUNK_ROWS  # several chunks in flight
    try:
        parallel = run(officer, branch, path, skip_invalid=True)
    finally:
        engine.CHUNK_ROWS = saved
    assert errors_of(parallel) == errors_of(inline)
    assert set(errors_of(parallel)) == {12, 22}
    assert parallel.created_count == 58
    assert Member.objects.filter(name__startswith="并行").count() == 58


def test_a_member_added_between_check_and_run_is_updated_not_duplicated(db, officer, branch, xlsx):
    """The run trusts the check that a batch holds only new members; a member registered in
    the meantime makes that batch fall back to the careful path, without a duplicate."""
    path = xlsx([HEADER, row("周一", new_id(400), branch), row("周二", new_id(401), branch)])
    job = run(officer, branch, path, start=False)
    other = run(officer, branch, xlsx([HEADER, row("周一", new_id(400), branch)], name="x.xlsx"))
    assert other.created_count == 1
    services.import_job_start(actor=officer, job=job)
    job = engine.job_run(job)
    assert (job.created_count, job.unchanged_count) == (1, 1)
    assert Member.objects.filter(name__in=["周一", "周二"]).count() == 2


def test_checked_rows_are_removed_when_the_import_ends(db, officer, branch, xlsx):
    """The staged rows hold encrypted personal data; they do not outlive the job."""
    path = xlsx([HEADER, row("吴一", new_id(410), branch), ["吴二", "bad", "男"]])
    job = run(officer, branch, path, start=False)
    staged = Path(job.stored_path).parent / "checked.pickle"
    assert staged.exists()
    services.import_job_start(actor=officer, job=job, skip_invalid=True)
    job = engine.job_run(job)
    assert job.created_count == 1
    assert not staged.exists()
    assert Path(job.stored_path).exists()  # kept for the error report


def test_a_run_whose_checked_rows_are_gone_fails_with_a_message(db, officer, branch, xlsx):
    job = run(officer, branch, xlsx([HEADER, row("郑一", new_id(420), branch)]), start=False)
    (Path(job.stored_path).parent / "checked.pickle").unlink()
    services.import_job_start(actor=officer, job=job)
    job = engine.job_run(job)
    assert job.status == ImportJob.Status.FAILED
    assert "重新上传文件并检查" in job.message
    assert not Member.objects.filter(name="郑一").exists()


def test_members_at_post_take_part_at_home_and_the_rest_wait_for_placement(
    small, officer, branch, xlsx
):
    """S10: with no participating unit in the file, a member at post takes part in their own
    branch; a retired member is left for the placement worklist (a nearby unit)."""
    rows = [
        [*HEADER, "工作状态"],
        [*row("在岗甲", new_id(31), branch), "在岗"],
        [*row("退休乙", new_id(32), branch), "离退休"],
    ]
    run(officer, small.a.org, xlsx(rows))
    at_post = Member.objects.get(name="在岗甲")
    retired = Member.objects.get(name="退休乙")
    assert at_post.participating_org_id == branch.pk
    assert at_post.participating_path == branch.path
    assert retired.participating_org_id is None
