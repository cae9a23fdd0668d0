"""Writes to the organisation tree: found, rename, move, merge, abolish and the size rules.

Every service checks the actor's scope, validates with a Chinese message, and leaves an audit
row (S11, S12).

Each test makes its own small world (``tests.factories.SmallWorld``): alice is the officer of
district a, whose street holds two branches of three members each; bob the officer of district
b; dora the auditor. ``street_2`` adds a second street to district a.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.geo.models import District
from jiceng.members.models import Member, MemberCategory
from jiceng.orgs import rules, services
from jiceng.orgs.models import Organization, OrgType
from jiceng.orgs.tests.factories import add_street, officer
from tests.factories import SmallWorld


@pytest.fixture
def street(small) -> Organization:
    return small.a.street


@pytest.fixture
def street_2(small) -> Organization:
    """A second street of district a, with one branch of three members."""
    return add_street(small.a, "甲区二街道党工委")


def events(org: Organization, verb: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="orgs.organization", object_id=str(org.pk), verb=verb
        ).order_by("id")
    )


def found(actor, parent, code, org_type=OrgType.BRANCH, name=None, **fields) -> Organization:
    return services.organization_found(
        actor=actor,
        parent=parent,
        code=code,
        name=name or f"测试组织{code}",
        org_type=org_type,
        **fields,
    )


def parent_path(org: Organization) -> str:
    return org.path[: -Organization.steplen]


def branches_of(street: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(
            path__startswith=street.path, org_type=OrgType.BRANCH, depth=street.depth + 1
        ).order_by("path")
    )


# ----- organization_found --------------------------------------------------------------------


def unit_of(small, which: str) -> Organization:
    return {"district": small.a.org, "street": small.a.street, "branch": small.a.branches[0]}[which]


@pytest.mark.parametrize(
    ("parent_unit", "org_type"),
    [
        ("district", OrgType.STREET_COMMITTEE),
        ("district", OrgType.PRIMARY_COMMITTEE),
        ("street", OrgType.BRANCH),
        ("street", OrgType.JOINT_BRANCH),
        ("street", OrgType.GENERAL_BRANCH),
        ("branch", OrgType.GROUP),
    ],
)
def test_it_founds_an_allowed_child_type_under_the_parent(small, parent_unit, org_type):
    """S11/S12: a new grassroots organisation is founded under its parent."""
    geo = District.objects.create(
        code="990001", name="测试区", kind=District.Kind.DISTRICT, lng=121.0, lat=31.0
    )
    Organization.objects.filter(path__startswith=small.a.org.path).update(district=geo)
    parent = unit_of(small, parent_unit)
    parent.refresh_from_db()
    org = found(small.alice, parent, "T-NEW-1", org_type)

    org.refresh_from_db()
    assert parent.district_id == geo.pk
    assert parent_path(org) == parent.path
    assert org.depth == parent.depth + 1
    assert org.org_type == org_type
    assert org.district_id == parent.district_id


@pytest.mark.parametrize(
    ("parent_unit", "org_type"),
    [
        ("branch", OrgType.PRIMARY_COMMITTEE),
        ("branch", OrgType.BRANCH),
        ("street", OrgType.STREET_COMMITTEE),
        ("street", OrgType.GROUP),
    ],
)
def test_it_rejects_a_child_type_the_parent_cannot_hold_with_a_chinese_message(
    small, parent_unit, org_type
):
    parent = unit_of(small, parent_unit)

    with pytest.raises(ValidationError) as exc:
        found(small.alice, parent, "T-BAD-1", org_type)

    message = exc.value.message_dict["org_type"][0]
    assert message == (f"“{OrgType(parent.org_type).label}”下不能设立“{OrgType(org_type).label}”")
    assert not Organization.objects.filter(code="T-BAD-1").exists()


def test_it_refuses_a_committee_under_a_branch(small):
    branch = small.a.branches[0]
    admin = officer(Role.CITY_ADMIN, small.city)

    with pytest.raises(ValidationError, match="“党支部”下不能设立“基层党委”"):
        found(admin, branch, "T-BAD-2", OrgType.PRIMARY_COMMITTEE)


def test_it_rejects_a_duplicate_code(small, street):
    existing = small.a.branches[0]

    with pytest.raises(ValidationError) as exc:
        found(small.alice, street, f"  {existing.code} ")

    assert "code" in exc.value.message_dict
    assert "已存在" in exc.value.message_dict["code"][0]
    assert Organization.objects.filter(code=existing.code).count() == 1


def test_it_records_the_founding_with_after_values(small, street):
    officer = small.alice
    before = AuditEvent.objects.count()

    org = found(
        officer, street, "T-AUD-1", name="南京东路测试党支部", founded_on=dt.date(2005, 6, 30)
    )

    assert AuditEvent.objects.count() == before + 1
    (event,) = events(org, "create")
    assert event.actor_id == officer.pk
    assert event.org_path == org.path
    assert event.object_repr == "南京东路测试党支部"
    assert event.changes["code"] == [None, "T-AUD-1"]
    assert event.changes["name"] == [None, "南京东路测试党支部"]
    assert event.changes["org_type"] == [None, OrgType.BRANCH]
    assert event.changes["founded_on"] == [None, "2005-06-30"]


def test_it_denies_an_officer_of_another_district(small, street):
    with pytest.raises(PermissionDenied):
        found(small.bob, street, "T-OUT-1")

    assert not Organization.objects.filter(code="T-OUT-1").exists()


def test_it_denies_a_read_only_role(small, street):
    with pytest.raises(PermissionDenied):
        found(small.dora, street, "T-OUT-2")

    assert not Organization.objects.filter(code="T-OUT-2").exists()


def test_secretary_vacancy_starts_at_founding(small, street):
    """S11: a new unit has no secretary yet; the vacancy counts from the founding date."""
    founded_on = timezone.localdate() - dt.timedelta(days=rules.SECRETARY_VACANCY_ALERT_DAYS + 1)
    org = found(small.alice, street, "T-VAC-1", founded_on=founded_on)

    org.refresh_from_db()
    assert org.secretary_id is None
    assert org.secretary_vacant_since == founded_on
    assert org.secretary_vacancy_days() == rules.SECRETARY_VACANCY_ALERT_DAYS + 1


def test_a_unit_founded_today_is_vacant_from_today(small, street):
    org = found(small.alice, street, "T-VAC-2")

    assert org.founded_on == timezone.localdate()
    assert org.secretary_vacant_since == timezone.localdate()
    assert org.secretary_vacancy_days() == 0


def test_it_refuses_to_found_under_an_abolished_parent(small, street):
    officer = small.alice
    parent = found(officer, street, "T-ABP-1", OrgType.GENERAL_BRANCH)
    services.organization_abolish(actor=officer, org=parent)

    with pytest.raises(ValidationError, match="上级组织已撤销"):
        found(officer, parent, "T-ABP-2")


# ----- organization_rename -------------------------------------------------------------------


def test_rename_changes_the_name_and_its_search_keys(small):
    org = small.a.branches[0]

    services.organization_rename(actor=small.alice, org=org, name=" 南京東路第一黨支部 ")

    org.refresh_from_db()
    assert org.name == "南京東路第一黨支部"
    assert org.name_simplified == "南京东路第一党支部"
    assert org.name_initials == "njdldydzb"


def test_rename_is_audited_with_before_and_after(small):
    org = small.a.branches[0]
    old = org.name

    services.organization_rename(actor=small.alice, org=org, name="新名称党支部")

    (event,) = events(org, "update")
    assert event.changes == {"name": [old, "新名称党支部"]}


def test_rename_rejects_a_blank_name(small):
    org = small.a.branches[0]

    with pytest.raises(ValidationError, match="名称不能为空"):
        services.organization_rename(actor=small.alice, org=org, name="   ")


def test_rename_denies_an_officer_of_another_district(small):
    org = small.a.branches[0]

    with pytest.raises(PermissionDenied):
        services.organization_rename(actor=small.bob, org=org, name="外区改名")

    org.refresh_from_db()
    assert org.name != "外区改名"


# ----- organization_move ---------------------------------------------------------------------


def test_move_takes_the_subtree_and_members_paths_along(small, street, street_2):
    """S10: members' home and participating paths follow their unit when it moves."""
    officer = small.alice
    general = found(officer, street, "T-MOV-G", OrgType.GENERAL_BRANCH)
    branch = branches_of(street)[1]
    services.organization_move(actor=officer, org=branch, new_parent=general)
    branch.refresh_from_db()
    home_ids = set(Member.objects.filter(home_org=branch).values_list("id", flat=True))
    assert home_ids
    visitor = Member.objects.filter(home_path__startswith=street_2.path).first()
    Member.objects.filter(pk=visitor.pk).update(
        participating_org=branch, participating_path=branch.path
    )

    services.organization_move(actor=officer, org=general, new_parent=street_2)

    general.refresh_from_db()
    branch.refresh_from_db()
    assert parent_path(general) == street_2.path
    assert parent_path(branch) == general.path
    for member in Member.objects.filter(pk__in=home_ids):
        assert member.home_path == branch.path
    visitor.refresh_from_db()
    assert visitor.participating_path == branch.path
    assert Member.objects.filter(home_path__startswith=street_2.path, pk__in=home_ids).count() == (
        len(home_ids)
    )


