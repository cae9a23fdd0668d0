"""Pairing plans (S26: the city paired about 87,000 needy people with its branches): an officer
proposes who pairs with which branch, corrects one person, and confirms; the pairs become
pairings.

The world (``tests.factories.SmallWorld``): district a's two branches located about 1.1 km
apart, needy people registered in a's street within about 2 km of them, and one far away
(about 40 km). alice is district a's officer, bob district b's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from jiceng import optimize
from jiceng.accounts.models import RoleAssignment
from jiceng.core.models import AuditEvent
from jiceng.members.tests.factories_records import LAT, LNG, locate, sign_in
from jiceng.orgs.models import Organization, Sector
from jiceng.outreach.pairings.models import Pairing
from jiceng.outreach.registry import services as registry_services
from jiceng.outreach.registry.models import NeedyCategory, NeedyPerson
from jiceng.planning import services
from jiceng.planning.models import Plan, PlanPairing
from jiceng.planning.rules import PlanKind, PlanState

FAR = (31.50, 121.80)  # about 40 km from the branches


def _offset(i: int) -> tuple[float, float]:
    return ((i * 7 % 19) - 9) * 0.001, ((i * 11 % 23) - 11) * 0.001


def people(small, near: int, *, far: bool = True, categories=()) -> list[NeedyPerson]:
    """``near`` needy people around the branches (and one far away) in a's street."""
    chosen = [NeedyCategory.objects.get(code=c).pk for c in categories]
    out = []
    spots = [(LAT + _offset(i)[0], LNG + _offset(i)[1]) for i in range(near)]
    if far:
        spots.append(FAR)
    for i, (lat, lng) in enumerate(spots):
        person, _w = registry_services.needy_register(
            actor=None,
            street_org=small.a.street,
            name=f"帮扶对象{i + 1}",
            address=f"甲区一街道幸福里{i + 1}号",
            categories=chosen,
            lat=lat,
            lng=lng,
        )
        out.append(person)
    return out


@pytest.fixture
def world(small):
    locate(*small.a.branches)
    return small


@pytest.fixture
def outreach(world):
    RoleAssignment.objects.filter(user=world.alice).update(outreach=True)
    world.alice.forget_scopes()
    return world


def make_plan(small, actor=None, **params) -> Plan:
    actor = actor or small.alice
    plan = services.plan_create(actor=actor, root=small.a.street, kind=PlanKind.PAIR, **params)
    services.plan_queue(actor=actor, plan=plan)
    return services.plan_run(plan_id=plan.pk)


def test_the_run_stores_what_pair_returns_on_the_same_arrays(world):
    """S26: the plan's proposals are ``optimize.pair``'s, person for person."""
    persons = people(world, 10)
    plan = make_plan(world, per_branch=3, max_distance_km=5)
    assert plan.state == PlanState.READY, plan.message
    branches = list(
        Organization.objects.filter(pk__in=[b.pk for b in world.a.branches]).order_by("path")
    )
    expected = optimize.pair(
        [(p.lat, p.lng) for p in persons],
        [(b.lat, b.lng) for b in branches],
        3,
        max_distance=5000,
    )
    rows = {r.needy_id: r for r in PlanPairing.objects.filter(plan=plan).select_related("branch")}
    assert len(rows) == len(persons)
    for i, p in enumerate(persons):
        row = rows[p.pk]
        j = int(expected.branch[i])
        if j < 0:
            assert row.branch is None
            assert row.reason == expected.reason[i]
        else:
            assert row.branch.org_id == branches[j].pk
            assert row.distance_m == pytest.approx(float(expected.distance[i]))
    assert plan.summary["paired"] == expected.paired == 6


def test_seats_and_the_maximum_distance_hold_and_the_unpaired_say_why(world, client):
    """S26: each branch takes at most its seats; nobody pairs beyond the maximum distance; the
    unpaired are told apart: no branch within reach, or the branches within reach full."""
    people(world, 10)
    plan = make_plan(world, per_branch=3, max_distance_km=5)
    for b in plan.branches.all():
        assert b.pairings.count() <= 3
    assert max(plan.pairings.exclude(distance_m=None).values_list("distance_m", flat=True)) <= 5000
    assert plan.summary["unpaired_by_reason"] == {"branches_full": 4, "out_of_reach": 1}
    sign_in(client, world.alice)
    page = client.get(reverse("planning:detail", args=[plan.pk])).content.decode()
    assert "4 人附近支部名额已满" in page
    assert "1 人允许范围内没有支部" in page
    assert 'data-testid="plan-map"' in page


