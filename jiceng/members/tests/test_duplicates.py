"""Likely duplicate members (issue 4, item 5): found by name (Simplified) + birth date +
district, merged with every related row re-pointed, audited with masked values, and undone
to the byte."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jiceng.core.models import AuditEvent
from jiceng.members import services as member_services
from jiceng.members.duplicates import selectors, services
from jiceng.members.lost_contact import services as lost_contact_services
from jiceng.members.models import (
    ContactRecord,
    LastContact,
    LostContactCase,
    Member,
    MemberMerge,
    Placement,
)
from jiceng.members.transfers import services as ts
from jiceng.orgs.models import Organization
from tests.factories import District, make_member

from .factories_records import bare_world, city_admin, sign_in, twin

pytestmark = pytest.mark.django_db

OFFICER = "huangpu.officer"  # the demo's officer, for the test that stays on the demo


@pytest.fixture
def small(db):
    """The small world of ``tests.factories``, without premade members: each test registers
    the original (and its twin) it needs."""
    return bare_world()


def original_in(district: District, name: str = "张国华") -> Member:
    """A member of the district's first branch (by default with a name that Traditional
    characters change)."""
    return make_member(district.branches[0], name=name, phone="+8613800001111")


def raw(pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM members_member WHERE id = %s", [pk])
        cols = [c[0] for c in cursor.description]
        return dict(zip(cols, cursor.fetchone(), strict=True))


def keys_of(user, root) -> set[tuple]:
    return {
        (k["name_simplified"], k["birth_date"], k["district"])
        for k in selectors.group_keys(user, root)
    }


def test_same_name_in_traditional_and_birth_date_in_one_district_is_a_likely_duplicate(small):
    original = original_in(small.a)
    traditional = original.name.replace("张", "張").replace("国", "國").replace("华", "華")
    assert traditional != original.name
    copy = twin(original, small.a.branches[1], name=traditional)
    assert copy.name_simplified == original.name_simplified
    groups = selectors.groups(
        small.alice, small.a.org, list(selectors.group_keys(small.alice, small.a.org))
    )
    ids = [{m.pk for m in g.members} for g in groups]
    assert any({original.pk, copy.pk} <= s for s in ids)
    group = next(g for g in groups if original.pk in {m.pk for m in g.members})
    assert "id_number" in group.differing


def test_another_district_is_not_a_duplicate(small):
    original = original_in(small.a)
    elsewhere = twin(original, small.b.branches[0])
    # the city administrator's keys over the whole city hold both districts
    keys = keys_of(city_admin(small), small.city)
    district = original.home_path[:8]
    assert not any(
        k[0] == original.name_simplified and k[1] == original.birth_date and k[2] != district
        for k in keys
        if k[2] == elsewhere.home_path[:8]
    )
    assert not any(k[0] == original.name_simplified and k[1] == original.birth_date for k in keys)


def _demo_pair(world) -> tuple[Member, Member]:
    """A 黄浦 member of the demo (on the roll, no open transfer, no account) and a twin
    registered under another 黄浦 branch."""
    huangpu = world.huangpu
    keep = (
        Member.objects.filter(home_path__startswith=huangpu.path, transferred_out_on=None)
        .exclude(transfers__state__in=["requested", "approved", "letter_issued", "in_transit"])
        .filter(user__isnull=True)
        .order_by("id")
        .first()
    )
    branch = (
        Organization.objects.filter(path__startswith=huangpu.path, org_type="branch")
        .exclude(pk=keep.home_org_id)
        .order_by("path")
        .first()
    )
    return keep, twin(keep, branch)


def _relate_everything(world, drop: Member) -> dict[str, int]:
    """A row in every model that points at a member (as the code base stands)."""
    officer = world.user(OFFICER)
    made = {}
    t = ts.transfer_request(
        actor=officer, member=drop, dest_org_name="中共苏州市委", dest_region="江苏省"
    )
    ts.transfer_withdraw(actor=officer, transfer=t, reason="测试")
    made["members.Transfer"] = t.pk
    member_services.member_place(actor=officer, member=drop, participating_org=drop.home_org)
    made["members.Placement"] = Placement.objects.get(member=drop).pk
    lost_contact_services.contact_record(
        actor=officer, member=drop, on=timezone.localdate(), channel="dues"
    )
    made["members.ContactRecord"] = ContactRecord.objects.get(member=drop).pk
    case = LostContactCase.objects.create(
        member=drop, member_path=drop.home_path, state="cancelled", opened_on=timezone.localdate()
    )
    made["members.LostContactCase"] = case.pk
    branch = drop.home_org
    Organization.objects.filter(pk=branch.pk).update(secretary=drop)
    made["orgs.Organization"] = branch.pk
    plan = _plan_with(world.huangpu, officer, [drop])
    made["planning.PlanAssignment"] = plan.assignments.get().pk
    made.update(_study_rows(world, drop))
    made["campaigns.FourOnesItem"] = _four_ones_row(world, drop)
    made.update(_appraisal_rows(world, drop))
    made["outreach.VisitVisitor"] = _visit_row(world, drop)
    made.update(_service_rows(drop))
    made.update(_development_rows(drop))
    return made


def _development_rows(drop: Member) -> dict[str, int]:
    """A development case admitted as the dropped record and an introducer's row naming it
    (issue 23)."""
    from jiceng.development.models import Development, DevelopmentPerson

    case = Development.objects.create(
        name=drop.name,
        id_number=drop.id_number,
        id_number_index=drop.id_number_index,
        id_number_masked=drop.id_number_masked,
        org=drop.home_org,
        path=drop.home_path,
        applied_on=dt.date(2003, 1, 10),
        member=drop,
    )
    other = Development.objects.exclude(pk=case.pk).order_by("id").first() or case
    person = DevelopmentPerson.objects.create(development=other, member=drop, role="introducer")
    return {"development.Development": case.pk, "development.DevelopmentPerson": person.pk}


def _service_rows(drop: Member) -> dict[str, int]:
    """A service task the dropped record is responsible for (S27) and a support project they
    take part in (S28), from the demo's own."""
    from jiceng.outreach.programmes.models import ServiceTask
    from jiceng.outreach.projects.models import ProjectMember, SupportProject

    task = ServiceTask.objects.order_by("id").first()
    ServiceTask.objects.filter(pk=task.pk).update(responsible=drop)
    project = SupportProject.objects.order_by("id").first()
    link = ProjectMember.objects.create(
        project=project, member=drop, role="member", since=dt.date(2005, 9, 1)
    )
    return {"outreach_programmes.ServiceTask": task.pk, "outreach_projects.ProjectMember": link.pk}


