"""The API of support projects (S28): the same services and selectors as the pages."""

from __future__ import annotations

from django.urls import reverse

from jiceng.core import clock
from jiceng.outreach.projects.models import SupportProject

from .test_projects import login, member_account


def test_create_goal_member_start_progress_and_detail(client, small):
    """S28 through the API: a project with a goal and a lead, started, progress recorded with
    a value; the detail shows the outcome against the target."""
    login(client, small.charlie)
    created = client.post(
        reverse("api-project-list"),
        {
            "owner_id": small.a.branches[0].pk,
            "title": "果园土地利用",
            "beneficiary_kind": "village",
            "beneficiary_name": "三双村",
            "starts_on": "2005-06-01",
            "ends_on": "2005-12-31",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    goal = client.post(
        reverse("api-project-goals", args=[pk]),
        {"measure": "亩均收入", "unit": "万元", "baseline": 1, "target": 3},
        content_type="application/json",
    )
    assert goal.status_code == 201
    member = small.a.members[0]
    assigned = client.post(
        reverse("api-project-members", args=[pk]),
        {"member_id": member.pk, "role": "lead"},
        content_type="application/json",
    )
    assert assigned.status_code == 201
    refused = client.post(
        reverse("api-project-progress", args=[pk]),
        {"noted_on": clock.today().isoformat(), "note": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "不能记录进展" in refused.content.decode()
    started = client.post(
        reverse("api-project-state", args=[pk]),
        {"action": "start"},
        content_type="application/json",
    )
    assert started.json()["state"] == "active"
    progress = client.post(
        reverse("api-project-progress", args=[pk]),
        {
            "noted_on": clock.today().isoformat(),
            "note": "测产",
            "measurements": [{"goal_id": goal.json()["id"], "value": 2.5}],
        },
        content_type="application/json",
    )
    assert progress.status_code == 201, progress.content
    detail = client.get(reverse("api-project-detail", args=[pk])).json()
    (g,) = detail["goals"]
    assert (g["latest"], g["percent"], g["met"]) == ("2.50", "75.0", False)
    assert [m["member_id"] for m in detail["members"]] == [member.pk]
    figures = client.get(reverse("api-project-figures"), {"under": small.a.branches[0].pk})
    assert figures.json()["total"]["projects"] == 1

    # a member sees their own project through the API, nothing else
    other = SupportProject.objects.create(
        owner=small.a.branches[0],
        path=small.a.branches[0].path,
        title="别的项目",
        beneficiary_kind="enterprise",
        beneficiary_name="某合作社",
        starts_on="2005-06-01",
        ends_on="2005-12-31",
        created_at=clock.now(),
    )
    login(client, member_account(member, "mei"))
    rows = client.get(reverse("api-project-list")).json()["results"]
    assert [r["id"] for r in rows] == [pk]
    assert client.get(reverse("api-project-detail", args=[other.pk])).status_code == 404
    closing = client.post(
        reverse("api-project-state", args=[pk]),
        {"action": "close", "note": "x"},
        content_type="application/json",
    )
    assert closing.status_code == 403


def test_another_district_gets_404_and_a_bad_body_400(client, small):
    login(client, small.charlie)
    pk = client.post(
        reverse("api-project-list"),
        {
            "owner_id": small.a.branches[0].pk,
            "title": "t",
            "beneficiary_kind": "other",
            "beneficiary_name": "n",
            "starts_on": "2005-06-01",
            "ends_on": "2005-05-01",
        },
        content_type="application/json",
    )
    assert pk.status_code == 400
    assert "计划结束日期" in pk.content.decode()
    project = SupportProject.objects.create(
        owner=small.a.branches[0],
        path=small.a.branches[0].path,
        title="t",
        beneficiary_kind="other",
        beneficiary_name="n",
        starts_on="2005-06-01",
        ends_on="2005-12-31",
        created_at=clock.now(),
    )
    login(client, small.bob)
    for name in ("api-project-detail", "api-project-goals", "api-project-progress"):
        method = client.get if name == "api-project-detail" else client.post
        assert method(reverse(name, args=[project.pk])).status_code == 404
    assert client.get(reverse("api-project-list")).json()["results"] == []
