"""Double pairing (S26: ~87,000 needy people paired with branches, 15,000+ units with
residential areas or two-new organisations): the lifecycle, the person's paired branch, the
bulk write of a pairing plan and the coverage."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.core.models import AuditEvent
from jiceng.outreach.pairings import selectors, services
from jiceng.outreach.pairings.models import Pairing, UnitPairing
from jiceng.outreach.pairings.rules import PairingSource, PairingState, PartnerKind
from jiceng.outreach.registry import selectors as registry_selectors
from jiceng.outreach.registry.models import NeedyPerson
from jiceng.outreach.registry.rules import NeedyStatus
from tests.factories import OrganizationFactory

from .conftest import register


def _paired_path(person: NeedyPerson) -> str:
    return NeedyPerson.objects.get(pk=person.pk).paired_path


# ----- lifecycle ----------------------------------------------------------------------------


def test_propose_confirm_end_sets_and_clears_the_paired_branch(pw):
    """S26: the street officer proposes, the branch confirms (the person's paired branch is
    set), and the pairing ends with a reason (cleared); every step audited."""
    alice, person = pw.small.alice, pw.people[0]
    pairing = services.pairing_propose(actor=alice, needy=person, branch=pw.branch)
    assert pairing.state == PairingState.PROPOSED
    assert (pairing.path, pairing.branch_path) == (pw.small.a.street.path, pw.branch.path)
    assert _paired_path(person) == ""

    services.pairing_confirm(actor=pw.small.charlie, pairing=pairing)
    assert pairing.state == PairingState.CONFIRMED
    assert pairing.started_on
    assert _paired_path(person) == pw.branch.path

    with pytest.raises(ValidationError, match="原因"):
        services.pairing_end(actor=alice, pairing=pairing, reason=" ")
    services.pairing_end(actor=alice, pairing=pairing, reason="已迁往外区居住")
    pairing.refresh_from_db()
    assert (pairing.state, pairing.end_reason) == (PairingState.ENDED, "已迁往外区居住")
    assert _paired_path(person) == ""
    audited = AuditEvent.objects.filter(object_type="outreach_pairings.pairing")
    assert audited.count() == 3
    assert AuditEvent.objects.filter(object_type="outreach.needyperson", verb="update").count() == 2


def test_one_open_pairing_per_person_and_refusals_in_chinese(pw):
    """S26: a person is paired with one branch at a time; an ended pairing frees them."""
    alice, person = pw.small.alice, pw.people[0]
    first = services.pairing_propose(actor=alice, needy=person, branch=pw.branch)
    with pytest.raises(ValidationError, match="已有结对"):
        services.pairing_propose(actor=alice, needy=person, branch=pw.small.a.branches[1])
    with pytest.raises(ValidationError, match="请选择党支部"):
        services.pairing_propose(actor=alice, needy=pw.people[1], branch=pw.small.a.street)
    services.pairing_confirm(actor=alice, pairing=first)
    with pytest.raises(ValidationError, match="不能确认"):
        services.pairing_confirm(actor=alice, pairing=first)
    services.pairing_end(actor=alice, pairing=first, reason="帮扶对象已脱困")
    with pytest.raises(ValidationError, match="不能结束"):
        services.pairing_end(actor=alice, pairing=first, reason="再次结束")
    again = services.pairing_propose(actor=alice, needy=person, branch=pw.small.a.branches[1])
    assert again.state == PairingState.PROPOSED


def test_an_inactive_person_is_not_paired(pw):
    person = pw.people[0]
    NeedyPerson.objects.filter(pk=person.pk).update(status=NeedyStatus.DECEASED)
    person.refresh_from_db()
    with pytest.raises(ValidationError, match="不是在册帮扶对象"):
        services.pairing_propose(actor=pw.small.alice, needy=person, branch=pw.branch)


def test_leaving_the_register_or_a_merge_ends_the_pairing(pw):
    """S26: a person who moves away (or is merged into another registration) is no longer
    paired: the pairing ends with the status as its reason and the branch stops reading them."""
    from jiceng.core import clock
    from jiceng.outreach.registry import services as registry_services

    alice = pw.small.alice
    moved, dropped, kept = pw.people
    pairings = []
    for person in (moved, dropped):
        pairing = services.pairing_propose(actor=alice, needy=person, branch=pw.branch)
        pairings.append(services.pairing_confirm(actor=alice, pairing=pairing))
    assert NeedyPerson.objects.visible_to(pw.small.charlie).filter(pk=moved.pk).exists()
    registry_services.needy_status_set(
        actor=alice,
        person=moved,
        status=NeedyStatus.MOVED_AWAY,
        on=clock.today(),
        reason="随子女迁往外省",
    )
    registry_services.needy_merge(actor=alice, kept=kept, dropped=dropped, reason="重复登记")
    reasons = ("已迁出：随子女迁往外省", "重复登记已合并：重复登记")
    for pairing, why in zip(pairings, reasons, strict=True):
        pairing.refresh_from_db()
        assert (pairing.state, pairing.end_reason) == (PairingState.ENDED, why)
    assert _paired_path(moved) == _paired_path(dropped) == ""
    assert not NeedyPerson.objects.visible_to(pw.small.charlie).filter(pk=moved.pk).exists()


def test_another_district_may_not_pair_or_confirm(pw):
    """Scoping: bob (district b) may not pair a's residents nor act on a's pairing; charlie (a
    branch secretary) may not propose for the street but confirms for his branch."""
    bob, charlie = pw.small.bob, pw.small.charlie
    with pytest.raises(PermissionDenied, match="无权"):
        services.pairing_propose(actor=bob, needy=pw.people[0], branch=pw.branch)
    with pytest.raises(PermissionDenied, match="无权"):
        services.pairing_propose(actor=charlie, needy=pw.people[0], branch=pw.branch)
    pairing = services.pairing_propose(actor=pw.small.alice, needy=pw.people[0], branch=pw.branch)
    assert not services.pairing_rights(bob, pairing).confirm
    with pytest.raises(PermissionDenied):
        services.pairing_confirm(actor=bob, pairing=pairing)
    rights = services.pairing_rights(charlie, pairing)
    assert rights.confirm
    assert rights.end


def test_the_paired_branch_secretary_sees_the_person_once_confirmed(pw):
    """S26: confirming gives the branch the person (``paired_path``): charlie sees them in the
    registry; ending takes them away again."""
    charlie, person = pw.small.charlie, pw.people[0]
    visible = registry_selectors.needy_list(charlie)
    assert person not in visible
    pairing = services.pairing_propose(actor=pw.small.alice, needy=person, branch=pw.branch)
    assert person not in registry_selectors.needy_list(charlie)
    services.pairing_confirm(actor=charlie, pairing=pairing)
    assert person in registry_selectors.needy_list(charlie)
    services.pairing_end(actor=charlie, pairing=pairing, reason="支部撤并")
    assert person not in registry_selectors.needy_list(charlie)


# ----- unit pairings ---------------------------------------------------------------------------


def test_unit_pairing_lifecycle_and_partner_kind(pw):
    """S26: an agency's organisation pairs with a residential area and a two-new
    organisation; any other partner is refused; one open pairing per couple."""
    alice = pw.small.alice
    home = services.unit_pairing_propose(actor=alice, org=pw.agency, partner=pw.residential)
    assert home.partner_kind == PartnerKind.RESIDENTIAL
    firm = services.unit_pairing_propose(actor=alice, org=pw.agency, partner=pw.two_new)
    assert firm.partner_kind == PartnerKind.TWO_NEW
    with pytest.raises(ValidationError, match="已有结对"):
        services.unit_pairing_propose(actor=alice, org=pw.agency, partner=pw.residential)
    with pytest.raises(ValidationError, match="居民区党组织或两新组织"):
        services.unit_pairing_propose(actor=alice, org=pw.agency, partner=pw.branch)
    services.unit_pairing_confirm(actor=alice, pairing=home)
    assert home.state == PairingState.CONFIRMED
    with pytest.raises(PermissionDenied):
        services.unit_pairing_end(actor=pw.small.bob, pairing=home, reason="调整")
    services.unit_pairing_end(actor=alice, pairing=home, reason="结对期满")
    assert UnitPairing.objects.get(pk=home.pk).state == PairingState.ENDED
    again = services.unit_pairing_propose(actor=alice, org=pw.agency, partner=pw.residential)
    assert again.state == PairingState.PROPOSED


# ----- a pairing plan --------------------------------------------------------------------------


def test_pairings_from_plan_creates_confirmed_pairings(pw):
    """S26: a plan's rows become confirmed pairings from the plan, the people's paired branch
    set, each audited, in a few queries."""
    rows = [(p.pk, pw.branch.pk, 120.0 * i) for i, p in enumerate(pw.people)]
    with CaptureQueriesContext(connection) as queries:
        n = services.pairings_from_plan(actor=pw.small.alice, rows=rows, plan_id=7, note="试点")
    assert n == 3
    assert len(queries) < 25
    made = Pairing.objects.filter(plan_id=7)
    assert {(p.state, p.source) for p in made} == {(PairingState.CONFIRMED, PairingSource.PLAN)}
    assert {_paired_path(p) for p in pw.people} == {pw.branch.path}
    assert AuditEvent.objects.filter(object_type="outreach_pairings.pairing").count() == 4


@pytest.mark.parametrize("case", ["inactive", "taken", "outside", "not_a_branch", "foreign_branch"])
def test_pairings_from_plan_is_all_or_nothing(pw, case):
    """S26: one bad row refuses the whole plan, naming the people; nothing is written."""
    alice = pw.small.alice
    rows = [(p.pk, pw.branch.pk, None) for p in pw.people]
    expected = ""
    if case == "inactive":
        NeedyPerson.objects.filter(pk=pw.people[1].pk).update(status=NeedyStatus.MOVED_AWAY)
        expected = "钱老伯"
    elif case == "taken":
        services.pairing_propose(actor=alice, needy=pw.people[2], branch=pw.small.a.branches[1])
        expected = "孙阿姨"
    elif case == "outside":
        rows.append((pw.foreign.pk, pw.branch.pk, None))
        expected = "李大爷"
    elif case == "not_a_branch":
        rows[0] = (pw.people[0].pk, pw.small.a.street.pk, None)
        expected = str(pw.small.a.street.pk)
    else:
        rows[0] = (pw.people[0].pk, pw.small.b.branches[0].pk, None)
        expected = str(pw.small.b.branches[0].pk)
    before = Pairing.objects.count()
    with pytest.raises(ValidationError, match=expected):
        services.pairings_from_plan(actor=alice, rows=rows, plan_id=9)
    assert Pairing.objects.count() == before
    assert {_paired_path(p) for p in pw.people} == {""}


# ----- coverage ----------------------------------------------------------------------------------


def _independent(user, under) -> dict[str, dict[str, int]]:
    """The same figures counted in Python over every row (what the grouped queries must
    equal)."""
    length = len(under.path) + 4
    out: dict[str, dict[str, int]] = {}

    def add(path: str, key: str, n: int = 1) -> None:
        row = out.setdefault(path[:length], dict.fromkeys(selectors.COUNTS, 0))
        row[key] += n

    confirmed = list(Pairing.objects.filter(state=PairingState.CONFIRMED))
    paired_people = {p.needy_id for p in confirmed}
    for person in NeedyPerson.objects.visible_to(user):
        if person.path.startswith(under.path) and person.status == NeedyStatus.ACTIVE:
            add(person.path, "needy")
            if person.pk in paired_people:
                add(person.path, "paired")
    from jiceng.orgs.models import Organization

    for org in Organization.objects.visible_to(user):
        if org.path.startswith(under.path) and org.is_branch and not org.is_abolished:
            add(org.path, "branches")
    seen: set[int] = set()
    for p in confirmed:
        if p.branch_path.startswith(under.path) and p.branch_id not in seen:
            seen.add(p.branch_id)
            add(p.branch_path, "branches_pairing")
    partners: set[int] = set()
    for u in UnitPairing.objects.filter(state=PairingState.CONFIRMED):
        if u.partner_path.startswith(under.path):
            add(u.partner_path, "unit_pairings")
            if u.partner_id not in partners:
                partners.add(u.partner_id)
                add(u.partner_path, "partners")
    return out


def test_coverage_equals_an_independent_count(pw):
    """S26: coverage per district (city root) and per street equals a count in Python."""
    small, alice = pw.small, pw.small.alice
    services.pairings_from_plan(
        actor=None,
        rows=[(pw.people[0].pk, pw.branch.pk, 10.0), (pw.foreign.pk, small.b.branches[0].pk, None)],
        plan_id=1,
    )
    services.pairing_propose(actor=alice, needy=pw.people[1], branch=small.a.branches[1])
    unit = services.unit_pairing_propose(actor=alice, org=pw.agency, partner=pw.two_new)
    services.unit_pairing_confirm(actor=alice, pairing=unit)
    other = OrganizationFactory(
        parent=small.a.org, name="甲区某国企党委", org_type="sector_committee"
    )
    services.unit_pairing_confirm(
        actor=None,
        pairing=services.unit_pairing_propose(actor=None, org=other, partner=pw.two_new),
    )
    register(small.a.street, "周大妈", "甲区一街道幸福里20号")
    for user, under in (
        (small.dora, small.city),
        (alice, small.a.org),
        (alice, small.a.street),
    ):
        rows = selectors.coverage(user, under)
        got = {r.key: {k: getattr(r, k) for k in selectors.COUNTS} for r in rows}
        assert got == _independent(user, under)
    by_district = {r.key: r for r in selectors.coverage(small.dora, small.city)}
    a = by_district[small.a.org.path]
    assert (a.needy, a.paired, a.unit_pairings, a.partners) == (4, 1, 2, 1)
    # alice sees only her district
    assert {r.key for r in selectors.coverage(alice, small.city)} == {small.a.org.path}


def test_pairings_from_plan_takes_many_rows_in_few_queries(pw):
    """S26 at scale: a plan of thousands of rows is written with bulk inserts, far fewer
    queries than rows (87,000 rows: a few dozen on PostgreSQL), every row audited."""
    import datetime as dt

    from django.utils import timezone

    street, n = pw.small.a.street, 12_000
    NeedyPerson.objects.bulk_create(
        NeedyPerson(
            name=f"测试{i}",
            name_simplified=f"测试{i}",
            address="甲区一街道",
            street_org=street,
            path=street.path,
            status=NeedyStatus.ACTIVE,
            status_since=dt.date(2005, 1, 1),
            registered_at=timezone.now(),
        )
        for i in range(n)
    )
    ids = list(NeedyPerson.objects.filter(name__startswith="测试").values_list("pk", flat=True))
    branches = [b.pk for b in pw.small.a.branches]
    rows = [(pk, branches[i % 2], 100.0) for i, pk in enumerate(ids)]
    with CaptureQueriesContext(connection) as queries:
        made = services.pairings_from_plan(actor=pw.small.alice, rows=rows, plan_id=11)
    assert made == n
    # batches: a few dozen on PostgreSQL; SQLite's 999-parameter limit makes smaller batches
    assert len(queries) < (60 if connection.vendor == "postgresql" else n / 20)
    assert NeedyPerson.objects.filter(pk__in=ids[:900], paired_path="").count() == 0
    assert AuditEvent.objects.filter(object_type="outreach_pairings.pairing").count() == n + 1
