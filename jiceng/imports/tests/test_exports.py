"""Exports: the user's rows only, the list's filters, masked unless revealed, audited, safe
against formula injection, and re-importable (issue 3 item 5). The officers are alice and bob
of the test's own world (``tests.factories.SmallWorld``), districts a and b."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.imports import engine, services
from jiceng.members.models import Member
from tests.factories import UserFactory, make_member


def street_officer(small):
    """A committee officer of district a's street: may view and change, not reveal."""
    return UserFactory(role=Role.COMMITTEE_OFFICER, role__over=small.a.street)


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_has_the_list_filters_and_only_visible_rows(client, sign_in, small):
    # two members of district a wait for placement, and one of district b
    unplaced = [make_member(b, participating_org=None) for b in small.a.branches]
    make_member(small.b.branches[0], participating_org=None)
    sign_in(small.alice)
    rows = _csv(
        client.get(
            reverse("imports:export-members", args=["csv"]),
            {"placed": "no", "org": small.a.org.pk},
        )
    )
    assert len(rows) - 1 == len(unplaced) == 2
    assert sorted(r[0] for r in rows[1:]) == sorted(m.name for m in unplaced)
    assert all(r[16] == "" for r in rows[1:])  # not placed
    assert all("*" * 8 in r[4] for r in rows[1:])  # masked


def test_masked_by_default_and_revealed_only_on_request_and_audited(client, sign_in, small):
    sign_in(small.alice)
    masked = _csv(client.get(reverse("imports:export-members", args=["csv"])))
    revealed = _csv(client.post(reverse("imports:export-members", args=["csv"]), {"reveal": "1"}))
    assert "*" not in revealed[1][4]
    assert len(revealed[1][4]) == 18
    assert masked[1][4] == revealed[1][4][:6] + "*" * 8 + revealed[1][4][-4:]
    events = AuditEvent.objects.filter(verb="export").order_by("id")
    assert events[0].changes["revealed"][1] == 0
    assert events[len(events) - 1].changes["revealed"][1] > 0
    assert revealed[1][4] not in str(list(events.values_list("changes", flat=True)))


def test_a_role_without_reveal_cannot_export_full_numbers(client, sign_in, small):
    sign_in(street_officer(small))
    response = client.post(reverse("imports:export-members", args=["csv"]), {"reveal": "1"})
    assert response.status_code == 403


