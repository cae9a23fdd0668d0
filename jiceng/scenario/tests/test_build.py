"""The synthetic Shanghai-2005 data set: deterministic, valid, shaped like the report (S10, S16)."""

from __future__ import annotations

import itertools

from jiceng.core.idnumber import parse_id_number
from jiceng.members.models import EmploymentStatus, Member
from jiceng.orgs.models import Organization, OrgType
from jiceng.scenario.build import SCALES, Builder


def _fingerprint(seed: int) -> list[tuple[str, ...]]:
    b = Builder("tiny", seed, lambda *_: None)
    b.prepare_geo()
    nodes = b.assign_paths(b.tree())
    members = itertools.islice(b.members_for(nodes), 120)
    return [(n.obj.code, n.obj.name, n.obj.path) for n in nodes] + [
        (m.name, m.id_number, m.home_path, str(m.lng)) for m in members
    ]


def test_same_seed_gives_the_same_data_and_another_seed_does_not(db):
    assert _fingerprint(11) == _fingerprint(11)
    assert _fingerprint(11) != _fingerprint(12)


def test_every_member_has_a_valid_id_number_matching_birth_date_and_sex(world):
    for m in Member.objects.all()[:300]:
        parsed = parse_id_number(m.id_number)
        assert parsed.birth_date == m.birth_date
        assert parsed.sex == m.sex
        assert m.id_number_masked == m.id_number[:6] + "*" * 8 + m.id_number[-4:]


def test_most_members_carry_their_district_area_code(world):
    huangpu = Member.objects.filter(home_path__startswith=world.huangpu.path)
    local = sum(1 for m in huangpu if m.id_number.startswith("310101"))
    assert local / huangpu.count() > 0.75


def test_electric_group_dispersed_members_live_mostly_outside_its_district(world):
    """S16: Shanghai Electric's on-roll-not-at-post members, 70% outside its own district."""
    electric = world.org("31SDQ")
    dispersed = Member.objects.filter(
        home_path__startswith=electric.path,
        employment_status=EmploymentStatus.ON_ROLL_NOT_AT_POST,
    ).select_related("street")
    assert dispersed.count() >= SCALES["tiny"].electric_dispersed
    outside = sum(1 for m in dispersed if m.street.district_id != "310101")
    assert outside / dispersed.count() > 0.5


def test_dispersed_members_start_unplaced_so_the_worklist_is_not_empty(world):
    """S10: the not-placed worklist starts non-zero for officers to drive to zero."""
    unplaced = Member.objects.on_roll().filter(participating_org__isnull=True)
    assert unplaced.exists()
    assert not unplaced.exclude(
        employment_status__in=[EmploymentStatus.ON_ROLL_NOT_AT_POST, EmploymentStatus.MOBILE]
    ).exists()


def test_tree_holds_districts_streets_branches_and_sector_committees(world):
    assert Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE).count() == 3
    assert Organization.objects.filter(org_type=OrgType.SECTOR_COMMITTEE).count() == 5
    assert world.org("310230").name == "中共上海市崇明县委员会"
    # treebeard's own consistency check agrees with the bulk-built paths
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_no_member_is_secretary_of_two_units(world):
    """Issue 17: each level of a chain has its own secretary (the demo once had one member
    as secretary of a branch, its street, its district and the city)."""
    from django.db.models import Count

    from jiceng.orgs.models import Organization

    posts = (
        Organization.objects.exclude(secretary=None)
        .values("secretary_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(posts) == []
    assert Organization.objects.exclude(secretary=None).count() > 10


def test_the_demo_study_ledger_records_nothing_after_its_day():
    """Issue 17: the demo lives on 2005-09-20; its ledger has no session after that day."""
    import datetime as dt
    import random

    from django.test import override_settings

    from jiceng.scenario.study import PERIOD_START, _day

    rng = random.Random(1)
    with override_settings(JICENG_TODAY="2005-09-20"):
        days = {_day(rng) for _ in range(500)}
    assert max(days) <= dt.date(2005, 9, 20)
    assert min(days) >= PERIOD_START