def test_moving_a_person_respects_the_seats_and_is_audited(world, client):
    """S26: the officer pairs the far person by hand with a branch that has a seat left; a
    full branch refuses, in Chinese."""
    persons = people(world, 5)
    plan = make_plan(world, per_branch=3, max_distance_km=5)
    far = persons[-1]
    row = plan.pairings.get(needy=far)
    assert row.branch is None
    assert row.reason == "out_of_reach"
    room = plan.branches.get(size=2)
    full = plan.branches.get(size=3)
    sign_in(client, world.alice)
    client.post(reverse("planning:move", args=[plan.pk]), {"needy": far.pk, "branch": room.index})
    row.refresh_from_db()
    assert row.branch_id == room.pk
    assert row.edited
    assert row.reason == ""
    assert row.distance_m > 30_000
    plan.refresh_from_db()
    assert plan.summary["paired"] == 6
    assert plan.summary["unpaired"] == 0
    assert AuditEvent.objects.filter(note__contains="调整帮扶对象").exists()
    mover = plan.pairings.filter(branch=full).first()
    with pytest.raises(ValidationError, match="结对名额已满"):
        services.plan_move_pairing(
            actor=world.alice, plan=plan, needy_id=mover.needy_id, branch=room
        )
    page = client.post(
        reverse("planning:move", args=[plan.pk]),
        {"needy": mover.needy_id, "branch": room.index},
        follow=True,
    ).content.decode()
    assert "结对名额已满" in page


def test_confirming_makes_the_pairings_and_a_new_plan_leaves_them_out(world, client):
    """S26: confirming turns the plan's pairs into pairings (the people are then paired), the
    page says how many; a later plan proposes only the still unpaired."""
    people(world, 10)
    plan = make_plan(world, per_branch=3, max_distance_km=5)
    sign_in(client, world.alice)
    page = client.post(reverse("planning:confirm", args=[plan.pk]), follow=True).content.decode()
    plan.refresh_from_db()
    assert plan.state == PlanState.APPLIED
    assert plan.summary["pairings_made"] == 6
    assert Pairing.objects.filter(plan_id=plan.pk).count() == 6
    mine = NeedyPerson.objects.filter(path__startswith=world.a.street.path)
    assert mine.exclude(paired_path="").count() == 6
    assert "已结对 6 名帮扶对象" in page
    assert 'data-testid="plan-pairings-made">6<' in page
    with pytest.raises(ValidationError):
        services.plan_confirm(actor=world.alice, plan=plan)
    again = make_plan(world, per_branch=4)  # each branch holds 3 already: one seat left
    assert again.summary["people"] == 5
    assert again.summary["paired"] == 2


