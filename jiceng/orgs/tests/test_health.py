"""Organisation health (S11, S12): founding record, weak-and-lax designation, the
rectification state machine, the worklists and the branch-size suggestions.

S11 asks for grassroots organisations founded and secretaries kept in post (1,427 founded);
S12 for weak and lax organisations designated and rectified (623 rectified). Every write is
scoped and audited; a step the state does not allow is a typed error with a Chinese message.

Most tests make their own small world (``tests.factories.SmallWorld``): alice is the officer
of district a, bob of district b; ``healthy`` gives district a three branches with a secretary
and three full members each. The candidates' cross-check and the health page's query bound
stay on the tiny scenario, whose many units are the point.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.members.models import Member, MemberCategory
from jiceng.orgs import health, rules, selectors, services
from jiceng.orgs.models import (
    BRANCH_TYPES,
    COMPUTED_CRITERIA,
    TRANSITIONS,
    Organization,
    OrgHealth,
    OrgType,
    Rectification,
    RectificationState,
    RectificationStep,
    RectificationTransitionError,
    WeakCriterion,
    next_state,
)
from jiceng.orgs.tests.factories import add_street, officer, with_secretary
from tests.factories import OrganizationFactory, make_member

TODAY = timezone.localdate()
LIFE = {WeakCriterion.IRREGULAR_LIFE: "半年未开党员大会"}
ALL_PAIRS = [(s, t) for s in RectificationState.values for t in RectificationStep.values]
ALLOWED = sorted(TRANSITIONS)
FORBIDDEN = sorted(p for p in ALL_PAIRS if p not in TRANSITIONS)


@pytest.fixture(autouse=True)
def _simplified_chinese():
    """Messages are checked in the source language, whatever an earlier request activated."""
    with translation.override("zh-hans"):
        yield


def full_count(org: Organization) -> int:
    return Member.objects.filter(home_org=org, category=MemberCategory.FULL).count()


@pytest.fixture
def healthy(small) -> list[Organization]:
    """District a's two branches and a third in a second street, each with a secretary in
    post and three full members: closing a rectification is not blocked by a computed
    criterion."""
    add_street(small.a, "甲区二街道党工委")
    return [with_secretary(b) for b in branches_of(small.a.org)]


def branches_of(root: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(path__startswith=root.path, org_type=OrgType.BRANCH).order_by(
            "path"
        )
    )


def healthy_branch(district: Organization, skip: int = 0) -> Organization:
    """A branch of the district with a secretary, enough full members and no rectification
    under way: closing its rectification is not blocked by a computed criterion."""
    rows = [
        o
        for o in Organization.objects.filter(
            path__startswith=district.path,
            org_type=OrgType.BRANCH,
            health=OrgHealth.NORMAL,
            secretary__isnull=False,
            abolished_on__isnull=True,
        ).order_by("path")
        if full_count(o) >= rules.BRANCH_MIN_FULL_MEMBERS
    ]
    return rows[skip]


def make_rect(org: Organization, state: str) -> Rectification:
    """A rectification in ``state`` written directly (the services are tested separately)."""
    rect = Rectification.objects.create(
        org=org,
        state=state,
        criteria={WeakCriterion.IRREGULAR_LIFE: {"met": True, "entered": True, "note": "x"}},
        designated_on=TODAY - dt.timedelta(days=60),
        measures="一\n二" if state != RectificationState.DESIGNATED else "",
        owner="张三" if state != RectificationState.DESIGNATED else "",
        deadline=TODAY + dt.timedelta(days=30) if state != RectificationState.DESIGNATED else None,
        closed_on=TODAY - dt.timedelta(days=1) if state == RectificationState.CLOSED else None,
    )
    Organization.objects.filter(pk=org.pk).update(
        health=OrgHealth.WEAK if rect.is_open else OrgHealth.NORMAL
    )
    return rect


def do_step(actor, rect: Rectification, step: str):
    if step == RectificationStep.PLAN:
        return services.rectification_plan(
            actor=actor,
            rectification=rect,
            measures="配齐班子\n恢复三会一课",
            owner="李四",
            deadline=TODAY + dt.timedelta(days=90),
        )
    if step == RectificationStep.NOTE:
        return services.rectification_add_note(actor=actor, rectification=rect, text="已开会")
    if step == RectificationStep.CLOSE:
        return services.rectification_close(actor=actor, rectification=rect, result="已好转")
    if step == RectificationStep.REVOKE:
        return services.rectification_revoke(actor=actor, rectification=rect, reason="认定有误")
    return services.rectification_reopen(actor=actor, rectification=rect, reason="复查不合格")


# ----- the transition table ---------------------------------------------------------------------


def test_the_table_covers_every_state_and_step():
    states = {s for s, _ in TRANSITIONS} | set(TRANSITIONS.values())
    assert states == set(RectificationState.values)
    assert {t for _, t in TRANSITIONS} == set(RectificationStep.values)


@pytest.mark.parametrize(("state", "step"), ALLOWED)
def test_next_state_follows_the_table(state, step):
    assert next_state(state, step) == TRANSITIONS[(state, step)]


@pytest.mark.parametrize(("state", "step"), FORBIDDEN)
def test_next_state_refuses_a_forbidden_step_with_a_typed_chinese_error(state, step):
    with pytest.raises(RectificationTransitionError) as exc:
        next_state(state, step)
    assert isinstance(exc.value, ValidationError)
    assert exc.value.messages == [
        f"“{RectificationState(state).label}”的整顿不能“{RectificationStep(step).label}”"
    ]


@pytest.mark.parametrize(("state", "step"), ALLOWED)
def test_each_allowed_step_moves_the_rectification_through_its_service(small, healthy, state, step):
    """S12: designated → plan → notes → closed (or revoked, or reopened)."""
    org = healthy[0]
    rect = make_rect(org, state)

    do_step(small.alice, rect, step)

    rect.refresh_from_db()
    org.refresh_from_db()
    assert rect.state == TRANSITIONS[(state, step)]
    expected = OrgHealth.WEAK if rect.is_open else OrgHealth.NORMAL
    assert org.health == expected


@pytest.mark.parametrize(("state", "step"), FORBIDDEN)
def test_each_forbidden_step_is_refused_by_its_service_and_changes_nothing(
    small, healthy, state, step
):
    org = healthy[0]
    rect = make_rect(org, state)
    before = AuditEvent.objects.count()

    with pytest.raises(RectificationTransitionError):
        do_step(small.alice, rect, step)

    rect.refresh_from_db()
    assert rect.state == state
    assert AuditEvent.objects.count() == before


# ----- designation ------------------------------------------------------------------------------


def test_designation_records_computed_and_entered_criteria_and_is_audited(small, healthy):
    """S12: designation is an audited act with the criteria ticked; computed criteria come
    from the data, entered ones carry the officer's note."""
    org = healthy[0]
    officer = small.alice

    rect = services.rectification_designate(actor=officer, org=org, entered=LIFE, note="排查")

    org.refresh_from_db()
    assert org.health == OrgHealth.WEAK
    assert rect.state == RectificationState.DESIGNATED
    assert rect.criteria_met == [WeakCriterion.IRREGULAR_LIFE]
    life = rect.criteria[WeakCriterion.IRREGULAR_LIFE]
    assert life == {"met": True, "entered": True, "detail": "", "note": "半年未开党员大会"}
    vacancy = rect.criteria[WeakCriterion.SECRETARY_VACANT]
    assert vacancy["met"] is False
    assert vacancy["entered"] is False
    assert rect.criteria[WeakCriterion.TOO_FEW_MEMBERS]["detail"] == (
        f"正式党员 {full_count(org)} 人"
    )
    [event] = AuditEvent.objects.filter(
        object_type="orgs.rectification", object_id=str(rect.pk), verb="create"
    )
    assert event.actor == officer
    assert event.org_path == org.path
    assert event.note == "认定软弱涣散：组织生活不正常"
    assert event.changes["state"] == [None, "designated"]
    assert AuditEvent.objects.filter(
        object_type="orgs.organization", object_id=str(org.pk), verb="update"
    ).filter(changes__health=["normal", "weak"])


