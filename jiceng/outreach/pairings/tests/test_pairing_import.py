"""Importing and exporting existing branch ↔ needy-person pairings through the import engine
(S26; issue 20 item 2): a street's 结对帮扶台账 read with its usual headers, a dry run that
writes nothing, problems in Chinese per row, re-runs that create nothing new, a pairing with
another branch never silently re-pointed, and an export (masked, audited) that imports back
unchanged.

The town is ``tests.factories.SmallWorld``: alice is district a's officer, bob district b's."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.roles import Role
from jiceng.core.idnumber import make_id_number
from jiceng.core.models import AuditEvent
from jiceng.imports import engine, services
from jiceng.imports.kinds import IMPORTERS
from jiceng.imports.models import ImportJob, ImportRowError
from jiceng.outreach.pairings.models import Pairing
from jiceng.outreach.pairings.rules import PairingState
from jiceng.outreach.pairings.services import pairing_confirm, pairing_propose
from jiceng.outreach.registry import services as registry
from jiceng.outreach.registry.models import NeedyPerson
from tests.factories import UserFactory

HEADER = ["帮扶对象公民身份号码", "帮扶对象姓名", "结对支部代码", "结对日期", "状态"]


def new_id(seq: int) -> str:
    return make_id_number("440305", dt.date(1950, 3, 4), seq, "M")


@pytest.fixture
def town(small):
    small.gu = _register(small.a.street, "顾阿婆", 1)
    small.qian = _register(small.a.street, "钱老伯", 2)
    small.li = _register(small.b.street, "李大爷", 3)
    return small


def _register(street, name: str, seq: int) -> NeedyPerson:
    person, _warnings = registry.needy_register(
        actor=None, street_org=street, name=name, address=f"幸福里{seq}号", id_number=new_id(seq)
    )
    return person


def pairings(town):
    return Pairing.objects.filter(path__startswith=town.city.path)


def xlsx(tmp_path: Path, rows: list[list[Any]], *, name: str = "pairings.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def run(user, org, path: Path, *, start: bool = True) -> ImportJob:
    with path.open("rb") as fh:
        job = services.import_job_create(
            actor=user, organization=org, kind="pairing", original_name=path.name,
            chunks=[fh.read()],
        )  # fmt: skip
    job = engine.job_validate(job)
    if start and job.status == ImportJob.Status.VALIDATED and job.rows_valid:
        services.import_job_start(actor=user, job=job)
        job = engine.job_run(job)
    return job


def problems(job: ImportJob) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for e in job.errors.filter(level=ImportRowError.Level.PROBLEM):
        out.setdefault(e.row_number, []).append(f"{e.column}:{e.message}")
    return out


def test_the_pairing_kind_is_registered_from_outreach():
    """S26: the engine's table of kinds holds the pairings importer."""
    assert set(IMPORTERS) == set(ImportJob.Kind.values)
    assert type(IMPORTERS["pairing"]).__module__ == "jiceng.outreach.pairings.importer"


def test_synonym_headers_are_read_and_pairings_written_through_the_services(town, tmp_path):
    """S26: 身份证号 / 姓名 / 组织代码 are read as the usual columns; a confirmed row pairs the
    person from its date (the branch now reads them), a 已提出 row waits for confirmation, and
    every pairing is audited."""
    branch = town.a.branches[0]
    rows = [
        ["身份证号", "姓名", "组织代码", "结对日期", "状态"],
        [new_id(1), "顾阿婆", branch.code, "2026年3月1日", "已确认"],
        [new_id(2), "钱老伯", town.a.branches[1].code, "", "已提出"],
    ]
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows))
    assert job.status == ImportJob.Status.DONE, problems(job)
    assert job.created_count == 2
    gu = Pairing.objects.get(needy=town.gu)
    assert (gu.branch, gu.state, gu.started_on) == (branch, "confirmed", dt.date(2026, 3, 1))
    town.gu.refresh_from_db()
    assert town.gu.paired_path == branch.path
    assert Pairing.objects.get(needy=town.qian).state == PairingState.PROPOSED
    assert (
        AuditEvent.objects.filter(object_type="outreach_pairings.pairing", verb="create").count()
        == 2
    )
    assert AuditEvent.objects.filter(
        object_type="imports.importjob", object_id=str(job.pk), verb="create"
    ).exists()


