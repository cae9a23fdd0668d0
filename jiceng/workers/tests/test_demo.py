"""The tiny scenario's recruitment (S3): every district's places hired, trained and in post,
mainly in two-new organisations; the figures page adds them up; the organisation page and
the tree show the workers serving a unit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.orgs.models import TWO_NEW_SECTORS, Organization
from jiceng.scenario.workers import PER_PLACE, PLACES, SUPPLEMENT
from jiceng.workers import selectors
from jiceng.workers.models import PartyWorker, WorkerApplication, WorkerPost

pytestmark = pytest.mark.django_db


def test_every_place_is_hired_trained_and_in_post(world):
    places = sum(WorkerPost.objects.values_list("places", flat=True))
    assert places == PLACES["tiny"] + 1  # and the supplementary round's place, not yet filled
    places -= 1
    assert WorkerApplication.objects.count() == places * PER_PLACE["tiny"] + SUPPLEMENT["tiny"]
    workers = PartyWorker.objects.all()
    assert workers.count() == places
    assert all(w.in_post and w.trained_on and w.training_hours >= 40 for w in workers)
    sectors = Organization.objects.filter(pk__in=workers.values("org")).values_list(
        "sector", flat=True
    )
    two_new = sum(s in TWO_NEW_SECTORS for s in sectors)
    assert two_new * 2 > len(sectors)  # mainly two-new organisations


def test_city_figures_add_up_per_district(world):
    rows = selectors.figures(world.user("city.admin"))
    total = selectors.figures_total(rows)
    assert total["hired"] == total["trained"] == total["in_post"] == PLACES["tiny"]
    assert total["places"] == PLACES["tiny"] + 1
    assert total["applicants"] == PLACES["tiny"] * PER_PLACE["tiny"] + SUPPLEMENT["tiny"]
    xuhui = selectors.figures(world.user("xuhui.officer"))
    assert [r["district"] for r in xuhui] == [world.xuhui]


def test_the_worker_shows_on_the_org_page_and_in_the_tree(client, login, world):
    w = PartyWorker.objects.filter(path__startswith=world.huangpu.path).order_by("id").first()
    login("huangpu.officer")
    page = client.get(reverse("orgs:detail", args=[w.org_id])).content.decode()
    assert 'data-testid="org-workers"' in page
    assert str(w.name) in page
    parent = Organization.objects.get(pk=w.org_id).get_parent()
    kids = client.get(reverse("orgs:children", args=[parent.pk])).content.decode()
    assert f'data-testid="tree-badge-{w.org_id}"' in kids


def test_another_district_does_not_see_the_worker_on_its_pages(client, login, world):
    w = PartyWorker.objects.filter(path__startswith=world.huangpu.path).order_by("id").first()
    login("xuhui.officer")
    assert client.get(reverse("workers:worker-detail", args=[w.pk])).status_code == 404
    body = client.get(reverse("workers:worker-list")).content.decode()
    assert str(w.name) not in body
