"""Accounts: login and lockout, account management inside one's own subtree, the audit page
and what each role may see. The people are the test's own (``cast`` in this folder's
conftest): alice and bob officers of districts a and b, and one account of each other role."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import mark_verified
from jiceng.accounts import services
from jiceng.accounts.models import RoleAssignment, User
from jiceng.accounts.roles import GRANTABLE, Role
from jiceng.core.models import AuditEvent
from jiceng.members.models import Member
from jiceng.orgs import services as org_services
from jiceng.orgs.models import OrgType
from tests.factories import PASSWORD, OrganizationFactory

NEW_PASSWORD = "Xinmima@2005x"


def html(response) -> str:
    return response.content.decode()


def login_post(client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def assignment_of(user) -> RoleAssignment:
    return RoleAssignment.objects.get(user=user, withdrawn_at__isnull=True)


def audit_rows(response) -> list[AuditEvent]:
    return list(response.context["page_obj"])


# ----- login -----------------------------------------------------------------------------------


def test_login_page_is_shown_to_anonymous_visitors(client, db):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert 'data-testid="login-form"' in html(response)


def test_login_works_with_the_real_password(client, small):
    response = login_post(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    # the password is the first of two steps: an officer then enrols in the second factor
    assert client.get(reverse("core:home"))["Location"].startswith(reverse("accounts:otp-enrol"))
    mark_verified(client, small.alice)
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert home.context["user"].username == "alice"


def test_a_wrong_password_shows_a_chinese_error_and_does_not_log_in(client, small):
    response = login_post(client, "alice", "wrong-password")

    assert response.status_code == 200
    assert "用户名或密码错误" in html(response)
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_five_wrong_passwords_lock_the_account_out(client, small):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login_post(client, "alice", "wrong-password").status_code == 200

    locked = login_post(client, "alice", "wrong-password")

    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in html(locked)
    assert "账号已暂时锁定" in html(locked)
    assert AccessAttempt.objects.filter(username="alice").exists()
    # even the right password is refused while locked
    again = login_post(client, "alice", PASSWORD)
    assert again.status_code == 429
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_a_lockout_does_not_touch_other_accounts(client, small):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, "alice", "wrong-password")

    assert login_post(client, "bob", PASSWORD).status_code == 302


def test_a_login_is_audited(client, small):
    login_post(client, "alice", PASSWORD)

    event = AuditEvent.objects.get(verb="login", actor=small.alice)
    assert event.org_path == small.a.org.path
    assert event.object_id == str(small.alice.pk)


def test_a_failed_login_is_audited(client, small):
    login_post(client, "alice", "wrong-password")

    event = AuditEvent.objects.get(verb="login_failed")
    assert event.object_repr == "alice"
    assert event.actor_id is None
    assert "wrong-password" not in str(event.changes) + event.note


# ----- creating accounts -----------------------------------------------------------------------


def create_post(client, organization, **overrides):
    data = {
        "username": "nanjing.worker",
        "display_name": "南京东路 党群工作者",
        "password": NEW_PASSWORD,
        "role": Role.PARTY_WORKER,
        "organization": organization.code,
    }
    data.update(overrides)
    return client.post(reverse("accounts:create"), data)


def test_a_district_officer_creates_an_account_in_their_district(client, sign_in, small):
    officer = sign_in(small.alice)

    response = create_post(client, small.a.street)

    user = User.objects.get(username="nanjing.worker")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[user.pk])
    assert user.check_password(NEW_PASSWORD)
    (assignment,) = user.assignments.all()
    assert assignment.role == Role.PARTY_WORKER
    assert assignment.organization == small.a.street
    assert assignment.granted_by == officer
    created = AuditEvent.objects.get(verb="create", object_type="accounts.user")
    assert created.actor == officer
    assert created.object_id == str(user.pk)
    assert created.changes == {
        "username": [None, "nanjing.worker"],
        "display_name": [None, "南京东路 党群工作者"],
    }
    granted = AuditEvent.objects.get(verb="grant", object_id=str(assignment.pk))
    assert granted.actor == officer
    assert granted.org_path == small.a.street.path


def test_the_new_account_logs_in_and_sees_its_unit(client, sign_in, small):
    sign_in(small.alice)
    create_post(client, small.a.street)
    client.logout()

    assert login_post(client, "nanjing.worker", NEW_PASSWORD).status_code == 302
    mark_verified(client, User.objects.get(username="nanjing.worker"))
    roots = [root for root, _kids in client.get(reverse("orgs:tree")).context["roots"]]
    assert [r.code for r in roots] == [small.a.street.code]


def test_a_district_officer_cannot_grant_city_admin(small):
    with pytest.raises(PermissionDenied, match="不能授予“市委组织部管理员”"):
        services.user_create(
            actor=small.alice,
            username="would.be.admin",
            password=NEW_PASSWORD,
            display_name="越权",
            role=Role.CITY_ADMIN,
            organization=small.a.org,
        )

    assert not User.objects.filter(username="would.be.admin").exists()


def test_the_create_form_offers_only_roles_the_manager_may_grant(client, sign_in, small):
    sign_in(small.alice)

    response = client.get(reverse("accounts:create"))

    offered = {value for value, _label in response.context["form"].fields["role"].choices}
    assert offered == set(GRANTABLE[Role.DISTRICT_OFFICER])
    assert Role.CITY_ADMIN not in offered


def test_a_forged_city_admin_grant_is_a_form_error(client, sign_in, small):
    sign_in(small.alice)

    response = create_post(client, small.a.street, role=Role.CITY_ADMIN)

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(username="nanjing.worker").exists()
    assert not AuditEvent.objects.filter(
        verb__in=["create", "grant"], object_type__startswith="accounts"
    ).exists()


def test_an_organisation_of_another_district_is_not_offered(client, sign_in, small):
    sign_in(small.alice)

    response = client.get(reverse("accounts:create"))

    page = html(response)
    assert small.b.org.name not in page
    assert small.b.org.code not in page
    queryset = response.context["form"].fields["organization"].queryset
    assert not queryset.filter(path__startswith=small.b.org.path).exists()
    assert queryset.filter(pk=small.a.org.pk).exists()


def test_a_forged_organisation_of_another_district_fails_without_500(client, sign_in, small):
    sign_in(small.alice)

    response = create_post(client, small.b.org)

    assert response.status_code == 200
    assert response.context["form"].errors["organization"] == [
        f"找不到代码为 {small.b.org.code} 的党组织，或该组织不在您的管辖范围内"
    ]
    assert not User.objects.filter(username="nanjing.worker").exists()


def test_a_forged_grant_on_an_existing_account_fails_without_500(client, sign_in, cast):
    sign_in(cast.alice)
    worker = cast.frank

    response = client.post(
        reverse("accounts:detail", args=[worker.pk]),
        {"role": Role.PARTY_WORKER, "organization": cast.small.b.org.code},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["organization"]
    assert worker.assignments.count() == 1


def test_a_weak_password_is_refused_in_chinese(client, sign_in, small):
    sign_in(small.alice)

    response = create_post(client, small.a.street, password="12345678")

    assert response.status_code == 200
    errors = response.context["form"].errors["password"]
    assert any("密码" in e for e in errors)
    assert not User.objects.filter(username="nanjing.worker").exists()


def test_a_taken_username_is_refused(client, sign_in, small):
    sign_in(small.alice)

    response = create_post(client, small.a.street, username="BOB")

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["该用户名已被使用"]


def test_a_manager_grants_a_second_role_through_the_account_page(client, sign_in, cast):
    officer = sign_in(cast.alice)
    worker = cast.frank
    street_2 = OrganizationFactory(
        parent=cast.small.a.org, name="甲区二街道党工委", org_type=OrgType.STREET_COMMITTEE
    )

    response = client.post(
        reverse("accounts:detail", args=[worker.pk]),
        {"role": Role.PARTY_WORKER, "organization": street_2.code},
    )

    assert response.status_code == 302
    assignment = worker.assignments.get(organization=street_2)
    event = AuditEvent.objects.get(verb="grant", object_id=str(assignment.pk))
    assert event.actor == officer


# ----- withdrawing and deactivating ------------------------------------------------------------


def test_a_manager_withdraws_a_role_in_scope(client, sign_in, cast):
    officer = sign_in(cast.alice)
    assignment = assignment_of(cast.erin)

    response = client.post(reverse("accounts:withdraw", args=[assignment.pk]))

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.withdrawn_at is not None
    assert assignment.withdrawn_by == officer
    event = AuditEvent.objects.get(verb="withdraw", object_id=str(assignment.pk))
    assert event.actor == officer
    assert event.changes == {"active": [True, False]}


def test_a_get_does_not_withdraw(client, sign_in, cast):
    sign_in(cast.alice)
    assignment = assignment_of(cast.erin)

    client.get(reverse("accounts:withdraw", args=[assignment.pk]))

    assignment.refresh_from_db()
    assert assignment.withdrawn_at is None


def test_a_withdrawn_assignment_removes_visibility_at_once(client, sign_in, cast):
    sign_in(cast.erin)
    street = cast.small.a.street
    assert client.get(reverse("orgs:detail", args=[street.pk])).status_code == 200

    services.role_withdraw(actor=cast.alice, assignment=assignment_of(cast.erin))

    assert client.get(reverse("orgs:detail", args=[street.pk])).status_code == 404
    assert client.get(reverse("orgs:tree")).context["roots"] == []


def test_a_manager_cannot_withdraw_their_own_role(client, sign_in, small):
    sign_in(small.alice)
    own = assignment_of(small.alice)

    response = client.post(reverse("accounts:withdraw", args=[own.pk]), follow=True)

    own.refresh_from_db()
    assert own.withdrawn_at is None
    assert "不能收回自己的授权" in html(response)


def test_a_manager_deactivates_an_account_in_scope(client, sign_in, cast):
    officer = sign_in(cast.alice)
    worker = cast.frank

    response = client.post(reverse("accounts:deactivate", args=[worker.pk]), follow=True)

    assert response.status_code == 200
    assert "已停用账号" in html(response)
    worker.refresh_from_db()
    assert not worker.is_active
    event = AuditEvent.objects.get(verb="deactivate", object_id=str(worker.pk))
    assert event.actor == officer
    assert event.changes == {"is_active": [True, False]}
    assert event.org_path == cast.small.a.street.path


def test_a_deactivated_account_is_logged_out_and_cannot_log_in(client, cast):
    login_post(client, "frank", PASSWORD)
    mark_verified(client, cast.frank)
    assert client.get(reverse("orgs:tree")).status_code == 200

    services.user_deactivate(actor=cast.alice, user=cast.frank)

    assert client.get(reverse("orgs:tree")).status_code == 302
    assert login_post(client, "frank", PASSWORD).status_code == 200


def test_a_manager_cannot_deactivate_themselves(client, sign_in, small):
    officer = sign_in(small.alice)

    response = client.post(reverse("accounts:deactivate", args=[officer.pk]), follow=True)

    assert "不能停用自己的账号" in html(response)
    officer.refresh_from_db()
    assert officer.is_active
    assert not AuditEvent.objects.filter(verb="deactivate").exists()


def test_an_account_with_a_role_outside_scope_cannot_be_deactivated(cast):
    worker = cast.frank
    services.role_grant(
        actor=cast.grace,
        user=worker,
        role=Role.PARTY_WORKER,
        organization=cast.small.b.org,
    )

    with pytest.raises(PermissionDenied, match="另有授权"):
        services.user_deactivate(actor=cast.alice, user=worker)
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        services.user_deactivate(actor=worker, user=worker)

    worker.refresh_from_db()
    assert worker.is_active


@pytest.mark.parametrize("route", ["detail", "deactivate"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_officer_of_another_district_gets_404_on_an_account(
    client, sign_in, cast, route, method
):
    sign_in(cast.bob)
    target = cast.frank

    response = getattr(client, method)(reverse(f"accounts:{route}", args=[target.pk]))

    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_officer_of_another_district_gets_404_on_an_assignment(client, sign_in, cast, method):
    sign_in(cast.bob)
    assignment = assignment_of(cast.erin)

    response = getattr(client, method)(reverse("accounts:withdraw", args=[assignment.pk]))

    assert response.status_code == 404
    assignment.refresh_from_db()
    assert assignment.withdrawn_at is None


# ----- user list -------------------------------------------------------------------------------


def listed(client) -> set[str]:
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 200
    return {u.username for u in response.context["page_obj"]}


def test_the_user_list_shows_only_accounts_in_scope(client, sign_in, cast):
    sign_in(cast.bob)

    names = listed(client)

    assert "bob" in names
    assert "alice" not in names
    assert "erin" not in names
    assert "grace" not in names


def test_a_district_officer_lists_the_accounts_of_their_district(client, sign_in, cast):
    sign_in(cast.alice)

    # every account with a role inside district a; not bob (b), dora nor grace (the city)
    assert listed(client) == {"alice", "erin", "charlie", "frank", "heidi", "ivan"}


def test_a_withdrawn_account_stays_listed_without_active_roles(client, sign_in, cast):
    """The manager can still find the account to grant it a role again."""
    sign_in(cast.alice)
    services.role_withdraw(actor=cast.grace, assignment=assignment_of(cast.erin))

    response = client.get(reverse("accounts:list"))

    (account,) = [u for u in response.context["page_obj"] if u.username == "erin"]
    assert account.active_roles == []


def test_roles_without_account_management_list_no_one(client, sign_in, cast):
    sign_in(cast.charlie)

    assert listed(client) == set()


# ----- audit page ------------------------------------------------------------------------------


@pytest.fixture
def district_events(cast):
    """Two changes in district a by its officer (in each of its branches), one in b."""
    a_branch, second = cast.small.a.branches
    b_branch = cast.small.b.branches[0]
    org_services.organization_rename(actor=cast.alice, org=a_branch, name="黄浦审计测试党支部")
    org_services.organization_rename(actor=cast.alice, org=second, name="外滩审计测试党支部")
    org_services.organization_rename(actor=cast.bob, org=b_branch, name="徐汇审计测试党支部")
    return a_branch, second, b_branch


def audit_page(client, **params):
    response = client.get(reverse("core:audit"), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("username", ["auditor", "huangpu.officer"])
def test_the_audit_page_shows_the_districts_events_only(
    client, sign_in, cast, username, district_events
):
    # the district's auditor (heidi) and its officer (alice)
    sign_in({"auditor": cast.heidi, "huangpu.officer": cast.alice}[username])

    response = audit_page(client)

    reprs = {e.object_repr for e in audit_rows(response)}
    assert {"黄浦审计测试党支部", "外滩审计测试党支部"} <= reprs
    assert "徐汇审计测试党支部" not in reprs
    assert all(e.org_path.startswith(cast.small.a.org.path) for e in audit_rows(response))
    assert "徐汇审计测试党支部" not in html(response)


def test_the_audit_page_of_another_district_shows_nothing_of_huangpu(
    client, sign_in, cast, district_events
):
    sign_in(cast.bob)

    rows = audit_rows(audit_page(client))

    assert [e.object_repr for e in rows if "审计测试" in e.object_repr] == ["徐汇审计测试党支部"]
    assert not any(e.org_path.startswith(cast.small.a.org.path) for e in rows)


def test_the_audit_page_filters_by_actor(client, sign_in, cast, district_events):
    sign_in(cast.heidi)

    by_officer = audit_rows(audit_page(client, actor="alice"))
    by_outsider = audit_rows(audit_page(client, actor="bob"))

    assert {e.object_repr for e in by_officer} == {"黄浦审计测试党支部", "外滩审计测试党支部"}
    assert by_outsider == []


def test_the_audit_page_filters_by_object(client, sign_in, cast, district_events):
    sign_in(cast.heidi)
    a_branch, second, _ = district_events

    by_name = audit_rows(audit_page(client, object="外滩审计"))
    by_id = audit_rows(audit_page(client, object=str(a_branch.pk)))

    assert [e.object_id for e in by_name] == [str(second.pk)]
    assert {e.object_id for e in by_id} == {str(a_branch.pk)}


def test_the_audit_page_filters_by_date(client, sign_in, cast, district_events):
    sign_in(cast.heidi)
    today = timezone.localdate()

    assert len(audit_rows(audit_page(client, date_from=today, date_to=today))) >= 2
    assert audit_rows(audit_page(client, date_from=today + dt.timedelta(days=1))) == []
    assert audit_rows(audit_page(client, date_to=today - dt.timedelta(days=1))) == []


def test_the_audit_page_filters_by_verb(client, sign_in, cast, district_events):
    sign_in(cast.heidi)

    rows = audit_rows(audit_page(client, verb="update"))

    assert rows
    assert {e.verb for e in rows} == {"update"}


@pytest.mark.parametrize("username", ["branch.secretary", "party.worker", "member.self"])
def test_roles_without_audit_rights_see_no_audit_rows(client, sign_in, cast, username):
    branch = cast.small.a.branches[0]
    org_services.organization_rename(actor=cast.alice, org=branch, name="书记视角测试党支部")
    sign_in(
        {"branch.secretary": cast.charlie, "party.worker": cast.frank, "member.self": cast.ivan}[
            username
        ]
    )

    response = audit_page(client)

    assert audit_rows(response) == []
    table = html(response).split('data-testid="audit-table"')[1]
    assert "书记视角测试党支部" not in table
    assert "没有记录" in table


# ----- self service ----------------------------------------------------------------------------


def test_a_member_sees_only_their_own_record(client, sign_in, cast):
    user = sign_in(cast.ivan)
    own = Member.objects.get(user=user)
    other = Member.objects.filter(home_org=own.home_org).exclude(pk=own.pk).first()

    assert client.get(reverse("members:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("members:detail", args=[other.pk])).status_code == 404
    foreign = cast.small.b.members[0]
    assert client.get(reverse("members:detail", args=[foreign.pk])).status_code == 404


def test_a_member_sees_no_organisation_pages(client, sign_in, cast):
    user = sign_in(cast.ivan)
    own = Member.objects.get(user=user)

    assert client.get(reverse("orgs:detail", args=[own.home_org_id])).status_code == 404
    assert client.get(reverse("orgs:tree")).context["roots"] == []


# ----- an account's roles elsewhere (issue 14, low finding) -----------------------------------


@pytest.fixture
def worker_also_in_xuhui(cast):
    """frank (party worker in district a) also holds a role in district b, granted by the
    city administrator."""
    return services.role_grant(
        actor=cast.grace,
        user=cast.frank,
        role=Role.PARTY_WORKER,
        organization=cast.small.b.org,
    )


def test_an_account_page_shows_only_the_roles_inside_the_managers_scope(
    client, sign_in, cast, worker_also_in_xuhui
):
    sign_in(cast.alice)

    response = client.get(reverse("accounts:detail", args=[cast.frank.pk]))

    assert response.status_code == 200
    shown = list(response.context["assignments"])
    assert worker_also_in_xuhui not in shown
    assert all(a.organization.path.startswith(cast.small.a.org.path) for a in shown)
    assert cast.small.b.org.name not in html(response)


def test_the_user_list_shows_only_the_roles_inside_the_managers_scope(
    client, sign_in, cast, worker_also_in_xuhui
):
    sign_in(cast.alice)

    response = client.get(reverse("accounts:list"))

    (account,) = [u for u in response.context["page_obj"] if u.username == "frank"]
    assert [a.organization for a in account.active_roles] == [cast.small.a.street]
    assert cast.small.b.org.name not in html(response)


def test_the_city_admin_still_sees_both_roles(client, sign_in, cast, worker_also_in_xuhui):
    sign_in(cast.grace)

    response = client.get(reverse("accounts:detail", args=[cast.frank.pk]))

    assert worker_also_in_xuhui in list(response.context["assignments"])