def test_move_keeps_participating_paths_of_members_placed_in_the_moved_unit(
    small, street, street_2
):
    officer = small.alice
    branch = branches_of(street)[0]
    Member.objects.filter(home_org=branch).update(
        participating_org=branch, participating_path=branch.path
    )

    services.organization_move(actor=officer, org=branch, new_parent=street_2)

    branch.refresh_from_db()
    paths = set(
        Member.objects.filter(home_org=branch).values_list("home_path", "participating_path")
    )
    assert paths == {(branch.path, branch.path)}


def test_move_refuses_a_new_parent_inside_its_own_subtree(small, street):
    officer = small.alice
    general = found(officer, street, "T-MOV-G2", OrgType.GENERAL_BRANCH)
    inner = found(officer, general, "T-MOV-G3", OrgType.BRANCH)
    old_path = general.path

    with pytest.raises(ValidationError, match="不能把组织迁到它自己或它的下级组织之下"):
        services.organization_move(actor=officer, org=general, new_parent=inner)
    with pytest.raises(ValidationError, match="不能把组织迁到它自己或它的下级组织之下"):
        services.organization_move(actor=officer, org=general, new_parent=general)

    general.refresh_from_db()
    assert general.path == old_path


def test_move_refuses_a_parent_that_cannot_hold_the_type(small, street):
    first, second = branches_of(street)[:2]

    with pytest.raises(ValidationError, match="下不能设立"):
        services.organization_move(actor=small.alice, org=first, new_parent=second)


