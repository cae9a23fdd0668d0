"""Visits (S19: 33 branches made 5,698 visits focused on 1,500 needy families): recorded by a
member on their phone or by the branch, confirmed or returned by the branch, the needs raised
followed up to closure, and the counts by unit, month and category (a category only inside the
reader's outreach scope, PIPL art. 28)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.functions import Substr, TruncMonth
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import mark_verified
from jiceng.accounts.models import RoleAssignment, User
from jiceng.accounts.roles import Role
from jiceng.core import clock, tree
from jiceng.core.models import AuditEvent
from jiceng.core.notices import notices_for
from jiceng.members.models import Member
from jiceng.orgs.models import Organization
from jiceng.outreach.registry import services as registry_services
from jiceng.outreach.registry.models import NeedyCategory, NeedyPerson
from jiceng.outreach.visits import selectors, services
from jiceng.outreach.visits.models import Visit, VisitCategoryTally, VisitTally, VisitVisitor
from jiceng.outreach.visits.rules import NeedKind, NeedState, TargetKind, VisitKind, VisitState
from tests.factories import SmallWorld, UserFactory

ELDERLY = "elderly_alone"
MINIMUM = "minimum_living"


@dataclass
class VisitWorld:
    small: SmallWorld
    member: Member  # a member of charlie's branch, with a self-service account
    member_user: Any
    needy: NeedyPerson  # a needy person of a's street, paired with charlie's branch
    other_needy: NeedyPerson  # of a's street, paired with no branch

    @property
    def branch(self) -> Any:
        return self.small.a.branches[0]


def _needy(street: Any, name: str, address: str, categories: tuple[str, ...]) -> NeedyPerson:
    person, _warnings = registry_services.needy_register(
        actor=None,
        street_org=street,
        name=name,
        address=address,
        categories=[NeedyCategory.objects.get(code=c).pk for c in categories],
    )
    return person


def _member_account(member: Member, username: str) -> Any:
    user = UserFactory(username=username, role=Role.MEMBER, role__over=member.home_org)
    Member.objects.filter(pk=member.pk).update(user=user)
    member.refresh_from_db()
    return user


@pytest.fixture
def vw(small) -> VisitWorld:
    member = small.a.members[0]
    needy = _needy(small.a.street, "顾阿婆", "甲区一街道幸福里5号", (ELDERLY,))
    NeedyPerson.objects.filter(pk=needy.pk).update(paired_path=small.a.branches[0].path)
    needy.refresh_from_db()
    other = _needy(small.a.street, "钱老伯", "甲区一街道幸福里9号", (MINIMUM,))
    return VisitWorld(small, member, _member_account(member, "mei"), needy, other)


MEMBER = object()  # the default actor: the member with the self-service account


def _record(vw: VisitWorld, actor: Any = MEMBER, **fields: Any) -> Visit:
    data: dict[str, Any] = {
        "org": vw.branch,
        "target_kind": TargetKind.NEEDY,
        "needy": vw.needy,
        "visited_on": clock.today() - dt.timedelta(days=3),
        "kind": VisitKind.HOME,
        "findings": "独居，冬天取暖困难",
        "needs": [(NeedKind.LIVING, "需要一台取暖器")],
    }
    data.update(fields)
    return services.visit_record(actor=vw.member_user if actor is MEMBER else actor, **data)


# ----- the lifecycle ---------------------------------------------------------------------------


def test_a_member_records_a_visit_and_the_branch_confirms_it(vw):
    """S19: a member records a home visit to a needy household paired with the branch; it is
    placed at the branch and at the household's street, waits for the branch and is audited."""
    visit = _record(vw)
    assert visit.state == VisitState.RECORDED
    assert list(visit.visitors.all()) == [vw.member]  # the member is among the visitors
    assert visit.org_path == vw.branch.path
    assert visit.target_path == vw.needy.path == vw.small.a.street.path
    (need,) = visit.needs.all()
    assert (need.path, need.state, need.raised_on) == (
        vw.needy.path,
        NeedState.OPEN,
        visit.visited_on,
    )
    created = AuditEvent.objects.get(object_type="outreach.visit", object_id=str(visit.pk))
    assert created.org_path == vw.branch.path
    assert "findings" not in created.changes  # what was found may tell of health or means

    assert services.visit_rights(vw.small.charlie, visit).confirm
    visit = services.visit_confirm(actor=vw.small.charlie, visit=visit)
    assert visit.state == VisitState.CONFIRMED
    assert visit.confirmed_by == vw.small.charlie
    with pytest.raises(ValidationError):
        services.visit_confirm(actor=vw.small.charlie, visit=visit)
    assert AuditEvent.objects.filter(object_type="outreach.visit", verb="update").count() == 1


