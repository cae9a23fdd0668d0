"""Importing a petition office's historical cases through the import engine (S21; issue 21
item 5): the check shows what will be written, changed and skipped before anything is; a
re-run creates no duplicates; a bad row holds back the whole import with its row named; a
responsible organisation outside the officer's scope is refused; names stay as written; the
deadlines are those of the regulation in force on the received date.

The town is ``tests.factories.SmallWorld``: alice is district a's officer, bob district b's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from conftest import mark_verified
from jiceng.core.models import AuditEvent
from jiceng.geo.models import District, Street
from jiceng.imports import engine, services
from jiceng.imports.kinds import IMPORTERS
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.members.services import id_number_index
from jiceng.petitions import rules
from jiceng.petitions import services as petition_services
from jiceng.petitions.models import Petition
from jiceng.petitions.rules import State, Step
from jiceng.petitions.services import PastCase
from tests.factories import SmallWorld

D = dt.date
ID_A = "310101194503150020"
ID_B = "310101195003070029"
HEADER = [
    "原编号",
    "收到日期",
    "信访形式",
    "信访人",
    "身份证号",
    "联系电话",
    "人数",
    "问题发生地街道（乡镇）",
    "类别",
    "事由",
    "责任单位",
    "转送交办日期",
    "受理日期",
    "答复日期",
    "办结日期",
    "信访人满意度",
]

pytestmark = pytest.mark.usefixtures("_at_the_end_of_2023")


@pytest.fixture
def _at_the_end_of_2023() -> Any:
    with override_settings(JICENG_TODAY="2023-12-31"):
        yield


@pytest.fixture
def town(small: SmallWorld) -> SmallWorld:
    geo, _created = District.objects.get_or_create(
        code="990101",
        defaults={"name": "测试甲区", "kind": District.Kind.DISTRICT, "lng": 121.4, "lat": 31.2},
    )
    Street.objects.get_or_create(
        code="990101001",
        defaults={
            "name": "测试甲街道",
            "kind": Street.Kind.STREET,
            "district": geo,
            "lng": 121.41,
            "lat": 31.21,
        },
    )
    return small


def row(reference: str, **kw: Any) -> list[Any]:
    """A row of the register: a letter of 2005 accepted, answered and closed satisfied."""
    values: dict[str, Any] = {
        "原编号": reference,
        "收到日期": "2005-06-01",
        "信访形式": "来信",
        "信访人": "王芳",
        "身份证号": ID_A,
        "联系电话": "13812345678",
        "人数": 1,
        "问题发生地街道（乡镇）": "测试甲街道",
        "类别": "城乡建设和土地",
        "事由": "楼道违章搭建",
        "责任单位": "",
        "转送交办日期": "",
        "受理日期": "2005-06-10",
        "答复日期": "2005-07-20",
        "办结日期": "2005-07-25",
        "信访人满意度": "满意",
    }
    values.update(kw)
    return [values[h] for h in HEADER]


def xlsx(tmp_path: Path, rows: list[list[Any]], *, name: str = "petitions.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["甲区信访办 历史信访件登记表"])  # a title above the header, as offices write
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def run(user: Any, org: Any, path: Path, *, start: bool = True) -> ImportJob:
    with path.open("rb") as fh:
        job = services.import_job_create(
            actor=user, organization=org, kind="petition", original_name=path.name,
            chunks=[fh.read()],
        )  # fmt: skip
    job = engine.job_validate(job)
    if start and job.status == ImportJob.Status.VALIDATED and job.rows_valid:
        services.import_job_start(actor=user, job=job)
        job = engine.job_run(job)
    return job


def said(job: ImportJob, level: str = ImportRowError.Level.PROBLEM) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for e in job.errors.filter(level=level):
        out.setdefault(e.row_number, []).append(f"{e.column}:{e.message}")
    return {n: " | ".join(m) for n, m in out.items()}


def cases(town: SmallWorld) -> Any:
    return Petition.objects.filter(intake_path__startswith=town.city.path)


def test_the_petition_kind_is_registered_from_petitions():
    """The engine's table of kinds holds the petitions importer, which imports never names."""
    assert set(IMPORTERS) == set(ImportJob.Kind.values)
    assert type(IMPORTERS["petition"]).__module__ == "jiceng.petitions.importer"


