"""Exports: the user's rows only, the list's filters, masked unless revealed, audited, safe
against formula injection, and re-importable (issue 3 item 5)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from jiceng.core.models import AuditEvent
from jiceng.imports import engine, services
from jiceng.members.models import Member


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_has_the_list_filters_and_only_visible_rows(client, login, world):
    user = login("huangpu.officer")
    rows = _csv(
        client.get(
            reverse("imports:export-members", args=["csv"]),
            {"placed": "no", "org": world.huangpu.pk},
        )
    )
    expected = (
        Member.objects.visible_to(user)
        .filter(home_path__startswith=world.huangpu.path, participating_org__isnull=True)
        .count()
    )
    assert len(rows) - 1 == expected > 0
    assert all(r[16] == "" for r in rows[1:])  # not placed
    assert all("*" * 8 in r[4] for r in rows[1:])  # masked


def test_masked_by_default_and_revealed_only_on_request_and_audited(client, login, world):
    login("huangpu.officer")
    masked = _csv(client.get(reverse("imports:export-members", args=["csv"])))
    revealed = _csv(client.get(reverse("imports:export-members", args=["csv"]), {"reveal": "1"}))
    assert "*" not in revealed[1][4]
    assert len(revealed[1][4]) == 18
    assert masked[1][4] == revealed[1][4][:6] + "*" * 8 + revealed[1][4][-4:]
    events = AuditEvent.objects.filter(verb="export").order_by("id")
    assert [e.changes["revealed"][1] for e in events] == [False, True]
    assert revealed[1][4] not in str(list(events.values_list("changes", flat=True)))


def test_a_role_without_reveal_cannot_export_full_numbers(client, login):
    login("street.officer")
    response = client.get(reverse("imports:export-members", args=["csv"]), {"reveal": "1"})
    assert response.status_code == 403


def test_xlsx_export_opens_in_excel_form(client, login, world):
    login("huangpu.officer")
    response = client.get(reverse("imports:export-members", args=["xlsx"]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = list(wb.active.values)
    assert sheet[0][0] == "姓名"
    assert len(sheet) - 1 == Member.objects.visible_to(world.user("huangpu.officer")).count()


def test_formula_like_text_is_neutralised(client, login, world):
    member = world.member_in(world.huangpu)
    Member.objects.filter(pk=member.pk).update(work_unit='=HYPERLINK("http://evil")')
    login("huangpu.officer")
    rows = _csv(client.get(reverse("imports:export-members", args=["csv"])))
    cell = next(r[11] for r in rows if r[0] == member.name and "HYPERLINK" in r[11])
    assert cell.startswith("'=")


def test_a_full_export_imports_back_without_changes(client, login, world, tmp_path):
    """Round trip: export with revealed fields, import the same file: nothing changes."""
    officer = login("huangpu.officer")
    branch = world.branch_in(world.huangpu)
    response = client.get(
        reverse("imports:export-members", args=["xlsx"]), {"org": branch.pk, "reveal": "1"}
    )
    path = tmp_path / "roundtrip.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    job = services.import_job_create(
        actor=officer,
        organization=branch,
        kind="member",
        original_name=path.name,
        chunks=[path.read_bytes()],
    )
    job = engine.job_validate(job)
    assert job.rows_invalid == 0, list(job.errors.values_list("row_number", "message"))
    services.import_job_start(actor=officer, job=job)
    job = engine.job_run(job)
    assert job.created_count == 0
    assert job.updated_count == 0
    assert job.unchanged_count == job.rows_valid > 0


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_unknown_export_format_is_not_found(client, login, fmt):
    login("huangpu.officer")
    assert client.get(reverse("imports:export-members", args=[fmt])).status_code == 404