def test_a_long_secretary_vacancy_is_ticked_from_the_data(small, healthy):
    """S11: a post vacant over 3 months is a computed criterion."""
    org = healthy[0]
    Organization.objects.filter(pk=org.pk).update(
        secretary=None, secretary_vacant_since=TODAY - dt.timedelta(days=100)
    )
    org.refresh_from_db()

    rect = services.rectification_designate(actor=small.alice, org=org)

    assert rect.criteria_met == [WeakCriterion.SECRETARY_VACANT]
    assert "空缺 100 天" in rect.criteria[WeakCriterion.SECRETARY_VACANT]["detail"]


def test_designation_needs_at_least_one_criterion(small, healthy):
    org = healthy[0]
    with pytest.raises(ValidationError) as exc:
        services.rectification_designate(actor=small.alice, org=org)
    assert exc.value.message_dict["criteria"] == ["未符合任何软弱涣散情形，不能认定"]
    assert not Rectification.objects.filter(org=org).exists()


def test_an_entered_criterion_needs_its_note_and_computed_ones_cannot_be_entered(small, healthy):
    org = healthy[0]
    officer = small.alice
    with pytest.raises(ValidationError, match="请为手工认定的情形填写依据说明"):
        services.rectification_designate(
            actor=officer, org=org, entered={WeakCriterion.PETITION_CLUSTER: " "}
        )
    with pytest.raises(ValidationError, match="由系统根据数据判定"):
        services.rectification_designate(
            actor=officer, org=org, entered={WeakCriterion.SECRETARY_VACANT: "x"}
        )