def test_move_is_audited_with_old_and_new_parent(small, street, street_2):
    officer = small.alice
    branch = branches_of(street)[0]
    old_path = branch.path

    services.organization_move(actor=officer, org=branch, new_parent=street_2)

    branch.refresh_from_db()
    (event,) = events(branch, "move")
    assert event.actor_id == officer.pk
    assert event.changes == {
        "parent": [street.pk, street_2.pk],
        "path": [old_path, branch.path],
    }


def test_move_denies_a_target_in_another_district(small):
    branch = small.a.branches[0]
    old_path = branch.path

    with pytest.raises(PermissionDenied):
        services.organization_move(actor=small.alice, org=branch, new_parent=small.b.street)
    with pytest.raises(PermissionDenied):
        services.organization_move(actor=small.bob, org=branch, new_parent=small.b.street)

    branch.refresh_from_db()
    assert branch.path == old_path


def last_event_id() -> int:
    """The newest audit row so far: the rows after it are those the test's act wrote (the
    members of a factory world were registered through the service, with audit rows)."""
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def member_events(member_ids, since: int = 0) -> dict[int, list[AuditEvent]]:
    """The member audit rows of ``member_ids`` written after row ``since``, by member."""
    rows: dict[int, list[AuditEvent]] = {pk: [] for pk in member_ids}
    for event in AuditEvent.objects.filter(
        object_type="members.member", object_id__in=[str(pk) for pk in member_ids], id__gt=since
    ).order_by("id"):
        rows[int(event.object_id)].append(event)
    return rows