def test_a_dry_run_lists_every_problem_in_chinese_and_writes_nothing(town, tmp_path):
    """S26: unknown person, a different name (both named), a code that is not a branch, a
    branch of another district and a person already paired elsewhere are row problems in
    Chinese; checking the file writes nothing."""
    other = town.a.branches[1]
    pairing_confirm(actor=None, pairing=pairing_propose(actor=None, needy=town.qian, branch=other))
    for seq, name in ((4, "孙阿姨"), (5, "周大伯"), (6, "吴奶奶")):
        _register(town.a.street, name, seq)
    before = pairings(town).count()
    rows = [
        HEADER,
        [new_id(1), "顾阿婆", town.a.branches[0].code, "", ""],  # fine
        [new_id(9), "王阿姨", town.a.branches[0].code, "", ""],  # not registered
        [new_id(4), "孙阿妹", town.a.branches[0].code, "", ""],  # name differs
        [new_id(5), "周大伯", town.a.street.code, "", ""],  # not a branch
        [new_id(6), "吴奶奶", town.b.branches[0].code, "", ""],  # other district
        [new_id(2), "钱老伯", town.a.branches[0].code, "", ""],  # paired elsewhere
    ]
    job = run(town.alice, town.a.org, xlsx(tmp_path, rows), start=False)
    found = problems(job)
    assert 2 not in found
    assert "找不到该身份证号的在册帮扶对象" in str(found[3])
    assert "孙阿姨" in str(found[4])
    assert "孙阿妹" in str(found[4])
    assert "不是党支部" in str(found[5])
    assert "不在本次导入范围内" in str(found[6])
    assert f"已与{other.name}结对，请先结束原结对" in str(found[7])
    assert pairings(town).count() == before
    assert not Pairing.objects.filter(needy=town.gu).exists()


def test_a_branch_in_scope_but_of_another_district_than_the_person_is_refused(town, tmp_path):
    """S26: a city officer may name any branch, but a person pairs only with a branch of
    their own district."""
    city_officer = UserFactory(username="carol", role=Role.DISTRICT_OFFICER, role__over=town.city)
    rows = [HEADER, [new_id(1), "顾阿婆", town.b.branches[0].code, "", ""]]
    job = run(city_officer, town.city, xlsx(tmp_path, rows), start=False)
    assert "不在同一区县" in str(problems(job)[2])


