"""Files saved by LibreOffice Calc (issue 3, "one saved by LibreOffice from the demo data").

The fixtures are LibreOffice's own .xlsx (made by ``scripts/make_libreoffice_fixtures.py``
with Debian's libreoffice-calc from 40 members for 黄浦's branches of the tiny scenario): one
re-saved from a roll with a merged title row, one opened from a GBK CSV with dates spelt
2001/7/1 and saved as .xlsx, where LibreOffice turned the dates into date cells and the
phone numbers into numbers. S10: every member lands in the branch named in the file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from jiceng.core.crypto import blind_index
from jiceng.imports import engine, services
from jiceng.imports.models import ImportJob
from jiceng.members.models import Member
from jiceng.members.services import ID_PURPOSE

FILES = Path(__file__).parent / "files"
EXPECTED = json.loads((FILES / "expected.json").read_text())


def import_file(officer, org, path: Path) -> ImportJob:
    job = services.import_job_create(
        actor=officer,
        organization=org,
        kind="member",
        original_name=path.name,
        chunks=[path.read_bytes()],
    )
    job = engine.job_validate(job)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    assert list(job.errors.values_list("row_number", "message")) == []
    services.import_job_start(actor=officer, job=job)
    return engine.job_run(job)


@pytest.mark.parametrize("name", ["roll-libreoffice.xlsx", "roll-from-csv-libreoffice.xlsx"])
def test_a_libreoffice_file_imports_every_row_with_its_values(world, officer, name, tmp_path):
    path = tmp_path / name
    shutil.copy(FILES / name, path)
    job = import_file(officer, world.huangpu, path)
    assert (job.rows_total, job.created_count) == (len(EXPECTED), len(EXPECTED))
    for person in EXPECTED:
        key = blind_index(person["id_number"], purpose=ID_PURPOSE)
        m = Member.objects.select_related("home_org").get(id_number_index=key)
        assert m.name == person["name"]
        assert m.joined_on == dt.date.fromisoformat(person["joined_on"])
        assert m.full_member_on == dt.date.fromisoformat(person["full_member_on"])
        assert m.phone == "+86" + person["phone"]
        assert m.home_org.code == person["branch"]
    again = import_file(officer, world.huangpu, path)  # re-running changes nothing
    assert (again.created_count, again.unchanged_count) == (0, len(EXPECTED))