def _visit_row(world, drop: Member) -> int:
    """A visit (S19) the dropped record took part in: the visitors' link row."""
    from jiceng.outreach.models import Visit
    from jiceng.outreach.visits.services import visit_record

    visit = visit_record(
        actor=world.user(OFFICER),
        org=drop.home_org,
        target_kind="worker",
        target_name="困难职工",
        visited_on=dt.date(2005, 9, 1),
        kind="talk",
        visitors=[drop],
    )
    return Visit.visitors.through.objects.get(visit=visit, member=drop).pk


def _appraisal_rows(world, drop: Member) -> dict[str, int]:
    """The member's appraisal in the second batch and a rating they gave a peer (S1)."""
    from jiceng.campaigns.models import Campaign, CampaignUnit
    from jiceng.surveys.models import Appraisal, PeerRating

    campaign = Campaign.objects.get(root=world.city, batch="second")
    unit = CampaignUnit.objects.get(campaign=campaign, org=drop.home_org)
    own = Appraisal.objects.create(
        campaign=campaign,
        unit=unit,
        member=drop,
        member_path=drop.home_path,
        org_path=unit.org_path,
    )
    peer = Appraisal.objects.filter(campaign=campaign).exclude(member=drop).order_by("id").first()
    rating = PeerRating.objects.create(
        appraisal=peer, rater=drop, grade="qualified", rated_on=campaign.starts_on
    )
    return {"surveys.Appraisal": own.pk, "surveys.PeerRating": rating.pk}


def _four_ones_row(world, drop: Member) -> int:
    """One of the member's "four ones" in the city's second batch (S18)."""
    from jiceng.campaigns.models import Campaign, FourOnesItem

    campaign = Campaign.objects.get(root=world.city, batch="second")
    return FourOnesItem.objects.create(
        campaign=campaign,
        member=drop,
        member_path=drop.home_path,
        kind="welfare",
        description="义务献血",
        done_on=campaign.starts_on,
    ).pk


def _study_rows(world, drop: Member) -> dict[str, int]:
    """A session attended and a self-study entry (the study ledger, S9)."""
    from jiceng.study import services as study_services
    from jiceng.study.models import StudyPeriod

    officer = world.user(OFFICER)
    period = StudyPeriod.objects.order_by("starts_on").first()
    session = study_services.session_record(
        actor=officer,
        period=period,
        org=study_services.member_study_unit(drop),
        held_on=dt.date(2005, 9, 1),
        topic="学习党章",
        amount=2,
        attendance=[(drop.pk, True)],
    )
    entry = study_services.selfstudy_record(
        actor=officer,
        member=drop,
        period=period,
        studied_on=dt.date(2005, 9, 2),
        topic="自学读本",
        amount=1,
    )
    return {"study.Attendance": session.attendance.get().pk, "study.SelfStudy": entry.pk}


