"""Imports keep bounded state (issue 14, low-medium): one 200 MB CSV stored 814,402 problem
rows (+165 MB); an oversize upload was refused only after all of it had arrived; failed jobs
kept their files. alice imports into the first branch of district a of the test's own world
(``tests.factories.SmallWorld``)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from conftest import mark_verified
from jiceng.imports import engine, readers, reports, services
from jiceng.imports.models import ImportJob

from .conftest import new_id

# officer and branch (conftest.py) are the small world's: alice and her first branch
SMALL_WORLD = True

HEADER = "姓名,公民身份号码,入党日期,转正日期,联系电话,所在支部\n"
# Deliberately invalid: letters where the sequence code and check digit go, so every such row
# is a problem row (what the cap on stored problems is about).
BAD_ID = "31010119700308XXX"


def roll(branch, *, bad: int, good: int = 1) -> bytes:
    lines = [HEADER]
    lines += [f"坏{i},{BAD_ID}{i},1995-07-01,1996-07-01,,{branch.code}\n" for i in range(bad)]
    lines += [
        f"好{i},{new_id(400 + i)},1995-07-01,1996-07-01,13800000000,{branch.code}\n"
        for i in range(good)
    ]
    return "".join(lines).encode()


def checked(officer, branch, data: bytes, name: str = "roll.csv") -> ImportJob:
    job = services.import_job_create(
        actor=officer, organization=branch, kind="member", original_name=name, chunks=[data]
    )
    return engine.job_validate(job)


@pytest.fixture
def cap(monkeypatch):
    monkeypatch.setattr(engine, "MAX_STORED_PROBLEM_ROWS", 5)
    return 5


def test_problem_rows_stored_are_capped_and_counted_exactly(officer, branch, cap):
    job = checked(officer, branch, roll(branch, bad=12))
    assert job.rows_invalid == 12
    assert job.errors.values("row_number").distinct().count() == cap
    assert job.problem_counts == {"公民身份号码": 12}
    assert job.problems_truncated


def test_the_page_says_how_many_rows_have_problems_and_how_many_are_listed(
    client, sign_in, officer, branch, cap
):
    job = checked(officer, branch, roll(branch, bad=12))
    sign_in(officer)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "共 12 行有问题，仅列出前 5 行" in page
    assert "公民身份号码" in page


def test_the_error_report_says_it_lists_only_the_first_rows(officer, branch, cap):
    job = checked(officer, branch, roll(branch, bad=12))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(reports.error_report(job))))
    cells = [str(c) for row in book.active.values for c in row if c is not None]
    assert any("共 12 行有问题，仅列出前 5 行" in c for c in cells)


def test_an_oversize_upload_is_refused_from_its_length_before_the_body_is_read(
    client, sign_in, small, monkeypatch
):
    """issue 14: the Content-Length says it all; the body is never parsed."""

    def never(*args, **kwargs):
        raise AssertionError("the upload body was read")

    monkeypatch.setattr("django.http.multipartparser.MultiPartParser.parse", never)
    sign_in(small.alice)
    response = client.post(
        reverse("imports:list"),
        {"kind": "member"},
        CONTENT_LENGTH=str(readers.MAX_UPLOAD_BYTES + 10 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert f"{readers.MAX_UPLOAD_BYTES // 1024 // 1024} MB" in response.content.decode()


def test_the_upload_page_still_checks_the_csrf_token(small):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(small.alice)
    mark_verified(client, small.alice)
    assert client.post(reverse("imports:list"), {"kind": "member"}).status_code == 403


def test_a_job_that_fails_its_check_loses_its_file(officer, branch):
    job = checked(officer, branch, "甲,乙\n1,2\n".encode())
    assert job.status == ImportJob.Status.FAILED
    assert not Path(job.stored_path).parent.exists()


def test_a_checked_job_with_problems_keeps_its_file_for_the_report(officer, branch):
    job = checked(officer, branch, roll(branch, bad=2))
    assert job.status == ImportJob.Status.VALIDATED
    assert Path(job.stored_path).exists()
