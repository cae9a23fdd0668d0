"""Comparing two pairing plans (S26): people paired and unpaired, branches used, distances,
the categories' affinity met and each branch's load side by side, each figure equal to a
count over the plans' own rows; plans of different kinds are refused in words, not a 500.

The world is ``test_pairing_plan``'s: district a's two branches about 1.1 km apart, needy
people around them and one about 40 km away; alice is a's officer, bob b's."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jiceng.accounts.models import RoleAssignment
from jiceng.members.tests.factories_records import LAT, LNG, locate, sign_in
from jiceng.orgs.models import Organization, Sector
from jiceng.outreach.registry.models import NeedyPerson
from jiceng.planning import services
from jiceng.planning.models import Plan
from jiceng.planning.rules import PlanKind

from .test_pairing_plan import make_plan, people


@pytest.fixture
def world(small):
    locate(*small.a.branches)
    return small


@pytest.fixture
def outreach(world):
    RoleAssignment.objects.filter(user=world.alice).update(outreach=True)
    world.alice.forget_scopes()
    return world


def _rows(page: str) -> dict[str, tuple[str, str]]:
    """The comparison table as {label: (plan a, plan b)}."""
    table = page.split('data-testid="compare-table"', 1)[1].split("</table>", 1)[0]
    out = {}
    for label, x, y in re.findall(
        r'<th class="fw-normal">(.*?)</th><td class="text-end">(.*?)</td>'
        r'<td class="text-end">(.*?)</td>',
        table,
    ):
        out[label] = (x, y)
    return out


def _independent(plan: Plan) -> dict[str, str]:
    """A plan's figures counted from its rows, not from the selectors."""
    paired = plan.pairings.exclude(branch=None)
    distances = [p.distance_m for p in paired]
    branches = list(plan.branches.all())
    sizes = [b.size for b in branches if b.size]
    full = sum(1 for b in branches if b.size and b.size >= b.capacity)
    return {
        "帮扶对象": str(plan.pairings.count()),
        "已结对": str(paired.count()),
        "未结对": str(plan.pairings.filter(branch=None).count()),
        "结对支部 / 可结对支部": f"{len(sizes)} / {plan.branches.count()}",
        "平均距离（公里）": f"{sum(distances) / len(distances) / 1000:.2f}",
        "最远距离（公里）": f"{max(distances) / 1000:.2f}",
        "每支部名额": str(plan.per_branch),
        "名额已满的支部": str(full),
    }


def test_two_pairing_plans_side_by_side(world, client):
    people(world, 6)
    tight = make_plan(world, per_branch=2, name="每支部2人")
    roomy = make_plan(world, per_branch=5, max_distance_km=5, name="每支部5人")
    assert tight.summary["unpaired"] > roomy.summary["unpaired"] >= 1  # the far one
    sign_in(client, world.alice)
    response = client.get(reverse("planning:compare"), {"a": tight.pk, "b": roomy.pk})
    assert response.status_code == 200
    page = response.content.decode()
    rows = _rows(page)
    want_a, want_b = _independent(tight), _independent(roomy)
    for label in want_a:
        assert rows[label] == (want_a[label], want_b[label]), label
    loads = rows["每支部结对人数（最少 / 平均 / 最多）"]
    assert loads[0] == "2 / 2 / 2"
    # who goes elsewhere: people in both plans whose branch differs (or paired in one only)
    a = dict(tight.pairings.values_list("needy_id", "branch__org_id"))
    b = dict(roomy.pairings.values_list("needy_id", "branch__org_id"))
    differ = sum(1 for n in set(a) & set(b) if a[n] != b[n])
    assert differ >= 1
    assert f"两个方案共有 {len(set(a) & set(b))} 名帮扶对象，其中 {differ} 人" in page
    # each branch's load in both plans
    for branch in roomy.branches.filter(size__gt=0):
        in_tight = tight.branches.filter(org_id=branch.org_id).first()
        cells = f'<td>{branch.name}</td><td class="text-end">{in_tight.size if in_tight else 0}'
        assert cells in page
    # the figures read no categories without outreach rights
    assert "类别优先满足" not in page


def test_the_affinity_met_is_counted_the_same_way_for_both(outreach, client):
    """The model-worker affinity: the plain plan sends the model worker to the nearest branch
    (not met), the plan with the affinity to the state enterprise's (met)."""
    Organization.objects.filter(pk=outreach.a.branches[1].pk).update(
        sector=Sector.STATE_ENTERPRISE, lat=LAT + 0.005, lng=LNG
    )
    worker = people(outreach, 1, far=False, categories=["model_worker"])[0]
    NeedyPerson.objects.filter(pk=worker.pk).update(lat=LAT, lng=LNG)
    people(outreach, 2, far=False)
    plain = make_plan(outreach, per_branch=2)
    liked = make_plan(outreach, per_branch=2, affinity=["model_worker"], affinity_km=2)
    sign_in(client, outreach.alice)
    page = client.get(reverse("planning:compare"), {"a": plain.pk, "b": liked.pk})
    assert _rows(page.content.decode())["类别优先满足（人）"] == ("0 / 1", "1 / 1")


def test_plans_of_different_kinds_are_refused_in_words(world, client):
    people(world, 3)
    pair = make_plan(world, name="结对方案")
    form = services.plan_create(
        actor=world.alice, root=world.a.street, kind=PlanKind.FORM, name="组建方案"
    )
    sign_in(client, world.alice)
    response = client.get(reverse("planning:compare"), {"a": pair.pk, "b": form.pk}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("planning:detail", args=[pair.pk])
    text = response.content.decode()
    assert "只能比较同一类型的方案" in text
    assert "结对帮扶方案" in text
    assert "组建区域党支部" in text


def test_a_pairing_plan_offers_the_others_to_compare(world, client):
    people(world, 3)
    first = make_plan(world, name="方案一")
    second = make_plan(world, per_branch=1, name="方案二")
    sign_in(client, world.alice)
    page = client.get(reverse("planning:detail", args=[first.pk])).content.decode()
    assert 'data-testid="compare-form"' in page
    assert f'<option value="{second.pk}">方案二（结对' in page


def test_an_outsider_comparing_pairing_plans_gets_404(world, client):
    people(world, 3)
    first = make_plan(world)
    second = make_plan(world, per_branch=1)
    sign_in(client, world.bob)
    response = client.get(reverse("planning:compare"), {"a": first.pk, "b": second.pk})
    assert response.status_code == 404