def test_an_organisation_has_one_rectification_under_way_at_most(small, healthy):
    org = healthy[0]
    officer = small.alice
    services.rectification_designate(actor=officer, org=org, entered=LIFE)
    with pytest.raises(ValidationError, match="正在整顿中"):
        services.rectification_designate(actor=officer, org=org, entered=LIFE)


def test_designation_denies_an_officer_of_another_district(small, healthy):
    org = healthy[0]
    with pytest.raises(PermissionDenied):
        services.rectification_designate(actor=small.bob, org=org, entered=LIFE)


def test_health_cannot_be_set_directly_only_through_designation(small, healthy):
    org = healthy[0]
    with pytest.raises(ValidationError, match="不能直接修改"):
        services.organization_update(actor=small.alice, org=org, health=OrgHealth.WEAK)


# ----- plan, notes, closing ---------------------------------------------------------------------


def test_the_whole_rectification_is_audited_and_closes_with_a_before_after_record(small, healthy):
    """S12 (623 rectified): plan with measures, owner and deadline; dated notes by who wrote
    them; closing compares the criteria at designation with those at closing."""
    org = healthy[0]
    officer = small.alice
    rect = services.rectification_designate(
        actor=officer, org=org, entered=LIFE, on=TODAY - dt.timedelta(days=10)
    )

    services.rectification_plan(
        actor=officer,
        rectification=rect,
        measures="配齐班子\n\n  恢复三会一课  \n",
        owner="街道党工委 王强",
        deadline=TODAY + dt.timedelta(days=90),
    )
    note = services.rectification_add_note(
        actor=officer, rectification=rect, text="召开党员大会", on=TODAY - dt.timedelta(days=1)
    )
    services.rectification_close(actor=officer, rectification=rect, result="组织生活恢复正常")

    rect.refresh_from_db()
    org.refresh_from_db()
    assert rect.measure_lines == ["配齐班子", "恢复三会一课"]
    assert note.author == officer
    assert note.author_name == str(officer)
    assert note.on == TODAY - dt.timedelta(days=1)
    assert rect.state == RectificationState.CLOSED
    assert rect.closed_on == TODAY
    assert rect.closed_by == officer
    assert org.health == OrgHealth.NORMAL
    rows = {r["code"]: r for r in rect.criteria_rows()}
    assert rows[WeakCriterion.IRREGULAR_LIFE]["before"]["met"] is True
    assert rows[WeakCriterion.IRREGULAR_LIFE]["after"]["met"] is False
    notes = list(
        AuditEvent.objects.filter(object_id=str(rect.pk), object_type="orgs.rectification")
        .order_by("id")
        .values_list("note", flat=True)
    )
    assert notes == ["认定软弱涣散：组织生活不正常", "制定整顿方案", "整顿销号"]
    assert AuditEvent.objects.filter(
        object_type="orgs.rectificationnote", object_id=str(note.pk), actor=officer
    ).exists()


