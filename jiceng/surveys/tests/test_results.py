"""Results per unit and per subtree (S1) equal an independent count over the same rows, in
a world of the test's own; the demo's appraisals keep the one-third cap in every unit and are
the same for the same seed; outsiders see none of another district."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count, Q
from django.urls import reverse

from jiceng.campaigns.models import Campaign
from jiceng.campaigns.tests.factories import login_as, unit_of
from jiceng.orgs.models import Organization
from jiceng.surveys import selectors, services
from jiceng.surveys.models import Appraisal, PeerRating
from jiceng.surveys.rules import AppraisalState, Grade, excellent_cap

from .conftest import to_review


@pytest.fixture
def demo_second(world):
    """The demo's second batch, for the tests about the demo's appraisals."""
    return Campaign.objects.get(root=world.city, batch="second")


@pytest.fixture
def appraised(cw, mary, second):
    """Appraisals in three branches of the factory world, in every state: charlie's branch
    with peer ratings, two decided and the rest before the committee; a's second branch with
    one member in the peer round; b's first branch just opened."""
    frank, small = cw.frank, cw.small
    units = [unit_of(second, org) for org in (*small.a.branches, small.b.branches[0])]
    for unit in units:
        services.appraisals_open(actor=frank, unit=to_review(unit, frank, frank))
    mine, neighbours, _b = (list(u.appraisals.order_by("member_id")) for u in units)
    for a in mine:
        services.self_analysis_submit(actor=frank, appraisal=a, text="分析")
    for rater, grade in zip(
        mine[1:], (Grade.EXCELLENT, Grade.EXCELLENT, Grade.QUALIFIED), strict=True
    ):
        services.peer_rating_submit(actor=None, appraisal=mine[0], rater=rater.member, grade=grade)
    services.peer_rating_submit(
        actor=None, appraisal=mine[1], rater=mine[0].member, grade=Grade.BASICALLY_QUALIFIED
    )
    services.peer_review_close(actor=frank, unit=units[0])
    services.appraisal_decide(actor=frank, appraisal=mine[0], grade=Grade.EXCELLENT)
    services.appraisal_decide(actor=frank, appraisal=mine[1], grade=Grade.QUALIFIED)
    services.self_analysis_submit(actor=frank, appraisal=neighbours[0], text="分析")
    return units


def _independent(rows, width):
    """Counts per path prefix of ``width``, row by row in Python (the test's own count)."""
    out: dict[str, Counter] = {}
    for path, state, grade in rows:
        c = out.setdefault(path[:width], Counter())
        c["total"] += 1
        c[state] += 1
        if grade:
            c[grade] += 1
    return out


def test_the_demo_has_appraisals_in_every_state(demo_second):
    second = demo_second
    states = Counter(Appraisal.objects.filter(campaign=second).values_list("state", flat=True))
    assert set(states) == set(AppraisalState.values), states
    assert PeerRating.objects.filter(appraisal__campaign=second).exists()


def test_the_demo_keeps_one_third_in_every_unit(demo_second):
    units = (
        Appraisal.objects.filter(campaign=demo_second)
        .values("unit_id")
        .annotate(n=Count("id"), excellent=Count("id", filter=Q(grade="excellent")))
    )
    assert units
    assert all(u["excellent"] <= excellent_cap(u["n"]) for u in units)
    assert any(u["excellent"] for u in units)


def test_results_by_child_equal_an_independent_count(cw, second, appraised):
    states = Counter(Appraisal.objects.filter(campaign=second).values_list("state", flat=True))
    assert set(states) == set(AppraisalState.values), states  # the world has every state
    for user, under in ((cw.frank, cw.small.city), (cw.small.alice, cw.small.a.org)):
        username = user.username
        width = len(under.path) + Organization.steplen
        rows = Appraisal.objects.filter(
            campaign=second, org_path__startswith=under.path
        ).values_list("org_path", "state", "grade")
        expected = _independent(rows, width)
        got = selectors.results_by_child(user, second, under)
        assert {r.key for r in got} == set(expected)
        for r in got:
            c = expected[r.key]
            for key in selectors.COUNT_KEYS:
                assert getattr(r, key) == c[key], (username, r.key, key)
        total = selectors.results_total(user, second, under)
        assert total.total == len(rows)
        assert total.excellent == sum(c["excellent"] for c in expected.values())


def test_peer_tallies_equal_an_independent_count(cw, second, appraised):
    unit = appraised[0]
    sheet = selectors.unit_sheet(cw.frank, unit)
    assert sum(a.peer_total for a in sheet) == 4  # the ratings this world gave
    for a in sheet:
        c = Counter(PeerRating.objects.filter(appraisal=a).values_list("grade", flat=True))
        assert a.peer_excellent == c["excellent"]
        assert a.peer_qualified == c["qualified"]
        assert a.peer_basically_qualified == c["basically_qualified"]
        assert a.peer_unqualified == c["unqualified"]
        assert a.peer_total == sum(c.values())


def test_the_results_page_and_api_show_the_subtree(client, cw, second, appraised):
    login_as(client, cw.frank)
    page = client.get(reverse("surveys:results", args=[second.pk])).content.decode()
    total = Appraisal.objects.filter(campaign=second).count()
    assert total == 4 + 3 + 3  # charlie's branch (with mary), a's second branch, b's first
    assert f'data-testid="sum-total">{total:,}<' in page
    assert cw.small.a.org.name in page
    r = client.get(reverse("api-appraisal-results", args=[second.pk]), {"under": cw.small.a.org.pk})
    assert r.status_code == 200
    body = r.json()
    assert (
        body["total"]["total"]
        == Appraisal.objects.filter(
            campaign=second, org_path__startswith=cw.small.a.org.path
        ).count()
        == 4 + 3
    )


def test_an_outsider_sees_only_their_district_in_results(client, cw, second, appraised):
    login_as(client, cw.small.bob)
    a = cw.small.a.org
    url = reverse("surveys:results", args=[second.pk])
    page = client.get(url).content.decode()
    assert a.name not in page
    assert client.get(url, {"under": a.pk}).status_code == 404
    api = reverse("api-appraisal-results", args=[second.pk])
    assert client.get(api, {"under": a.pk}).status_code == 404
    mine = Appraisal.objects.filter(campaign=second, org_path__startswith=cw.small.b.org.path)
    assert client.get(api).json()["total"]["total"] == mine.count() == 3


def test_a_member_has_no_results_page(client, mary, second):
    login_as(client, mary)
    assert client.get(reverse("surveys:results", args=[second.pk])).status_code == 404


def _fingerprint(campaign):
    rows = Appraisal.objects.filter(campaign=campaign)
    return (
        sorted(rows.values_list("member_id", "unit_id", "state", "grade", "decided_on")),
        sorted(
            PeerRating.objects.filter(appraisal__campaign=campaign).values_list(
                "appraisal__member_id", "rater_id", "grade", "rated_on"
            )
        ),
    )


def test_the_demo_appraisals_are_the_same_for_the_same_seed(demo_second):
    from jiceng.scenario.surveys import build_appraisals

    second = demo_second
    runs = []
    for _ in range(2):
        Appraisal.objects.filter(campaign=second).delete()
        build_appraisals("tiny", 11)
        runs.append(_fingerprint(second))
    assert runs[0] == runs[1]
    appraisals, ratings = runs[0]
    assert appraisals
    assert ratings


def test_the_results_page_runs_a_fixed_number_of_queries(
    client, cw, second, appraised, django_assert_max_num_queries
):
    login_as(client, cw.frank)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("surveys:results", args=[second.pk]))
    assert response.status_code == 200
