"""The scenario's outreach data (issue 20 item 3): the needy-people registry of every street
(S26) and a year of branches' visits (S19), consistent with the registry's and the visits'
rules, nothing dated after the demo's day, the same for the same seed."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from jiceng.core import tree
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgType
from jiceng.outreach.models import (
    NeedFollowUp,
    NeedyCategory,
    NeedyPerson,
    NeedyStatusChange,
    Visit,
    VisitNeed,
)
from jiceng.outreach.registry.rules import SEED_CATEGORIES, NeedyStatus
from jiceng.outreach.visits.rules import NeedState, TargetKind, VisitState
from jiceng.scenario import outreach

DEMO_DAY = dt.date(2005, 9, 20)
STREETS = (OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE)


def test_the_rates_give_the_reports_figures():
    """S26: ~87,000 needy people at city scale (~2,058,000 members in the streets' trees);
    S19: 5,698 visits to 1,500 families, about 3.8 a family a year."""
    assert 86_000 < outreach.NEEDY_PER_MEMBER * 2_058_000 < 88_000
    mean = sum(outreach.VISITS_PER_YEAR) / len(outreach.VISITS_PER_YEAR)
    assert 3.5 < mean < 4.2
    assert abs(mean - 5_698 / 1_500) < 0.2


def test_every_street_with_members_registers_needy_people_on_its_own_path(world):
    streets = Organization.objects.filter(org_type__in=STREETS)
    assert streets.exists()
    for street in streets:
        if Member.objects.filter(home_path__startswith=street.path).exists():
            people = NeedyPerson.objects.filter(street_org=street)
            assert people.count() >= outreach.MIN_PER_STREET, street.name
    for person in NeedyPerson.objects.select_related("street_org"):
        assert person.street_org.org_type in STREETS
        assert person.path == person.street_org.path
        assert person.street_id == person.street_org.street_id
        assert 1 <= person.household_size <= 5
        assert person.lng
        assert person.lat
        # set by the pairing scenario only (S26): a branch of the person's own street
        assert not person.paired_path or person.paired_path.startswith(person.path)
    # the streets' registers and the 30 households of S27's programme
    assert NeedyPerson.objects.count() < 100, "the tiny world stays small"


def test_registrations_look_like_the_members_ones(world):
    """ID numbers and phones are stored like members': encrypted, a blind index, masked."""
    people = list(NeedyPerson.objects.exclude(id_number="").select_related("street"))
    assert people
    for p in people:
        assert p.id_number_masked == p.id_number[:6] + "*" * 8 + p.id_number[-4:]
        assert p.id_number_index
    indexes = [p.id_number_index for p in people]
    assert len(indexes) == len(set(indexes)), "one registration per ID number"
    with_phone = NeedyPerson.objects.exclude(phone="")
    assert with_phone.exists()
    assert not with_phone.filter(phone_index="").exists()
    # most carry their district's area code
    local = [p for p in people if p.id_number.startswith(p.street.district_id)]
    assert len(local) / len(people) > 0.8


def test_categories_come_from_the_table_one_or_two_each(world):
    table = set(NeedyCategory.objects.values_list("pk", flat=True))
    counts = Counter()
    for person in NeedyPerson.objects.prefetch_related("categories"):
        mine = {c.pk for c in person.categories.all()}
        assert 1 <= len(mine) <= 2, person
        assert mine <= table
        counts.update(c.code for c in person.categories.all())
        if "elderly_alone" in {c.code for c in person.categories.all()}:
            assert person.household_size == 1
    assert set(counts) <= {code for code, _name in SEED_CATEGORIES}


def test_the_register_mixes_categories_as_a_city_does():
    """Low-income households and elderly people alone are the most common categories."""
    weights = {code: w for code, w, _years in outreach.CATEGORIES}
    assert set(weights) == {code for code, _name in SEED_CATEGORIES}
    top = sorted(weights, key=weights.get, reverse=True)[:2]
    assert set(top) == {"minimum_living", "elderly_alone"}


def test_status_history_is_consistent_with_status(world):
    history = defaultdict(list)
    for change in NeedyStatusChange.objects.order_by("on", "id"):
        history[change.person_id].append(change)
    statuses = set()
    for person in NeedyPerson.objects.all():
        changes = history[person.pk]
        assert changes, person
        assert changes[0].status == NeedyStatus.ACTIVE
        assert changes[0].on == person.registered_at.date()
        assert changes[-1].status == person.status
        assert changes[-1].on == person.status_since
        for change in changes[1:]:
            assert change.status != NeedyStatus.ACTIVE
            assert change.reason
        statuses.add(person.status)
    assert NeedyStatus.ACTIVE in statuses
    assert len(statuses) >= 2, "some have left the active list"
    active = NeedyPerson.objects.filter(status=NeedyStatus.ACTIVE).count()
    assert active / NeedyPerson.objects.count() > 0.8


def test_a_few_households_are_registered_twice(world):
    """For the duplicates page: the same name at the same address."""
    pairs = Counter(NeedyPerson.objects.values_list("name_simplified", "address"))
    assert any(n > 1 for n in pairs.values())


def test_nothing_is_dated_after_the_demo_day(world):
    end = DEMO_DAY
    start = end - dt.timedelta(days=364)
    visits = Visit.objects.all()
    assert visits.exists()
    assert not visits.exclude(visited_on__range=(start, end)).exists()
    assert max(v.recorded_at for v in visits).date() <= end
    assert max(v.confirmed_at for v in visits.exclude(confirmed_at=None)).date() <= end
    assert not NeedyPerson.objects.filter(status_since__gt=end).exists()
    assert max(p.registered_at for p in NeedyPerson.objects.all()).date() <= end
    assert not NeedyStatusChange.objects.filter(on__gt=end).exists()
    assert not VisitNeed.objects.filter(raised_on__gt=end).exists()
    assert not VisitNeed.objects.filter(closed_on__gt=end).exists()
    assert max(f.at for f in NeedFollowUp.objects.all()).date() <= end


def test_an_earlier_site_day_bounds_the_window():
    with override_settings(JICENG_TODAY="2005-03-01"):
        assert outreach.last_day() == dt.date(2005, 3, 1)
    with override_settings(JICENG_TODAY="2026-01-01"):
        assert outreach.last_day() == DEMO_DAY


def test_visitors_are_members_of_the_visiting_branch(world):
    """As ``visits.services.visit_record`` requires (S19: branches' members visit)."""
    through = Visit.visitors.through.objects.values_list("visit_id", "member_id")
    visitors = defaultdict(set)
    for visit_id, member_id in through:
        visitors[visit_id].add(member_id)
    paths = {
        m.pk: (m.home_path, m.participating_path)
        for m in Member.objects.only("home_path", "participating_path")
    }
    for visit in Visit.objects.select_related("org"):
        assert visit.org.org_type in (OrgType.BRANCH, OrgType.JOINT_BRANCH)
        assert visit.org_path == visit.org.path
        assert 1 <= len(visitors[visit.pk]) <= 3, visit
        for member_id in visitors[visit.pk]:
            assert any(p and tree.within(p, visit.org_path) for p in paths[member_id])


def test_visits_go_mostly_to_needy_people_of_the_branchs_street(world):
    visits = list(Visit.objects.select_related("needy"))
    streets = list(Organization.objects.filter(org_type__in=STREETS).values_list("path", flat=True))
    kinds = Counter(v.target_kind for v in visits if v.org_path[: len(streets[0])] in streets)
    assert kinds[TargetKind.NEEDY] > kinds[TargetKind.WORKER] + kinds[TargetKind.UNIT]
    assert kinds[TargetKind.WORKER]
    assert kinds[TargetKind.UNIT]
    for v in visits:
        if v.target_kind == TargetKind.NEEDY:
            assert v.needy is not None
            assert v.target_path == v.needy.path
            assert v.org_path.startswith(v.needy.path), "a branch of their street"
            assert v.visited_on > v.needy.registered_at.date()
            if v.needy.status != NeedyStatus.ACTIVE:
                assert v.visited_on < v.needy.status_since
        elif v.target_kind == TargetKind.UNIT:
            assert v.target_org_id
            assert not v.target_path
        else:
            assert v.target_name
            assert not v.target_path


def test_most_visits_are_confirmed_and_some_raise_needs_that_are_followed_up(world):
    states = Counter(Visit.objects.values_list("state", flat=True))
    assert states[VisitState.CONFIRMED] > states[VisitState.RECORDED] > 0
    assert not Visit.objects.filter(state=VisitState.CONFIRMED, confirmed_at=None).exists()
    assert not Visit.objects.filter(state=VisitState.RETURNED, reason="").exists()
    needs = list(VisitNeed.objects.select_related("visit").prefetch_related("follow_ups"))
    assert needs
    assert 0.03 < len(needs) / sum(states.values()) < 0.25
    for need in needs:
        assert need.path == (need.visit.target_path or need.visit.org_path)
        assert need.raised_on == need.visit.visited_on
        follow_ups = list(need.follow_ups.all())
        if follow_ups:
            assert follow_ups[-1].state == need.state
        else:
            assert need.state == NeedState.OPEN
        closed = need.state in (NeedState.RESOLVED, NeedState.UNRESOLVABLE)
        assert (need.closed_on is not None) == closed
    assert any(n.state == NeedState.RESOLVED for n in needs) or len(needs) < 5


def test_the_demo_member_and_secretary_have_visits_to_see(world):
    me = world.user("member.self")
    mine = Visit.objects.filter(recorded_by=me)
    assert mine.count() >= 3
    assert mine.filter(state=VisitState.RECORDED).count() == 1
    member = Member.objects.get(user=me)
    assert all(member.pk in v.visitors.values_list("pk", flat=True) for v in mine)
    secretary = world.user("branch.secretary")
    branch = secretary.assignments.get().organization
    waiting = Visit.objects.filter(org=branch, state=VisitState.RECORDED)
    assert waiting.count() >= 2
    assert Visit.objects.filter(org=branch, confirmed_by=secretary).exists()


def test_the_part_refuses_to_run_twice(world):
    assert outreach.is_built()
    with pytest.raises(RuntimeError, match="already exists"):
        outreach.build_outreach("tiny", 7)
    with pytest.raises(CommandError, match="already holds outreach"):
        call_command("scenario", "--part", "outreach", "--scale", "tiny")


def _fingerprint() -> list[tuple]:
    people = [
        (
            *(p.path, p.name, p.id_number, p.phone, p.address, p.household_size, p.health),
            *(p.status, p.status_since, tuple(sorted(c.code for c in p.categories.all()))),
        )
        for p in NeedyPerson.objects.prefetch_related("categories").order_by("path", "id")
    ]
    visits = [
        (
            *(v.org_path, v.visited_on, v.needy.name if v.needy else "", v.target_name, v.kind),
            *(v.state, tuple(sorted(m.pk for m in v.visitors.all())), len(v.needs.all())),
        )
        for v in Visit.objects.select_related("needy")
        .prefetch_related("visitors", "needs")
        .order_by("org_path", "visited_on", "id")
    ]
    return people + visits


def _rebuild(seed: int) -> list[tuple]:
    """The outreach parts again, in ``build``'s order (S27's programme registers households of
    its own, S26's pairings hold the people)."""
    from jiceng.outreach.pairings.models import Pairing, UnitPairing
    from jiceng.outreach.programmes.models import ServiceCard, ServiceProgramme, ServiceTask
    from jiceng.scenario import pairings, programmes

    Pairing.objects.all().delete()
    UnitPairing.objects.all().delete()
    ServiceTask.objects.all().delete()
    ServiceCard.objects.all().delete()
    ServiceProgramme.objects.all().delete()
    Visit.objects.all().delete()
    NeedyStatusChange.objects.all().delete()
    NeedyPerson.objects.all().delete()
    outreach.build_outreach("tiny", seed)
    programmes.build_programmes("tiny", seed)
    pairings.build_pairings("tiny", seed)
    return _fingerprint()


def test_same_seed_same_outreach_data(world):
    """The session's world was built with seed 7: rebuilt with 7 it is the same, with 8 not."""
    built = _fingerprint()
    with transaction.atomic():
        assert _rebuild(7) == built
        assert _rebuild(8) != built
        transaction.set_rollback(True)