def test_another_branch_or_district_cannot_confirm(vw):
    """S19: only the visiting branch (or above it) confirms."""
    visit = _record(vw)
    other_branch = UserFactory(
        username="dan", role=Role.BRANCH_SECRETARY, role__over=vw.small.a.branches[1]
    )
    for outsider in (other_branch, vw.small.bob, vw.small.dora):
        assert not services.visit_rights(outsider, visit).confirm
        with pytest.raises(PermissionDenied, match="只有走访单位"):
            services.visit_confirm(actor=outsider, visit=visit)
        with pytest.raises(PermissionDenied):
            services.visit_return(actor=outsider, visit=visit, reason="不对")
    visit.refresh_from_db()
    assert visit.state == VisitState.RECORDED


def test_a_member_cannot_confirm_their_own_visit(vw):
    """S19: a member records; the branch confirms. Nor does a secretary confirm a visit they
    took part in."""
    visit = _record(vw)
    assert not services.visit_rights(vw.member_user, visit).confirm
    with pytest.raises(PermissionDenied):
        services.visit_confirm(actor=vw.member_user, visit=visit)
    # charlie, also a member of the branch, visits with mei: someone else must confirm
    charlie_member = vw.small.a.members[1]
    Member.objects.filter(pk=charlie_member.pk).update(user=vw.small.charlie)
    joint = _record(vw, actor=vw.small.charlie, visitors=[vw.member, charlie_member])
    assert not services.visit_rights(vw.small.charlie, joint).confirm
    with pytest.raises(PermissionDenied, match="本人参加的走访"):
        services.visit_confirm(actor=vw.small.charlie, visit=joint)
    assert services.visit_confirm(actor=vw.small.alice, visit=joint).state == VisitState.CONFIRMED


def test_a_returned_visit_is_corrected_and_resubmitted(vw):
    """S19: the branch returns a visit with its reason; the recorder corrects it and submits
    it again, and the branch then confirms it."""
    visit = _record(vw)
    with pytest.raises(ValidationError, match="退回原因"):
        services.visit_return(actor=vw.small.charlie, visit=visit, reason="  ")
    visit = services.visit_return(actor=vw.small.charlie, visit=visit, reason="请补充走访情况")
    assert (visit.state, visit.reason) == (VisitState.RETURNED, "请补充走访情况")
    assert services.visit_rights(vw.member_user, visit).resubmit
    assert not services.visit_rights(vw.member_user, visit).confirm
    stranger = _member_account(vw.small.a.members[2], "lin")
    with pytest.raises(PermissionDenied, match="只有记录人"):
        services.visit_resubmit(actor=stranger, visit=visit, findings="x")
    visit = services.visit_resubmit(
        actor=vw.member_user, visit=visit, findings="独居，已送取暖器一台", kind=VisitKind.HELP
    )
    assert (visit.state, visit.reason, visit.kind) == (VisitState.RECORDED, "", VisitKind.HELP)
    with pytest.raises(ValidationError, match="只有被退回"):
        services.visit_resubmit(actor=vw.member_user, visit=visit)
    assert services.visit_confirm(actor=vw.small.charlie, visit=visit).state == "confirmed"