def test_the_check_shows_what_will_be_written_and_writes_nothing(town, tmp_path):
    """S21: the dry run reads the register under its title, counts the rows it would write,
    flags a joint visit, and leaves the petitions untouched until the officer starts."""
    rows = [
        row("2005-001"),
        row("2005-002", 信访人="李四", 人数=6, 信访形式="来访", 受理日期="", 答复日期="",
            办结日期="", 信访人满意度=""),
    ]  # fmt: skip
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows), start=False)
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.rows_valid, job.rows_invalid) == (2, 0)
    assert "6人集体访" in said(job, ImportRowError.Level.NOTICE)[4]
    assert not cases(town).exists()

    services.import_job_start(actor=town.alice, job=job)
    job = engine.job_run(job)
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 2)
    visit = cases(town).get(reference="2005-002")
    assert (visit.state, visit.joint, visit.channel) == (State.REGISTERED, True, "visit")


def test_a_closed_case_is_written_with_its_history_and_audited(town, tmp_path):
    """S21: a closed case comes in with every step dated as the register says, the on-time
    flag from the 60 days of handling, the satisfaction, and an audit row per case and per
    batch."""
    job = run(town.alice, town.a.org, xlsx(tmp_path, [row("2005-001")]))
    assert job.status == ImportJob.Status.DONE, said(job)
    p = cases(town).get()
    assert (p.state, p.satisfaction, p.on_time) == (State.CLOSED, "satisfied", True)
    assert p.number.startswith("XF2005")
    assert p.street_id == "990101001"
    assert p.intake_org == town.a.org
    assert p.org == town.a.org  # accepted where it was registered
    steps = list(p.events.values_list("action", "on"))
    assert steps == [
        ("register", D(2005, 6, 1)),
        ("accept", D(2005, 6, 10)),
        ("reply", D(2005, 7, 20)),
        ("close", D(2005, 7, 25)),
    ]
    event = AuditEvent.objects.get(object_type="petitions.petition", object_id=str(p.pk))
    assert event.verb == "create"
    assert "2005-001" in event.note
    assert event.changes["id_number"][1] == "******"
    assert AuditEvent.objects.filter(
        object_type="imports.importjob", object_id=str(job.pk), verb="create"
    ).exists()


def test_the_id_number_and_phone_are_encrypted_masked_and_found_by_blind_index(town, tmp_path):
    """S21: as at intake, the contact is never stored in clear and a repeat petitioner is
    found by the ID number's blind index."""
    run(town.alice, town.a.org, xlsx(tmp_path, [row("2005-001"), row("2005-002")]))
    p = cases(town).get(reference="2005-001")
    assert p.id_number_masked == "310101********0020"
    assert "12345678" not in p.phone_masked
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM petitions_petition WHERE id = %s", [p.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert ID_A not in raw_id
    assert "13812345678" not in raw_phone
    assert cases(town).filter(id_number_index=id_number_index(ID_A)).count() == 2


def test_a_rerun_does_not_duplicate_and_says_it_will_skip(town, tmp_path):
    """The same register imported again registers nothing new, writes no audit row for a
    case, and its check says each row is the same and will be skipped."""
    path = xlsx(tmp_path, [row("2005-001"), row("2005-002", 信访人="李四")])
    run(town.alice, town.a.org, path)
    last = AuditEvent.objects.order_by("pk").last()
    again = run(town.alice, town.a.org, path, start=False)
    notices = said(again, ImportRowError.Level.NOTICE)
    assert "内容相同，将跳过" in notices[3]
    assert "内容相同，将跳过" in notices[4]
    services.import_job_start(actor=town.alice, job=again)
    again = engine.job_run(again)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert cases(town).count() == 2
    assert not AuditEvent.objects.filter(
        object_type="petitions.petition", pk__gt=last.pk if last else 0
    ).exists()


def test_a_changed_row_is_listed_then_updates_the_case(town, tmp_path):
    """A case imported before and changed in the register: the check names the columns it
    will change; the run updates the case (audited before/after) and rewrites its
    history."""
    run(town.alice, town.a.org, xlsx(tmp_path, [row("2005-001")]))
    p = cases(town).get()
    changed = [row("2005-001", 信访人满意度="不满意", 办结日期="2005-07-28")]
    job = run(town.alice, town.a.org, xlsx(tmp_path, changed, name="v2.xlsx"), start=False)
    assert "将更新：办结日期、信访人满意度" in said(job, ImportRowError.Level.NOTICE)[3]
    services.import_job_start(actor=town.alice, job=job)
    job = engine.job_run(job)
    assert (job.created_count, job.updated_count) == (0, 1)
    p.refresh_from_db()
    assert (p.satisfaction, p.closed_on) == ("not_satisfied", D(2005, 7, 28))
    assert p.events.get(action="close").on == D(2005, 7, 28)
    update = AuditEvent.objects.get(
        object_type="petitions.petition", object_id=str(p.pk), verb="update"
    )
    assert update.changes["satisfaction"] == ["satisfied", "not_satisfied"]


