"""Study API (S9): thin views over the same services and selectors as the pages."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from jiceng.members.models import Member
from jiceng.study import selectors
from jiceng.study.models import Attendance, SelfStudy, StudyPeriod, StudySession

from .conftest import unit_members
from .factories import session_make


@pytest.fixture
def api(db):
    client = APIClient()

    def _as(user):
        client.force_authenticate(user)
        return client

    return _as


def _session(org, members, period, **extra):
    body = {
        "org_id": org.pk,
        "period_id": period.pk,
        "held_on": "2005-11-02",
        "topic": "专题党课",
        "amount": "3",
        "attendance": [{"member_id": m.pk, "present": True} for m in members],
    }
    body.update(extra)
    return body


def test_create_a_session_with_attendance(api, small, residential, period):
    members = unit_members(residential)
    response = api(small.charlie).post(
        "/api/study/sessions/", _session(residential, members, period), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mode"] == "class_hours"
    assert body["period_id"] == period.pk
    assert {a["member_id"] for a in body["attendance"]} == {m.pk for m in members}
    listed = api(small.charlie).get("/api/study/sessions/", {"org": residential.pk}).json()
    assert body["id"] in {row["id"] for row in listed["results"]}
    detail = api(small.charlie).get(f"/api/study/sessions/{body['id']}/").json()
    assert len(detail["attendance"]) == len(members)


def test_a_duplicate_member_is_a_400_with_the_services_message(api, small, residential, period):
    m = unit_members(residential)[0]
    before = StudySession.objects.count()
    response = api(small.charlie).post(
        "/api/study/sessions/", _session(residential, [m, m], period), format="json"
    )
    assert response.status_code == 400
    assert "重复登记" in json.dumps(response.json(), ensure_ascii=False)
    assert StudySession.objects.count() == before


def test_an_outsider_cannot_record_or_read_huangpu_sessions(api, small, residential, period):
    members = unit_members(residential)
    session_make(small.charlie, residential, period, members)
    client = api(small.bob)  # officer of the other district
    before = StudySession.objects.count()
    response = client.post(
        "/api/study/sessions/", _session(residential, members, period), format="json"
    )
    assert response.status_code == 404
    assert StudySession.objects.count() == before
    ids = {row["id"] for row in client.get("/api/study/sessions/").json()["results"]}
    district_a = set(
        StudySession.objects.filter(org_path__startswith=small.a.org.path).values_list(
            "id", flat=True
        )
    )
    assert district_a
    assert not ids & district_a
    assert client.get(f"/api/study/orgs/{residential.pk}/completion/").status_code == 404


def test_member_completion_and_below_requirement(api, small, period, ledger):
    client = api(small.alice)
    org = small.a.org
    query = {"period": period.pk}
    expected = selectors.unit_totals(small.alice, org, period)
    assert 0 < expected.below < expected.members  # the ledger: one member complete
    rows = client.get(f"/api/study/orgs/{org.pk}/completion/", query).json()
    assert rows["count"] == expected.members
    assert ledger.pk in {r["id"] for r in rows["results"] if r["complete"] is True}
    below = client.get(f"/api/study/orgs/{org.pk}/below/", query).json()
    assert below["count"] == expected.below
    assert all(r["complete"] is False for r in below["results"])
    assert all(r["mode"] in ("class_hours", "credits") for r in below["results"])
    assert ledger.pk not in {r["id"] for r in below["results"]}
    units = client.get(f"/api/study/orgs/{org.pk}/units/", query).json()
    assert sum(u["below"] for u in units) == expected.below


def test_self_study_by_the_member_then_confirmed_by_the_branch(api, small, mary, period):
    member = Member.objects.get(user=mary)
    response = api(mary).post(
        "/api/study/self-study/",
        {
            "member_id": member.pk,
            "period_id": period.pk,
            "studied_on": "2005-08-08",
            "topic": "自学",
            "amount": "2",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["confirmed"] is False
    own = api(mary).get("/api/study/self-study/").json()
    assert own["count"] == SelfStudy.objects.filter(member=member).count()
    assert {r["member_id"] for r in own["results"]} == {member.pk}
    assert api(mary).post(f"/api/study/self-study/{entry['id']}/confirm/").status_code in (
        403,
        404,
    )
    confirmed = api(small.charlie).post(f"/api/study/self-study/{entry['id']}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed"] is True
    again = api(small.charlie).post(f"/api/study/self-study/{entry['id']}/confirm/")
    assert again.status_code == 400
    assert "已确认" in json.dumps(again.json(), ensure_ascii=False)


def test_a_member_cannot_enter_self_study_for_someone_else(api, mary, period):
    member = Member.objects.get(user=mary)
    other = Member.objects.filter(home_org=member.home_org).exclude(pk=member.pk).first()
    assert other is not None
    response = api(mary).post(
        "/api/study/self-study/",
        {
            "member_id": other.pk,
            "period_id": period.pk,
            "studied_on": "2005-08-08",
            "topic": "x",
            "amount": "2",
        },
        format="json",
    )
    assert response.status_code == 404
    assert not SelfStudy.objects.filter(member=other).exists()


# ----- the command ------------------------------------------------------------------------------
def test_study_report_writes_csv_and_json_with_the_same_numbers(small, period, ledger, tmp_path):
    org = small.a.org.code
    who = ("--user", small.alice.username, "--period", str(period.pk))
    out = StringIO()
    call_command(
        "study_report", "--org", org, *who, "--format", "json", stdout=out, stderr=StringIO()
    )
    doc = json.loads(out.getvalue())
    totals = selectors.unit_totals(small.alice, small.a.org, period)
    assert 0 < totals.below < totals.members  # the ledger: one member complete
    assert doc["members"] == totals.members == len(doc["rows"])
    assert doc["below"] == totals.below
    assert sum(1 for r in doc["rows"] if r["complete"] is False) == totals.below
    target = tmp_path / "study.csv"
    call_command(
        "study_report",
        "--org",
        org,
        *who,
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
    assert not any(line.startswith(f"{ledger.pk},") for line in lines)


def test_study_report_keeps_to_the_users_scope(small, period):
    with pytest.raises(CommandError, match="不在该用户的管辖范围内"):
        call_command(
            "study_report",
            "--org",
            small.a.org.code,
            "--user",
            small.bob.username,
            "--period",
            str(period.pk),
            stdout=StringIO(),
        )
    missing = str(StudyPeriod.objects.order_by("-pk").first().pk + 1)
    with pytest.raises(CommandError, match="学习周期"):
        call_command(
            "study_report",
            "--org",
            small.a.org.code,
            "--user",
            small.alice.username,
            "--period",
            missing,
            stdout=StringIO(),
        )


def test_attendance_rows_belong_to_the_sessions_unit(world):
    # about the demo's ledger (built by the scenario), so on ``world``: every attendee
    # studies in the session's subtree
    bad = [
        a
        for a in Attendance.objects.select_related("session", "member")[:500]
        if not (a.member.participating_path or a.member.home_path).startswith(a.session.org_path)
    ]
    assert not bad