def test_what_a_visit_may_not_be(vw):
    """A visit is not in the future, a member visits the needy people paired with their
    branch only, and records for their own unit only."""
    with pytest.raises(ValidationError, match="不能晚于今天"):
        _record(vw, visited_on=clock.today() + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="不在您的走访范围内"):
        _record(vw, needy=vw.other_needy)
    with pytest.raises(PermissionDenied, match="只能记录本人所在支部"):
        _record(vw, org=vw.small.a.branches[1])
    with pytest.raises(ValidationError, match="请填写走访对象的姓名"):
        _record(vw, target_kind=TargetKind.WORKER, needy=None)
    # the district officer sees the whole registry of its street: any needy person will do
    visit = _record(vw, actor=vw.small.alice, needy=vw.other_needy, visitors=[vw.member])
    assert visit.recorded_by == vw.small.alice
    # bob's district sees none of a's needy people, nor may it record for a's branch
    with pytest.raises(PermissionDenied):
        _record(vw, actor=vw.small.bob)


def test_a_need_is_followed_up_until_resolved(vw):
    """S19: a need raised at a visit is followed up by the street of the household until it is
    resolved; closing dates it and ends the follow-up."""
    visit = _record(vw)
    need = visit.needs.get()
    assert services.need_may_follow_up(vw.small.alice, need)
    assert not services.need_may_follow_up(vw.small.charlie, need)  # placed at the street
    with pytest.raises(PermissionDenied, match="无权跟进"):
        services.need_follow_up(actor=vw.small.charlie, need=need, note="x", state="resolved")
    with pytest.raises(ValidationError, match="请填写跟进情况"):
        services.need_follow_up(actor=vw.small.alice, need=need, note=" ", state="in_progress")
    services.need_follow_up(
        actor=vw.small.alice, need=need, note="已联系街道民政科", state=NeedState.IN_PROGRESS
    )
    need.refresh_from_db()
    assert (need.state, need.closed_on) == (NeedState.IN_PROGRESS, None)
    services.need_follow_up(
        actor=vw.small.alice, need=need, note="已送取暖器", state=NeedState.RESOLVED
    )
    need.refresh_from_db()
    assert (need.state, need.closed_on) == (NeedState.RESOLVED, clock.today())
    assert [f.note for f in need.follow_ups.all()] == ["已联系街道民政科", "已送取暖器"]
    assert not services.need_may_follow_up(vw.small.alice, need)
    with pytest.raises(ValidationError, match="不能再跟进"):
        services.need_follow_up(actor=vw.small.alice, need=need, note="x", state="in_progress")
    assert list(selectors.needs_worklist(vw.small.alice)) == []


def test_the_worklist_lists_open_needs_oldest_first(vw):
    today = clock.today()
    newer = _record(vw, visited_on=today - dt.timedelta(days=1)).needs.get()
    older = _record(vw, visited_on=today - dt.timedelta(days=20)).needs.get()
    worker = _record(
        vw,
        target_kind=TargetKind.WORKER,
        needy=None,
        target_name="张师傅",
        needs=[(NeedKind.EMPLOYMENT, "希望推荐工作")],
    ).needs.get()
    assert worker.path == vw.branch.path  # not a needy household: the branch follows it up
    assert list(selectors.needs_worklist(vw.small.alice)) == [older, worker, newer]
    assert list(selectors.needs_worklist(vw.small.charlie)) == [worker]
    assert list(selectors.needs_worklist(vw.small.bob)) == []


def test_the_bell_tells_who_must_confirm_and_who_must_follow_up(vw):
    """S19: a visit waiting for confirmation rings the bell of the branch that confirms it; the
    need raised at it rings the bell of the household's street's district officer (the street
    is a direct sub-unit of the district), not the branch's; once confirmed and resolved, both
    notices are gone. Another district's officer is told nothing."""
    visit = _record(vw)

    def bell(user: Any) -> dict[str, int]:
        return {n.key: n.count for n in notices_for(user)}

    assert bell(vw.small.charlie).get("outreach.visits") == 1
    assert "outreach.needs" not in bell(vw.small.charlie)
    assert bell(vw.small.alice).get("outreach.needs") == 1
    assert "outreach.visits" not in bell(vw.small.alice)  # two levels below the district
    assert not {"outreach.visits", "outreach.needs"} & set(bell(vw.small.bob))
    assert bell(vw.member_user) == {}
    services.visit_confirm(actor=vw.small.charlie, visit=visit)
    services.need_follow_up(
        actor=vw.small.alice, need=visit.needs.get(), note="已送取暖器", state=NeedState.RESOLVED
    )
    assert not {"outreach.visits", "outreach.needs"} & set(bell(vw.small.charlie))
    assert not {"outreach.visits", "outreach.needs"} & set(bell(vw.small.alice))


