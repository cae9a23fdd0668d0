"""Results per unit and per subtree (S1) equal an independent count over the same rows; the
demo's appraisals keep the one-third cap in every unit; outsiders see none of 黄浦."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q
from django.urls import reverse

from jiceng.orgs.models import Organization
from jiceng.surveys import selectors
from jiceng.surveys.models import Appraisal, PeerRating
from jiceng.surveys.rules import AppraisalState, excellent_cap


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


def test_the_demo_has_appraisals_in_every_state(second):
    states = Counter(Appraisal.objects.filter(campaign=second).values_list("state", flat=True))
    assert set(states) == set(AppraisalState.values), states
    assert PeerRating.objects.filter(appraisal__campaign=second).exists()


def test_the_demo_keeps_one_third_in_every_unit(second):
    units = (
        Appraisal.objects.filter(campaign=second)
        .values("unit_id")
        .annotate(n=Count("id"), excellent=Count("id", filter=Q(grade="excellent")))
    )
    assert units
    assert all(u["excellent"] <= excellent_cap(u["n"]) for u in units)
    assert any(u["excellent"] for u in units)


def test_results_by_child_equal_an_independent_count(world, second):
    for username, under in (("city.admin", world.city), ("huangpu.officer", world.huangpu)):
        user = world.user(username)
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


def test_peer_tallies_equal_an_independent_count(world, second):
    unit_id = (
        PeerRating.objects.filter(appraisal__campaign=second)
        .values_list("appraisal__unit_id", flat=True)
        .first()
    )
    unit = second.units.get(pk=unit_id)
    sheet = selectors.unit_sheet(world.user("city.admin"), unit)
    for a in sheet:
        c = Counter(PeerRating.objects.filter(appraisal=a).values_list("grade", flat=True))
        assert a.peer_excellent == c["excellent"]
        assert a.peer_qualified == c["qualified"]
        assert a.peer_basically_qualified == c["basically_qualified"]
        assert a.peer_unqualified == c["unqualified"]
        assert a.peer_total == sum(c.values())


def test_the_results_page_and_api_show_the_subtree(client, login, world, second):
    login("city.admin")
    page = client.get(reverse("surveys:results", args=[second.pk])).content.decode()
    total = Appraisal.objects.filter(campaign=second).count()
    assert f'data-testid="sum-total">{total:,}<' in page
    assert world.huangpu.name in page
    r = client.get(reverse("api-appraisal-results", args=[second.pk]), {"under": world.huangpu.pk})
    assert r.status_code == 200
    body = r.json()
    assert (
        body["total"]["total"]
        == Appraisal.objects.filter(
            campaign=second, org_path__startswith=world.huangpu.path
        ).count()
    )


def test_an_outsider_sees_only_their_district_in_results(client, login, world, second):
    login("xuhui.officer")
    url = reverse("surveys:results", args=[second.pk])
    page = client.get(url).content.decode()
    assert world.huangpu.name not in page
    assert client.get(url, {"under": world.huangpu.pk}).status_code == 404
    api = reverse("api-appraisal-results", args=[second.pk])
    assert client.get(api, {"under": world.huangpu.pk}).status_code == 404
    mine = Appraisal.objects.filter(campaign=second, org_path__startswith=world.xuhui.path)
    assert client.get(api).json()["total"]["total"] == mine.count()


def test_a_member_has_no_results_page(client, login, second):
    login("member.self")
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


def test_the_demo_appraisals_are_the_same_for_the_same_seed(second):
    from jiceng.scenario.surveys import build_appraisals

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
    client, login, world, second, django_assert_max_num_queries
):
    login("city.admin")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("surveys:results", args=[second.pk]))
    assert response.status_code == 200