def test_xlsx_export_opens_in_excel_form(client, sign_in, small):
    sign_in(small.alice)
    response = client.get(reverse("imports:export-members", args=["xlsx"]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = list(wb.active.values)
    assert sheet[0][0] == "姓名"
    assert len(sheet) - 1 == len(small.a.members)  # district a's, none of b's


def test_formula_like_text_is_neutralised(client, sign_in, small):
    member = small.a.members[0]
    Member.objects.filter(pk=member.pk).update(work_unit='=HYPERLINK("http://evil")')
    sign_in(small.alice)
    rows = _csv(client.get(reverse("imports:export-members", args=["csv"])))
    cell = next(r[11] for r in rows if r[0] == member.name and "HYPERLINK" in r[11])
    assert cell.startswith("'=")


def test_a_full_export_imports_back_without_changes(client, sign_in, small, tmp_path):
    """Round trip: export with revealed fields, import the same file: nothing changes."""
    officer = sign_in(small.alice)
    branch = small.a.branches[0]
    response = client.post(
        reverse("imports:export-members", args=["xlsx"]) + f"?org={branch.pk}", {"reveal": "1"}
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
    assert (
        job.unchanged_count
        == job.rows_valid
        == len([m for m in small.a.members if m.home_org == branch])
    )


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_unknown_export_format_is_not_found(client, sign_in, small, fmt):
    sign_in(small.alice)
    assert client.get(reverse("imports:export-members", args=[fmt])).status_code == 404


def _xuhui_takes_part_for(small) -> Member:
    """A member of district a whose participating unit is in district b (issue 14: their
    home stays in a)."""
    member = small.a.members[0]
    unit = small.b.branches[0]
    Member.objects.filter(pk=member.pk).update(
        participating_org=unit, participating_path=unit.path, home_address="黄浦区某路1号"
    )
    return Member.objects.get(pk=member.pk)


def test_reveal_export_masks_members_whose_home_is_in_another_district(client, sign_in, small):
    """issue 14 (high): 徐汇 sees the 黄浦 member taking part in its unit, but may reveal only
    members whose home organisation it holds REVEAL over, as on the member's page."""
    member = _xuhui_takes_part_for(small)
    sign_in(small.bob)
    url = reverse("imports:export-members", args=["csv"])
    rows = _csv(client.post(url, {"reveal": "1"}))
    row = next(r for r in rows[1:] if r[13] == member.home_org.code and r[0] == member.name)
    assert row[4] == member.id_number_masked
    assert row[6] == member.phone_masked
    assert row[12] == ""
    assert member.id_number not in str(rows)
    xuhui_member = small.b.members[0]
    own = next(r for r in rows[1:] if r[4] == xuhui_member.id_number)
    assert own[0] == xuhui_member.name  # 徐汇's own members are revealed
    # the reveal page agrees: the same officer may not reveal that member
    reveal = client.post(reverse("members:reveal", args=[member.pk, "id_number"]))
    assert reveal.status_code == 403


def test_reveal_export_is_audited_where_the_members_home_is(client, sign_in, small):
    """issue 14: 黄浦 sees in its audit log that 徐汇 exported one of its members."""
    member = _xuhui_takes_part_for(small)
    sign_in(small.bob)
    client.post(reverse("imports:export-members", args=["csv"]), {"reveal": "1"})
    huangpu_sees = AuditEvent.objects.visible_to(small.alice, "audit").filter(verb="export")
    assert huangpu_sees.count() == 1
    event = huangpu_sees.get()
    assert event.actor == small.bob
    assert event.changes["rows"][1] == 1
    assert event.changes["revealed"][1] == 0
    assert member.id_number not in str(event.changes)


def test_a_get_never_reveals(client, sign_in, small):
    """issue 14: revealing in an export is a POST with the CSRF token, not a link."""
    sign_in(small.alice)
    response = client.get(reverse("imports:export-members", args=["csv"]), {"reveal": "1"})
    assert response.status_code == 405
    assert "导出完整" in response.content.decode()
    assert not AuditEvent.objects.filter(verb="export").exists()


def test_the_reveal_export_needs_the_csrf_token(small):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(small.alice)
    mark_verified(csrf_client, small.alice)
    url = reverse("imports:export-members", args=["csv"])
    assert csrf_client.post(url, {"reveal": "1"}).status_code == 403


def test_the_list_page_offers_the_full_export_as_a_form_to_roles_that_may_reveal(
    client, sign_in, small
):
    """issue 14: the full export is a button in a POST form with the CSRF token."""
    sign_in(small.alice)
    page = client.get(reverse("members:list")).content.decode()
    assert 'data-testid="export-reveal-form"' in page
    assert 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    assert "reveal=1" not in page
    assert "其余党员仍为掩码" in page
    sign_in(street_officer(small))
    assert (
        'data-testid="export-reveal-form"'
        not in client.get(reverse("members:list")).content.decode()
    )


def test_the_member_page_keeps_the_home_address_from_the_participating_side(client, sign_in, small):
    """issue 14: the member page follows the export: the 徐汇 officer who sees a 黄浦 member
    through participation reads neither the ID number nor the home address."""
    member = _xuhui_takes_part_for(small)
    sign_in(small.bob)
    page = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert "黄浦区某路1号" not in page
    assert 'data-testid="reveal-id"' not in page
    sign_in(small.alice)
    page = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert "黄浦区某路1号" in page