def test_move_leaves_a_member_audit_row_for_every_member_repathed(small, street, street_2):
    """Issue 16: the roll re-paths its members itself (orgs announces the move), so every
    member whose paths follow the moved unit has one audit row saying so."""
    from jiceng.members.transfers import services as transfers

    officer = small.alice
    branch = branches_of(street)[0]
    old_path = branch.path
    home_ids = set(Member.objects.filter(home_org=branch).values_list("id", flat=True))
    visitor = Member.objects.filter(home_path__startswith=street_2.path).first()
    Member.objects.filter(pk=visitor.pk).update(
        participating_org=branch, participating_path=branch.path
    )
    leaving = Member.objects.filter(home_org=branch).order_by("id").first()
    transfer = transfers.transfer_request(actor=officer, member=leaving, to_org=small.b.branches[0])
    assert home_ids
    since = last_event_id()

    services.organization_move(actor=officer, org=branch, new_parent=street_2)

    branch.refresh_from_db()
    assert branch.path != old_path
    events = member_events(home_ids | {visitor.pk}, since)
    for pk in home_ids:
        (event,) = events[pk]
        assert (event.verb, event.actor_id, event.org_path) == ("update", officer.pk, branch.path)
        assert event.changes["home_path"] == [old_path, branch.path]
        assert branch.name in event.note
    (event,) = events[visitor.pk]
    visitor.refresh_from_db()
    assert event.changes == {"participating_path": [old_path, branch.path]}
    assert event.org_path == visitor.home_path
    assert set(Member.objects.filter(pk__in=home_ids).values_list("home_path", flat=True)) == {
        branch.path
    }
    transfer.refresh_from_db()
    assert transfer.from_path == branch.path


def test_move_of_a_street_re_paths_its_members_in_bulk(db, django_assert_max_num_queries):
    """A district's move re-paths tens of thousands of members: one UPDATE per path column
    and the audit rows in bulk, so the queries do not grow with the members moved."""
    small = SmallWorld.make(members_per_branch=15)
    officer = small.alice
    street = small.a.street
    street_2 = add_street(small.a, "甲区二街道党工委")
    general = found(officer, street, "T-MOV-BULK", OrgType.GENERAL_BRANCH)
    first, second = branches_of(street)[:2]
    services.organization_move(actor=officer, org=first, new_parent=general)
    services.organization_move(actor=officer, org=second, new_parent=general)
    general.refresh_from_db()
    moving = Member.objects.filter(home_path__startswith=general.path).count()
    assert moving > 10

    # a constant budget: the members' paths, the visits' paths and their stored tallies
    # (outreach.visits_follow_move) and the units' stored totals follow in a few statements
    with django_assert_max_num_queries(60):
        services.organization_move(actor=officer, org=general, new_parent=street_2)

    general.refresh_from_db()
    assert Member.objects.filter(home_path__startswith=general.path).count() == moving


# ----- organization_merge --------------------------------------------------------------------


def test_merge_moves_members_and_abolishes_the_source(small, street):
    officer = small.alice
    source, target = branches_of(street)[:2]
    moving = set(Member.objects.filter(home_org=source).values_list("id", flat=True))
    already = Member.objects.filter(home_org=target).count()
    assert moving

    result = services.organization_merge(actor=officer, source=source, target=target)

    assert result.pk == target.pk
    source.refresh_from_db()
    assert source.is_abolished
    assert source.abolished_on == timezone.localdate()
    assert not Member.objects.filter(home_org=source).exists()
    assert Member.objects.filter(home_org=target).count() == already + len(moving)
    assert set(Member.objects.filter(pk__in=moving).values_list("home_org_id", "home_path")) == {
        (target.pk, target.path)
    }


