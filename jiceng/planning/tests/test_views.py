"""Planning pages and API (S17): an officer creates a plan, watches it compute, sees it on a
map and in tables, corrects one member, applies, and the receiving side confirms.

Every test makes its own small world (``tests.factories``): alice is the officer of district
a, bob of district b. The plans are computed on a sector committee of the test's own
(``factories.sector_world``) whose dispersed members live across two districts, or on
district a with its branches located and dispersed members near them
(``factories.assign_world``)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jiceng.members.models import Transfer
from jiceng.members.tests.factories_records import sign_in
from jiceng.planning import services
from jiceng.planning.models import Plan
from jiceng.planning.rules import PlanKind, PlanState

from .factories import assign_world


@pytest.fixture
def ready(sector, officer):
    plan = services.plan_create(
        actor=officer,
        root=sector.sector,
        kind=PlanKind.FORM,
        target_size=6,
        name="电气区域支部",
    )
    services.plan_queue(actor=plan.created_by, plan=plan)
    return services.plan_run(plan_id=plan.pk)


def test_creating_a_plan_on_the_page_computes_it_in_the_background(
    client, sector, officer, django_capture_on_commit_callbacks
):
    sign_in(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("planning:create"),
            {
                "root_code": sector.sector.code,
                "kind": "form",
                "selection": "dispersed",
                "size_min": 3,
                "size_max": 50,
                "target_size": 8,
                "move_cost_km": 0,
                "seed": 1,
            },
        )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("planning:detail", args=[plan.pk])
    plan.refresh_from_db()
    assert plan.state == PlanState.READY, plan.message
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="plan-map"' in page
    assert "区域党支部" in page


def test_the_form_explains_a_bad_unit_code_in_chinese(client, small):
    sign_in(client, small.alice)
    foreign = small.b.org.code
    response = client.post(
        reverse("planning:create"),
        {
            "root_code": foreign,
            "kind": "form",
            "selection": "dispersed",
            "size_min": 3,
            "size_max": 50,
            "target_size": 33,
            "move_cost_km": 0,
            "seed": 1,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"找不到代码为 {foreign} 的党组织，或该组织不在您的管辖范围内" in page
    assert not Plan.objects.exists()


def test_the_map_data_has_every_branch_and_home(client, officer, ready):
    sign_in(client, officer)
    data = client.get(reverse("planning:map", args=[ready.pk])).json()
    assert len(data["branches"]) == ready.branches.count()
    assert len(data["homes"]) == ready.assignments.count()


def test_moving_a_member_on_the_page_returns_the_row(client, officer, ready):
    sign_in(client, officer)
    a = ready.assignments.first()
    other = ready.branches.exclude(pk=a.branch_id).first()
    response = client.post(
        reverse("planning:move", args=[ready.pk]),
        {"member": a.member_id, "branch": other.index},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert other.name in response.content.decode()
    assert response["HX-Trigger"] == "plan-changed"


def test_apply_then_confirm_from_the_page(client, officer, ready):
    sign_in(client, officer)
    client.post(reverse("planning:apply", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.state == PlanState.APPLIED
    page = client.get(reverse("planning:detail", args=[ready.pk])).content.decode()
    assert 'data-testid="plan-confirm"' in page
    client.post(reverse("planning:confirm", args=[ready.pk]))
    assert set(
        Transfer.objects.filter(batch=ready.transfer_batch).values_list("state", flat=True)
    ) == {"done"}


def test_comparing_two_plans_counts_members_placed_differently(client, officer, ready, sector):
    other = services.plan_create(
        actor=officer,
        root=sector.sector,
        kind=PlanKind.FORM,
        target_size=12,
        name="大支部",
    )
    services.plan_queue(actor=other.created_by, plan=other)
    other = services.plan_run(plan_id=other.pk)
    sign_in(client, officer)
    page = client.get(reverse("planning:compare"), {"a": ready.pk, "b": other.pk})
    assert page.status_code == 200
    assert "被分到不同位置的支部" in page.content.decode()


def test_export_is_a_csv_with_every_member(client, officer, ready):
    sign_in(client, officer)
    response = client.get(reverse("planning:export", args=[ready.pk]))
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == ready.assignments.count() + 1


def test_the_api_creates_runs_and_applies_a_plan(
    client, sector, officer, django_capture_on_commit_callbacks
):
    sign_in(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("api-plan-list"),
            {"root_id": sector.sector.pk, "kind": "form", "target_size": 6},
            content_type="application/json",
        )
    assert created.status_code == 201
    pk = created.json()["id"]
    detail = client.get(reverse("api-plan-detail", args=[pk])).json()
    assert detail["state"] == "ready"
    assert len(detail["branches"]) == detail["summary"]["branches"]
    rows = client.get(reverse("api-plan-assignments", args=[pk])).json()
    assert rows["count"] == detail["summary"]["members"]
    applied = client.post(reverse("api-plan-apply", args=[pk]))
    assert applied.status_code == 200
    assert applied.json()["state"] == "applied"
    again = client.post(reverse("api-plan-apply", args=[pk]))
    assert again.status_code == 400
    assert "尚未实施" in json.dumps(again.json(), ensure_ascii=False)


def test_plan_branches_command_prints_json(sector, officer):
    out = StringIO()
    call_command(
        "plan_branches",
        "--org",
        sector.sector.code,
        "--user",
        officer.username,
        "--target-size",
        "6",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["state"] == "ready"
    assert all(3 <= b["size"] <= 50 for b in data["branches"])


def test_plan_assign_command_writes_csv(small, tmp_path):
    assign_world(small)
    target = tmp_path / "plan.csv"
    call_command(
        "plan_assign",
        "--org",
        small.a.org.code,
        "--user",
        small.alice.username,
        "--csv",
        str(target),
        stdout=StringIO(),
    )
    rows = target.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("member_id,")
    assert len(rows) > 1


def test_plan_pairing_command_pairs_people_from_a_csv(small, tmp_path):
    assign_world(small, dispersed=0)  # a's two branches stand near (31.23, 121.47)
    people = tmp_path / "needy.csv"
    people.write_text(
        "name,lat,lng,category\n王阿婆,31.2304,121.4737,elderly\n"
        "李老伯,31.2310,121.4800,chronic_illness\n远方,35.0,118.0,elderly\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command(
        "plan_pairing",
        "--people",
        str(people),
        "--org",
        small.a.org.code,
        "--user",
        small.alice.username,
        "--max-distance-km",
        "20",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["summary"]["paired"] == 2
    assert data["pairs"][2]["unpaired_reason"] == "允许范围内没有支部"


def test_plan_pairing_refuses_a_malformed_csv(small, tmp_path):
    people = tmp_path / "bad.csv"
    people.write_text("name,lat\n王,31.2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="lat 和 lng"):
        call_command(
            "plan_pairing",
            "--people",
            str(people),
            "--org",
            small.a.org.code,
            "--user",
            small.alice.username,
            stdout=StringIO(),
        )


def test_an_outsider_comparing_with_a_foreign_plan_gets_404(client, ready, small):
    sign_in(client, small.bob)
    assert (
        client.get(reverse("planning:compare"), {"a": ready.pk, "b": ready.pk}).status_code == 404
    )
    assert client.get(reverse("planning:detail", args=[ready.pk])).status_code == 404


def test_exporting_a_plan_is_audited(client, officer, ready):
    from jiceng.core.models import AuditEvent

    sign_in(client, officer)
    client.get(reverse("planning:export", args=[ready.pk]))
    assert AuditEvent.objects.filter(verb="export", object_id=str(ready.pk)).exists()