def test_closing_is_refused_while_a_criterion_still_applies(small, healthy):
    org = healthy[0]
    officer = small.alice
    rect = make_rect(org, RectificationState.RECTIFYING)
    Organization.objects.filter(pk=org.pk).update(
        secretary=None, secretary_vacant_since=TODAY - dt.timedelta(days=200)
    )

    with pytest.raises(ValidationError) as exc:
        services.rectification_close(
            actor=officer,
            rectification=rect,
            result="好转",
            still_met={WeakCriterion.PETITION_CLUSTER: "仍有集体访"},
        )

    assert exc.value.message_dict["criteria"] == [
        "仍符合以下情形，不能销号：书记空缺超过3个月、信访矛盾集中"
    ]
    rect.refresh_from_db()
    assert rect.state == RectificationState.RECTIFYING


def test_a_plan_needs_measures_owner_and_a_deadline_after_designation(small, healthy):
    rect = make_rect(healthy[0], RectificationState.DESIGNATED)
    with pytest.raises(ValidationError) as exc:
        services.rectification_plan(
            actor=small.alice,
            rectification=rect,
            measures=" \n",
            owner="",
            deadline=rect.designated_on - dt.timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"measures", "owner", "deadline"}


def test_overdue_means_past_the_deadline_and_not_closed(small, healthy):
    org = healthy[0]
    rect = make_rect(org, RectificationState.RECTIFYING)
    Rectification.objects.filter(pk=rect.pk).update(deadline=TODAY - dt.timedelta(days=1))
    rect.refresh_from_db()
    assert rect.overdue
    assert Rectification.objects.overdue().filter(pk=rect.pk).exists()
    Rectification.objects.filter(pk=rect.pk).update(state=RectificationState.CLOSED)
    rect.refresh_from_db()
    assert not rect.overdue
    assert not Rectification.objects.overdue().filter(pk=rect.pk).exists()


# ----- candidates and worklists -----------------------------------------------------------------


def expected_candidates(root: Organization) -> dict[str, set[str]]:
    """The candidates worked out row by row in Python, to check the one-query selector."""
    out: dict[str, set[str]] = {}
    for org in Organization.objects.filter(path__startswith=root.path, abolished_on=None):
        if org.health == OrgHealth.WEAK or org.org_type == OrgType.GROUP:
            continue
        reasons = set()
        days = org.secretary_vacancy_days(TODAY)
        if days is not None and days > rules.SECRETARY_VACANCY_ALERT_DAYS:
            reasons.add(WeakCriterion.SECRETARY_VACANT.value)
        if org.org_type in BRANCH_TYPES and full_count(org) < rules.BRANCH_MIN_FULL_MEMBERS:
            reasons.add(WeakCriterion.TOO_FEW_MEMBERS.value)
        if reasons:
            out[org.code] = reasons
    return out


def test_candidates_on_the_tiny_scenario_match_the_rules_with_their_reasons(world):
    """S11/S12 on the tiny scenario: secretary vacant over 3 months, too few full members."""
    officer = world.user("city.admin")
    rows = selectors.weak_candidates(officer, world.city, TODAY)

    got = {o.code: {c for c, _l, _d in health.candidate_reasons(o, TODAY)} for o in rows}

    assert got == expected_candidates(world.city)
    assert got, "the tiny scenario has candidates"
    assert set().union(*got.values()) == set(COMPUTED_CRITERIA)


def test_candidates_follow_changes_in_the_data(small, healthy):
    a = healthy[0]
    b = healthy[1]
    c = healthy[2]
    Organization.objects.filter(pk=a.pk).update(
        secretary=None, secretary_vacant_since=TODAY - dt.timedelta(days=91)
    )
    Organization.objects.filter(pk=c.pk).update(
        secretary=None, secretary_vacant_since=TODAY - dt.timedelta(days=90)
    )
    keep = list(
        Member.objects.filter(home_org=b, category=MemberCategory.FULL).values_list(
            "pk", flat=True
        )[:2]
    )
    Member.objects.filter(home_org=b).exclude(pk__in=keep).update(
        category=MemberCategory.PROBATIONARY
    )

    rows = {
        o.code: health.candidate_reasons(o, TODAY)
        for o in selectors.weak_candidates(small.alice, small.a.org)
    }

    assert [r[0] for r in rows[a.code]] == [WeakCriterion.SECRETARY_VACANT]
    assert rows[b.code] == [
        (WeakCriterion.TOO_FEW_MEMBERS, "正式党员不足3人，达不到设置要求", "正式党员 2 人")
    ]
    assert c.code not in rows  # exactly 3 months is not "over 3 months"