def test_merge_is_audited(small, street):
    officer = small.alice
    source, target = branches_of(street)[:2]
    moving = Member.objects.filter(home_org=source).count()

    services.organization_merge(actor=officer, source=source, target=target)

    (event,) = events(source, "merge")
    assert event.actor_id == officer.pk
    assert event.changes["merged_into"] == [None, target.pk]
    assert event.changes["members_moved"] == [None, moving]
    assert event.changes["abolished_on"] == [None, str(timezone.localdate())]


def test_merge_refuses_to_merge_into_its_own_subtree(small, street):
    officer = small.alice
    general = found(officer, street, "T-MRG-G", OrgType.GENERAL_BRANCH)
    inner = found(officer, general, "T-MRG-B", OrgType.BRANCH)

    with pytest.raises(ValidationError, match="不能把组织并入它自己或它的下级组织"):
        services.organization_merge(actor=officer, source=general, target=inner)
    with pytest.raises(ValidationError, match="不能把组织并入它自己或它的下级组织"):
        services.organization_merge(actor=officer, source=inner, target=inner)


def test_merge_denies_an_officer_of_another_district(small, street):
    source, target = branches_of(street)[:2]

    with pytest.raises(PermissionDenied):
        services.organization_merge(actor=small.bob, source=source, target=target)

    source.refresh_from_db()
    assert not source.is_abolished


def test_merge_leaves_a_member_audit_row_for_every_member_moved(small, street):
    """Issue 16: a merge moves members through the roll's own service, so each member moved
    (registered in the source, or taking part there) has one audit row naming the merge."""
    officer = small.alice
    source, target = branches_of(street)[:2]
    moving = set(Member.objects.filter(home_org=source).values_list("id", flat=True))
    visitor = Member.objects.filter(home_org=target).first()
    Member.objects.filter(pk=visitor.pk).update(
        participating_org=source, participating_path=source.path
    )
    assert moving
    since = last_event_id()

    services.organization_merge(actor=officer, source=source, target=target)

    events = member_events(moving | {visitor.pk}, since)
    for pk in moving:
        (event,) = events[pk]
        assert (event.verb, event.actor_id, event.org_path) == ("update", officer.pk, target.path)
        assert event.changes["home_org"] == [source.pk, target.pk]
        assert "合并" in event.note
    assert set(Member.objects.filter(pk__in=moving).values_list("home_path", flat=True)) == {
        target.path
    }
    (event,) = events[visitor.pk]
    assert event.changes == {"participating_org": [source.pk, target.pk]}
    visitor.refresh_from_db()
    assert (visitor.participating_org_id, visitor.participating_path) == (target.pk, target.path)


def test_merge_of_a_unit_with_sub_units_re_paths_their_members_with_audit(small, street):
    officer = small.alice
    source = found(officer, street, "T-MRG-SRC", OrgType.GENERAL_BRANCH)
    target = found(officer, street, "T-MRG-TGT", OrgType.GENERAL_BRANCH)
    child = branches_of(street)[0]
    services.organization_move(actor=officer, org=child, new_parent=source)
    child.refresh_from_db()
    inside = set(Member.objects.filter(home_org=child).values_list("id", flat=True))
    before = {pk: len(rows) for pk, rows in member_events(inside).items()}
    assert inside

    services.organization_merge(actor=officer, source=source, target=target)

    child.refresh_from_db()
    target.refresh_from_db()
    assert parent_path(child) == target.path
    for pk, rows in member_events(inside).items():
        assert len(rows) == before[pk] + 1
        assert rows[-1].changes["home_path"][1] == child.path
    assert set(Member.objects.filter(pk__in=inside).values_list("home_path", flat=True)) == {
        child.path
    }


# ----- organization_abolish ------------------------------------------------------------------


