"""Transfers of organisational relationship (组织关系转接): the state machine, scoping across
two districts, counts that change only on completion, bulk transfers, expiry (S10, S16, S17).

Each test makes its own small world (``small``): transfers go from alice's district a to bob's
district b (``factories_transfers``)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.core.models import AuditEvent
from jiceng.members.models import Member, Transfer, TransferEvent
from jiceng.members.transfers import services as ts
from jiceng.members.transfers.rules import (
    TRANSITIONS,
    NotYourSideError,
    Side,
    TransferAction,
    TransferKind,
    TransferState,
    TransitionNotAllowedError,
    allowed,
)
from jiceng.orgs.models import OrgType
from jiceng.orgs.selectors import subtree_member_counts
from tests.factories import OrganizationFactory, SmallWorld, make_member

from .factories_transfers import (
    DEST_ORG_NAME,
    DEST_REGION,
    city_admin,
    make_transfer,
    member_account,
    street_officer,
    third_district_officer,
    today,
)


def apply(t: Transfer, action: str, actor: Any) -> Transfer:
    """Run ``action`` with the parameters it needs."""
    if action == TransferAction.EXPIRE:
        with_lock = Transfer.objects.get(pk=t.pk)
        return ts._transition(actor=actor, transfer=with_lock, action=action)
    params: dict[str, Any] = {
        TransferAction.ISSUE: {"dues_paid_to": today()},
        TransferAction.REJECT: {"reason": "不符合条件"},
    }.get(action, {})
    return ts.transfer_act(actor=actor, transfer=t, action=action, **params)


@pytest.fixture
def sparse(db: Any) -> SmallWorld:
    """The usual small world with one member per branch: enough for the state-machine tests,
    which move one member each, and quicker to build for the ~150 of them."""
    return SmallWorld.make(members_per_branch=1)


def actor_for(small: SmallWorld, side: str) -> Any:
    return {Side.SENDING: small.alice, Side.RECEIVING: small.bob}.get(side)


ALLOWED = [
    pytest.param(row, source, kind, id=f"{row.action}-{row.side}-{source}-{kind}")
    for row in TRANSITIONS
    for source in sorted(row.sources)
    for kind in sorted(row.kinds)
]
ACTIONS = [a for a in TransferAction if a != TransferAction.REQUEST]
FORBIDDEN = [
    pytest.param(state, action, kind, id=f"{action}-from-{state}-{kind}")
    for state, action, kind in itertools.product(TransferState, ACTIONS, TransferKind)
    if not allowed(action, state, kind)
]


@pytest.mark.parametrize(("row", "source", "kind"), ALLOWED)
def test_every_allowed_transition_reaches_its_target_state(sparse, row, source, kind):
    """S10, S17: each row of the table, from each of its source states, by its side."""
    t = make_transfer(sparse, source, kind)
    t = apply(t, row.action, actor_for(sparse, row.side))
    assert t.state == row.target
    event = TransferEvent.objects.filter(transfer=t).order_by("-id").first()
    assert (event.action, event.from_state, event.to_state) == (row.action, source, row.target)


@pytest.mark.parametrize(("state", "action", "kind"), FORBIDDEN)
def test_every_forbidden_transition_raises_a_typed_error_and_changes_nothing(
    sparse, state, action, kind
):
    t = make_transfer(sparse, state, kind)
    events = t.events.count()
    with pytest.raises(TransitionNotAllowedError) as info:
        apply(t, action, None)  # the system may act for any side: only the table can refuse
    assert "不能" in info.value.messages[0]
    t.refresh_from_db()
    assert t.state == state
    assert t.events.count() == events


@pytest.mark.parametrize(
    "row", [r for r in TRANSITIONS if r.side != Side.SYSTEM], ids=lambda r: f"{r.action}-{r.side}"
)
def test_the_other_side_may_not_take_a_sides_action(sparse, row):
    """Sending side approves and issues; receiving side confirms (and not the other way)."""
    kind = sorted(row.kinds)[0]
    source = sorted(row.sources)[0]
    t = make_transfer(sparse, source, kind)
    other = Side.RECEIVING if row.side == Side.SENDING else Side.SENDING
    if not [r for r in TRANSITIONS if r.action == row.action and r.side == other]:
        with pytest.raises(NotYourSideError):
            apply(t, row.action, actor_for(sparse, other))


def test_a_third_district_cannot_act_at_all(small):
    t = make_transfer(small, TransferState.REQUESTED)
    with pytest.raises(NotYourSideError):
        ts.transfer_approve(actor=third_district_officer(small), transfer=t)


# ----- counts and the member's relationship -----------------------------------------------


def test_counts_at_both_ends_change_only_on_completion(small):
    """S10: the sending side stays responsible until the receipt; counts move then."""
    member = small.a.members[0]
    source, target = member.home_org, small.b.branches[0]
    before = (subtree_member_counts(source)["total"], subtree_member_counts(target)["total"])
    t = ts.transfer_request(actor=small.alice, member=member, to_org=target)
    t = ts.transfer_approve(actor=small.alice, transfer=t)
    t = ts.transfer_issue(actor=small.alice, transfer=t, dues_paid_to=today())
    t = ts.transfer_dispatch(actor=small.alice, transfer=t)
    member.refresh_from_db()
    assert member.home_org == source
    assert (
        subtree_member_counts(source)["total"],
        subtree_member_counts(target)["total"],
    ) == before
    ts.transfer_confirm(actor=small.bob, transfer=t)
    member.refresh_from_db()
    assert (member.home_org, member.home_path) == (target, target.path)
    assert member.participating_org == target
    assert subtree_member_counts(source)["total"] == before[0] - 1
    assert subtree_member_counts(target)["total"] == before[1] + 1
    assert AuditEvent.objects.filter(
        verb="move", object_type="members.member", object_id=str(member.pk)
    ).exists()


def test_out_of_city_transfer_marks_the_member_transferred_out_on_the_receipt(small):
    t = make_transfer(small, TransferState.IN_TRANSIT, TransferKind.OUT_OF_CITY)
    member = t.member
    total = subtree_member_counts(member.home_org)["total"]
    assert member.transferred_out_on is None
    ts.transfer_record_receipt(actor=small.alice, transfer=t, note="回执已收到")
    member.refresh_from_db()
    assert member.transferred_out_on == today()
    assert member.home_org == t.from_org  # the last organisation in the city stays
    assert subtree_member_counts(member.home_org)["total"] == total - 1
    assert not Member.objects.on_roll().filter(pk=member.pk).exists()
    with pytest.raises(ValidationError, match="已转出本市"):
        ts.transfer_request(actor=small.alice, member=member, to_org=small.a.branches[1])


def test_a_member_has_at_most_one_open_transfer(small):
    t = make_transfer(small, TransferState.APPROVED)
    with pytest.raises(ValidationError, match="未办结"):
        ts.transfer_request(actor=small.alice, member=t.member, to_org=small.b.branches[0])


def test_only_the_home_side_may_request(small):
    with pytest.raises(PermissionDenied):
        ts.transfer_request(actor=small.bob, member=small.a.members[0], to_org=small.b.branches[0])


def test_target_must_be_an_active_branch_other_than_the_home(small):
    member = small.a.members[0]
    with pytest.raises(ValidationError, match="党支部"):
        ts.transfer_request(actor=small.alice, member=member, to_org=small.b.org)
    with pytest.raises(ValidationError, match="相同"):
        ts.transfer_request(actor=small.alice, member=member, to_org=member.home_org)


def test_letter_numbers_are_unique_and_sequential_per_district_and_year(small):
    a = make_transfer(small, TransferState.LETTER_ISSUED)
    b = make_transfer(small, TransferState.LETTER_ISSUED)
    code = ts.letter_district_code(a.from_org)
    assert a.letter_no.startswith(f"{code}-{today().year}-")
    assert int(b.letter_no.rsplit("-", 1)[1]) == int(a.letter_no.rsplit("-", 1)[1]) + 1
    assert a.valid_days == ts.default_valid_days(TransferKind.IN_CITY)
    assert a.valid_until == a.issued_on + dt.timedelta(days=a.valid_days)
    assert a.dues_paid_to == today().replace(day=1)


def test_expire_command_closes_letters_past_their_validity(small):
    t = make_transfer(small, TransferState.IN_TRANSIT)
    fresh = make_transfer(small, TransferState.LETTER_ISSUED)
    Transfer.objects.filter(pk=t.pk).update(valid_until=today() - dt.timedelta(days=2))
    call_command("expire_transfers")
    t.refresh_from_db()
    fresh.refresh_from_db()
    assert t.state == TransferState.EXPIRED
    assert fresh.state == TransferState.LETTER_ISSUED
    assert t.member.home_org_id == t.from_org_id


def test_every_write_is_audited(small):
    t = make_transfer(small, TransferState.DONE)
    verbs = list(
        AuditEvent.objects.filter(object_type="members.transfer", object_id=str(t.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["create", "update", "update", "update"]


# ----- scoping --------------------------------------------------------------------------


def test_a_transfer_across_two_districts_is_seen_by_both_and_by_no_third(small):
    """a → b: both district officers (and the city) see it; a third district's officer and
    the officer of another street of a do not (rule 1)."""
    other_street = OrganizationFactory(
        parent=small.a.org, name="甲区二街道党工委", org_type=OrgType.STREET_COMMITTEE
    )
    member = small.a.members[0]  # in a's first street, not in other_street
    t = ts.transfer_request(actor=small.alice, member=member, to_org=small.b.branches[0])
    for who in (small.alice, small.bob, city_admin(small)):
        assert Transfer.objects.visible_to(who).filter(pk=t.pk).exists(), who
    for who in (third_district_officer(small), street_officer(other_street)):
        assert not Transfer.objects.visible_to(who).filter(pk=t.pk).exists(), who


def test_the_member_sees_their_own_transfers(small):
    member = small.a.members[0]
    self_user = member_account(member)
    t = ts.transfer_request(actor=small.alice, member=member, to_org=small.b.branches[0])
    assert list(Transfer.objects.visible_to(self_user).filter(member=member)) == [t]


# ----- bulk ---------------------------------------------------------------------------------


def test_bulk_transfer_is_all_or_nothing(small):
    """S17: one member with an open transfer refuses the whole list."""
    admin = city_admin(small)
    busy = make_transfer(small, TransferState.REQUESTED).member
    members = [make_member(small.a.branches[i % 2]) for i in range(6)]
    busy = Member.objects.select_related("home_org").get(pk=busy.pk)
    target = small.b.branches[0]
    homes = {m.pk: m.home_org_id for m in members}
    before = Transfer.objects.count()
    with pytest.raises(ValidationError, match="未办结"):
        ts.transfer_bulk(actor=admin, moves=[(m, target) for m in [*members, busy]], complete=True)
    assert Transfer.objects.count() == before
    for m in Member.objects.filter(pk__in=homes):
        assert m.home_org_id == homes[m.pk]


def test_bulk_transfer_completes_in_one_audited_operation(small):
    admin = city_admin(small)
    members = [make_member(small.a.branches[i % 2]) for i in range(8)]
    targets = small.b.branches  # two targets, in turn
    moves = [(m, targets[i % 2]) for i, m in enumerate(members)]
    audits = AuditEvent.objects.count()
    result = ts.transfer_bulk(actor=admin, moves=moves, reason="就近转入区域党支部", complete=True)
    assert result.count == 8
    assert result.completed
    rows = Transfer.objects.filter(batch=result.batch)
    assert rows.count() == 8
    assert set(rows.values_list("state", flat=True)) == {TransferState.DONE}
    assert TransferEvent.objects.filter(transfer__batch=result.batch).count() == 8 * 3
    for m, target in moves:
        m.refresh_from_db()
        assert (m.home_org_id, m.home_path) == (target.pk, target.path)
    assert AuditEvent.objects.count() == audits + 1


def test_bulk_transfer_across_scopes_issues_letters_for_the_receiver_to_confirm(small):
    members = small.a.members[:3]
    target = small.b.branches[0]
    with pytest.raises(ValidationError, match="管理范围"):
        ts.transfer_bulk(actor=small.alice, moves=[(m, target) for m in members], complete=True)
    result = ts.transfer_bulk(actor=small.alice, moves=[(m, target) for m in members])
    rows = list(Transfer.objects.filter(batch=result.batch))
    assert {t.state for t in rows} == {TransferState.LETTER_ISSUED}
    assert len({t.letter_no for t in rows}) == 3
    ts.transfer_confirm(actor=small.bob, transfer=rows[0])
    assert Member.objects.get(pk=rows[0].member_id).home_org == target


def test_bulk_transfer_takes_the_same_number_of_queries_for_any_size(small):
    admin = city_admin(small)
    target = small.b.branches[0]
    pool = [make_member(small.a.branches[i % 2]) for i in range(45)]

    def run(members: list[Member]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            ts.transfer_bulk(actor=admin, moves=[(m, target) for m in members], complete=True)
        return len(ctx.captured_queries)

    run(pool[:2])  # the actor's scope is loaded once per request
    assert run(pool[2:7]) == run(pool[7:45])


def test_home_unit_cannot_be_edited_behind_an_open_transfer(small):
    """While a transfer is open the sending side stays responsible (S16): the member form may
    not move the relationship; after the transfer is withdrawn it may again."""
    from jiceng.members import services

    member = small.a.members[0]
    t = ts.transfer_request(
        actor=small.alice, member=member, dest_org_name=DEST_ORG_NAME, dest_region=DEST_REGION
    )
    other = small.a.branches[1]
    assert other.pk != member.home_org_id
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=small.alice, member=member, home_org=other)
    assert "进行中的组织关系转接" in str(exc.value)
    assert Member.objects.get(pk=member.pk).home_org_id == member.home_org_id
    ts.transfer_withdraw(actor=small.alice, transfer=t, reason="撤回")
    moved, _ = services.member_update(actor=small.alice, member=member, home_org=other)
    assert moved.home_org_id == other.pk
