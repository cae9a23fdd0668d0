"""The import pages: upload, automatic check, progress, start, error report (issue 3). The
officers are alice and bob of the test's own world (``tests.factories.SmallWorld``)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from jiceng.imports.models import ImportJob
from jiceng.members.models import Member

from .conftest import HEADER, new_id


@pytest.fixture
def branch(small):
    """The first branch of alice's district a."""
    return small.a.branches[0]


def _xlsx(rows) -> io.BytesIO:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "名册.xlsx"
    return buf


def test_officer_uploads_checks_and_imports_from_the_page(client, sign_in, small, branch):
    sign_in(small.alice)
    good = [
        HEADER,
        [
            "周一",
            new_id(70),
            "男",
            "2001-07-01",
            "2002-07-01",
            "正式党员",
            "13812345678",
            branch.code,
        ],
    ]
    bad = ["吴二", "12345", "男", "2001-07-01", "2002-07-01", "正式党员", "", branch.code]
    response = client.post(
        reverse("imports:list"),
        {
            "kind": "member",
            "organization": branch.code,
            "file": _xlsx([*good, bad]),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "检查完成" in page
    assert "身份证号码长度" in page  # the problem is listed in Chinese
    assert not Member.objects.filter(name="周一").exists()

    # starting without choosing to skip the bad row is refused, with the reason
    response = client.post(reverse("imports:start", args=[job.pk]), follow=True)
    assert "有 1 行存在问题" in response.content.decode()
    assert not Member.objects.filter(name="周一").exists()

    response = client.post(
        reverse("imports:start", args=[job.pk]), {"skip_invalid": "on"}, follow=True
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.created_count == 1
    assert Member.objects.filter(name="周一", home_org=branch).exists()

    report = client.get(reverse("imports:errors", args=[job.pk]))
    assert report.status_code == 200
    sheet = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.values
    )
    assert sheet[1][1] == "吴二"


def test_a_wrong_file_is_refused_on_the_page_without_a_500(client, sign_in, small, branch):
    sign_in(small.alice)
    fake = io.BytesIO(b"%PDF-1.4 not a spreadsheet")
    fake.name = "名册.pdf"
    response = client.post(
        reverse("imports:list"),
        {
            "kind": "member",
            "organization": branch.code,
            "file": fake,
        },
    )
    assert response.status_code == 200
    assert "只能导入 .xlsx 或 .csv 文件" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_organisation_outside_scope_cannot_be_the_target(client, sign_in, small):
    sign_in(small.bob)
    response = client.post(
        reverse("imports:list"),
        {
            "kind": "member",
            "organization": small.a.org.code,
            "file": _xlsx([HEADER]),
        },
    )
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_branch_secretary_sees_only_jobs_of_their_subtree(client, sign_in, small, branch):
    ImportJob.objects.create(
        kind="member",
        organization=small.b.org,
        org_path=small.b.org.path,
        created_by=small.bob,
        original_name="徐汇.xlsx",
        stored_path="/x",
        file_type="xlsx",
    )
    sign_in(small.alice)
    assert "徐汇.xlsx" not in client.get(reverse("imports:list")).content.decode()
