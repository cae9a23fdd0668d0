"""Accounts: login and lockout, account management inside one's own subtree, the audit page
and what each role may see."""

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

PASSWORD = "Jiceng@2005"  # the published demo password of the tiny scenario
NEW_PASSWORD = "Xinmima@2005x"
HUANGPU_STREET = "310101002"


def html(response) -> str:
    return response.content.decode()


def login_post(client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def assignment_of(world, username: str) -> RoleAssignment:
    return RoleAssignment.objects.get(user=world.user(username), withdrawn_at__isnull=True)


def audit_rows(response) -> list[AuditEvent]:
    return list(response.context["page_obj"])


# ----- login -----------------------------------------------------------------------------------


def test_login_page_is_shown_to_anonymous_visitors(client, db):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert 'data-testid="login-form"' in html(response)


def test_login_works_with_the_real_password(client, world):
    response = login_post(client, "huangpu.officer", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    # the password is the first of two steps: an officer then enrols in the second factor
    assert client.get(reverse("core:home"))["Location"].startswith(reverse("accounts:otp-enrol"))
    mark_verified(client, world.user("huangpu.officer"))
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert home.context["user"].username == "huangpu.officer"


def test_a_wrong_password_shows_a_chinese_error_and_does_not_log_in(client, world):
    response = login_post(client, "huangpu.officer", "wrong-password")

    assert response.status_code == 200
    assert "用户名或密码错误" in html(response)
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_five_wrong_passwords_lock_the_account_out(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login_post(client, "huangpu.officer", "wrong-password").status_code == 200

    locked = login_post(client, "huangpu.officer", "wrong-password")

    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in html(locked)
    assert "账号已暂时锁定" in html(locked)
    assert AccessAttempt.objects.filter(username="huangpu.officer").exists()
    # even the right password is refused while locked
    again = login_post(client, "huangpu.officer", PASSWORD)
    assert again.status_code == 429
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_a_lockout_does_not_touch_other_accounts(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, "huangpu.officer", "wrong-password")

    assert login_post(client, "xuhui.officer", PASSWORD).status_code == 302


def test_a_login_is_audited(client, world):
    login_post(client, "huangpu.officer", PASSWORD)

    officer = world.user("huangpu.officer")
    event = AuditEvent.objects.get(verb="login", actor=officer)
    assert event.org_path == world.huangpu.path
    assert event.object_id == str(officer.pk)


def test_a_failed_login_is_audited(client, world):
    login_post(client, "huangpu.officer", "wrong-password")

    event = AuditEvent.objects.get(verb="login_failed")
    assert event.object_repr == "huangpu.officer"
    assert event.actor_id is None
    assert "wrong-password" not in str(event.changes) + event.note


# ----- creating accounts -----------------------------------------------------------------------


def create_post(client, **overrides):
    data = {
        "username": "nanjing.worker",
        "display_name": "南京东路 党群工作者",
        "password": NEW_PASSWORD,
        "role": Role.PARTY_WORKER,
        "organization": HUANGPU_STREET,
    }
    data.update(overrides)
    return client.post(reverse("accounts:create"), data)


def test_a_district_officer_creates_an_account_in_their_district(client, login, world):
    officer = login("huangpu.officer")

    response = create_post(client)

    user = User.objects.get(username="nanjing.worker")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[user.pk])
    assert user.check_password(NEW_PASSWORD)
    (assignment,) = user.assignments.all()
    assert assignment.role == Role.PARTY_WORKER
    assert assignment.organization == world.org(HUANGPU_STREET)
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
    assert granted.org_path == world.org(HUANGPU_STREET).path


def test_the_new_account_logs_in_and_sees_its_unit(client, login, world):
    login("huangpu.officer")
    create_post(client)
    client.logout()

    assert login_post(client, "nanjing.worker", NEW_PASSWORD).status_code == 302
    mark_verified(client, User.objects.get(username="nanjing.worker"))
    roots = [root for root, _kids in client.get(reverse("orgs:tree")).context["roots"]]
    assert [r.code for r in roots] == [HUANGPU_STREET]


def test_a_district_officer_cannot_grant_city_admin(world):
    with pytest.raises(PermissionDenied, match="不能授予“市委组织部管理员”"):
        services.user_create(
            actor=world.user("huangpu.officer"),
            username="would.be.admin",
            password=NEW_PASSWORD,
            display_name="越权",
            role=Role.CITY_ADMIN,
            organization=world.huangpu,
        )

    assert not User.objects.filter(username="would.be.admin").exists()


def test_the_create_form_offers_only_roles_the_manager_may_grant(client, login, world):
    login("huangpu.officer")

    response = client.get(reverse("accounts:create"))

    offered = {value for value, _label in response.context["form"].fields["role"].choices}
    assert offered == set(GRANTABLE[Role.DISTRICT_OFFICER])
    assert Role.CITY_ADMIN not in offered


def test_a_forged_city_admin_grant_is_a_form_error(client, login, world):
    login("huangpu.officer")

    response = create_post(client, role=Role.CITY_ADMIN)

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(username="nanjing.worker").exists()
    assert not AuditEvent.objects.filter(
        verb__in=["create", "grant"], object_type__startswith="accounts"
    ).exists()


def test_an_organisation_of_another_district_is_not_offered(client, login, world):
    login("huangpu.officer")

    response = client.get(reverse("accounts:create"))

    page = html(response)
    assert world.xuhui.name not in page
    assert world.xuhui.code not in page
    queryset = response.context["form"].fields["organization"].queryset
    assert not queryset.filter(path__startswith=world.xuhui.path).exists()
    assert queryset.filter(pk=world.huangpu.pk).exists()


def test_a_forged_organisation_of_another_district_fails_without_500(client, login, world):
    login("huangpu.officer")

    response = create_post(client, organization=world.xuhui.code)

    assert response.status_code == 200
    assert response.context["form"].errors["organization"] == [
        f"找不到代码为 {world.xuhui.code} 的党组织，或该组织不在您的管辖范围内"
    ]
    assert not User.objects.filter(username="nanjing.worker").exists()


def test_a_forged_grant_on_an_existing_account_fails_without_500(client, login, world):
    login("huangpu.officer")
    worker = world.user("party.worker")

    response = client.post(
        reverse("accounts:detail", args=[worker.pk]),
        {"role": Role.PARTY_WORKER, "organization": world.xuhui.code},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["organization"]
    assert worker.assignments.count() == 1


def test_a_weak_password_is_refused_in_chinese(client, login, world):
    login("huangpu.officer")

    response = create_post(client, password="12345678")

    assert response.status_code == 200
    errors = response.context["form"].errors["password"]
    assert any("密码" in e for e in errors)
    assert not User.objects.filter(username="nanjing.worker").exists()


def test_a_taken_username_is_refused(client, login, world):
    login("huangpu.officer")

    response = create_post(client, username="XUHUI.officer")

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["该用户名已被使用"]


def test_a_manager_grants_a_second_role_through_the_account_page(client, login, world):
    officer = login("huangpu.officer")
    worker = world.user("party.worker")
    street_2 = world.org("310101013")

    response = client.post(
        reverse("accounts:detail", args=[worker.pk]),
        {"role": Role.PARTY_WORKER, "organization": street_2.code},
    )

    assert response.status_code == 302
    assignment = worker.assignments.get(organization=street_2)
    event = AuditEvent.objects.get(verb="grant", object_id=str(assignment.pk))
    assert event.actor == officer


# ----- withdrawing and deactivating ------------------------------------------------------------


def test_a_manager_withdraws_a_role_in_scope(client, login, world):
    officer = login("huangpu.officer")
    assignment = assignment_of(world, "street.officer")

    response = client.post(reverse("accounts:withdraw", args=[assignment.pk]))

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.withdrawn_at is not None
    assert assignment.withdrawn_by == officer
    event = AuditEvent.objects.get(verb="withdraw", object_id=str(assignment.pk))
    assert event.actor == officer
    assert event.changes == {"active": [True, False]}


def test_a_get_does_not_withdraw(client, login, world):
    login("huangpu.officer")
    assignment = assignment_of(world, "street.officer")

    client.get(reverse("accounts:withdraw", args=[assignment.pk]))

    assignment.refresh_from_db()
    assert assignment.withdrawn_at is None


def test_a_withdrawn_assignment_removes_visibility_at_once(client, login, world):
    login("street.officer")
    street = world.org(HUANGPU_STREET)
    assert client.get(reverse("orgs:detail", args=[street.pk])).status_code == 200

    services.role_withdraw(
        actor=world.user("huangpu.officer"), assignment=assignment_of(world, "street.officer")
    )

    assert client.get(reverse("orgs:detail", args=[street.pk])).status_code == 404
    assert client.get(reverse("orgs:tree")).context["roots"] == []


def test_a_manager_cannot_withdraw_their_own_role(client, login, world):
    login("huangpu.officer")
    own = assignment_of(world, "huangpu.officer")

    response = client.post(reverse("accounts:withdraw", args=[own.pk]), follow=True)

    own.refresh_from_db()
    assert own.withdrawn_at is None
    assert "不能收回自己的授权" in html(response)


def test_a_manager_deactivates_an_account_in_scope(client, login, world):
    officer = login("huangpu.officer")
    worker = world.user("party.worker")

    response = client.post(reverse("accounts:deactivate", args=[worker.pk]), follow=True)

    assert response.status_code == 200
    assert "已停用账号" in html(response)
    worker.refresh_from_db()
    assert not worker.is_active
    event = AuditEvent.objects.get(verb="deactivate", object_id=str(worker.pk))
    assert event.actor == officer
    assert event.changes == {"is_active": [True, False]}
    assert event.org_path == world.org(HUANGPU_STREET).path


def test_a_deactivated_account_is_logged_out_and_cannot_log_in(client, world):
    login_post(client, "party.worker", PASSWORD)
    mark_verified(client, world.user("party.worker"))
    assert client.get(reverse("orgs:tree")).status_code == 200

    services.user_deactivate(actor=world.user("huangpu.officer"), user=world.user("party.worker"))

    assert client.get(reverse("orgs:tree")).status_code == 302
    assert login_post(client, "party.worker", PASSWORD).status_code == 200


def test_a_manager_cannot_deactivate_themselves(client, login, world):
    officer = login("huangpu.officer")

    response = client.post(reverse("accounts:deactivate", args=[officer.pk]), follow=True)

    assert "不能停用自己的账号" in html(response)
    officer.refresh_from_db()
    assert officer.is_active
    assert not AuditEvent.objects.filter(verb="deactivate").exists()


def test_an_account_with_a_role_outside_scope_cannot_be_deactivated(world):
    worker = world.user("party.worker")
    services.role_grant(
        actor=world.user("city.admin"),
        user=worker,
        role=Role.PARTY_WORKER,
        organization=world.xuhui,
    )

    with pytest.raises(PermissionDenied, match="另有授权"):
        services.user_deactivate(actor=world.user("huangpu.officer"), user=worker)
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        services.user_deactivate(actor=worker, user=worker)

    worker.refresh_from_db()
    assert worker.is_active


@pytest.mark.parametrize("route", ["detail", "deactivate"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_officer_of_another_district_gets_404_on_an_account(client, login, world, route, method):
    login("xuhui.officer")
    target = world.user("party.worker")

    response = getattr(client, method)(reverse(f"accounts:{route}", args=[target.pk]))

    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_officer_of_another_district_gets_404_on_an_assignment(client, login, world, method):
    login("xuhui.officer")
    assignment = assignment_of(world, "street.officer")

    response = getattr(client, method)(reverse("accounts:withdraw", args=[assignment.pk]))

    assert response.status_code == 404
    assignment.refresh_from_db()
    assert assignment.withdrawn_at is None


# ----- user list -------------------------------------------------------------------------------


def listed(client) -> set[str]:
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 200
    return {u.username for u in response.context["page_obj"]}


def test_the_user_list_shows_only_accounts_in_scope(client, login, world):
    login("xuhui.officer")

    names = listed(client)

    assert "xuhui.officer" in names
    assert "huangpu.officer" not in names
    assert "street.officer" not in names
    assert "city.admin" not in names


def test_a_district_officer_lists_the_accounts_of_their_district(client, login, world):
    login("huangpu.officer")

    assert listed(client) == {
        "huangpu.officer",
        "street.officer",
        "branch.secretary",
        "party.worker",
        "auditor",
        "member.self",
    }


def test_a_withdrawn_account_stays_listed_without_active_roles(client, login, world):
    """The manager can still find the account to grant it a role again."""
    login("huangpu.officer")
    services.role_withdraw(
        actor=world.user("city.admin"), assignment=assignment_of(world, "street.officer")
    )

    response = client.get(reverse("accounts:list"))

    (account,) = [u for u in response.context["page_obj"] if u.username == "street.officer"]
    assert account.active_roles == []


def test_roles_without_account_management_list_no_one(client, login, world):
    login("branch.secretary")

    assert listed(client) == set()


# ----- audit page ------------------------------------------------------------------------------


@pytest.fixture
def district_events(world):
    """One change in 黄浦 by the district officer, one by the street officer, one in 徐汇."""
    huangpu_branch = world.branch_in(world.huangpu)
    second = world.org("310101013R001")
    xuhui_branch = world.branch_in(world.xuhui)
    org_services.organization_rename(
        actor=world.user("huangpu.officer"), org=huangpu_branch, name="黄浦审计测试党支部"
    )
    org_services.organization_rename(
        actor=world.user("huangpu.officer"), org=second, name="外滩审计测试党支部"
    )
    org_services.organization_rename(
        actor=world.user("xuhui.officer"), org=xuhui_branch, name="徐汇审计测试党支部"
    )
    return huangpu_branch, second, xuhui_branch


def audit_page(client, **params):
    response = client.get(reverse("core:audit"), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("username", ["auditor", "huangpu.officer"])
def test_the_audit_page_shows_the_districts_events_only(
    client, login, world, username, district_events
):
    login(username)

    response = audit_page(client)

    reprs = {e.object_repr for e in audit_rows(response)}
    assert {"黄浦审计测试党支部", "外滩审计测试党支部"} <= reprs
    assert "徐汇审计测试党支部" not in reprs
    assert all(e.org_path.startswith(world.huangpu.path) for e in audit_rows(response))
    assert "徐汇审计测试党支部" not in html(response)


def test_the_audit_page_of_another_district_shows_nothing_of_huangpu(
    client, login, world, district_events
):
    login("xuhui.officer")

    rows = audit_rows(audit_page(client))

    assert [e.object_repr for e in rows if "审计测试" in e.object_repr] == ["徐汇审计测试党支部"]
    assert not any(e.org_path.startswith(world.huangpu.path) for e in rows)


def test_the_audit_page_filters_by_actor(client, login, world, district_events):
    login("auditor")

    by_officer = audit_rows(audit_page(client, actor="huangpu.officer"))
    by_outsider = audit_rows(audit_page(client, actor="xuhui.officer"))

    assert {e.object_repr for e in by_officer} == {"黄浦审计测试党支部", "外滩审计测试党支部"}
    assert by_outsider == []


def test_the_audit_page_filters_by_object(client, login, world, district_events):
    login("auditor")
    huangpu_branch, second, _ = district_events

    by_name = audit_rows(audit_page(client, object="外滩审计"))
    by_id = audit_rows(audit_page(client, object=str(huangpu_branch.pk)))

    assert [e.object_id for e in by_name] == [str(second.pk)]
    assert {e.object_id for e in by_id} == {str(huangpu_branch.pk)}


def test_the_audit_page_filters_by_date(client, login, world, district_events):
    login("auditor")
    today = timezone.localdate()

    assert len(audit_rows(audit_page(client, date_from=today, date_to=today))) >= 2
    assert audit_rows(audit_page(client, date_from=today + dt.timedelta(days=1))) == []
    assert audit_rows(audit_page(client, date_to=today - dt.timedelta(days=1))) == []


def test_the_audit_page_filters_by_verb(client, login, world, district_events):
    login("auditor")

    rows = audit_rows(audit_page(client, verb="update"))

    assert rows
    assert {e.verb for e in rows} == {"update"}


@pytest.mark.parametrize("username", ["branch.secretary", "party.worker", "member.self"])
def test_roles_without_audit_rights_see_no_audit_rows(client, login, world, username):
    branch = world.branch_in(world.huangpu)
    org_services.organization_rename(
        actor=world.user("huangpu.officer"), org=branch, name="书记视角测试党支部"
    )
    login(username)

    response = audit_page(client)

    assert audit_rows(response) == []
    table = html(response).split('data-testid="audit-table"')[1]
    assert "书记视角测试党支部" not in table
    assert "没有记录" in table


# ----- self service ----------------------------------------------------------------------------


def test_a_member_sees_only_their_own_record(client, login, world):
    user = login("member.self")
    own = Member.objects.get(user=user)
    other = Member.objects.filter(home_org=own.home_org).exclude(pk=own.pk).first()

    assert client.get(reverse("members:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("members:detail", args=[other.pk])).status_code == 404
    foreign = world.member_in(world.xuhui)
    assert client.get(reverse("members:detail", args=[foreign.pk])).status_code == 404


def test_a_member_sees_no_organisation_pages(client, login, world):
    user = login("member.self")
    own = Member.objects.get(user=user)

    assert client.get(reverse("orgs:detail", args=[own.home_org_id])).status_code == 404
    assert client.get(reverse("orgs:tree")).context["roots"] == []


# ----- an account's roles elsewhere (issue 14, low finding) -----------------------------------


@pytest.fixture
def worker_also_in_xuhui(world):
    """party.worker (黄浦) also holds a role in 徐汇, granted by the city."""
    return services.role_grant(
        actor=world.user("city.admin"),
        user=world.user("party.worker"),
        role=Role.PARTY_WORKER,
        organization=world.xuhui,
    )


def test_an_account_page_shows_only_the_roles_inside_the_managers_scope(
    client, login, world, worker_also_in_xuhui
):
    login("huangpu.officer")

    response = client.get(reverse("accounts:detail", args=[world.user("party.worker").pk]))

    assert response.status_code == 200
    shown = list(response.context["assignments"])
    assert worker_also_in_xuhui not in shown
    assert all(a.organization.path.startswith(world.huangpu.path) for a in shown)
    assert world.xuhui.name not in html(response)


def test_the_user_list_shows_only_the_roles_inside_the_managers_scope(
    client, login, world, worker_also_in_xuhui
):
    login("huangpu.officer")

    response = client.get(reverse("accounts:list"))

    (account,) = [u for u in response.context["page_obj"] if u.username == "party.worker"]
    assert [a.organization for a in account.active_roles] == [world.org(HUANGPU_STREET)]
    assert world.xuhui.name not in html(response)


def test_the_city_admin_still_sees_both_roles(client, login, world, worker_also_in_xuhui):
    login("city.admin")

    response = client.get(reverse("accounts:detail", args=[world.user("party.worker").pk]))

    assert worker_also_in_xuhui in list(response.context["assignments"])