def test_candidates_exclude_designated_units_and_other_districts(small):
    branch = small.a.branches[0]
    Organization.objects.filter(pk=branch.pk).update(
        secretary_vacant_since=TODAY - dt.timedelta(days=rules.SECRETARY_VACANCY_ALERT_DAYS + 1)
    )
    assert branch.code in {o.code for o in selectors.weak_candidates(small.alice, small.a.org)}
    services.rectification_designate(actor=small.alice, org=branch)

    mine = selectors.weak_candidates(small.alice, small.a.org)
    theirs = selectors.weak_candidates(small.bob, small.a.org)

    assert branch.code not in {o.code for o in mine}
    assert not theirs.exists()


def test_vacancy_worklist_is_longest_first_with_months(small):
    """S11: the secretary vacancy worklist reuses the vacancy dates kept by appointment."""
    admin = officer(Role.CITY_ADMIN, small.city)
    with_secretary(small.b.branches[1])
    for org, days in [(small.a.branches[0], 30), (small.a.branches[1], 200), (small.b.org, 100)]:
        Organization.objects.filter(pk=org.pk).update(
            secretary_vacant_since=TODAY - dt.timedelta(days=days)
        )
    services.organization_appoint_secretary(actor=None, org=small.b.branches[1], member=None)
    rows = list(selectors.secretary_vacancies(admin, small.city))
    since = [o.secretary_vacant_since for o in rows]
    assert [o.pk for o in rows] == [
        small.a.branches[1].pk,
        small.b.org.pk,
        small.a.branches[0].pk,
        small.b.branches[1].pk,
    ]
    assert since == sorted(since)
    assert all(o.secretary_id is None for o in rows)
    counts = selectors.secretary_vacancy_counts(admin, small.city)
    assert counts["total"] == len(rows)
    assert counts["long"] == sum(
        (TODAY - s).days > rules.SECRETARY_VACANCY_ALERT_DAYS for s in since
    )
    assert health.months_between(dt.date(2005, 3, 31), dt.date(2005, 6, 30)) == 2
    assert health.months_between(dt.date(2005, 3, 30), dt.date(2005, 6, 30)) == 3


def test_rectification_counts_by_state_with_overdue(small):
    """Rectifications in several states (S12), one of them past its deadline."""
    first, second, third = small.a.branches[0], small.a.branches[1], small.a.street
    make_rect(first, RectificationState.RECTIFYING)
    late = make_rect(third, RectificationState.RECTIFYING)
    Rectification.objects.filter(pk=late.pk).update(deadline=TODAY - dt.timedelta(days=1))
    make_rect(second, RectificationState.CLOSED)
    make_rect(small.b.branches[0], RectificationState.RECTIFYING)
    counts = selectors.rectification_counts(small.alice, small.a.org)
    qs = Rectification.objects.filter(org__path__startswith=small.a.org.path)
    assert counts["rectifying"] == qs.filter(state="rectifying").count() > 0
    assert counts["closed"] == qs.filter(state="closed").count() > 0
    assert counts["overdue"] == qs.overdue().count() > 0
    assert selectors.rectification_counts(small.bob, small.a.org) == dict.fromkeys(counts, 0)


# ----- size suggestions -------------------------------------------------------------------------


def move_members_into(branch: Organization, n: int) -> None:
    """``n`` more full members registered in ``branch``."""
    for _ in range(n):
        make_member(branch)


@pytest.mark.parametrize(
    ("added", "kind", "target"),
    [
        (60, health.SuggestionKind.SPLIT, OrgType.GENERAL_BRANCH),
        (120, health.SuggestionKind.UPGRADE, OrgType.PRIMARY_COMMITTEE),
    ],
)
def test_a_large_branch_is_suggested_a_split_or_an_upgrade(small, healthy, added, kind, target):
    branch = healthy[0]
    move_members_into(branch, added)
    user = small.alice

    rows = list(selectors.size_suggestion_rows(user, small.a.org))
    [s] = [s for s in selectors.size_suggestions(user, rows) if s.org.pk == branch.pk]

    assert s.kind == kind
    assert s.target_type == target
    assert s.total > rules.BRANCH_MAX_MEMBERS
    assert s.parent is not None
    assert s.parent.path == branch.path[:-4]