def test_a_case_handled_in_the_system_since_its_import_is_left_alone(town, tmp_path):
    """A case answered in the system after its import is not rewritten by importing the old
    register again; the check says so and names the columns that differ."""
    open_case = row("2005-001", 答复日期="", 办结日期="", 信访人满意度="")
    path = xlsx(tmp_path, [open_case])
    run(town.alice, town.a.org, path)
    p = cases(town).get()
    petition_services.petition_reply(actor=town.alice, petition=p, reply="已拆除", on=D(2005, 7, 1))
    job = run(town.alice, town.a.org, path, start=False)
    notice = said(job, ImportRowError.Level.NOTICE)[3]
    assert "已在系统中继续办理，导入不作修改" in notice
    assert "答复日期" in notice
    services.import_job_start(actor=town.alice, job=job)
    job = engine.job_run(job)
    assert job.unchanged_count == 1
    p.refresh_from_db()
    assert (p.state, p.replied_on) == (State.REPLIED, D(2005, 7, 1))


def test_a_bad_row_holds_back_the_whole_import_and_is_named(town, tmp_path):
    """A reply dated before the acceptance: the check names the row and both dates in
    Chinese, the start is refused, and not one case of the file is written."""
    rows = [
        row("2005-001"),
        row("2005-002", 受理日期="2005-06-10", 答复日期="2005-06-05"),
        row("2005-003"),
    ]
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows), start=False)
    problems = said(job)
    assert list(problems) == [4]
    assert "日期先后顺序不对：答复日期（2005-06-05）早于受理日期（2005-06-10）" in problems[4]
    with pytest.raises(ValidationError, match="有 1 行存在问题"):
        services.import_job_start(actor=town.alice, job=job)
    assert not cases(town).exists()


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"收到日期": "2024-01-05", "受理日期": "", "答复日期": "", "办结日期": "",
          "信访人满意度": ""}, "收到日期", "晚于今天"),
        ({"收到日期": "2005-03-01"}, "收到日期", "早于2005年5月1日"),
        ({"受理日期": ""}, "受理日期", "有答复日期的信访件须填写受理日期"),
        ({"信访人满意度": ""}, "信访人满意度", "已办结的信访件须填写信访人满意度"),
        ({"收到日期": "2005-06"}, "收到日期", "须写到日"),
        ({"信访形式": "传真"}, "信访形式", "不在可选范围内"),
        ({"身份证号": "310101194503150021"}, "身份证号", ""),
    ],
)  # fmt: skip
def test_each_problem_of_a_row_is_said_in_chinese(town, tmp_path, change, column, message):
    job = run(town.alice, town.a.org, xlsx(tmp_path, [row("2005-001", **change)]), start=False)
    problems = said(job)
    assert column in problems[3]
    assert message in problems[3]
    assert not cases(town).exists()


def test_a_responsible_organisation_outside_the_officers_scope_is_refused(town, tmp_path):
    """Alice may name her own district's street committee; district b's is a row problem
    naming it, and the service refuses it too."""
    rows = [
        row("2005-001", 责任单位=town.a.street.code, 转送交办日期="2005-06-05"),
        row("2005-002", 责任单位=town.b.street.code, 转送交办日期="2005-06-05"),
        row("2005-003", 责任单位="乙区一街道党工委", 转送交办日期="2005-06-05"),
    ]
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows), start=False)
    problems = said(job)
    assert 3 not in problems
    assert "“乙区一街道党工委”不在您的管辖范围内" in problems[4]
    assert "“乙区一街道党工委”不在您的管辖范围内" in problems[5]
    case = PastCase(
        reference="2005-009",
        channel="letter",
        received_on=D(2005, 6, 1),
        petitioner_name="王芳",
        subject="楼道违章搭建",
        category="land",
        org_id=town.b.street.pk,
        routed_on=D(2005, 6, 5),
    )
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        petition_services.petition_import(actor=town.alice, intake_org=town.a.org, case=case)
    assert not cases(town).exists()