# ----- counts ------------------------------------------------------------------------------------


def _many_visits(vw: VisitWorld) -> list[Visit]:
    """Visits of several units over three months, one of them returned."""
    small = vw.small
    today = clock.today()
    b_needy = _needy(small.b.street, "孙阿姨", "乙区一街道和平里2号", (ELDERLY, MINIMUM))
    visits = []
    for i, (org, members, needy, days) in enumerate(
        [
            (small.a.branches[0], small.a.members[0:2], vw.needy, 5),
            (small.a.branches[0], small.a.members[0:1], vw.needy, 40),
            (small.a.branches[0], small.a.members[1:3], vw.other_needy, 70),
            (small.a.branches[1], small.a.members[3:5], vw.other_needy, 10),
            (small.a.branches[1], small.a.members[3:4], None, 12),
            (small.a.street, [], vw.needy, 15),
            (small.b.branches[0], small.b.members[0:2], b_needy, 8),
        ]
    ):
        visits.append(
            _record(
                vw,
                actor=None,
                org=org,
                visitors=members,
                needy=needy,
                target_kind=TargetKind.NEEDY if needy else TargetKind.UNIT,
                target_name="" if needy else f"某公司{i}",
                visited_on=today - dt.timedelta(days=days),
            )
        )
    services.visit_confirm(actor=None, visit=visits[0])
    services.visit_return(actor=None, visit=visits[2], reason="重复")
    for visit in visits:
        visit.refresh_from_db()
    return visits


def _expected(visits: list[Visit], key: Any) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"visits": 0, "confirmed": 0, "households": set(), "members": set()}
    )
    for v in visits:
        v.refresh_from_db()
        if v.state == VisitState.RETURNED:
            continue
        row = out[key(v)]
        row["visits"] += 1
        row["confirmed"] += v.state == VisitState.CONFIRMED
        if v.needy_id:
            row["households"].add(v.needy_id)
        row["members"] |= {m.pk for m in v.visitors.all()}
    return {
        k: (r["visits"], r["confirmed"], len(r["households"]), len(r["members"]))
        for k, r in out.items()
    }


def _got(rows: list[selectors.VisitCounts]) -> dict[Any, tuple[int, int, int, int]]:
    return {r.key: (r.visits, r.confirmed, r.households, r.members) for r in rows}


def test_counts_equal_an_independent_count(vw):
    """S19 (5,698 visits to 1,500 needy families by 33 branches): visits, households and
    members by unit one level down and by month equal a count made in Python, and the
    subtree's totals count a household or a member once."""
    visits = _many_visits(vw)
    small = vw.small
    for user, under in (
        (small.alice, small.a.org),
        (small.alice, small.a.street),
        (small.dora, small.city),
    ):
        mine = [v for v in visits if tree.within(v.org_path, under.path)]
        length = tree.child_length(under.path)
        assert _got(selectors.counts_by_unit(user, under)) == _expected(
            mine, lambda v, n=length: v.org_path[:n]
        )
        by_month = _expected(mine, lambda v: v.visited_on.replace(day=1))
        got = {
            (k.date() if isinstance(k, dt.datetime) else k): c
            for k, c in _got(selectors.counts_by_month(user, under)).items()
        }
        assert got == by_month
        (total,) = _expected(mine, lambda v: "all").values()
        t = selectors.counts_total(user, under)
        assert (t.visits, t.confirmed, t.households, t.members) == total
    # a period
    since = clock.today() - dt.timedelta(days=11)
    recent = [
        v for v in visits if v.visited_on >= since and v.org_path.startswith(small.a.org.path)
    ]
    (total,) = _expected(recent, lambda v: "all").values()
    t = selectors.counts_total(small.alice, small.a.org, date_from=since)
    assert (t.visits, t.confirmed, t.households, t.members) == total
    # bob's district: only its own
    assert selectors.counts_total(small.bob, small.a.org).visits == 0