def _plan_with(root, officer, members):
    """A computed plan (one branch) under ``root`` holding ``members``."""
    from jiceng.planning.models import Plan, PlanAssignment, PlanBranch

    plan = Plan.objects.create(
        name="方案",
        kind="form",
        state="ready",
        root=root,
        root_path=root.path,
        created_by=officer,
    )
    branch = PlanBranch.objects.create(plan=plan, index=0, name="区域党支部", lat=31.2, lng=121.4)
    for m in members:
        PlanAssignment.objects.create(
            plan=plan, member=m, branch=branch, distance_m=100, previous_org=m.home_org
        )
    return plan


def test_merging_two_records_in_one_plan_keeps_one_assignment_and_undo_restores_both(small):
    """A row unique per member and plan (a plan assignment) cannot be re-pointed when the kept
    record has one: the dropped record's is removed, and the undo brings it back."""
    officer = small.alice
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    plan = _plan_with(small.a.org, officer, [keep, drop])
    merge = services.member_merge(actor=officer, keep=keep, drop=drop)
    assert list(plan.assignments.values_list("member_id", flat=True)) == [keep.pk]
    services.member_merge_undo(actor=officer, merge=merge)
    assert sorted(plan.assignments.values_list("member_id", flat=True)) == sorted(
        [keep.pk, drop.pk]
    )


def test_merge_repoints_every_related_row_and_undo_restores_every_byte(world):
    """On the demo: a row in every model that points at a member needs a running campaign
    with its units and appraisals, a study period and a plan, which the demo has."""
    officer = world.user(OFFICER)
    keep, drop = _demo_pair(world)
    made = _relate_everything(world, drop)
    related = {rel.related_model._meta.label for rel in services.relations()}
    # every model pointing at members either got a row here or is removed with the record
    assert related - set(made) <= {
        "members.LastContact",
        "members.DuplicateDismissal",
        "members.MemberMerge",
    }
    keep_before, drop_before = raw(keep.pk), raw(drop.pk)
    merge = services.member_merge(actor=officer, keep=keep, drop=drop, choices={"phone": "drop"})
    assert not Member.objects.filter(pk=drop.pk).exists()
    for rel in services.relations():
        model, field = rel.related_model, rel.field.name
        assert not model._base_manager.filter(**{f"{field}_id": drop.pk}).exists(), model
    assert Placement.objects.get(pk=made["members.Placement"]).member_id == keep.pk
    assert Organization.objects.get(pk=made["orgs.Organization"]).secretary_id == keep.pk
    kept = Member.objects.get(pk=keep.pk)
    assert kept.phone == "+8613912345678"  # the value chosen from the dropped record
    assert kept.id_number_index == keep_before["id_number_index"]
    # the dropped row is kept as stored: ciphertext, never clear text
    assert merge.dropped_row["id_number"] == drop_before["id_number"]
    assert drop.id_number not in json.dumps(merge.dropped_row)

    restored = services.member_merge_undo(actor=officer, merge=merge)
    assert restored.pk == drop.pk
    assert raw(drop.pk) == drop_before
    assert raw(keep.pk) == keep_before
    assert Placement.objects.get(pk=made["members.Placement"]).member_id == drop.pk
    assert Organization.objects.get(pk=made["orgs.Organization"]).secretary_id == drop.pk
    assert LostContactCase.objects.get(pk=made["members.LostContactCase"]).member_id == drop.pk
    assert LastContact.objects.filter(member=drop).exists()
    with pytest.raises(ValidationError, match="已撤销"):
        services.member_merge_undo(actor=officer, merge=merge)


def test_merge_audit_is_masked_and_links_the_merge(small, client):
    officer = sign_in(client, small.alice)
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    merge = services.member_merge(actor=officer, keep=keep, drop=drop)
    event = AuditEvent.objects.get(object_type="members.membermerge", object_id=str(merge.pk))
    text = json.dumps(event.changes, ensure_ascii=False)
    assert drop.id_number not in text
    assert keep.id_number not in text
    assert drop.id_number_masked in text
    page = client.get(reverse("core:audit"), {"object": str(merge.pk)}).content.decode()
    assert reverse("members:merge", args=[merge.pk]) in page


