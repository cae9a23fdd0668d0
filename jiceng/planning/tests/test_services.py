"""Planning services (S10, S16, S17): a plan is computed, edited, applied as transfers into
newly founded regional branches, confirmed or reverted — scoped and audited throughout.

Every test makes its own small world (``tests.factories``): alice is the officer of district
a, bob of district b. The plans forming regional branches are computed on a sector committee
of the test's own (``factories.sector_world``) whose dispersed members live across two
districts; the plans assigning members to branches on district a with its branches located
and dispersed members living near them (``factories.assign_world``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.core.models import AuditEvent
from jiceng.members.models import EmploymentStatus, Member, Transfer
from jiceng.members.tests.factories_records import LAT, LNG
from jiceng.members.transfers.rules import TransferState
from jiceng.orgs.models import BranchKind, Organization, OrgType
from jiceng.planning import services
from jiceng.planning.models import Plan
from jiceng.planning.rules import PlanKind, PlanState, Selection, is_dispersed_q
from tests.factories import make_member

from .factories import assign_world


def _run(plan: Plan) -> Plan:
    services.plan_queue(actor=plan.created_by, plan=plan)
    return services.plan_run(plan_id=plan.pk)


@pytest.fixture
def electric(sector):
    return sector.sector


@pytest.fixture
def form_plan(officer, electric):
    plan = services.plan_create(actor=officer, root=electric, kind=PlanKind.FORM, target_size=6)
    return _run(plan)


def _dispersed(root: Organization) -> int:
    return (
        Member.objects.on_roll()
        .filter(home_path__startswith=root.path)
        .filter(is_dispersed_q())
        .count()
    )


def test_a_form_plan_puts_every_dispersed_member_in_a_branch_of_legal_size(
    form_plan, electric, sector
):
    """S17: the dispersed members become regional branches of 3-50 (here target 6)."""
    assert form_plan.state == PlanState.READY, form_plan.message
    sizes = [b.size for b in form_plan.branches.all()]
    assert all(3 <= s <= 50 for s in sizes)
    assert _dispersed(electric) == len(sector.dispersed)
    assert sum(sizes) == form_plan.assignments.count() == _dispersed(electric)
    assert set(form_plan.assignments.values_list("member_id", flat=True)) == {
        m.pk for m in sector.dispersed
    }
    assert form_plan.summary["branches"] == len(sizes) >= 2
    assert form_plan.summary["districts"] >= 2
    assert all(b.name.endswith("区域党支部") for b in form_plan.branches.all())


def test_applying_founds_regional_branches_and_issues_letters(form_plan, officer):
    plan = services.plan_apply(actor=officer, plan=form_plan)
    assert plan.state == PlanState.APPLIED
    founded = Organization.objects.filter(kind=BranchKind.REGIONAL, path__startswith=plan.root_path)
    assert founded.count() == plan.branches.count()
    assert set(founded.values_list("org_type", flat=True)) == {OrgType.BRANCH}
    transfers = Transfer.objects.filter(batch=plan.transfer_batch)
    assert transfers.count() == plan.assignments.count()
    assert set(transfers.values_list("state", flat=True)) == {TransferState.LETTER_ISSUED}
    # Counts move only on the receipt: members are still at their old branches.
    assert not Member.objects.filter(home_org__in=founded).exists()
    assert (
        AuditEvent.objects.filter(object_type="planning.plan", object_id=str(plan.pk)).count() >= 3
    )


def test_the_receiving_side_confirms_and_the_members_move(form_plan, officer):
    plan = services.plan_apply(actor=officer, plan=form_plan)
    done = services.plan_confirm(actor=officer, plan=plan)
    assert done == plan.assignments.count()
    for a in plan.assignments.select_related("member", "branch"):
        a.member.refresh_from_db()
        assert a.member.home_org_id == a.branch.org_id


def test_reverting_withdraws_the_letters_and_abolishes_the_new_branches(form_plan, officer):
    plan = services.plan_apply(actor=officer, plan=form_plan)
    plan = services.plan_revert(actor=officer, plan=plan, reason="重新研究")
    assert plan.state == PlanState.REVERTED
    states = set(Transfer.objects.filter(batch=plan.transfer_batch).values_list("state", flat=True))
    assert states == {TransferState.WITHDRAWN}
    orgs = Organization.objects.filter(pk__in=plan.branches.values_list("org_id", flat=True))
    assert all(o.is_abolished for o in orgs)


def test_a_plan_cannot_be_reverted_once_a_receipt_is_confirmed(form_plan, officer):
    plan = services.plan_apply(actor=officer, plan=form_plan)
    services.plan_confirm(actor=officer, plan=plan)
    with pytest.raises(ValidationError, match="接收方确认"):
        services.plan_revert(actor=officer, plan=plan)


def test_moving_a_member_marks_the_edit_and_recounts_the_branches(form_plan, officer):
    a = form_plan.assignments.select_related("branch").first()
    other = form_plan.branches.exclude(pk=a.branch_id).first()
    before = other.size
    moved = services.plan_move_member(
        actor=officer, plan=form_plan, member_id=a.member_id, branch=other
    )
    other.refresh_from_db()
    form_plan.refresh_from_db()
    assert moved.edited
    assert other.size == before + 1
    assert form_plan.summary["edited"] == 1
    assert form_plan.summary["optimal"] is False


def test_a_branch_below_the_legal_size_blocks_applying(form_plan, officer):
    small = form_plan.branches.order_by("size").first()
    other = form_plan.branches.exclude(pk=small.pk).first()
    for a in form_plan.assignments.filter(branch=small)[: small.size - 2]:
        services.plan_move_member(
            actor=officer, plan=form_plan, member_id=a.member_id, branch=other
        )
    with pytest.raises(ValidationError, match="规模不合规"):
        services.plan_apply(actor=officer, plan=form_plan)
    assert not Organization.objects.filter(kind=BranchKind.REGIONAL).exists()


def test_an_officer_of_another_unit_cannot_plan_here(small):
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=small.bob, root=small.a.street, kind=PlanKind.FORM)
    assert not Plan.objects.exists()


def test_an_assign_plan_is_optimal_and_respects_each_branchs_room(small):
    dispersed = assign_world(small)
    plan = services.plan_create(
        actor=small.alice,
        root=small.a.org,
        kind=PlanKind.ASSIGN,
        selection=Selection.DISPERSED,
    )
    plan = _run(plan)
    assert plan.state == PlanState.READY, plan.message
    assert plan.summary["optimal"] is True
    for b in plan.branches.all():
        assert b.size <= b.capacity
    assert plan.assignments.count() == plan.summary["members"] == len(dispersed) > 0


def test_an_infeasible_plan_fails_with_a_chinese_reason_and_keeps_nothing(small):
    assign_world(small, dispersed=0)  # the branches stand at (LAT, LNG) and 1 km north
    for i in range(4):  # homes some 5 km from every branch
        make_member(small.a.branches[i % 2], lat=LAT - 0.05, lng=LNG + i / 1000)
    plan = services.plan_create(
        actor=small.alice,
        root=small.a.org,
        kind=PlanKind.ASSIGN,
        selection=Selection.ALL,
        max_distance_km=0.2,
    )
    plan = _run(plan)
    assert plan.state == PlanState.FAILED
    assert "没有可转入的支部" in plan.message or "名额" in plan.message
    assert not plan.assignments.exists()


def test_forming_under_a_branch_is_refused(small):
    branch = small.a.branches[0]
    with pytest.raises(ValidationError, match="党委"):
        services.plan_create(actor=small.alice, root=branch, kind=PlanKind.FORM)


def test_a_fault_while_computing_marks_the_plan_failed(small, monkeypatch):
    for i in range(6):
        make_member(
            small.a.branches[i % 2],
            employment_status=EmploymentStatus.MOBILE,
            lat=31.23 + i / 100,
            lng=121.47 + i / 100,
        )
    plan = services.plan_create(actor=small.alice, root=small.a.street, kind=PlanKind.FORM)
    services.plan_queue(actor=plan.created_by, plan=plan)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.optimize, "form_branches", broken)
    with pytest.raises(RuntimeError):
        services.plan_run(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.state == PlanState.FAILED
    assert "计算出错" in plan.message
