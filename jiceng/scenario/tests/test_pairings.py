"""The demo's double pairing (S26: ~87,000 needy people paired with branches, 15,000+ units
with residential areas or two-new organisations), as built in the tiny world: people paired
with branches of their own street, about one in ten left for a pairing plan, the paired branch
set on the person, the visits consistent with the pairings, unit pairings of valid kinds."""

from __future__ import annotations

from jiceng.orgs.models import Organization
from jiceng.outreach.pairings.models import Pairing, UnitPairing
from jiceng.outreach.pairings.rules import (
    OPEN_STATES,
    PAIRING_BRANCH_TYPES,
    PARTNER_SECTORS,
    PEOPLE_PER_BRANCH,
    PairingState,
)
from jiceng.outreach.registry.models import NeedyPerson
from jiceng.outreach.registry.rules import NeedyStatus
from jiceng.outreach.visits.models import Visit
from jiceng.scenario import pairings as scenario


def test_the_shares_give_the_reports_figures():
    """S26: 15,000+ of the city's residential and two-new branches with a place on the map
    (61,776 of 216 × (110 + 230) in the city scenario; 15,278 unit pairings built there)."""
    assert 15_000 < scenario.PARTNER_SHARE * 61_776 < 16_000
    assert scenario.UNPAIRED_SHARE["city"] == 0


def test_people_are_paired_with_branches_of_their_street(world):
    active = NeedyPerson.objects.filter(status=NeedyStatus.ACTIVE, merged_into__isnull=True)
    pairings = list(Pairing.objects.filter(state__in=OPEN_STATES).select_related("needy"))
    assert pairings
    paired = {p.needy_id for p in pairings}
    assert len(paired) == len(pairings), "one open pairing per person"
    assert active.count() - len(paired) > 0, "some left for a pairing plan"
    assert len(paired) >= 0.5 * active.count()
    load: dict[int, int] = {}
    for p in pairings:
        assert p.needy.status == NeedyStatus.ACTIVE
        assert p.branch_path.startswith(p.path), "a branch of the person's street"
        assert p.path == p.needy.path
        load[p.branch_id] = load.get(p.branch_id, 0) + 1
        if p.state == PairingState.CONFIRMED:
            assert p.needy.paired_path == p.branch_path
            assert p.started_on
        else:
            assert p.needy.paired_path == ""
    assert max(load.values()) <= PEOPLE_PER_BRANCH
    unpaired = active.exclude(pk__in=paired)
    assert not unpaired.exclude(paired_path="").exists()


def test_visited_people_are_paired_with_a_branch_that_visits_them(world):
    """The demo's visits stay consistent: a paired person visited in the year is mostly paired
    with a branch that visited them."""
    pairs = dict(Pairing.objects.filter(state__in=OPEN_STATES).values_list("needy_id", "branch_id"))
    visited: dict[int, set[int]] = {}
    for needy_id, org_id in Visit.objects.filter(needy_id__in=pairs).values_list(
        "needy_id", "org_id"
    ):
        visited.setdefault(needy_id, set()).add(org_id)
    assert visited
    agree = sum(1 for pk, orgs in visited.items() if pairs[pk] in orgs)
    assert agree >= 0.8 * len(visited)


def test_unit_pairings_pair_organisations_with_residential_areas_and_two_new(world):
    units = list(UnitPairing.objects.select_related("org", "partner"))
    assert units
    sectors = {s for group in PARTNER_SECTORS.values() for s in group}
    for u in units:
        assert u.partner.sector in sectors
        assert u.org.sector not in sectors
        assert (u.path, u.partner_path) == (u.org.path, u.partner.path)
    assert Organization.objects.filter(pk__in=[u.partner_id for u in units]).count() == len(
        {u.partner_id for u in units}
    )


def test_every_partner_chosen_is_paired_even_in_a_district_without_units(world, monkeypatch):
    """S26's 15,000+ units: with every partner chosen, each residential or two-new branch
    finds a seat with a unit's party organisation, in its district or across the city (at
    city scale the units lie in four central districts); never a town's or a partner's."""
    monkeypatch.setattr(scenario, "PARTNER_SHARE", 1.0)
    sectors = {s for group in PARTNER_SECTORS.values() for s in group}
    partners = Organization.objects.filter(
        sector__in=sectors,
        org_type__in=PAIRING_BRANCH_TYPES,
        abolished_on__isnull=True,
        lat__isnull=False,
    )
    unit_districts = Organization.objects.filter(org_type="primary_committee").exclude(
        sector__in=sectors
    )
    assert partners.exclude(district_id__in=unit_districts.values("district_id")).exists()
    units = scenario.PairingBuilder("tiny", 2005, lambda *_: None).pair_units()
    assert sorted(u.partner_id for u in units) == sorted(partners.values_list("pk", flat=True))
    orgs = Organization.objects.filter(pk__in=[u.org_id for u in units])
    assert not orgs.filter(sector__in=[*sectors, "town"]).exists()