def test_merge_refusals(small):
    officer = small.alice
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    with pytest.raises(PermissionDenied):
        services.member_merge(actor=small.bob, keep=keep, drop=drop)
    t = ts.transfer_request(
        actor=officer, member=drop, dest_org_name="中共苏州市委", dest_region="江苏省"
    )
    with pytest.raises(ValidationError, match="未办结的组织关系转接"):
        services.member_merge(actor=officer, keep=keep, drop=drop)
    ts.transfer_withdraw(actor=officer, transfer=t, reason="测试")
    with pytest.raises(ValidationError, match="自身"):
        services.member_merge(actor=officer, keep=keep, drop=keep)
    assert Member.objects.filter(pk=drop.pk).exists()


def test_undo_is_refused_when_a_repointed_row_changed(small):
    officer = small.alice
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    member_services.member_place(actor=officer, member=drop, participating_org=drop.home_org)
    merge = services.member_merge(actor=officer, keep=keep, drop=drop)
    Placement.objects.filter(member=keep).delete()
    with pytest.raises(ValidationError, match="不能撤销"):
        services.member_merge_undo(actor=officer, merge=merge)
    assert MemberMerge.objects.get(pk=merge.pk).undone_at is None


def test_not_the_same_person_leaves_the_list_and_can_be_withdrawn(small):
    officer = small.alice
    original = original_in(small.a)
    copy = twin(original, small.a.branches[1])

    def listed() -> bool:
        keys = list(selectors.group_keys(officer, small.a.org))
        return any(
            {original.pk, copy.pk} <= {m.pk for m in g.members}
            for g in selectors.groups(officer, small.a.org, keys)
        )

    assert listed()
    dismissal = services.duplicate_dismiss(actor=officer, a=copy, b=original)
    assert (dismissal.member_a_id, dismissal.member_b_id) == (original.pk, copy.pk)
    assert not listed()
    services.duplicate_dismissal_undo(actor=officer, dismissal=dismissal)
    assert listed()


def test_pages_merge_and_undo(client, small):
    sign_in(client, small.alice)
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    total = Member.objects.count()
    page = client.get(reverse("members:duplicates"), {"org": small.a.org.pk}).content.decode()
    assert reverse("members:duplicate-compare", args=[keep.pk, drop.pk]) in page
    compare = client.get(reverse("members:duplicate-compare", args=[keep.pk, drop.pk]))
    assert 'data-testid="take-id_number"' in compare.content.decode()
    response = client.post(reverse("members:duplicate-compare", args=[keep.pk, drop.pk]), {})
    merge = MemberMerge.objects.get(kept=keep)
    assert response["Location"] == reverse("members:merge", args=[merge.pk])
    assert Member.objects.count() == total - 1
    detail = client.get(reverse("members:detail", args=[keep.pk])).content.decode()
    assert 'data-testid="merged-from"' in detail
    response = client.post(reverse("members:merge-undo", args=[merge.pk]))
    assert response["Location"] == reverse("members:detail", args=[drop.pk])
    assert Member.objects.count() == total


def test_api_lists_merges_and_undoes(client, small):
    sign_in(client, small.alice)
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    data = client.get(reverse("api-duplicate-groups"), {"org": small.a.org.pk}).json()
    assert data["count"] == 1
    response = client.post(
        reverse("api-member-merge"),
        {"keep_id": keep.pk, "drop_id": drop.pk, "choices": {"phone": "drop"}},
        content_type="application/json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    response = client.post(reverse("api-merge-undo", args=[pk]))
    assert response.json()["undone_at"]
    assert Member.objects.filter(pk=drop.pk).exists()
    bad = client.post(
        reverse("api-member-merge"),
        {"keep_id": keep.pk, "drop_id": drop.pk, "choices": {"phone": "both"}},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_scenario_seeds_likely_duplicates(world):
    """The demo has work for the worklist (S10's roll must be one record per person)."""
    keys = list(selectors.group_keys(world.user("city.admin"), world.city))
    groups = selectors.groups(world.user("city.admin"), world.city, keys)
    assert len(groups) >= 2
    assert all(len({m.id_number_index for m in g.members}) == len(g.members) for g in groups)


def test_city_level_asks_for_a_district_instead_of_scanning_the_whole_roll(client, small):
    sign_in(client, city_admin(small))
    page = client.get(reverse("members:duplicates")).content.decode()
    assert 'data-testid="pick-district"' in page
    assert f"?org={small.a.org.pk}" in page
    assert client.get(reverse("api-duplicate-groups")).status_code == 400
    lost = client.get(reverse("members:lost")).content.decode()
    assert 'data-testid="pick-district"' in lost
    assert client.get(reverse("api-lost-candidates")).status_code == 400
    assert client.get(reverse("api-lost-candidates"), {"org": small.a.org.pk}).status_code == 200
