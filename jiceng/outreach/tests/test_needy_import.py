"""Importing and exporting the needy-people registry through the import engine (S26; issue 20
item 2): a street's 帮扶对象名册 as officers keep it, with the members' guarantees (a dry run
that writes nothing, problems in Chinese, all-or-nothing batches, re-runs that duplicate no
one), the sensitive columns (困难类别, 健康状况: PIPL art. 28) refused without outreach rights
and masked in the audit, and an export that imports back unchanged.

The town is the test's own (``tests.factories.SmallWorld``): alice, district a's officer,
holds outreach rights; erin, a committee officer of a's street, holds none; bob is district
b's officer."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.models import RoleAssignment
from jiceng.accounts.roles import Role
from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.imports import engine, services
from jiceng.imports.kinds import IMPORTERS
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.outreach.registry import services as registry
from jiceng.outreach.registry.importer import REFUSED_FOREIGN, REFUSED_SENSITIVE
from jiceng.outreach.registry.models import NeedyPerson
from jiceng.outreach.registry.rules import MASK
from tests.factories import UserFactory

HEADER = [
    "姓名",
    "公民身份号码",
    "联系电话",
    "住址",
    "所在街道",
    "家庭人口",
    "困难类别",
    "健康状况",
]


def new_id(seq: int) -> str:
    return make_id_number("440305", dt.date(1951, 6, 9), seq, "F")


@pytest.fixture
def town(small):
    RoleAssignment.objects.filter(user=small.alice).update(outreach=True)
    small.alice.forget_scopes()
    small.erin = UserFactory(
        username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street
    )
    return small


def people(town):
    """The needy people of the test's own world (the demo's are in the database too)."""
    return NeedyPerson.objects.filter(path__startswith=town.city.path)


def audit_rows(town):
    return AuditEvent.objects.filter(org_path__startswith=town.city.path)


def xlsx(tmp_path: Path, rows: list[list[Any]], *, name: str = "needy.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def run(user, org, path: Path, *, start: bool = True, **start_options: Any) -> ImportJob:
    with path.open("rb") as fh:
        job = services.import_job_create(
            actor=user, organization=org, kind="needy", original_name=path.name, chunks=[fh.read()]
        )
    job = engine.job_validate(job)
    if start and job.status == ImportJob.Status.VALIDATED and job.rows_valid:
        services.import_job_start(actor=user, job=job, **start_options)
        job = engine.job_run(job)
    return job


def problems(job: ImportJob) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for e in job.errors.filter(level=ImportRowError.Level.PROBLEM):
        out.setdefault(e.row_number, []).append(f"{e.column}:{e.message}")
    return out


def person_row(seq: int, *, name: str = "顾阿婆", street: str = "甲区一街道", **cells: Any):
    values = {
        "姓名": name,
        "公民身份号码": new_id(seq),
        "联系电话": "13812345678",
        "住址": f"甲区一街道幸福里{seq}号",
        "所在街道": street,
        "家庭人口": 2,
        "困难类别": "独居老人、低保户",
        "健康状况": "高血压",
    } | cells
    return [values[h] for h in HEADER]


def test_the_needy_kind_is_registered_from_outreach():
    """S26: the engine's table of kinds holds the registry's importer (registered from
    OutreachConfig.ready(), imports never naming outreach)."""
    assert set(IMPORTERS) == set(ImportJob.Kind.values)
    assert type(IMPORTERS["needy"]).__module__ == "jiceng.outreach.registry.importer"


def test_synonym_headers_under_a_title_are_read_and_names_kept_as_written(town, tmp_path):
    """S26: the officers' own column names (身份证号, 电话, 家庭住址, 街道（乡镇）…) below a
    title; several categories in one cell; a name in Traditional characters stored as
    written, with a notice."""
    header = [
        "序号", "姓名", "身份证号", "电话", "家庭住址", "街道（乡镇）", "家庭人口",
        "困难类别", "健康状况", "主要困难和需求", "经度", "纬度",
    ]  # fmt: skip
    path = xlsx(
        tmp_path,
        [
            ["甲区一街道帮扶对象名册"],
            header,
            [1, "顧阿婆", new_id(1), "13812345678", "幸福里5号", "甲区一街道党工委", 1,
             "独居老人，低保户", "高血压，行动不便", "买菜难", 121.47, 31.23],
        ],
    )  # fmt: skip
    job = run(town.alice, town.a.org, path, start=False)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    assert set(job.mapping.values()) == {
        "name", "id_number", "phone", "address", "street_org", "household_size",
        "categories", "health", "needs", "lng", "lat",
    }  # fmt: skip
    assert job.unknown_columns == ["序号"]
    assert people(town).count() == 0  # the dry run writes nothing
    notices = [e.message for e in job.errors.filter(level=ImportRowError.Level.NOTICE)]
    assert any("繁体字" in n for n in notices)
    services.import_job_start(actor=town.alice, job=job)
    job = engine.job_run(job)
    assert job.created_count == 1
    person = people(town).get()
    assert person.name == "顧阿婆"  # as written, not 顾阿婆
    assert person.street_org == town.a.street
    assert sorted(c.name for c in person.categories.all()) == ["低保户", "独居老人"]
    assert person.health == "高血压，行动不便"
    assert (person.needs, person.lng, person.lat) == ("买菜难", 121.47, 31.23)
    assert person.phone_masked.endswith("5678")


def test_a_dry_run_lists_every_problem_in_chinese_and_writes_nothing(town, tmp_path):
    """S26: each bad cell is a problem in the officer's words; nothing is written, and a
    start is refused until the rows are fixed or skipped."""
    path = xlsx(
        tmp_path,
        [
            HEADER,
            person_row(1, **{"公民身份号码": "310101194503150021"}),  # wrong check digit
            person_row(2, **{"困难类别": "独居老人、五保户", "家庭人口": "三"}),
            person_row(3, **{"住址": "", "联系电话": "12345"}),
            person_row(4),
        ],
    )
    job = run(town.alice, town.a.org, path, start=False)
    found = problems(job)
    assert job.rows_valid == 1
    assert job.rows_invalid == 3
    assert any("公民身份号码" in p and "校验" in p for p in found[2]), found[2]
    assert any("找不到困难类别“五保户”" in p for p in found[3])
    assert any("家庭人口“三”应为 1 至 99 的整数" in p for p in found[3])
    assert any("缺少住址" in p for p in found[4])
    assert any(p.startswith("联系电话:") for p in found[4])
    assert people(town).count() == 0
    assert not audit_rows(town).filter(object_type="outreach.needyperson").exists()
    with pytest.raises(ValidationError, match="有 3 行存在问题"):
        services.import_job_start(actor=town.alice, job=job)
    job = engine.job_run(services.import_job_start(actor=town.alice, job=job, skip_invalid=True))
    assert job.created_count == 1
    assert people(town).count() == 1


def test_a_rerun_duplicates_no_one_and_changes_are_shown_before_they_are_written(town, tmp_path):
    """S26: the same file twice changes nothing the second time; a changed address is listed
    by the check (the column, not the value) and written only on start; a different name is
    a name conflict, renamed only when confirmed."""
    path = xlsx(tmp_path, [HEADER, person_row(1), person_row(2, name="李大爷")])
    first = run(town.alice, town.a.org, path)
    assert first.created_count == 2
    again = run(town.alice, town.a.org, path)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert people(town).count() == 2

    moved = xlsx(
        tmp_path,
        [HEADER, person_row(1, **{"住址": "甲区一街道新村8号"}), person_row(2, name="李大爺")],
        name="changed.xlsx",
    )
    job = run(town.alice, town.a.org, moved, start=False)
    notices = [e.message for e in job.errors.filter(level=ImportRowError.Level.NOTICE)]
    assert "已登记的帮扶对象，导入将更新：住址" in notices
    renames = [e.message for e in job.errors.filter(level=ImportRowError.Level.RENAME)]
    assert renames == ["已登记姓名“李大爷”，文件中为“李大爺”"]
    assert people(town).get(name="顾阿婆").address == "甲区一街道幸福里1号"  # not yet
    with pytest.raises(ValidationError, match="已登记在另一姓名下"):
        services.import_job_start(actor=town.alice, job=job)
    services.import_job_start(actor=town.alice, job=job, accept_renames=True)
    job = engine.job_run(job)
    assert job.updated_count == 2
    assert people(town).get(name="顾阿婆").address == "甲区一街道新村8号"
    assert people(town).filter(name="李大爺").exists()
    assert people(town).count() == 2


def test_sensitive_columns_are_refused_without_outreach_rights(town, tmp_path):
    """S26, PIPL art. 28: erin (no outreach rights) importing categories or health gets a
    problem on each such cell, said plainly, and nothing is written; the same rows without
    them are imported, and an empty cell never erases what is stored."""
    path = xlsx(
        tmp_path,
        [
            HEADER,
            person_row(1),
            person_row(2, **{"困难类别": "", "健康状况": ""}),
        ],
    )
    job = run(erin := town.erin, town.a.street, path, start=False)
    found = problems(job)
    assert found[2] == [f"困难类别:{REFUSED_SENSITIVE}", f"健康状况:{REFUSED_SENSITIVE}"]
    assert 3 not in found
    assert people(town).count() == 0
    job = engine.job_run(services.import_job_start(actor=erin, job=job, skip_invalid=True))
    assert job.created_count == 1
    person = people(town).get()
    assert not person.categories.exists()
    assert person.health == ""

    # alice fills in the categories; erin's file without them leaves them alone
    run(town.alice, town.a.org, xlsx(tmp_path, [HEADER, person_row(2)], name="a.xlsx"))
    assert person.categories.count() == 2
    blank = xlsx(tmp_path, [HEADER, person_row(2, **{"困难类别": "", "健康状况": ""})], name="b")
    again = run(erin, town.a.street, blank)
    assert again.unchanged_count == 1
    assert person.categories.count() == 2
    # changing them is refused to erin too
    other = xlsx(
        tmp_path, [HEADER, person_row(2, **{"困难类别": "残疾人", "健康状况": ""})], name="c.xlsx"
    )
    refused = run(erin, town.a.street, other, start=False)
    assert problems(refused) == {2: [f"困难类别:{REFUSED_SENSITIVE}"]}


def test_the_audit_of_an_import_masks_categories_and_health(town, tmp_path):
    """S26, PIPL art. 28: every registration written by an import is audited, with ＊＊＊ for
    the categories, as ``needy_register`` does; the batch's audit row names no category, no
    health note and no ID number."""
    run(town.alice, town.a.org, xlsx(tmp_path, [HEADER, person_row(1), person_row(2)]))
    created = audit_rows(town).filter(object_type="outreach.needyperson", verb="create")
    assert created.count() == 2
    assert all(e.changes["categories"][1] == MASK for e in created)
    batch = audit_rows(town).get(
        object_type="imports.importjob", verb="create", note__contains="新建 2"
    )
    logged = str([e.changes for e in audit_rows(town).all()])
    for secret in ("独居老人", "低保户", "高血压", new_id(1), "13812345678"):
        assert secret not in logged
    assert batch.org_path == town.a.org.path
    changed = xlsx(tmp_path, [HEADER, person_row(1, **{"困难类别": "残疾人"})], name="x.xlsx")
    run(town.alice, town.a.org, changed)
    update = audit_rows(town).filter(object_type="imports.importjob").latest("pk")
    (diff,) = update.changes["updated"][1].values()
    assert diff == {"categories": [MASK, MASK]}
    assert "残疾人" not in str([e.changes for e in audit_rows(town).all()])


def test_a_street_of_another_district_is_a_row_problem_not_a_write(town, tmp_path):
    """S26 scoping: alice (district a) cannot register into b's street, nor update a person
    registered in b, by naming them in a file."""
    registry.needy_register(
        actor=town.bob,
        street_org=town.b.street,
        name="乙区老人",
        address="乙区一街道1号",
        id_number=new_id(9),
    )
    path = xlsx(
        tmp_path,
        [
            HEADER,
            person_row(1, street="乙区一街道党工委"),
            person_row(9, name="乙区老人"),
            person_row(3, street=town.b.street.code),
        ],
    )
    job = run(town.alice, town.a.org, path, start=False)
    found = problems(job)
    assert any(
        "找不到街道（乡镇）“乙区一街道党工委”" in p and "不在本次导入范围内" in p for p in found[2]
    )
    assert found[3] == [f"公民身份号码:{REFUSED_FOREIGN}"]
    assert any("不在本次导入范围内" in p for p in found[4])
    assert job.rows_valid == 0
    assert list(people(town).values_list("name", flat=True)) == ["乙区老人"]


def _csv_rows(response) -> list[list[str]]:
    import csv

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_export_is_masked_audited_and_withholds_categories_without_rights(
    town, tmp_path, client
):
    """S26: the list's export masks ID numbers and phones, is audited, carries the categories
    only to a reader with outreach rights over the rows (erin's file has no such column) and
    only the reader's own rows (bob's file is empty)."""
    run(town.alice, town.a.org, xlsx(tmp_path, [HEADER, person_row(1)]))
    url = reverse("outreach:needy-export", args=["csv"])
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    header, row = _csv_rows(client.get(url))
    assert "困难类别" in header
    assert "健康状况" in header
    assert new_id(1) not in row
    assert row[1].endswith(new_id(1)[-4:])
    assert "13812345678" not in row
    assert "低保户、独居老人" in row  # in the categories' order
    event = audit_rows(town).filter(verb="export", object_type="outreach.needyperson").latest("pk")
    assert event.changes["rows"][1] == 1
    assert event.changes["reveal"][1] is False
    assert client.get(url + "?reveal=1").status_code == 405  # revealing is a POST

    for user, rows in ((town.erin, 1), (town.bob, 0)):
        client.force_login(user)
        mark_verified(client, user)
        got = _csv_rows(client.get(url))
        assert "困难类别" not in got[0]
        assert "健康状况" not in got[0]
        assert len(got) - 1 == rows
        assert "独居老人" not in str(got)
        assert "高血压" not in str(got)


def test_an_export_imports_back_and_changes_nothing(town, tmp_path, client):
    """S26: a full export (revealed by POST, audited) read back by the importer finds every
    person already registered and changes nothing."""
    rows = [HEADER, person_row(1), person_row(2, name="李大爷", **{"健康状况": ""})]
    run(town.alice, town.a.org, xlsx(tmp_path, rows))
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    response = client.post(reverse("outreach:needy-export", args=["xlsx"]), {"reveal": "1"})
    assert response.status_code == 200
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(b"".join(response.streaming_content))
    assert audit_rows(town).filter(verb="export").latest("pk").changes["reveal"][1] is True
    before = list(people(town).order_by("pk").values())
    job = run(town.alice, town.a.org, exported)
    assert job.rows_invalid == 0, problems(job)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert list(people(town).order_by("pk").values()) == before


def test_the_registry_page_leads_to_the_import_and_the_command_imports_too(town, tmp_path, client):
    """S26: the registry list offers the import (the imports page with the needy kind
    chosen) and the export; ``manage.py import_members --kind needy`` imports a file."""
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    page = client.get(reverse("outreach:needy-list")).content.decode()
    assert 'data-testid="needy-import"' in page
    assert 'data-testid="needy-export-xlsx"' in page
    imports_page = client.get(reverse("imports:list") + "?kind=needy").content.decode()
    assert '<option value="needy" selected>帮扶对象名册</option>' in imports_page
    path = xlsx(tmp_path, [HEADER, person_row(1)])
    with path.open("rb") as fh:
        response = client.post(
            reverse("imports:list"),
            {"kind": "needy", "organization": town.a.org.code, "file": fh},
        )
    assert response.status_code == 302
    job = ImportJob.objects.get(created_by=town.alice)
    assert job.kind == "needy"

    out = io.StringIO()
    other = xlsx(tmp_path, [HEADER, person_row(5, name="王阿姨")], name="cmd.xlsx")
    call_command(
        "import_members", str(other), "--into", town.a.org.code, "--user", "alice",
        "--kind", "needy", stdout=out,
    )  # fmt: skip
    assert people(town).filter(name="王阿姨").exists()