def test_a_small_branch_is_suggested_to_join_small_siblings(small):
    """Under 3 full members: join a joint branch with small units under the same parent."""
    street = small.a.street
    OrganizationFactory(parent=street, name="甲区联合党支部", org_type=OrgType.JOINT_BRANCH)
    siblings = list(
        Organization.objects.filter(
            path__startswith=street.path, depth=street.depth + 1, org_type=OrgType.BRANCH
        ).order_by("path")
    )
    a, b = siblings[0], siblings[1]
    Member.objects.filter(home_org__in=[a, b]).update(category=MemberCategory.PROBATIONARY)
    joint = Organization.objects.filter(
        path__startswith=street.path, depth=street.depth + 1, org_type=OrgType.JOINT_BRANCH
    ).first()
    user = small.alice

    rows = list(selectors.size_suggestion_rows(user, small.a.org))
    by_org = {s.org.pk: s for s in selectors.size_suggestions(user, rows)}

    assert by_org[a.pk].kind == health.SuggestionKind.JOIN
    partners = {p.pk for p in by_org[a.pk].partners}
    assert b.pk in partners
    assert a.pk not in partners
    if joint is not None:
        assert joint.pk in partners
    assert all(p.path[:-4] == street.path for p in by_org[a.pk].partners)


def test_suggestion_pages_prefill_the_found_and_merge_forms(client, login, small, healthy):
    branch = healthy[0]
    move_members_into(branch, 60)
    login("alice")

    page = client.get(reverse("orgs:health", args=[small.a.org.pk]), {"tab": "suggestions"})
    body = page.content.decode()
    found_url = reverse("orgs:found", args=[Organization.objects.get(path=branch.path[:-4]).pk])

    assert page.status_code == 200
    assert f'href="{found_url}?org_type=branch' in body
    prefilled = client.get(found_url, {"org_type": "general_branch", "name": "新总支"})
    assert prefilled.context["form"].initial["org_type"] == "general_branch"
    assert 'value="新总支"' in prefilled.content.decode()


# ----- founding record --------------------------------------------------------------------------


def test_founding_records_approval_and_the_first_secretary(small):
    """S11 (1,427 founded): approval date, 批准文号 and the first secretary."""
    officer = small.alice
    street = small.a.street
    org = services.organization_found(
        actor=officer,
        parent=street,
        code="T-FOUND-1",
        name="测试新建支部",
        org_type=OrgType.BRANCH,
        founded_on=dt.date(2005, 9, 1),
        approved_on=dt.date(2005, 8, 20),
        approval_no=" 黄委组〔2005〕88号 ",
    )
    assert org.approval_no == "黄委组〔2005〕88号"
    assert org.first_secretary_id is None
    member = small.b.members[0]
    assert member.category == MemberCategory.FULL
    Member.objects.filter(pk=member.pk).update(home_org=org, home_path=org.path)
    member.refresh_from_db()

    services.organization_appoint_secretary(actor=officer, org=org, member=member)
    services.organization_appoint_secretary(actor=officer, org=org, member=None)

    org.refresh_from_db()
    assert org.first_secretary_id == member.pk
    assert org.secretary_id is None
    [event] = AuditEvent.objects.filter(
        object_type="orgs.organization", object_id=str(org.pk), verb="create"
    )
    assert event.changes["approval_no"] == [None, "黄委组〔2005〕88号"]


def test_approval_cannot_come_after_founding(small):
    with pytest.raises(ValidationError) as exc:
        services.organization_found(
            actor=small.alice,
            parent=small.a.street,
            code="T-FOUND-2",
            name="x",
            org_type=OrgType.BRANCH,
            founded_on=dt.date(2005, 9, 1),
            approved_on=dt.date(2005, 9, 2),
        )
    assert exc.value.message_dict == {"approved_on": ["批准日期不能晚于成立日期"]}


# ----- pages and API ----------------------------------------------------------------------------


