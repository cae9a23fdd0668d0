"""Stored totals (issue 22): after any sequence of writes through the services, every stored
row equals a full recount, and the pages' figures read from them equal the figures counted
member by member.

The random sequences (hypothesis) mix every kind of write that changes the totals: members
registered, moving their relationship, placed elsewhere or nowhere, leaving the city; study
sessions with attendance inside and outside the campaign, confirmed self-study, changed
requirements; four ones recorded, confirmed and returned; a unit's sector changed (its
members' study mode, S9) and one branch merged into another.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jiceng.accounts.roles import Role
from jiceng.campaigns.coverage import selectors as coverage_selectors
from jiceng.campaigns.models import Campaign, FourOnesItem
from jiceng.campaigns.practices import selectors as practices_selectors
from jiceng.campaigns.practices import services as practices_services
from jiceng.campaigns.practices.rules import FourOnes, FourOnesState
from jiceng.campaigns.totals import differences_all
from jiceng.members import services as member_services
from jiceng.members.duplicates import services as duplicate_services
from jiceng.members.models import Member
from jiceng.members.transfers import services as transfer_services
from jiceng.members.transfers.models import Transfer
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Organization, Sector
from jiceng.study import selectors as study_selectors
from jiceng.study import services as study_services
from jiceng.study.models import StudyPeriod, StudyTally
from jiceng.study.rules import StudyMode, in_unit_q, mode_expression
from jiceng.study.tests.factories import period_make
from tests.factories import OrganizationFactory, SmallWorld, UserFactory, make_member

from .factories import campaign_make

CAMPAIGN_START = dt.date(2005, 6, 30)
# the period starts before the campaign: a session in June is not attendance "during" it
PERIOD_START = dt.date(2005, 6, 1)
DAYS = (dt.date(2005, 6, 10), dt.date(2005, 7, 15), dt.date(2005, 9, 1))


class RollbackError(Exception):
    """Raised to undo one example's writes."""


@pytest.fixture
def world(small: SmallWorld) -> dict[str, Any]:
    two_new = OrganizationFactory(
        parent=small.a.street, name="甲区某非公企业党支部", sector=Sector.NEW_ECONOMIC
    )
    for _ in range(2):
        make_member(two_new)
    period = period_make(starts_on=PERIOD_START)
    campaign = campaign_make(actor=None, root=small.city)
    admin = UserFactory(username="frank", role=Role.CITY_ADMIN, role__over=small.city)
    return {"small": small, "period": period, "campaign": campaign, "admin": admin}


def _city() -> str:
    """The factory city's path (the test database also holds the tiny scenario's city)."""
    return Organization.objects.get(name="测试市委").path


def _branches() -> list[Organization]:
    return list(
        Organization.objects.active()
        .filter(org_type="branch", path__startswith=_city())
        .order_by("path")
    )