def test_another_districts_officer_gets_404(world, client):
    """Scoping: bob (district b) cannot see, move or confirm district a's pairing plan."""
    people(world, 3)
    plan = make_plan(world)
    sign_in(client, world.bob)
    assert client.get(reverse("planning:detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("planning:map", args=[plan.pk])).status_code == 404
    assert client.get(reverse("api-plan-pairings", args=[plan.pk])).status_code == 404
    move = client.post(reverse("planning:move", args=[plan.pk]), {"needy": 1, "branch": 0})
    assert move.status_code == 404
    assert client.post(reverse("planning:confirm", args=[plan.pk])).status_code == 404
    assert not Pairing.objects.filter(plan_id=plan.pk).exists()


def test_the_category_filter_needs_outreach_rights(world, client):
    """S26 and PIPL art. 28: without outreach rights the form offers no categories, a filter or
    an affinity is refused, and the tables show no categories."""
    people(world, 3)
    with pytest.raises(PermissionDenied):
        make_plan(world, categories=["model_worker"])
    with pytest.raises(PermissionDenied):
        make_plan(world, affinity=["model_worker"])
    sign_in(client, world.alice)
    form = client.get(reverse("planning:create") + "?kind=pair").content.decode()
    assert 'name="categories"' not in form
    plan = make_plan(world)
    page = client.get(reverse("planning:detail", args=[plan.pk])).content.decode()
    assert "困难类别" not in page
    api = client.post(
        reverse("api-plan-list"),
        {"root_id": world.a.street.pk, "kind": "pair", "categories": ["model_worker"]},
        content_type="application/json",
    )
    assert api.status_code == 403


def test_with_outreach_rights_the_plan_filters_by_category(outreach, client):
    """S26: an officer with outreach rights pairs only the model workers; the plan's table has
    the categories column, masked like every list (PIPL art. 28)."""
    people(outreach, 2, far=False, categories=["model_worker"])
    people(outreach, 3, far=False)
    sign_in(client, outreach.alice)
    form = client.get(reverse("planning:create") + "?kind=pair").content.decode()
    assert 'name="categories"' in form
    plan = make_plan(outreach, categories=["model_worker"])
    assert plan.summary["people"] == 2
    page = client.get(reverse("planning:detail", args=[plan.pk])).content.decode()
    assert "困难类别" in page
    # each person's categories masked, as in the registry's list; revealed on their page
    for row in plan.pairings.all():
        cell = page.split(f'data-testid="pair-categories-{row.needy_id}"', 1)[1].split("</td>")[0]
        assert "＊＊＊" in cell
        assert "老劳模" not in cell


def test_affinity_pairs_model_workers_with_state_enterprise_branches(outreach):
    """S26: with the model-worker affinity, a model worker goes to a state enterprise's branch a
    little farther away rather than to the nearest branch."""
    Organization.objects.filter(pk=outreach.a.branches[1].pk).update(
        sector=Sector.STATE_ENTERPRISE, lat=LAT + 0.005, lng=LNG
    )
    worker = people(outreach, 1, far=False, categories=["model_worker"])[0]
    NeedyPerson.objects.filter(pk=worker.pk).update(lat=LAT, lng=LNG)
    plain = make_plan(outreach, per_branch=1)
    assert plain.pairings.get().branch.org_id == outreach.a.branches[0].pk
    liked = make_plan(outreach, per_branch=1, affinity=["model_worker"], affinity_km=2)
    assert liked.pairings.get().branch.org_id == outreach.a.branches[1].pk


def test_the_api_creates_and_lists_a_pairing_plan(
    world, client, django_capture_on_commit_callbacks
):
    """The planning API accepts the pairing kind and lists its rows."""
    people(world, 4)
    sign_in(client, world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("api-plan-list"),
            {"root_id": world.a.street.pk, "kind": "pair", "per_branch": 2},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    detail = client.get(reverse("api-plan-detail", args=[pk])).json()
    assert detail["kind"] == "pair"
    assert detail["state"] == "ready"
    assert detail["per_branch"] == 2
    rows = client.get(reverse("api-plan-pairings", args=[pk])).json()
    assert rows["count"] == 5
    assert {r["reason"] for r in rows["results"]} == {"", "branches_full"}
    assert "categories" not in json.dumps(rows["results"])
    confirmed = client.post(reverse("api-plan-confirm", args=[pk]))
    assert confirmed.status_code == 200
    assert confirmed.json() == {"confirmed": 4}


def test_the_page_form_creates_a_pairing_plan(world, client, django_capture_on_commit_callbacks):
    """The officer's form: the street as root, six a branch, computed in the background."""
    people(world, 4)
    sign_in(client, world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("planning:create"),
            {
                "root_code": world.a.street.code,
                "kind": "pair",
                "selection": "dispersed",
                "size_min": 3,
                "size_max": 50,
                "target_size": 33,
                "move_cost_km": 0,
                "seed": 1,
                "per_branch": 6,
                "max_distance_km": 5,
                "affinity_km": 2,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = Plan.objects.get()
    assert plan.kind == PlanKind.PAIR
    assert plan.state == PlanState.READY, plan.message
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="pair-table"' in page
    assert 'data-testid="plan-confirm-pairing"' in page
    data = client.get(reverse("planning:map", args=[plan.pk])).json()
    assert len(data["homes"]) == 5
    assert sum(1 for h in data["homes"] if h[2] < 0) == 1
    assert np.all([b["size"] > 0 for b in data["branches"]])
    csv = client.get(reverse("planning:export", args=[plan.pk])).content.decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert len(lines) == 6
    assert "允许范围内没有支部" in csv
