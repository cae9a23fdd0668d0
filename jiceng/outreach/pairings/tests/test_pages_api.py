"""Pages and API of double pairing (S26): propose, confirm, end with a reason through the
pages (buttons shown only when the services allow), the needy person's page showing the
pairing, the coverage page with its chart, the same through the API; another district's
officer gets 404 for the pairing."""

from __future__ import annotations

from django.urls import reverse

from conftest import mark_verified
from jiceng.outreach.pairings import services
from jiceng.outreach.pairings.models import Pairing, UnitPairing
from jiceng.outreach.pairings.rules import PairingState


def _login(client, user):
    client.force_login(user)
    mark_verified(client, user)


def test_propose_confirm_and_end_through_the_pages(client, pw):
    """S26: alice proposes a pairing on the form (the branch by its code), charlie sees the
    confirm button and confirms; the person's page shows the branch; alice ends it with a
    reason, and without one is told in Chinese."""
    alice, charlie, person = pw.small.alice, pw.small.charlie, pw.people[0]
    _login(client, alice)
    page = client.get(reverse("outreach:pairing-new"), {"needy": person.pk})
    assert page.status_code == 200
    response = client.post(
        reverse("outreach:pairing-new"),
        {"needy": person.pk, "branch": pw.branch.code, "note": "就近结对"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pairing = Pairing.objects.get(needy=person)
    assert pairing.state == PairingState.PROPOSED

    _login(client, charlie)
    listing = client.get(reverse("outreach:pairing-list")).content.decode()
    assert f'data-pairing="{pairing.pk}"' in listing
    assert "pairing-confirm" in listing
    client.post(reverse("outreach:pairing-confirm", args=[pairing.pk]))
    pairing.refresh_from_db()
    assert pairing.state == PairingState.CONFIRMED
    detail = client.get(reverse("outreach:needy-detail", args=[person.pk])).content.decode()
    assert 'data-testid="needy-pairing-branch"' in detail
    assert pw.branch.name in detail

    _login(client, alice)
    response = client.post(
        reverse("outreach:pairing-end", args=[pairing.pk]), {"reason": ""}, follow=True
    )
    assert "结束原因" in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.state == PairingState.CONFIRMED
    client.post(reverse("outreach:pairing-end", args=[pairing.pk]), {"reason": "已脱困"})
    pairing.refresh_from_db()
    assert pairing.state == PairingState.ENDED


def test_no_buttons_for_a_reader_who_may_not(client, pw, small):
    """The auditor reads the pairings but is offered no confirm or end button."""
    pairing = services.pairing_propose(actor=None, needy=pw.people[0], branch=pw.branch)
    _login(client, small.dora)
    listing = client.get(reverse("outreach:pairing-list")).content.decode()
    assert f'data-pairing="{pairing.pk}"' in listing
    assert 'data-testid="pairing-confirm"' not in listing
    assert 'data-testid="pairing-end"' not in listing


def test_unit_pairing_pages(client, pw):
    """S26: an organisation pairs with a residential area; a hospital is refused in words."""
    _login(client, pw.small.alice)
    response = client.post(
        reverse("outreach:unit-pairing-new"),
        {"org": pw.agency.code, "partner": pw.branch.code},
    )
    assert response.status_code == 200
    assert "居民区党组织或两新组织" in response.content.decode()
    response = client.post(
        reverse("outreach:unit-pairing-new"),
        {"org": pw.agency.code, "partner": pw.residential.code},
    )
    assert response.status_code == 302
    unit = UnitPairing.objects.get(org=pw.agency)
    listing = client.get(reverse("outreach:unit-pairing-list")).content.decode()
    assert pw.residential.name in listing
    client.post(reverse("outreach:unit-pairing-confirm", args=[unit.pk]))
    client.post(reverse("outreach:unit-pairing-end", args=[unit.pk]), {"reason": "结对期满"})
    unit.refresh_from_db()
    assert (unit.state, unit.end_reason) == (PairingState.ENDED, "结对期满")


def test_coverage_page_has_a_row_per_unit_and_a_chart(client, pw):
    small = pw.small
    services.pairings_from_plan(actor=None, rows=[(pw.people[0].pk, pw.branch.pk, None)], plan_id=3)
    _login(client, small.alice)
    body = client.get(reverse("outreach:pairing-coverage")).content.decode()
    assert 'data-testid="coverage-chart"' in body
    assert f'data-unit="{small.a.street.pk}"' in body
    body = client.get(
        reverse("outreach:pairing-coverage"), {"under": small.a.street.pk}
    ).content.decode()
    assert f'data-unit="{pw.branch.pk}"' in body


def test_the_api_lifecycle_and_coverage(client, pw):
    """S26 through the API: propose (400 in words for a paired person), confirm, end; the
    coverage counts the confirmed pairing; another district's officer gets 404."""
    small, person = pw.small, pw.people[0]
    _login(client, small.alice)
    url = reverse("api-pairing-list")
    response = client.post(
        url, {"needy_id": person.pk, "branch_id": pw.branch.pk}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    again = client.post(
        url, {"needy_id": person.pk, "branch_id": pw.branch.pk}, content_type="application/json"
    )
    assert again.status_code == 400
    assert "needy_id" in again.json()
    assert client.post(reverse("api-pairing-confirm", args=[pk])).json()["state"] == "confirmed"
    listed = client.get(url, {"state": "confirmed"}).json()["results"]
    assert pk in {row["id"] for row in listed}
    coverage = client.get(reverse("api-pairing-coverage"), {"under": small.a.org.pk}).json()
    street = next(r for r in coverage if r["org_id"] == small.a.street.pk)
    assert street["paired"] >= 1
    end = reverse("api-pairing-end", args=[pk])
    assert client.post(end, {}, content_type="application/json").status_code == 400

    _login(client, small.bob)
    assert client.post(end, {"reason": "x"}, content_type="application/json").status_code == 404
    assert pk not in {row["id"] for row in client.get(url).json()["results"]}

    _login(client, small.alice)
    response = client.post(end, {"reason": "迁出本区"}, content_type="application/json")
    assert response.json()["state"] == "ended"


def test_the_api_unit_pairings(client, pw):
    _login(client, pw.small.alice)
    url = reverse("api-unit-pairing-list")
    bad = client.post(
        url, {"org_id": pw.agency.pk, "partner_id": pw.branch.pk}, content_type="application/json"
    )
    assert bad.status_code == 400
    made = client.post(
        url, {"org_id": pw.agency.pk, "partner_id": pw.two_new.pk}, content_type="application/json"
    )
    assert made.status_code == 201
    data = made.json()
    assert data["partner_kind"] == "two_new"
    confirm = client.post(reverse("api-unit-pairing-confirm", args=[data["id"]]))
    assert confirm.json()["state"] == "confirmed"
    rows = client.get(url, {"partner_kind": "two_new"}).json()["results"]
    assert [r["id"] for r in rows] == [data["id"]]
    _login(client, pw.small.bob)
    end = reverse("api-unit-pairing-end", args=[data["id"]])
    assert client.post(end, {"reason": "x"}, content_type="application/json").status_code == 404