def test_an_officer_designates_plans_notes_and_closes_through_the_pages(
    client, login, small, healthy
):
    org = healthy[0]
    login("alice")

    response = client.post(
        reverse("orgs:designate", args=[org.pk]),
        {"tick_irregular_life": "on", "note_irregular_life": "半年未开会", "note": "排查"},
    )
    rect = Rectification.objects.get(org=org, state="designated")
    assert response.status_code == 302
    assert response.url == reverse("orgs:rectification", args=[rect.pk])

    client.post(
        reverse("orgs:rectification-plan", args=[rect.pk]),
        {"measures": "一\n二", "owner": "王强", "deadline": str(TODAY + dt.timedelta(days=30))},
    )
    notes = client.post(
        reverse("orgs:rectification-note", args=[rect.pk]),
        {"text": "已召开党员大会"},
        HTTP_HX_REQUEST="true",
    )
    assert notes.status_code == 200
    assert "已召开党员大会" in notes.content.decode()
    closed = client.post(reverse("orgs:rectification-close", args=[rect.pk]), {"result": "好转"})
    assert closed.status_code == 302
    rect.refresh_from_db()
    assert rect.state == RectificationState.CLOSED
    detail = client.get(reverse("orgs:rectification", args=[rect.pk])).content.decode()
    assert "已消除" in detail


def test_a_forbidden_step_on_a_page_is_a_chinese_message_never_an_error_page(
    client, login, small, healthy
):
    rect = make_rect(healthy[0], RectificationState.DESIGNATED)
    login("alice")

    response = client.post(
        reverse("orgs:rectification-step", args=[rect.pk, "reopen"]),
        {"reason": "复查"},
        follow=True,
    )
    assert response.status_code == 200
    assert "“已认定，待定方案”的整顿不能“重新整顿”" in response.content.decode()
    closing = client.post(reverse("orgs:rectification-close", args=[rect.pk]), {"result": "x"})
    assert closing.status_code == 200
    assert "不能“整顿销号”" in closing.content.decode()
    assert client.get(reverse("orgs:rectification-step", args=[rect.pk, "nope"])).status_code == 404


def test_the_health_page_counts_and_lists_without_per_row_queries(
    client, login, world, django_assert_max_num_queries
):
    login("city.admin")
    url = reverse("orgs:health", args=[world.city.pk])
    for tab in ("candidates", "open", "closed", "vacancies", "suggestions"):
        with django_assert_max_num_queries(16):
            response = client.get(url, {"tab": tab})
        assert response.status_code == 200
    page = client.get(url, {"tab": "open"}).content.decode()
    assert 'data-overdue="1"' in page


def test_the_nav_page_shows_the_users_own_subtree(client, login, small):
    login("bob")
    response = client.get(reverse("orgs:health-home"))
    assert response.context["root"] == small.b.org
    assert small.a.org.name not in response.content.decode()


def test_the_api_designates_and_refuses_a_forbidden_step_with_a_400(small, healthy):
    api = APIClient()
    api.force_authenticate(small.alice)
    org = healthy[0]

    created = api.post(
        "/api/rectifications/",
        {"org_id": org.pk, "entered": {"petition_cluster": "集体访3批"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    refused = api.post(f"/api/rectifications/{pk}/close/", {"result": "x"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == ["“已认定，待定方案”的整顿不能“整顿销号”"]
    planned = api.post(
        f"/api/rectifications/{pk}/plan/",
        {"measures": "一\n二", "owner": "王", "deadline": str(TODAY)},
        format="json",
    )
    assert planned.json()["state"] == "rectifying"
    assert planned.json()["measures"] == ["一", "二"]
    listed = api.get("/api/rectifications/", {"org": small.a.org.pk, "group": "open"}).json()
    assert pk in {r["id"] for r in listed["results"]}
    Organization.objects.filter(pk=healthy[1].pk).update(
        secretary=None, secretary_vacant_since=TODAY - dt.timedelta(days=100)
    )
    cands = api.get(f"/api/organizations/{small.a.org.pk}/weak-candidates/").json()
    assert cands["count"] == len(cands["results"]) > 0
    assert cands["results"][0]["reasons"]


def test_health_report_prints_the_worklists(small, capsys):
    branch = OrganizationFactory(parent=small.a.street, name="南京东路第1居民区党支部")
    Organization.objects.filter(pk=branch.pk).update(
        secretary_vacant_since=TODAY - dt.timedelta(days=100)
    )
    call_command("health_report", "--org", small.a.org.code, "--user", small.alice.username)
    out = capsys.readouterr().out
    assert "软弱涣散待排查" in out
    assert "书记空缺" in out
    assert "南京东路第1居民区党支部" in out