def test_a_routed_case_is_placed_at_its_responsible_organisation(town, tmp_path):
    """A case routed to the street and not yet accepted: the street reads it, its running
    deadline is the 15 days to say whether it is accepted (2005 art. 22)."""
    rows = [
        row("2005-001", 责任单位="甲区一街道党工委", 转送交办日期="2005-06-05", 受理日期="",
            答复日期="", 办结日期="", 信访人满意度=""),
    ]  # fmt: skip
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows))
    assert job.status == ImportJob.Status.DONE, said(job)
    p = cases(town).get()
    assert (p.state, p.org, p.org_path) == (State.ROUTED, town.a.street, town.a.street.path)
    assert (p.due_step, p.due_on) == (Step.ACCEPT, D(2005, 6, 20))


def test_names_are_kept_exactly_as_written(town, tmp_path):
    """A Traditional-script name stays Traditional (a notice says so, nothing converts it);
    乾 is never taken for 干."""
    rows = [row("2005-001", 信访人="張三豐"), row("2005-002", 信访人="李乾")]
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows))
    assert "已按原样保存" in said(job, ImportRowError.Level.NOTICE)[3]
    names = dict(cases(town).values_list("reference", "petitioner_name"))
    assert names == {"2005-001": "張三豐", "2005-002": "李乾"}


def test_deadlines_come_from_the_rules_of_the_version_in_force_on_the_received_date(town, tmp_path):
    """S21: a case received on 30 April 2022 is under the 2005 regulation, one received on
    1 May 2022 under the 2022 one; each open case runs the 60 days of handling from its
    acceptance under its own version's article; a reply after them is not on time."""
    open_ = {"答复日期": "", "办结日期": "", "信访人满意度": ""}
    rows = [
        row("2022-001", 收到日期="2022-04-30", 受理日期="2022-05-10", **open_),
        row("2022-002", 收到日期="2022-05-01", 受理日期="2022-05-10", **open_),
        row("2022-003", 收到日期="2022-05-01", 受理日期="2022-05-10", 答复日期="2022-07-10",
            办结日期="", 信访人满意度=""),
    ]  # fmt: skip
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows))
    assert job.status == ImportJob.Status.DONE, said(job)
    old, new, late = (cases(town).get(reference=r) for r in ("2022-001", "2022-002", "2022-003"))
    assert (old.version, new.version) == ("2005", "2022")
    for p in (old, new):
        assert (p.state, p.due_step, p.due_on) == (State.ACCEPTED, Step.HANDLE, D(2022, 7, 9))
    assert "《信访条例》" in rules.rule(old.version, old.body, Step.HANDLE).citation
    assert "《信访工作条例》" in rules.rule(new.version, new.body, Step.HANDLE).citation
    assert (late.state, late.on_time) == (State.REPLIED, False)


def test_a_csv_register_is_read_like_a_workbook(town, tmp_path):
    """The register may come as CSV (GBK, as Excel in China saves it)."""
    path = tmp_path / "petitions.csv"
    lines = [",".join(HEADER), ",".join(str(c) for c in row("2005-001", 信访人="趙六"))]
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    job = run(town.alice, town.a.org, path)
    assert job.status == ImportJob.Status.DONE, said(job)
    assert cases(town).get().petitioner_name == "趙六"


def test_the_command_imports_a_register(town, tmp_path):
    """``manage.py import_members --kind petition`` runs the same engine in-process."""
    path = xlsx(tmp_path, [row("2005-001")])
    call_command(
        "import_members", str(path), "--into", town.a.org.code, "--user", "alice",
        "--kind", "petition",
    )  # fmt: skip
    assert cases(town).get().reference == "2005-001"


def test_another_district_cannot_import_into_district_a(town, tmp_path):
    path = xlsx(tmp_path, [row("2005-001")])
    with pytest.raises(PermissionDenied), path.open("rb") as fh:
        services.import_job_create(
            actor=town.bob, organization=town.a.org, kind="petition",
            original_name=path.name, chunks=[fh.read()],
        )  # fmt: skip


def test_the_petitions_list_leads_to_the_import_with_the_kind_chosen(town, client):
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    page = client.get(reverse("petitions:list")).content.decode()
    assert 'data-testid="petition-import"' in page
    assert "?kind=petition" in page
    imports_page = client.get(reverse("imports:list") + "?kind=petition").content.decode()
    assert '<option value="petition" selected>历史信访件</option>' in imports_page