def test_abolish_is_refused_while_the_unit_holds_members(small):
    branch = small.a.branches[0]
    held = Member.objects.filter(home_org=branch).count()
    assert held == 3

    with pytest.raises(ValidationError) as exc:
        services.organization_abolish(actor=small.alice, org=branch)

    assert exc.value.messages == [f"该组织还有 {held} 名党员的组织关系，请先转出"]
    branch.refresh_from_db()
    assert not branch.is_abolished


def test_abolish_is_refused_while_the_unit_has_active_children(small, street):
    with pytest.raises(ValidationError, match="该组织还有未撤销的下级组织，请先迁移或撤销"):
        services.organization_abolish(actor=small.alice, org=street)


def test_abolish_works_once_members_are_transferred_out(small, street):
    """S12: the lifecycle ends with abolition, after the members have left."""
    officer = small.alice
    first, second = branches_of(street)[:2]
    Member.objects.filter(home_org=first).update(home_org=second, home_path=second.path)
    guest = Member.objects.filter(home_org=second).first()
    Member.objects.filter(pk=guest.pk).update(
        participating_org=first, participating_path=first.path
    )

    services.organization_abolish(
        actor=officer, org=first, on=dt.date(2005, 11, 30), reason="并入邻近支部"
    )

    first.refresh_from_db()
    assert first.abolished_on == dt.date(2005, 11, 30)
    guest.refresh_from_db()
    assert guest.participating_org_id is None
    assert guest.participating_path == ""
    (event,) = events(first, "abolish")
    assert event.note == "并入邻近支部"
    assert event.changes == {"abolished_on": [None, "2005-11-30"]}


def test_abolish_works_on_a_parent_once_its_children_are_abolished(small, street):
    officer = small.alice
    general = found(officer, street, "T-ABO-G", OrgType.GENERAL_BRANCH)
    inner = found(officer, general, "T-ABO-B", OrgType.BRANCH)
    with pytest.raises(ValidationError):
        services.organization_abolish(actor=officer, org=general)

    services.organization_abolish(actor=officer, org=inner)
    services.organization_abolish(actor=officer, org=general)

    general.refresh_from_db()
    assert general.is_abolished


def test_abolish_refuses_an_already_abolished_unit(small, street):
    officer = small.alice
    org = found(officer, street, "T-ABO-X")
    services.organization_abolish(actor=officer, org=org)

    with pytest.raises(ValidationError, match="该组织已撤销"):
        services.organization_abolish(actor=officer, org=org)


def test_abolish_denies_an_officer_of_another_district(small, street):
    officer = small.alice
    org = found(officer, street, "T-ABO-Y")

    with pytest.raises(PermissionDenied):
        services.organization_abolish(actor=small.bob, org=org)


def test_abolish_lets_go_of_members_taking_part_with_a_member_audit_row(small, street):
    officer = small.alice
    first, second = branches_of(street)[:2]
    Member.objects.filter(home_org=first).update(home_org=second, home_path=second.path)
    guest = Member.objects.filter(home_org=second).first()
    Member.objects.filter(pk=guest.pk).update(
        participating_org=first, participating_path=first.path
    )
    since = last_event_id()

    services.organization_abolish(actor=officer, org=first, reason="并入邻近支部")

    (event,) = member_events([guest.pk], since)[guest.pk]
    assert event.changes == {"participating_org": [first.pk, None]}
    assert (event.actor_id, event.org_path) == (officer.pk, second.path)


# ----- size warnings -------------------------------------------------------------------------


def new_unit(small, org_type=OrgType.BRANCH) -> Organization:
    """An organisation with a secretary in post, so that only size rules can warn."""
    parent = small.a.street
    org = found(small.alice, parent, f"T-SIZE-{org_type}", org_type)
    org.secretary = Member.objects.filter(home_path__startswith=parent.path).first()
    org.secretary_vacant_since = None
    return org


def test_a_branch_of_legal_size_has_no_warning(small):
    org = new_unit(small)

    assert (
        org.size_warnings(
            full_members=rules.BRANCH_MIN_FULL_MEMBERS, all_members=rules.BRANCH_MAX_MEMBERS
        )
        == []
    )