def _city_outreach_reader(small: SmallWorld) -> Any:
    """A city administrator with outreach rights over every root of the test database (the
    small world's and the demo's), so every needy person's categories are counted for them."""
    user = User.objects.filter(username="city.outreach").first()
    if user is None:
        user = UserFactory(username="city.outreach", role=Role.CITY_ADMIN, role__over=small.city)
        for root in Organization.objects.filter(depth=1).exclude(pk=small.city.pk):
            RoleAssignment.objects.create(user=user, role=Role.CITY_ADMIN, organization=root)
        RoleAssignment.objects.filter(user=user).update(outreach=True)
        user.forget_scopes()
    return user


def _all_counts_right(vw: VisitWorld) -> None:
    """The counts of the city, of both districts and of a street, by unit, by month and in
    total, read from the first-row marks, equal a count made in Python over every visit."""
    small = vw.small
    visits = list(Visit.objects.all())
    reader = _city_outreach_reader(small)
    assert selectors._sees_every_needy(reader)
    for under in (small.city, small.a.org, small.b.org, small.a.street):
        under.refresh_from_db()
        mine = [v for v in visits if tree.within(v.org_path, under.path)]
        assert selectors._by_firsts(small.dora, under, None, None)
        length = tree.child_length(under.path)
        assert _got(selectors.counts_by_unit(small.dora, under)) == _expected(
            mine, lambda v, n=length: v.org_path[:n]
        )
        assert _got(selectors.counts_by_month(small.dora, under)) == _expected(
            mine, lambda v: v.visited_on.replace(day=1)
        )
        t = selectors.counts_total(small.dora, under)
        assert [(t.visits, t.confirmed, t.households, t.members)] == list(
            _expected(mine, lambda v: "all").values()
        ) or (t.visits, not mine) == (0, True)
        # by category, for a reader with outreach rights over the whole city: the stored
        # totals equal the join counted with DISTINCT (a period from long ago forces it)
        stored = selectors.counts_by_category(reader, under)
        assert [(r.category.code, r.visits, r.households) for r in stored] == [
            (r.category.code, r.visits, r.households)
            for r in selectors.counts_by_category(reader, under, date_from=dt.date(2000, 1, 1))
        ]


TALLY_FIELDS = (
    "level",
    "key",
    "month",
    "visits",
    "confirmed",
    "households",
    "households_above",
    "households_month",
    "members",
    "members_above",
    "members_month",
)


def _copies_and_marks_right() -> None:
    """Every visitor row carries its visit's path, date and state, and marking every row and
    recomputing every stored total afresh changes nothing (the services kept them)."""
    for row in VisitVisitor.objects.select_related("visit"):
        assert (row.org_path, row.visited_on, row.state) == (
            row.visit.org_path,
            row.visit.visited_on,
            row.visit.state,
        )

    def marks() -> tuple[list, list, list, list]:
        return (
            list(VisitVisitor.objects.order_by("id").values_list("id", "first", "first_month")),
            list(
                Visit.objects.order_by("id").values_list("id", "first_needy", "first_needy_month")
            ),
            sorted(
                tuple(t.values()) for t in VisitTally.objects.values(*(f for f in TALLY_FIELDS))
            ),
            sorted(
                VisitCategoryTally.objects.values_list(
                    "level", "key", "category", "visits", "households_above"
                )
            ),
        )

    before = marks()
    assert before[2], "the stored totals are there"
    services.firsts_refresh_all()  # every mark and stored total computed afresh
    assert marks() == before