def _member(rng: random.Random) -> Member | None:
    ids = list(
        Member.objects.on_roll()
        .filter(home_path__startswith=_city())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return Member.objects.get(pk=rng.choice(ids)) if ids else None


def _register(rng: random.Random, w: dict[str, Any]) -> None:
    branches = _branches()
    part = rng.choice([*branches, None])
    make_member(rng.choice(branches), participating_org=part)


def _move_home(rng: random.Random, w: dict[str, Any]) -> None:
    member = _member(rng)
    if member:
        member_services.member_update(actor=None, member=member, home_org=rng.choice(_branches()))


def _place(rng: random.Random, w: dict[str, Any]) -> None:
    member = _member(rng)
    if member:
        member_services.member_place(
            actor=None, member=member, participating_org=rng.choice([*_branches(), None])
        )


def _leave_city(rng: random.Random, w: dict[str, Any]) -> None:
    member = _member(rng)
    if member:
        member_services.member_update(
            actor=None, member=member, transferred_out_on=dt.date(2005, 8, 1)
        )


def _session(rng: random.Random, w: dict[str, Any]) -> None:
    org = rng.choice(_branches())
    mode = StudyMode.CREDITS if org.sector == Sector.NEW_ECONOMIC else StudyMode.CLASS_HOURS
    studying = list(
        Member.objects.on_roll()
        .filter(in_unit_q(org.path))
        .annotate(study_mode=mode_expression())
        .filter(study_mode=mode)
        .values_list("pk", flat=True)
    )
    if not studying:
        return
    listed = rng.sample(studying, rng.randint(1, len(studying)))
    pairs = [(pk, rng.random() < 0.8) for pk in listed]
    pairs[0] = (pairs[0][0], True)  # someone present
    study_services.session_record(
        actor=None,
        period=w["period"],
        org=org,
        held_on=rng.choice(DAYS),
        topic="学习",
        amount=rng.choice([2, 4, 8]),
        attendance=pairs,
    )


def _self_study(rng: random.Random, w: dict[str, Any]) -> None:
    member = _member(rng)
    if member:
        study_services.selfstudy_record(
            actor=None,
            member=member,
            period=w["period"],
            studied_on=rng.choice(DAYS[1:]),
            topic="自学",
            amount=rng.choice([1, 4, 8]),
        )


def _requirement(rng: random.Random, w: dict[str, Any]) -> None:
    study_services.requirement_set(
        actor=None,
        period=w["period"],
        mode=rng.choice(StudyMode.values),
        required_amount=rng.choice([2, 6, 24]),
        source_note="测试",
        sector=rng.choice(["", Sector.NEW_ECONOMIC]),
    )


def _four_ones(rng: random.Random, w: dict[str, Any]) -> None:
    member = _member(rng)
    if member:
        practices_services.four_ones_record(
            actor=w["admin"],
            campaign=w["campaign"],
            member=member,
            kind=rng.choice(FourOnes.values),
            description="做了一件实事",
            done_on=dt.date(2005, 8, 1),
        )


def _confirm(rng: random.Random, w: dict[str, Any]) -> None:
    items = list(
        FourOnesItem.objects.filter(campaign=w["campaign"], state=FourOnesState.RECORDED).order_by(
            "pk"
        )
    )
    if items:
        practices_services.four_ones_confirm(
            actor=w["admin"], item=rng.choice(items), confirm=rng.random() < 0.8, reason="不全"
        )


def _sector(rng: random.Random, w: dict[str, Any]) -> None:
    org_services.organization_update(
        actor=None,
        org=rng.choice(_branches()),
        sector=rng.choice([Sector.NEW_ECONOMIC, Sector.STREET_COMMUNITY]),
    )


def _merge(rng: random.Random, w: dict[str, Any]) -> None:
    branches = _branches()
    if len(branches) > 3:
        source, target = rng.sample(branches, 2)
        org_services.organization_merge(actor=None, source=source, target=target)


WRITES = {
    f.__name__.strip("_"): f
    for f in (
        _register,
        _move_home,
        _place,
        _leave_city,
        _session,
        _self_study,
        _requirement,
        _four_ones,
        _confirm,
        _sector,
        _merge,
    )
}


def _counted_member_by_member(org: Organization, period: StudyPeriod) -> dict[str, Any]:
    members = list(
        study_selectors.annotate_completion(
            Member.objects.on_roll().filter(in_unit_q(org.path)), period
        )
    )
    return {
        "members": len(members),
        "with_requirement": sum(m.required is not None for m in members),
        "completed": sum(m.required is not None and m.done >= m.required for m in members),
        "below": sum(m.required is not None and m.done < m.required for m in members),
        "done": sum((m.done for m in members), Decimal(0)),
    }


def _assert_pages_agree(w: dict[str, Any]) -> None:
    """What a city-wide reader sees (stored totals) is what the members give, counted one by
    one; and what a district officer sees of the city (counted over what they see) is the
    same figure as before issue 22."""
    small, period, campaign = w["small"], w["period"], w["campaign"]
    for org in (small.city, small.a.org, small.a.street):
        shown = study_selectors.unit_totals(small.dora, org, period)
        want = _counted_member_by_member(org, period)
        got = {k: getattr(shown, k) for k in want}
        assert got == want, org.name
        roll = coverage_selectors.roll_figures(small.dora, campaign, org)
        on_roll = Member.objects.on_roll().filter(home_path__startswith=org.path)
        assert roll["members"] == on_roll.count()
        assert roll["placed"] == on_roll.filter(participating_org__isnull=False).count()
    # alice sees district a only: below the city her figures are counted, not stored
    assert coverage_selectors.roll_figures(small.alice, campaign, small.city)["members"] == (
        Member.objects.on_roll()
        .visible_to(small.alice)
        .filter(home_path__startswith=small.city.path)
        .count()
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    writes=st.lists(
        st.tuples(st.sampled_from(sorted(WRITES)), st.integers(0, 2**32)),
        min_size=1,
        max_size=10,
    )
)
def test_stored_totals_equal_a_full_recount_after_any_sequence_of_writes(
    world: dict[str, Any], writes: list[tuple[str, int]]
) -> None:
    try:
        with transaction.atomic():
            for name, seed in writes:
                try:
                    WRITES[name](random.Random(seed), world)
                    event(f"{name} written")
                except (ValidationError, PermissionDenied):
                    event(f"{name} refused")  # a refused write leaves everything as it was
                found = differences_all()
                assert not any(found.values()), (name, found)
            _assert_pages_agree(world)
            raise RollbackError
    except RollbackError:
        pass


def test_a_member_moving_moves_their_study_completion_between_units(world) -> None:
    small, period = world["small"], world["period"]
    member = small.a.members[0]
    study_services.selfstudy_record(
        actor=None,
        member=member,
        period=period,
        studied_on=dt.date(2005, 7, 15),
        topic="自学",
        amount=8,
    )
    a_before = study_selectors.unit_totals(small.dora, small.a.org, period)
    b_before = study_selectors.unit_totals(small.dora, small.b.org, period)
    member_services.member_update(
        actor=None, member=member, home_org=small.b.branches[0], participating_org=None
    )
    a_after = study_selectors.unit_totals(small.dora, small.a.org, period)
    b_after = study_selectors.unit_totals(small.dora, small.b.org, period)
    assert (a_after.members, b_after.members) == (a_before.members - 1, b_before.members + 1)
    assert a_after.done == a_before.done - 8
    assert b_after.done == b_before.done + 8


def test_attendance_during_the_campaign_shows_in_the_four_lets(world) -> None:
    small, campaign = world["small"], world["campaign"]
    branch = small.a.branches[0]
    before = coverage_selectors.coverage(small.dora, campaign, small.city).attended
    present = small.a.members[:2]
    study_services.session_record(
        actor=None,
        period=world["period"],
        org=branch,
        held_on=dt.date(2005, 6, 10),  # before the campaign: not counted
        topic="学习",
        amount=2,
        attendance=[(m.pk, True) for m in present],
    )
    assert coverage_selectors.coverage(small.dora, campaign, small.city).attended == before
    study_services.session_record(
        actor=None,
        period=world["period"],
        org=branch,
        held_on=dt.date(2005, 7, 15),
        topic="学习",
        amount=2,
        attendance=[(m.pk, True) for m in present],
    )
    assert coverage_selectors.coverage(small.dora, campaign, small.city).attended == before + 2


def test_four_ones_confirmed_complete_a_member_in_the_summary(world) -> None:
    small, campaign = world["small"], world["campaign"]
    member = small.b.members[0]

    def summary() -> dict[str, Any]:
        return practices_selectors.four_ones_summary(small.dora, campaign, small.b.org)

    before = summary()["complete"]
    for kind in FourOnes.values:
        item = practices_services.four_ones_record(
            actor=world["admin"],
            campaign=campaign,
            member=member,
            kind=kind,
            description="做了",
            done_on=dt.date(2005, 8, 1),
        )
        assert summary()["complete"] == before
        practices_services.four_ones_confirm(actor=world["admin"], item=item)
    assert summary()["complete"] == before + 1
    waiting = {k["kind"]: k for k in summary()["kinds"]}
    assert all(waiting[k]["confirmed"] >= 1 for k in FourOnes.values)


def test_a_requirement_changed_recounts_the_period(world) -> None:
    small, period = world["small"], world["period"]
    present = small.a.members[:2]
    study_services.session_record(
        actor=None,
        period=period,
        org=small.a.branches[0],
        held_on=dt.date(2005, 7, 15),
        topic="学习",
        amount=2,
        attendance=[(m.pk, True) for m in present],
    )
    assert study_selectors.unit_totals(small.dora, small.city, period).completed == 0
    study_services.requirement_set(
        actor=None, period=period, mode=StudyMode.CLASS_HOURS, required_amount=2, source_note="t"
    )
    assert study_selectors.unit_totals(small.dora, small.city, period).completed == 2


def test_the_command_checks_and_rebuilds(world, capsys) -> None:
    call_command("totals", "--check")  # agrees: exits normally
    StudyTally.objects.filter(period=world["period"]).update(completed=999)
    with pytest.raises(CommandError, match="不一致"):
        call_command("totals", "--check")
    assert "999" in capsys.readouterr().out
    call_command("totals", "--rebuild")
    call_command("totals", "--check")
    assert not any(differences_all().values())


def test_a_new_campaign_counts_its_attendance_at_once(world) -> None:
    small = world["small"]
    _session(random.Random(1), world)
    later = campaign_make(
        actor=None,
        root=small.city,
        name="另一批",
        starts_on=dt.date(2005, 6, 1),
        ends_on=dt.date(2005, 12, 31),
    )
    assert isinstance(later, Campaign)
    assert not any(differences_all().values())


def _roll(w: dict[str, Any], org: Organization) -> tuple[int, int]:
    figures = coverage_selectors.roll_figures(w["small"].dora, w["campaign"], org)
    return figures["members"], figures["placed"]


def test_a_bulk_transfer_moves_the_members_between_districts_figures(world) -> None:
    small = world["small"]
    a, b = _roll(world, small.a.org), _roll(world, small.b.org)
    moves = [(m, small.b.branches[0]) for m in small.a.members[:3]]
    transfer_services.transfer_bulk(actor=world["admin"], moves=moves, complete=True)
    assert _roll(world, small.a.org)[0] == a[0] - 3
    assert _roll(world, small.b.org)[0] == b[0] + 3
    assert not any(differences_all().values())


def test_a_transfer_confirmed_by_the_receiver_moves_the_member(world) -> None:
    small = world["small"]
    a = _roll(world, small.a.org)
    result = transfer_services.transfer_bulk(
        actor=small.alice, moves=[(small.a.members[0], small.b.branches[0])]
    )
    transfer = Transfer.objects.get(batch=result.batch)
    assert _roll(world, small.a.org) == a  # letter issued: still at home
    transfer_services.transfer_confirm(actor=small.bob, transfer=transfer)
    assert _roll(world, small.a.org)[0] == a[0] - 1
    assert not any(differences_all().values())


def test_a_unit_merged_or_abolished_keeps_the_totals(world) -> None:
    small = world["small"]
    spare = OrganizationFactory(parent=small.a.street, name="甲区临时党支部")
    guest = make_member(small.a.branches[0], participating_org=spare)
    placed = _roll(world, small.a.org)[1]
    org_services.organization_abolish(actor=None, org=spare, reason="撤销")
    assert _roll(world, small.a.org)[1] == placed - 1  # the guest takes part nowhere now
    assert Member.objects.get(pk=guest.pk).participating_org is None
    org_services.organization_merge(
        actor=None, source=small.a.branches[1], target=small.a.branches[0]
    )
    assert not any(differences_all().values())


def test_a_unit_turning_two_new_changes_its_members_study_mode(world) -> None:
    small, period = world["small"], world["period"]
    branch = small.a.branches[0]
    present = small.a.members[:3]
    study_services.session_record(
        actor=None,
        period=period,
        org=branch,
        held_on=dt.date(2005, 7, 15),
        topic="学习",
        amount=4,
        attendance=[(m.pk, True) for m in present],
    )
    done = study_selectors.unit_totals(small.dora, branch, period).done
    assert done == 12
    org_services.organization_update(actor=None, org=branch, sector=Sector.NEW_ECONOMIC)
    # the class hours they attended do not count under the credit system (S9)
    assert study_selectors.unit_totals(small.dora, branch, period).done == 0
    assert not any(differences_all().values())


def test_a_member_merge_and_its_undo_keep_the_totals(world) -> None:
    small = world["small"]
    keep, drop = small.a.members[0], small.b.members[0]
    a, b = _roll(world, small.a.org), _roll(world, small.b.org)
    merge = duplicate_services.member_merge(actor=world["admin"], keep=keep, drop=drop)
    assert _roll(world, small.b.org)[0] == b[0] - 1
    assert not any(differences_all().values())
    duplicate_services.member_merge_undo(actor=world["admin"], merge=merge)
    assert (_roll(world, small.a.org), _roll(world, small.b.org)) == (a, b)
    assert not any(differences_all().values())


def test_a_subtree_moved_takes_its_figures_to_its_new_parent(world) -> None:
    small = world["small"]
    a, b = _roll(world, small.a.org), _roll(world, small.b.org)
    moved = _roll(world, small.a.street)
    org_services.organization_move(actor=None, org=small.a.street, new_parent=small.b.org)
    assert _roll(world, small.b.org)[0] == b[0] + moved[0]
    assert _roll(world, small.a.org)[0] == a[0] - moved[0]
    assert not any(differences_all().values())
