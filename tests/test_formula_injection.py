"""Every CSV and .xlsx jiceng hands out goes through one writer (``core.exports``), which
neutralises formula-like text (issue 14, medium-low: the lagging-units CSV and the plan export
wrote organisation names starting with ``=`` as they were, a live formula in Excel).

Each export runs with every organisation's name starting with a formula: each cell holding it
must start with a quote, so Excel shows it as text.

The organisation export and the lost-contact report run in the test's own world
(``tests.factories``); the other exports stay on the demo, whose campaigns, geocoded members
and branches (the plans) and study records they export."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.urls import reverse

from conftest import mark_verified
from jiceng.campaigns.models import Campaign
from jiceng.core.exports import SafeDictWriter, csv_writer, safe_cell
from jiceng.orgs.models import Organization

PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)", "-1+1"]


@pytest.fixture(params=PAYLOADS, ids=["hyperlink", "plus", "at", "minus"])
def payload(request, world) -> str:
    """Every organisation's name now starts with the payload."""
    Organization.objects.update(name=Concat(Value(request.param), F("name")))
    return request.param


def cells_of(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]


def assert_neutralised(cells: list[str], payload: str) -> None:
    hit = [c for c in cells if payload in c]
    assert hit, "the export should hold the hostile names"
    assert all(c.startswith("'" + payload) for c in hit), hit[:5]


@pytest.mark.parametrize("value", PAYLOADS)
def test_the_writer_quotes_formula_like_text(value):
    out = StringIO()
    csv_writer(out).writerow([value, 5, -1.5, None, "张三"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'" + value, "5", "-1.5", "", "张三"]
    out = StringIO()
    writer = SafeDictWriter(out, fieldnames=["name"])
    writer.writeheader()
    writer.writerows([{"name": value}])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["name"], ["'" + value]]
    assert safe_cell(value) == "'" + value


def test_the_lagging_units_csv(client, login, world, payload):
    """issue 14: the lagging-units CSV wrote unit names unescaped."""
    second = Campaign.objects.get(root=world.city, batch="second")
    login("huangpu.officer")
    response = client.get(reverse("campaigns:lagging", args=[second.pk]), {"format": "csv"})
    assert_neutralised(cells_of(response.content.decode("utf-8-sig")), payload)


@pytest.fixture
def plan(world):
    from jiceng.planning import services
    from jiceng.planning.rules import PlanKind

    created = services.plan_create(
        actor=world.user("dianqi.officer"),
        root=world.org("31SDQ"),
        kind=PlanKind.FORM,
        target_size=6,
        name="电气区域支部",
    )
    services.plan_queue(actor=created.created_by, plan=created)
    return services.plan_run(plan_id=created.pk)


def test_the_plan_export(client, login, payload, plan):
    """issue 14: the plan export wrote organisation names unescaped."""
    login("dianqi.officer")
    response = client.get(reverse("planning:export", args=[plan.pk]))
    assert_neutralised(cells_of(response.content.decode("utf-8-sig")), payload)


def test_the_plan_assign_command_csv(world, payload, tmp_path):
    target = tmp_path / "plan.csv"
    call_command(
        "plan_assign",
        "--org",
        "310101",
        "--user",
        "huangpu.officer",
        "--csv",
        str(target),
        stdout=StringIO(),
    )
    assert_neutralised(cells_of(target.read_text(encoding="utf-8-sig")), payload)


def test_the_plan_pairing_command_csv(world, payload, tmp_path):
    people = tmp_path / "needy.csv"
    with people.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [["name", "lat", "lng", "category"], [payload, "31.2304", "121.4737", "elderly"]]
        )
    target = tmp_path / "pairs.csv"
    call_command(
        "plan_pairing",
        "--people",
        str(people),
        "--org",
        "310101",
        "--user",
        "huangpu.officer",
        "--csv",
        str(target),
        stdout=StringIO(),
    )
    assert_neutralised(cells_of(target.read_text(encoding="utf-8-sig")), payload)


def test_the_campaign_progress_command_csv(world, payload):
    second = Campaign.objects.get(root=world.city, batch="second")
    out = StringIO()
    call_command("campaign_progress", str(second.pk), "--format", "csv", stdout=out)
    assert_neutralised(cells_of(out.getvalue()), payload)


def test_the_lost_contact_report_command_csv(small, payload):
    # ``small`` comes before ``payload``: its organisations are made, then renamed too
    from jiceng.accounts.roles import Role
    from jiceng.members.lost_contact import services as lost_contact_services
    from jiceng.members.lost_contact.rules import CaseAction
    from jiceng.members.tests.test_lost_contact import open_case
    from tests.factories import UserFactory

    admin = UserFactory(role=Role.CITY_ADMIN, role__over=small.city)
    case = open_case(small)
    lost_contact_services.case_act(actor=small.alice, case=case, action=CaseAction.RELINK)
    out = StringIO()
    call_command("lost_contact_report", user=admin.username, format="csv", stdout=out)
    assert_neutralised(cells_of(out.getvalue()), payload)


def test_the_study_report_command_csv(world, payload, tmp_path):
    target = tmp_path / "study.csv"
    call_command(
        "study_report",
        "--org",
        "310101",
        "--output",
        str(target),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert_neutralised(cells_of(target.read_text(encoding="utf-8-sig")), payload)


def test_the_organisation_export_csv_and_xlsx(client, small, payload):
    # ``small`` comes before ``payload``: its organisations are made, then renamed too
    client.force_login(small.alice)
    mark_verified(client, small.alice)
    url = reverse("imports:export-organizations", args=["csv"])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert_neutralised(cells_of(body), payload)
    url = reverse("imports:export-organizations", args=["xlsx"])
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content)))
    cells = [str(c) for row in book.active.values for c in row if c is not None]
    assert_neutralised(cells, payload)


def test_no_module_writes_csv_around_the_safe_writer():
    """Every csv.writer / DictWriter in the code is the one in core.exports."""
    root = Path(__file__).resolve().parents[1] / "jiceng"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "tests" not in p.parts
        and p.name != "exports.py"
        and ("csv.writer(" in p.read_text() or "csv.DictWriter(" in p.read_text())
    ]
    assert offenders == []