def test_visitor_rows_stay_right_after_confirm_return_and_resubmit(vw):
    """S19: the members and households counted from the visitor rows' copies and the first-row
    marks stay equal to an independent count as visits are confirmed, returned and resubmitted
    in another month."""
    visits = _many_visits(vw)
    _copies_and_marks_right()
    _all_counts_right(vw)
    returned = next(v for v in visits if v.state == VisitState.RETURNED)
    services.visit_resubmit(
        actor=None, visit=returned, visited_on=returned.visited_on - dt.timedelta(days=45)
    )
    services.visit_return(actor=None, visit=visits[1], reason="日期有误")
    services.visit_confirm(actor=None, visit=visits[3])
    _copies_and_marks_right()
    _all_counts_right(vw)


def test_counts_follow_a_branch_moved_to_another_district(vw):
    """A branch moved with its visits (orgs.signals.subtree_moved) is counted under its new
    district at once: its visits, visitor rows and needs follow, one audit row says so."""
    from jiceng.orgs.services import organization_move

    _many_visits(vw)
    moved = vw.small.a.branches[1]
    organization_move(actor=None, org=moved, new_parent=vw.small.b.street)
    moved.refresh_from_db()
    assert moved.path.startswith(vw.small.b.org.path)
    assert Visit.objects.filter(org=moved).exists()
    assert not Visit.objects.filter(org=moved).exclude(org_path=moved.path).exists()
    assert AuditEvent.objects.filter(object_type="outreach.visit", verb="update").exists()
    _copies_and_marks_right()
    _all_counts_right(vw)


def test_counts_stay_right_after_merging_households_and_members(vw):
    """Merging a duplicate needy registration, and a duplicate member record (and undoing
    it), leave a household or a member counted once."""
    from jiceng.members.duplicates.services import member_merge, member_merge_undo

    _many_visits(vw)
    registry_services.needy_merge(
        actor=None, kept=vw.needy, dropped=vw.other_needy, reason="同一户重复登记"
    )
    _copies_and_marks_right()
    _all_counts_right(vw)
    keep, drop = vw.small.a.members[1], vw.small.a.members[3]
    merge = member_merge(actor=None, keep=keep, drop=drop)
    _copies_and_marks_right()
    _all_counts_right(vw)
    member_merge_undo(actor=None, merge=merge)
    _copies_and_marks_right()
    _all_counts_right(vw)


def test_counts_by_category_follow_a_change_of_category(vw):
    """PIPL art. 28 categories: when a visited person's categories change, the city's
    counts by category (stored totals) follow at once."""
    _many_visits(vw)
    reader = _city_outreach_reader(vw.small)

    def by_category() -> dict[str, tuple[int, int]]:
        return {
            r.category.code: (r.visits, r.households)
            for r in selectors.counts_by_category(reader, vw.small.city)
        }

    before = by_category()
    registry_services.needy_update(
        actor=None, person=vw.needy, categories=[NeedyCategory.objects.get(code=MINIMUM).pk]
    )
    after = by_category()
    visits_to_needy = Visit.objects.filter(needy=vw.needy).exclude(state=VisitState.RETURNED)
    assert after[ELDERLY][0] == before[ELDERLY][0] - visits_to_needy.count()
    assert after[MINIMUM] == (
        before[MINIMUM][0] + visits_to_needy.count(),
        before[MINIMUM][1] + 1,
    )
    _copies_and_marks_right()
    _all_counts_right(vw)


def test_the_scenarios_visits_are_counted_as_with_distinct(world):
    """The scenario's bulk inserts write the visitor rows' copies, the marks and the stored
    totals: the city's and a district's counts (stored totals) and a street's (marks) equal
    the same counts made with DISTINCT over the visits joined to their visitors."""
    _copies_and_marks_right()
    admin = world.user("city.admin")
    street = (
        Organization.objects.filter(path__startswith=world.huangpu.path, depth=3)
        .order_by("path")
        .first()
    )
    for under in (world.city, world.huangpu, street):
        counted = selectors._counted(admin, under, None, None)
        distinct = selectors._Grouped(
            selectors._grouped(counted, Substr("org_path", 1, tree.child_length(under.path))),
            selectors._grouped(counted, TruncMonth("visited_on")),
            selectors._grouped(counted, None)[None],
        )
        assert selectors._by_firsts(admin, under, None, None)
        assert selectors._grouped_all(admin, under, None, None) == distinct
        assert distinct.total[3] > 0


