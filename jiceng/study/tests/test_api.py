"""Study API (S9): thin views over the same services and selectors as the pages."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from jiceng.members.models import Member
from jiceng.study import selectors
from jiceng.study.models import Attendance, SelfStudy, StudySession

from .conftest import unit_members


# These pages and this API are still checked on the demo's ledger (see the report of issue 16):
# the conftest's ``period``, ``residential`` and ``two_new`` are the factory world's.
@pytest.fixture
def period(demo_period):
    return demo_period


@pytest.fixture
def residential(demo_residential):
    return demo_residential


@pytest.fixture
def two_new(demo_two_new):
    return demo_two_new


@pytest.fixture
def api(world):
    client = APIClient()

    def _as(username):
        client.force_authenticate(world.user(username))
        return client

    return _as


def _session(org, members, **extra):
    body = {
        "org_id": org.pk,
        "held_on": "2005-11-02",
        "topic": "专题党课",
        "amount": "3",
        "attendance": [{"member_id": m.pk, "present": True} for m in members],
    }
    body.update(extra)
    return body


def test_create_a_session_with_attendance(api, residential, period):
    members = unit_members(residential)
    response = api("branch.secretary").post(
        "/api/study/sessions/", _session(residential, members), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mode"] == "class_hours"
    assert {a["member_id"] for a in body["attendance"]} == {m.pk for m in members}
    listed = api("branch.secretary").get("/api/study/sessions/", {"org": residential.pk}).json()
    assert body["id"] in {row["id"] for row in listed["results"]}
    detail = api("branch.secretary").get(f"/api/study/sessions/{body['id']}/").json()
    assert len(detail["attendance"]) == len(members)


def test_a_duplicate_member_is_a_400_with_the_services_message(api, residential, period):
    m = unit_members(residential)[0]
    before = StudySession.objects.count()
    response = api("branch.secretary").post(
        "/api/study/sessions/", _session(residential, [m, m]), format="json"
    )
    assert response.status_code == 400
    assert "重复登记" in json.dumps(response.json(), ensure_ascii=False)
    assert StudySession.objects.count() == before


def test_an_outsider_cannot_record_or_read_huangpu_sessions(api, world, residential, period):
    client = api("xuhui.officer")
    members = unit_members(residential)
    response = client.post("/api/study/sessions/", _session(residential, members), format="json")
    assert response.status_code == 404
    ids = {row["id"] for row in client.get("/api/study/sessions/").json()["results"]}
    huangpu = set(
        StudySession.objects.filter(org_path__startswith=world.huangpu.path).values_list(
            "id", flat=True
        )
    )
    assert huangpu
    assert not ids & huangpu
    assert client.get(f"/api/study/orgs/{residential.pk}/completion/").status_code == 404


def test_member_completion_and_below_requirement(api, world, period):
    client = api("huangpu.officer")
    rows = client.get(f"/api/study/orgs/{world.huangpu.pk}/completion/").json()
    expected = selectors.unit_totals(world.user("huangpu.officer"), world.huangpu, period)
    assert rows["count"] == expected.members
    below = client.get(f"/api/study/orgs/{world.huangpu.pk}/below/").json()
    assert below["count"] == expected.below
    assert all(r["complete"] is False for r in below["results"])
    assert all(r["mode"] in ("class_hours", "credits") for r in below["results"])
    units = client.get(f"/api/study/orgs/{world.huangpu.pk}/units/").json()
    assert sum(u["below"] for u in units) == expected.below


def test_self_study_by_the_member_then_confirmed_by_the_branch(api, world, period):
    me = world.user("member.self")
    member = Member.objects.get(user=me)
    response = api("member.self").post(
        "/api/study/self-study/",
        {"member_id": member.pk, "studied_on": "2005-08-08", "topic": "自学", "amount": "2"},
        format="json",
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["confirmed"] is False
    own = api("member.self").get("/api/study/self-study/").json()
    assert own["count"] == SelfStudy.objects.filter(member=member).count()
    assert {r["member_id"] for r in own["results"]} == {member.pk}
    assert api("member.self").post(f"/api/study/self-study/{entry['id']}/confirm/").status_code in (
        403,
        404,
    )
    confirmed = api("branch.secretary").post(f"/api/study/self-study/{entry['id']}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed"] is True
    again = api("branch.secretary").post(f"/api/study/self-study/{entry['id']}/confirm/")
    assert again.status_code == 400
    assert "已确认" in json.dumps(again.json(), ensure_ascii=False)


def test_a_member_cannot_enter_self_study_for_someone_else(api, world, period):
    member = Member.objects.get(user=world.user("member.self"))
    other = Member.objects.filter(home_org=member.home_org).exclude(pk=member.pk).first()
    response = api("member.self").post(
        "/api/study/self-study/",
        {"member_id": other.pk, "studied_on": "2005-08-08", "topic": "x", "amount": "2"},
        format="json",
    )
    assert response.status_code == 404


# ----- the command ------------------------------------------------------------------------------
def test_study_report_writes_csv_and_json_with_the_same_numbers(world, period, tmp_path):
    out = StringIO()
    call_command(
        "study_report", "--org", "310101", "--format", "json", stdout=out, stderr=StringIO()
    )
    doc = json.loads(out.getvalue())
    totals = selectors.unit_totals(world.user("city.admin"), world.huangpu, period)
    assert doc["members"] == totals.members == len(doc["rows"])
    assert doc["below"] == totals.below
    assert sum(1 for r in doc["rows"] if r["complete"] is False) == totals.below
    target = tmp_path / "study.csv"
    call_command(
        "study_report",
        "--org",
        "310101",
        "--period",
        str(period.pk),
        "--format",
        "csv",
        "--below",
        "--output",
        str(target),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("member_id,name,")
    assert len(lines) == totals.below + 1


def test_study_report_keeps_to_the_users_scope(world):
    with pytest.raises(CommandError, match="不在该用户的管辖范围内"):
        call_command(
            "study_report", "--org", "310101", "--user", "xuhui.officer", stdout=StringIO()
        )
    with pytest.raises(CommandError, match="学习周期"):
        call_command("study_report", "--org", "310101", "--period", "999999", stdout=StringIO())


def test_attendance_rows_belong_to_the_sessions_unit(world):
    # the demo ledger: every attendee studies in the session's subtree
    bad = [
        a
        for a in Attendance.objects.select_related("session", "member")[:500]
        if not (a.member.participating_path or a.member.home_path).startswith(a.session.org_path)
    ]
    assert not bad
