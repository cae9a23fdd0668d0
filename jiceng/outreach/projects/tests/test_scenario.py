"""The demo's support projects (S28) in the tiny world: the Chongming vegetable station's
orchard project with two members assigned, a handful of others with goals, members and
progress, and ``member.self`` assigned to one of their branch's."""

from __future__ import annotations

from jiceng.outreach.projects import selectors
from jiceng.outreach.projects.models import ProjectMeasurement, ProjectMember, SupportProject
from jiceng.outreach.projects.rules import ProjectState
from jiceng.scenario import projects


def test_the_tiny_world_has_s28s_project_and_a_handful_more(world):
    assert projects.is_built()
    assert SupportProject.objects.count() == projects.MINIMUM["tiny"]
    station = SupportProject.objects.get(title="果园土地利用帮扶")
    assert "蔬菜站" in station.owner.name
    assert station.state == ProjectState.ACTIVE
    assert station.assignments.count() == 2  # S28: two experienced members assigned
    assert station.goals.count() == 2
    assert ProjectMeasurement.objects.filter(goal__project=station).exists()
    for project in SupportProject.objects.all():
        assert project.goals.exists()
        assert project.path == project.owner.path
    assert ProjectMember.objects.filter(role="lead").count() >= 6


def test_member_self_sees_their_branchs_project(world):
    me = world.user("member.self")
    (mine,) = selectors.own_projects(me)
    assert mine.state == ProjectState.ACTIVE
    assert list(selectors.project_list(me)) == [mine]


def _fingerprint() -> list[tuple]:
    return [
        (
            p.owner_id,
            p.title,
            p.beneficiary_name,
            p.state,
            p.starts_on,
            tuple(p.goals.values_list("measure", "baseline", "target")),
            tuple(p.assignments.values_list("member_id", "role")),
            tuple(
                ProjectMeasurement.objects.filter(goal__project=p).values_list(
                    "measured_on", "value"
                )
            ),
        )
        for p in SupportProject.objects.order_by("id")
    ]


def test_same_seed_same_projects(world):
    """Deterministic demo data: on the same database, rebuilt with the same scale and seed,
    the same projects, goals, members and measurements."""
    count = SupportProject.objects.count()
    fingerprints = []
    for _ in range(2):
        SupportProject.objects.all().delete()
        assert not projects.is_built()
        made = projects.build_projects("tiny", 2005)
        assert made["support projects"] == count
        fingerprints.append(_fingerprint())
    assert fingerprints[0] == fingerprints[1]