def test_category_counts_only_within_outreach_scope(vw):
    """S19 counts by category, PIPL art. 28: a role without outreach rights gets none; one
    with them counts only the needy people of its own subtree."""
    visits = _many_visits(vw)
    small = vw.small
    assert selectors.counts_by_category(small.alice, small.a.org) == []
    assert selectors.counts_by_category(small.dora, small.city) == []  # an auditor never
    RoleAssignment.objects.filter(user=small.alice).update(outreach=True)
    small.alice.forget_scopes()
    rows = {
        r.category.code: (r.visits, r.households)
        for r in selectors.counts_by_category(small.alice, small.a.org)
    }
    live = [
        v
        for v in visits
        if v.state != VisitState.RETURNED and v.org_path.startswith(small.a.org.path)
    ]
    elderly = [v for v in live if v.needy_id == vw.needy.pk]
    minimum = [v for v in live if v.needy_id == vw.other_needy.pk]
    assert rows[ELDERLY] == (len(elderly), 1)
    assert rows[MINIMUM] == (len(minimum), 1)
    # b's visit to a person in both categories is outside alice's scope: it is not counted
    RoleAssignment.objects.filter(user=small.bob).update(outreach=True)
    small.bob.forget_scopes()
    rows_b = {
        r.category.code: r.visits for r in selectors.counts_by_category(small.bob, small.city)
    }
    assert rows_b[ELDERLY] == rows_b[MINIMUM] == 1


# ----- pages -----------------------------------------------------------------------------------


def _login(client: Any, user: Any) -> None:
    client.force_login(user)
    mark_verified(client, user)


