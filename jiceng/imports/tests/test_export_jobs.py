"""Exports at city scale (issue 17 item 8): from ``settings.EXPORT_JOB_THRESHOLD`` rows an
export runs as a background job writing a private file that only its creator downloads; the
file is the streamed export's, audited alike, revealed alike. The world is the test's own
(``tests.factories.SmallWorld``: alice and bob officers of districts a and b); the threshold
is lowered to one row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.core.exports import write_xlsx
from jiceng.core.models import AuditEvent
from jiceng.imports import exports
from jiceng.imports.models import ExportJob
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Member
from tests.factories import UserFactory, make_member


def _streamed(client, fmt: str, *, post: bool = False) -> bytes:
    url = reverse("imports:export-members", args=[fmt])
    response = client.post(url, {"reveal": "1"}) if post else client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _as_job(client, settings, fmt: str, *, post: bool = False) -> ExportJob:
    settings.EXPORT_JOB_THRESHOLD = 1
    url = reverse("imports:export-members", args=[fmt])
    response = client.post(url, {"reveal": "1"}) if post else client.get(url)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:export-detail", args=[job.pk])
    return job


def _cells(body: bytes) -> list[list[list[object]]]:
    wb = openpyxl.load_workbook(io.BytesIO(body))
    return [list(map(list, ws.values)) for ws in wb.worksheets]


def _download(client, job: ExportJob) -> bytes:
    response = client.get(reverse("imports:export-download", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_large_export_runs_as_a_job_whose_file_is_the_streamed_export(
    client, sign_in, small, settings, fmt
):
    sign_in(small.alice)
    streamed = _streamed(client, fmt)
    job = _as_job(client, settings, fmt)
    job.refresh_from_db()  # the immediate backend has run the task
    assert job.status == ExportJob.Status.DONE
    assert job.rows_done == job.rows_total == len(small.a.members)
    assert job.path.is_file()
    assert Path(settings.EXPORT_ROOT) in job.path.parents
    body = _download(client, job)
    assert job.size == len(body)
    if fmt == "csv":
        assert body == streamed
    else:
        assert _cells(body) == _cells(streamed)
    page = client.get(reverse("imports:export-detail", args=[job.pk])).content.decode()
    assert reverse("imports:export-download", args=[job.pk]) in page
    assert "100%" in page
    listed = client.get(reverse("imports:exports")).content.decode()
    assert reverse("imports:export-detail", args=[job.pk]) in listed


def test_a_small_export_still_streams(client, sign_in, small, settings):
    settings.EXPORT_JOB_THRESHOLD = len(small.a.members) + 1
    sign_in(small.alice)
    response = client.get(reverse("imports:export-members", args=["csv"]))
    assert response.streaming
    assert not ExportJob.objects.exists()


def test_a_revealing_job_reveals_as_the_streamed_export_does(client, sign_in, small, settings):
    # a member of a taking part in b: bob sees them, but may not reveal them
    member = small.a.members[0]
    Member.objects.filter(pk=member.pk).update(
        participating_org=small.b.branches[0], participating_path=small.b.branches[0].path
    )
    sign_in(small.bob)
    streamed = _streamed(client, "csv", post=True)
    job = _as_job(client, settings, "csv", post=True)
    assert job.reveal
    body = _download(client, job)
    assert body == streamed
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name[member.name][4] == member.id_number_masked
    own = small.b.members[0]
    assert by_name[own.name][4] == own.id_number


def test_revealing_by_a_link_is_refused_and_starts_no_job(client, sign_in, small, settings):
    settings.EXPORT_JOB_THRESHOLD = 1
    sign_in(small.alice)
    response = client.get(reverse("imports:export-members", args=["csv"]), {"reveal": "1"})
    assert response.status_code == 405
    assert not ExportJob.objects.exists()


def test_a_role_without_reveal_starts_no_revealing_job(client, sign_in, small, settings):
    settings.EXPORT_JOB_THRESHOLD = 1
    sign_in(UserFactory(role=Role.COMMITTEE_OFFICER, role__over=small.a.street))
    response = client.post(reverse("imports:export-members", args=["csv"]), {"reveal": "1"})
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_only_the_creator_sees_and_downloads_the_job(client, sign_in, small, settings):
    sign_in(small.alice)
    job = _as_job(client, settings, "csv")
    colleague = UserFactory(role=Role.DISTRICT_OFFICER, role__over=small.a.org)
    for other in (colleague, small.bob, small.dora):
        sign_in(other)
        for name in ("imports:export-detail", "imports:export-download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (other, name)
        listed = client.get(reverse("imports:exports")).content.decode()
        assert str(job.pk) not in listed


def test_the_export_is_audited_when_started_and_each_download(client, sign_in, small, settings):
    sign_in(small.alice)
    job = _as_job(client, settings, "csv")
    started = AuditEvent.objects.filter(verb="export", object_type="members.member")
    assert started.count() == 1  # one per home district: all of a
    assert started.get().changes["rows"][1] == len(small.a.members)
    _download(client, job)
    _download(client, job)
    downloads = AuditEvent.objects.filter(object_type="imports.exportjob", object_id=str(job.pk))
    assert downloads.count() == 2
    assert downloads.first().org_path == small.a.org.path


def test_the_start_is_audited_before_any_row_is_written(small, monkeypatch):
    seen: list[int] = []
    real = exports.member_export_rows

    def spy(*args, **kwargs):
        seen.append(AuditEvent.objects.filter(verb="export").count())
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "member_export_rows", spy)
    job = exports.export_start(actor=small.alice, kind="members", fmt="csv", query={}, filters=None)
    exports.export_run(job=job)
    assert seen == [1]


def test_progress_is_saved_every_few_rows(small, settings):
    settings.EXPORT_PROGRESS_ROWS = 2
    job = exports.export_start(actor=small.alice, kind="members", fmt="xlsx", query={})
    saved: list[int] = []
    job = exports.export_run(job=job, on_progress=saved.append)
    assert saved == [2, 4, 6]
    assert job.rows_done == job.rows_total == 6
    assert ExportJob.objects.get(pk=job.pk).rows_done == 6


def test_a_failure_marks_the_job_failed_and_leaves_no_file(small, monkeypatch):
    def broken(*args, **kwargs):
        yield ["张三"] * len(exports.MEMBER_HEADER)
        raise OSError("disk full")

    monkeypatch.setattr(exports, "member_export_rows", broken)
    job = exports.export_start(actor=small.alice, kind="members", fmt="csv", query={})
    job = exports.export_run(job=job)
    assert job.status == ExportJob.Status.FAILED
    assert "导出失败" in job.message
    assert "disk full" not in job.message
    assert not list(Path(settings.EXPORT_ROOT).glob(f"{job.pk}*"))


def test_an_organisation_out_of_reach_by_then_fails_the_job_in_words(small):
    job = exports.export_start(
        actor=small.alice,
        kind="members",
        fmt="csv",
        query={},
        filters=member_selectors.MemberFilters(org=small.a.branches[0]),
    )
    ExportJob.objects.filter(pk=job.pk).update(filters={"org": small.b.branches[0].pk})
    job = exports.export_run(job=ExportJob.objects.get(pk=job.pk))
    assert job.status == ExportJob.Status.FAILED
    assert "管辖范围" in job.message


def test_the_filters_apply_in_the_job(client, sign_in, small, settings):
    branch = small.a.branches[1]
    sign_in(small.alice)
    settings.EXPORT_JOB_THRESHOLD = 1
    client.get(reverse("imports:export-members", args=["csv"]), {"org": branch.pk})
    job = ExportJob.objects.get()
    rows = list(csv.reader(io.StringIO(_download(client, job).decode("utf-8-sig"))))
    assert {r[13] for r in rows[1:]} == {branch.code}
    assert job.org_path == branch.path


def test_a_large_organisation_export_runs_as_a_job(client, sign_in, small, settings):
    sign_in(small.alice)
    url = reverse("imports:export-organizations", args=["csv"])
    streamed = b"".join(client.get(url).streaming_content)
    settings.EXPORT_JOB_THRESHOLD = 1
    assert client.get(url).status_code == 302
    assert _download(client, ExportJob.objects.get()) == streamed


def test_expired_files_are_removed(client, sign_in, small, settings):
    sign_in(small.alice)
    job = _as_job(client, settings, "csv")
    job.refresh_from_db()
    assert job.path.is_file()
    assert exports.exports_purge_expired() == 0
    later = timezone.now() + dt.timedelta(days=settings.EXPORT_KEEP_DAYS, seconds=1)
    assert exports.exports_purge_expired(now=later) == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED
    assert not list(Path(settings.EXPORT_ROOT).glob(f"{job.pk}*"))
    assert client.get(reverse("imports:export-download", args=[job.pk])).status_code == 302


def test_the_fast_rows_equal_the_record_rows(small):
    Member.objects.filter(pk=small.a.members[0].pk).update(home_address="甲区某路1号")
    for m in small.a.members[1:3]:
        Member.objects.filter(pk=m.pk).update(participating_org=None, participating_path="")
    make_member(small.a.branches[0], phone="021-64881234")
    qs = member_selectors.member_list(small.alice, member_selectors.MemberFilters())
    for revealer in (None, small.alice, small.bob):
        records = qs.select_related("home_org", "participating_org").order_by("home_path", "id")
        assert list(exports.member_export_rows(qs, revealer=revealer)) == list(
            exports.member_rows(records, revealer=revealer)
        )


def test_a_workbook_goes_on_to_a_next_sheet_when_one_is_full(tmp_path):
    path = tmp_path / "x.xlsx"
    with path.open("wb") as fh:
        write_xlsx(fh, ["a"], ([i] for i in range(5)), "党员名册", rows_per_sheet=2)
    sheets = openpyxl.load_workbook(path).worksheets
    assert [ws.title for ws in sheets] == ["党员名册", "党员名册（2）", "党员名册（3）"]
    assert [list(ws.values) for ws in sheets][1] == [("a",), (2,), (3,)]


def test_the_command_writes_the_same_file_and_audits(small, tmp_path, client, sign_in):
    sign_in(small.alice)
    streamed = _streamed(client, "csv")
    out = tmp_path / "roll.csv"
    call_command("export_members", "--user", "alice", "--output", str(out), stdout=io.StringIO())
    assert out.read_bytes() == streamed
    assert AuditEvent.objects.filter(verb="export", actor=small.alice).count() == 2