def test_a_rerun_creates_nothing_new_and_never_repoints(town, tmp_path):
    """S26: the same file again leaves every pairing unchanged; a file pairing the person with
    another branch is refused and the pairing stays."""
    rows = [HEADER, [new_id(1), "顾阿婆", town.a.branches[0].code, "2026-03-01", "已确认"]]
    path = xlsx(tmp_path, rows)
    run(town.alice, town.a.org, path)
    last = AuditEvent.objects.order_by("pk").last()
    again = run(town.alice, town.a.org, path)
    assert (again.created_count, again.unchanged_count) == (0, 1)
    assert pairings(town).count() == 1
    assert not AuditEvent.objects.filter(
        object_type="outreach_pairings.pairing", pk__gt=last.pk if last else 0
    ).exists()
    moved = [HEADER, [new_id(1), "顾阿婆", town.a.branches[1].code, "", ""]]
    job = run(town.alice, town.a.org, xlsx(tmp_path, moved, name="moved.xlsx"))
    assert "请先结束原结对" in str(problems(job)[2])
    assert Pairing.objects.get(needy=town.gu).branch == town.a.branches[0]


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_export_is_masked_audited_and_holds_no_registry_details(town, tmp_path, client):
    """S26: the list's export has the importer's columns, the ID number masked, is audited
    before the rows, carries no categories or health, and shows bob none of a's pairings."""
    pairing_propose(actor=None, needy=town.gu, branch=town.a.branches[0])
    pairing_propose(actor=None, needy=town.li, branch=town.b.branches[0])
    url = reverse("outreach:pairing-export", args=["csv"])
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    header, *rows = _csv_rows(client.get(url))
    assert header == HEADER
    assert len(rows) == 1
    assert new_id(1) not in rows[0][0]
    assert rows[0][0].endswith(new_id(1)[-4:])
    assert rows[0][1:3] == ["顾阿婆", town.a.branches[0].code]
    assert "困难类别" not in header
    assert "健康状况" not in header
    event = AuditEvent.objects.filter(
        verb="export", object_type="outreach_pairings.pairing"
    ).latest("pk")
    assert event.changes["rows"][1] == 1
    assert event.changes["reveal"][1] is False
    assert client.get(url + "?reveal=1").status_code == 405  # revealing is a POST

    client.force_login(town.bob)
    mark_verified(client, town.bob)
    _header, *bobs = _csv_rows(client.get(url))
    assert [r[1] for r in bobs] == ["李大爷"]


def test_an_export_imports_back_and_changes_nothing(town, tmp_path, client):
    """S26: a full export (revealed by POST, audited) read back finds every pairing as it is."""
    pairing_confirm(
        actor=None,
        pairing=pairing_propose(actor=None, needy=town.gu, branch=town.a.branches[0]),
        on=dt.date(2026, 2, 1),
    )
    pairing_propose(actor=None, needy=town.qian, branch=town.a.branches[1])
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    response = client.post(reverse("outreach:pairing-export", args=["xlsx"]), {"reveal": "1"})
    assert response.status_code == 200
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(b"".join(response.streaming_content))
    event = AuditEvent.objects.filter(
        verb="export", object_type="outreach_pairings.pairing"
    ).latest("pk")
    assert event.changes["reveal"][1] is True
    before = list(pairings(town).order_by("pk").values())
    job = run(town.alice, town.a.org, exported)
    assert job.rows_invalid == 0, problems(job)
    assert (job.created_count, job.unchanged_count) == (0, 2)
    assert list(pairings(town).order_by("pk").values()) == before


def test_another_districts_officer_can_neither_import_into_nor_export_the_pairings(
    town, tmp_path, client
):
    """S26: bob cannot pair a's people or name a's branches, and a's pairings are not in his
    export."""
    rows = [
        HEADER,
        [new_id(1), "顾阿婆", town.b.branches[0].code, "", ""],
        [new_id(3), "李大爷", town.a.branches[0].code, "", ""],
    ]
    job = run(town.bob, town.b.org, xlsx(tmp_path, rows), start=False)
    found = problems(job)
    assert "不在本次导入范围内" in str(found[2])
    assert "不在本次导入范围内" in str(found[3])
    assert not pairings(town).exists()
    pairing_propose(actor=None, needy=town.gu, branch=town.a.branches[0])
    client.force_login(town.bob)
    mark_verified(client, town.bob)
    body = str(_csv_rows(client.get(reverse("outreach:pairing-export", args=["csv"]))))
    assert "顾阿婆" not in body


def test_the_pairings_page_leads_to_the_import_and_the_export(town, client):
    """S26: the pairings list offers 批量导入 (the imports page with the pairing kind chosen)
    and the export buttons."""
    client.force_login(town.alice)
    mark_verified(client, town.alice)
    page = client.get(reverse("outreach:pairing-list")).content.decode()
    assert 'data-testid="pairing-import"' in page
    assert "?kind=pairing" in page
    assert 'data-testid="pairing-export-xlsx"' in page
    imports_page = client.get(reverse("imports:list") + "?kind=pairing").content.decode()
    assert '<option value="pairing" selected>结对关系</option>' in imports_page