def test_a_member_records_on_the_phone_page_and_the_branch_confirms_from_its_list(client, vw):
    """S19 end to end on the pages: 我的走访 for the member, the branch's list and buttons, the
    visit page with its need, the worklist's follow-up."""
    _login(client, vw.member_user)
    page = client.get(reverse("outreach:my-visits"))
    assert page.status_code == 200
    assert "顾阿婆" in page.content.decode()  # paired with the branch: offered
    assert "钱老伯" not in page.content.decode()
    response = client.post(
        reverse("outreach:my-visits"),
        {
            "target_kind": "needy",
            "needy": vw.needy.pk,
            "visited_on": (clock.today() - dt.timedelta(days=1)).isoformat(),
            "kind": "home",
            "findings": "老人身体尚可",
            "need1_kind": "medical",
            "need1_text": "希望医生上门",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get(needy=vw.needy)
    page = client.get(reverse("outreach:my-visits")).content.decode()
    assert 'data-testid="my-visit"' in page
    assert reverse("outreach:visit-detail", args=[visit.pk]) in page
    detail = client.get(reverse("outreach:visit-detail", args=[visit.pk])).content.decode()
    assert "希望医生上门" in detail
    assert 'data-testid="visit-confirm"' not in detail  # never for the member
    assert reverse("outreach:needy-detail", args=[vw.needy.pk]) not in detail
    assert client.post(reverse("outreach:visit-confirm", args=[visit.pk])).status_code == 302
    visit.refresh_from_db()
    assert visit.state == VisitState.RECORDED

    _login(client, vw.small.charlie)
    listing = client.get(reverse("outreach:visit-list")).content.decode()
    assert 'data-testid="visit-confirm"' in listing
    client.post(reverse("outreach:visit-confirm", args=[visit.pk]), {"next": "/outreach/visits/"})
    visit.refresh_from_db()
    assert visit.state == VisitState.CONFIRMED

    _login(client, vw.small.alice)
    worklist = client.get(reverse("outreach:needs")).content.decode()
    assert "希望医生上门" in worklist
    assert 'data-testid="need-follow-up"' in worklist
    need = visit.needs.get()
    client.post(
        reverse("outreach:need-follow-up", args=[need.pk]),
        {"state": "resolved", "note": "社区医生每周上门"},
    )
    need.refresh_from_db()
    assert need.state == NeedState.RESOLVED
    counts = client.get(reverse("outreach:visit-counts"))
    assert counts.status_code == 200
    assert 'data-testid="visit-chart"' in counts.content.decode()


def test_the_branch_records_a_visit_of_its_members(client, vw):
    _login(client, vw.small.charlie)
    page = client.get(reverse("outreach:visit-new"))
    assert page.status_code == 200
    body = page.content.decode()
    assert vw.member.name in body  # the branch's members, to tick as visitors
    response = client.post(
        reverse("outreach:visit-new"),
        {
            "target_kind": "worker",
            "target_name": "困难职工张师傅",
            "visited_on": clock.today().isoformat(),
            "kind": "talk",
            "visitors": [vw.member.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Visit.objects.get(target_name="困难职工张师傅")
    assert list(visit.visitors.all()) == [vw.member]


def test_a_read_only_role_is_offered_no_write(client, vw):
    visit = _record(vw)
    _login(client, vw.small.dora)
    for name, args in (("outreach:visit-list", []), ("outreach:visit-detail", [visit.pk])):
        body = client.get(reverse(name, args=args)).content.decode()
        assert 'method="post"' not in body.split("<main", 1)[1], name
    assert client.get(reverse("outreach:visit-new")).status_code == 403


def test_the_counts_page_shows_categories_only_to_an_outreach_role(client, login, world):
    """S19 counts by category in the demo: 黄浦's officer (outreach rights) sees them, 徐汇's
    (none) never does, even for the city's visits it may count."""
    huangpu = world.huangpu
    from jiceng.orgs.models import Organization

    street = (
        Organization.objects.filter(path__startswith=huangpu.path, org_type="street_committee")
        .order_by("path")
        .first()
    )
    needy = _needy(street, "周阿婆", "黄浦某路1号", (ELDERLY,))
    branch = world.branch_in(huangpu)
    services.visit_record(
        actor=None,
        org=branch,
        target_kind=TargetKind.NEEDY,
        needy=needy,
        visited_on=clock.today(),
        kind=VisitKind.HOME,
    )
    login("huangpu.officer")
    body = client.get(reverse("outreach:visit-counts")).content.decode()
    assert 'data-testid="counts-by-category"' in body
    assert "独居老人" in body
    login("xuhui.officer")
    body = client.get(reverse("outreach:visit-counts")).content.decode()
    assert 'data-testid="counts-by-category"' not in body
    assert "独居老人" not in body
    api = client.get(reverse("api-visit-counts")).json()
    assert api["by_category"] == []


def test_the_counts_are_cached_yet_count_a_visit_at_once(
    client, vw, django_capture_on_commit_callbacks
):
    """The counts page is cached for each reader, but a visit recorded, confirmed or returned
    is counted on the next load, and a reader whose outreach rights are taken away never
    reads the categories cached under them."""
    small = vw.small
    RoleAssignment.objects.filter(user=small.alice).update(outreach=True)
    small.alice.forget_scopes()
    _login(client, small.alice)
    url = reverse("api-visit-counts") + f"?under={small.a.org.pk}"
    before = client.get(url).json()
    assert before["by_category"]
    with django_capture_on_commit_callbacks(execute=True):  # the generation bumps on commit
        visit = _record(vw)
    after = client.get(url).json()
    assert after["total"]["visits"] == before["total"]["visits"] + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_return(actor=None, visit=visit, reason="日期有误")
    assert client.get(url).json()["total"]["visits"] == before["total"]["visits"]
    RoleAssignment.objects.filter(user=small.alice).update(outreach=False)
    small.alice.forget_scopes()
    assert client.get(url).json()["by_category"] == []


def test_the_list_page_has_a_fixed_number_of_queries(client, vw):
    """The branch's list: the same queries for one visit as for a page of them (no query per
    row for its buttons)."""
    _login(client, vw.small.charlie)
    counts = []
    for more in (1, 11):
        for _ in range(more):
            _record(vw)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("outreach:visit-list"))
        counts.append(len(queries))
    assert response.content.decode().count('data-testid="visit-confirm"') == 12
    assert counts[0] == counts[1] <= 12, counts