def test_a_branch_with_too_few_full_members_should_join_a_joint_branch(small):
    org = new_unit(small)
    few = rules.BRANCH_MIN_FULL_MEMBERS - 1

    (warning,) = org.size_warnings(full_members=few, all_members=few + 2)

    assert f"正式党员不足 {rules.BRANCH_MIN_FULL_MEMBERS} 人" in warning
    assert f"现有 {few} 人" in warning
    assert "联合支部" in warning


def test_a_large_branch_suggests_a_general_branch(small):
    org = new_unit(small)
    n = rules.BRANCH_MAX_MEMBERS + 1

    (warning,) = org.size_warnings(full_members=n, all_members=n)

    assert f"超过支部上限 {rules.BRANCH_MAX_MEMBERS} 人" in warning
    assert warning.endswith("升格为党总支")


def test_a_branch_at_the_general_branch_ceiling_still_suggests_a_general_branch(small):
    org = new_unit(small)
    n = rules.GENERAL_BRANCH_MAX_MEMBERS

    (warning,) = org.size_warnings(full_members=n, all_members=n)

    assert warning.endswith("升格为党总支")


def test_a_very_large_branch_suggests_a_primary_committee(small):
    org = new_unit(small)
    n = rules.GENERAL_BRANCH_MAX_MEMBERS + 1

    (warning,) = org.size_warnings(full_members=n, all_members=n)

    assert warning.endswith("升格为基层党委")


def test_general_branch_and_primary_committee_sizes_are_checked(small):
    general = new_unit(small, OrgType.GENERAL_BRANCH)
    committee = new_unit(small, OrgType.PRIMARY_COMMITTEE)
    few = rules.GENERAL_BRANCH_MIN_MEMBERS - 1
    big = rules.GENERAL_BRANCH_MAX_MEMBERS + 1

    assert "不足设立党总支" in general.size_warnings(full_members=few, all_members=few)[0]
    assert "可设立基层党委" in general.size_warnings(full_members=big, all_members=big)[0]
    assert general.size_warnings(full_members=big - 1, all_members=big - 1) == []
    assert (
        committee.size_warnings(
            full_members=rules.PRIMARY_COMMITTEE_MIN_MEMBERS,
            all_members=rules.PRIMARY_COMMITTEE_MIN_MEMBERS,
        )
        == []
    )
    (warning,) = committee.size_warnings(full_members=few, all_members=few)
    assert f"党员 {few} 人" in warning


@pytest.mark.parametrize(
    ("days", "warned"),
    [
        (rules.SECRETARY_VACANCY_ALERT_DAYS, False),
        (rules.SECRETARY_VACANCY_ALERT_DAYS + 1, True),
    ],
)
def test_a_long_secretary_vacancy_is_warned(small, days, warned):
    """S11: a secretary vacancy longer than three months is flagged."""
    org = new_unit(small)
    org.secretary = None
    org.secretary_vacant_since = timezone.localdate() - dt.timedelta(days=days)

    warnings = org.size_warnings(
        full_members=rules.BRANCH_MIN_FULL_MEMBERS, all_members=rules.BRANCH_MIN_FULL_MEMBERS
    )

    assert (warnings == [f"书记已空缺 {days} 天，超过 3 个月"]) is warned
    assert bool(warnings) is warned


def test_size_warnings_count_members_registered_in_the_database(small):
    """The subtree counts feed the rules: a branch emptied down to too few full members."""
    from jiceng.orgs.selectors import subtree_member_counts

    branch = small.a.branches[0]
    keep = list(
        Member.objects.filter(home_org=branch, category=MemberCategory.FULL).values_list(
            "id", flat=True
        )[: rules.BRANCH_MIN_FULL_MEMBERS - 1]
    )
    Member.objects.filter(home_org=branch).exclude(pk__in=keep).update(
        category=MemberCategory.PROBATIONARY
    )

    counts = subtree_member_counts(branch)
    warnings = branch.size_warnings(full_members=counts["full"], all_members=counts["total"])

    assert counts["full"] == len(keep)
    assert any(f"现有 {len(keep)} 人" in w for w in warnings)
