"""The second factor (issue 14): required per role, enrolment with a QR code and recovery codes,
verification at every login, remembered devices, reset by an account manager, API tokens only
after the second factor — every step audited."""

from __future__ import annotations

import re
import time
from base64 import b32encode

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conftest import mark_verified
from jiceng.accounts.roles import Role
from jiceng.accounts.second_factor import rules
from jiceng.accounts.second_factor import services as second_factor
from jiceng.core.models import AuditEvent
from tests.factories import PASSWORD

ENROL = reverse("accounts:otp-enrol")
VERIFY = reverse("accounts:otp-verify")
RECOVERY = reverse("accounts:otp-recovery")


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():06d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def html(response) -> str:
    return response.content.decode()


# ----- who must pass it -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.MEMBER], ids=lambda r: str(r))
def test_every_role_that_can_reveal_export_or_manage_requires_it(settings, role):
    assert role in settings.OTP_REQUIRED_ROLES


def test_the_required_roles_are_a_setting(settings, cast):
    worker = cast.frank
    assert rules.required_for(worker)

    settings.OTP_REQUIRED_ROLES = ["city_admin"]

    assert not rules.required_for(worker)


def test_an_officer_after_the_password_only_is_sent_to_enrolment(client, sign_in, small):
    sign_in(small.alice, verified=False)

    response = client.get(reverse("members:list"))

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Fmembers%2F"


def test_an_enrolled_officer_after_the_password_only_is_sent_to_verification(
    client, sign_in, small
):
    enrolled(small.alice)
    sign_in(small.alice, verified=False)

    response = client.get(reverse("orgs:tree"))

    assert response["Location"].startswith(VERIFY)


def test_an_unverified_officer_cannot_write(client, sign_in, small):
    sign_in(small.alice, verified=False)
    member = small.a.members[0]

    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]))

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(verb="reveal").exists()


def test_an_unverified_htmx_request_is_refused_with_a_redirect_header(client, sign_in, small):
    sign_in(small.alice, verified=False)

    response = client.get(reverse("core:notices"), HTTP_HX_REQUEST="true")

    assert response.status_code == 403
    assert response["HX-Redirect"] == ENROL


def test_a_member_self_service_account_is_not_asked(client, sign_in, cast):
    sign_in(cast.ivan, verified=False)

    assert client.get(reverse("core:home")).status_code == 200


def test_an_unverified_session_api_call_is_refused_in_chinese(client, sign_in, small):
    sign_in(small.alice, verified=False)

    response = client.get("/api/members/")

    assert response.status_code == 403
    assert "两步验证" in response.json()["detail"]


def test_a_verified_session_api_call_passes(client, sign_in, small):
    sign_in(small.alice)

    assert client.get("/api/members/").status_code == 200


def test_a_token_created_for_an_officer_still_works(small):
    token = Token.objects.create(user=small.alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.get("/api/members/").status_code == 200


# ----- enrolment --------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_manual_key(client, sign_in, small):
    sign_in(small.alice, verified=False)

    response = client.get(ENROL)

    page = html(response)
    assert response.status_code == 200
    assert 'src="data:image/svg+xml' in page
    device = TOTPDevice.objects.get(user=small.alice, confirmed=False)
    key = re.search(r'data-testid="otp-manual-key">([A-Z2-7 ]+)<', page).group(1)
    assert key == rules.manual_key(b32encode(device.bin_key).decode())
    assert "style=" not in page.split("<main")[1]  # the CSP allows no inline styles
    assert AuditEvent.objects.filter(verb="otp_enrol_start").count() == 1
    # reloading the page shows the same key
    assert key in html(client.get(ENROL))


def test_enrolment_is_confirmed_with_a_code_then_shows_recovery_codes_once(client, sign_in, small):
    officer = sign_in(small.alice, verified=False)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=officer)

    response = client.post(ENROL + "?next=/orgs/", {"code": code_for(device), "next": "/orgs/"})

    assert response.status_code == 302
    assert response["Location"] == f"{RECOVERY}?next=%2Forgs%2F"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("orgs:tree")).status_code == 200  # the session is verified
    codes = re.findall(
        r"<li class=\"col py-1\">([a-z2-7]{4}-[a-z2-7]{4})</li>", html(client.get(RECOVERY))
    )
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=officer).count() == 10
    download = client.get(reverse("accounts:otp-recovery-download"))
    assert download["Content-Disposition"].startswith("attachment")
    assert all(c in download.content.decode() for c in codes)
    assert AuditEvent.objects.get(verb="otp_enrol").actor == officer

    saved = client.post(RECOVERY, {"action": "saved", "next": "/orgs/"})

    assert saved["Location"] == "/orgs/"
    after = html(client.get(RECOVERY))
    assert not any(c in after for c in codes)
    assert 'data-testid="recovery-left"' in after
    assert client.get(reverse("accounts:otp-recovery-download")).status_code == 404


def test_a_wrong_enrolment_code_is_refused_and_audited(client, sign_in, small):
    officer = sign_in(small.alice, verified=False)
    client.get(ENROL)

    response = client.post(ENROL, {"code": "000000"})

    assert response.status_code == 200
    assert "验证码不正确" in html(response)
    assert not TOTPDevice.objects.get(user=officer).confirmed
    assert AuditEvent.objects.filter(verb="otp_failed", actor=officer).exists()
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_an_enrolled_user_cannot_enrol_a_second_phone_by_themselves(small):
    officer = small.alice
    enrolled(officer)

    with pytest.raises(Exception, match="重置"):
        second_factor.totp_enrol_start(actor=officer)


# ----- verification -----------------------------------------------------------------------------


def test_a_code_verifies_the_session_and_returns_to_the_page(client, sign_in, small):
    device = enrolled(small.alice)
    sign_in(small.alice, verified=False)

    response = client.post(VERIFY, {"code": code_for(device), "next": "/orgs/"})

    assert response["Location"] == "/orgs/"
    assert client.get(reverse("orgs:tree")).status_code == 200
    assert AuditEvent.objects.filter(verb="otp_verify").count() == 1
    assert rules.REMEMBER_COOKIE not in response.cookies


def test_a_code_is_not_accepted_twice(client, sign_in, small):
    officer = small.alice
    device = enrolled(officer)
    code = code_for(device)
    second_factor.second_factor_verify(actor=officer, code=code)
    sign_in(officer, verified=False)

    response = client.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_a_wrong_code_is_refused_audited_and_throttled(client, sign_in, small):
    officer = small.alice
    device = enrolled(officer)
    sign_in(officer, verified=False)

    wrong = client.post(VERIFY, {"code": "123456" if code_for(device) != "123456" else "654321"})
    right_too_soon = client.post(VERIFY, {"code": code_for(device)})

    assert "验证码或恢复码不正确" in html(wrong)
    assert "尝试过于频繁" in html(right_too_soon)
    assert AuditEvent.objects.filter(verb="otp_failed", actor=officer).count() == 2


def test_a_recovery_code_works_once(client, sign_in, small):
    officer = small.alice
    enrolled(officer)
    recovery = StaticDevice.objects.create(user=officer, name="recovery", confirmed=True)
    recovery.token_set.create(token="abcdefgh")
    sign_in(officer, verified=False)

    response = client.post(VERIFY, {"code": "ABCD-EFGH"})

    assert response.status_code == 302
    assert client.get(reverse("orgs:tree")).status_code == 200
    assert not recovery.token_set.exists()
    assert AuditEvent.objects.get(verb="otp_verify").note == "恢复码"
    other = Client()
    other.force_login(officer)
    assert other.post(VERIFY, {"code": "abcd-efgh"}).status_code == 200  # used up


# ----- remembered devices -----------------------------------------------------------------------


def remembered_login(user, cookie: str) -> Client:
    c = Client()
    c.force_login(user)
    c.cookies[rules.REMEMBER_COOKIE] = cookie
    return c


def test_remember_this_device_skips_the_code_for_thirty_days(client, sign_in, small, settings):
    device = enrolled(small.alice)
    sign_in(small.alice, verified=False)

    response = client.post(VERIFY, {"code": code_for(device), "remember": "on"})

    cookie = response.cookies[rules.REMEMBER_COOKIE]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) == 30 * 24 * 3600 == settings.OTP_REMEMBER_DAYS * 86400
    later = remembered_login(small.alice, cookie.value)
    assert later.get(reverse("orgs:tree")).status_code == 200
    assert AuditEvent.objects.filter(verb="otp_verify", note="已记住的设备").exists()


def test_the_remembered_device_cookie_is_secure_in_production(client, sign_in, small, settings):
    settings.SESSION_COOKIE_SECURE = True  # as config.settings.production sets it
    device = enrolled(small.alice)
    sign_in(small.alice, verified=False)

    response = client.post(VERIFY, {"code": code_for(device), "remember": "on"})

    assert response.cookies[rules.REMEMBER_COOKIE]["secure"]


def test_a_remembered_device_expires(small, monkeypatch):
    officer = small.alice
    device = enrolled(officer)
    value = rules.remember_value(officer, device)
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 31 * 24 * 3600)

    assert remembered_login(officer, value).get(reverse("orgs:tree")).status_code == 302


def test_a_remembered_device_is_bound_to_its_user(small):
    officer = small.alice
    value = rules.remember_value(officer, enrolled(officer))
    enrolled(small.bob)

    assert remembered_login(small.bob, value).get(reverse("orgs:tree")).status_code == 302


def test_a_forged_cookie_is_ignored(small):
    enrolled(small.alice)

    assert remembered_login(small.alice, "x:y:z").get(reverse("orgs:tree")).status_code == 302


# ----- reset by an account manager --------------------------------------------------------------


def test_a_manager_resets_a_lost_phone_and_remembered_devices_stop_working(client, sign_in, cast):
    worker = cast.frank
    device = enrolled(worker)
    StaticDevice.objects.create(user=worker, name="recovery", confirmed=True)
    Token.objects.create(user=worker)
    cookie = rules.remember_value(worker, device)
    manager = sign_in(cast.alice)

    response = client.post(reverse("accounts:otp-reset", args=[worker.pk]))

    assert response["Location"] == reverse("accounts:detail", args=[worker.pk])
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert not StaticDevice.objects.filter(user=worker).exists()
    assert not Token.objects.filter(user=worker).exists()
    event = AuditEvent.objects.get(verb="otp_reset")
    assert event.actor == manager
    assert event.object_id == str(worker.pk)
    assert event.org_path == cast.small.a.street.path
    later = remembered_login(worker, cookie)
    assert later.get(reverse("orgs:tree"))["Location"].startswith(ENROL)


def test_the_account_page_offers_the_reset(client, sign_in, cast):
    enrolled(cast.frank)
    sign_in(cast.alice)

    page = html(client.get(reverse("accounts:detail", args=[cast.frank.pk])))

    assert reverse("accounts:otp-reset", args=[cast.frank.pk]) in page


def test_a_manager_cannot_reset_their_own_second_factor(client, sign_in, small):
    officer = sign_in(small.alice)

    client.post(reverse("accounts:otp-reset", args=[officer.pk]))

    assert TOTPDevice.objects.filter(user=officer).exists()
    assert not AuditEvent.objects.filter(verb="otp_reset").exists()


def test_an_account_with_a_role_outside_scope_cannot_be_reset(cast):
    worker = cast.frank
    enrolled(worker)
    from jiceng.accounts import services

    services.role_grant(
        actor=cast.grace,
        user=worker,
        role=Role.PARTY_WORKER,
        organization=cast.small.b.org,
    )

    with pytest.raises(Exception, match="管辖范围之外"):
        second_factor.second_factor_reset(actor=cast.alice, user=worker)
    assert TOTPDevice.objects.filter(user=worker).exists()


def test_an_officer_of_another_district_gets_404_on_reset(client, sign_in, cast):
    worker = cast.frank
    enrolled(worker)
    sign_in(cast.bob)

    response = client.post(reverse("accounts:otp-reset", args=[worker.pk]))

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=worker).exists()


# ----- API tokens -------------------------------------------------------------------------------


def test_a_verified_officer_issues_and_revokes_a_token_on_the_security_page(client, sign_in, small):
    officer = sign_in(small.alice)

    response = client.post(reverse("accounts:token"), {"action": "issue"})

    token = Token.objects.get(user=officer)
    assert token.key in html(response)
    assert AuditEvent.objects.filter(verb="token_issue", actor=officer).exists()
    assert token.key not in html(client.get(reverse("accounts:security")))  # shown once

    client.post(reverse("accounts:token"), {"action": "revoke"})

    assert not Token.objects.filter(user=officer).exists()
    assert AuditEvent.objects.filter(verb="token_revoke", actor=officer).exists()


def test_a_member_without_a_second_factor_gets_no_token(client, sign_in, cast):
    member = sign_in(cast.ivan, verified=False)

    client.post(reverse("accounts:token"), {"action": "issue"})

    assert not Token.objects.filter(user=member).exists()


def test_the_api_issues_a_token_to_a_verified_session_only(client, sign_in, cast):
    sign_in(cast.ivan, verified=False)
    refused = client.post("/api/auth/token/")
    assert refused.status_code == 403
    assert "两步验证" in refused.json()["detail"]

    officer = sign_in(cast.alice)
    issued = client.post("/api/auth/token/")

    assert issued.status_code == 201
    assert Token.objects.get(user=officer).key == issued.json()["token"]
    assert client.delete("/api/auth/token/").status_code == 204
    assert not Token.objects.filter(user=officer).exists()


def test_a_password_alone_no_longer_buys_a_token(small):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": PASSWORD})

    assert response.status_code in (401, 403)
    assert not Token.objects.exists()


def test_mark_verified_gives_a_confirmed_device(client, small):
    user = small.dora
    client.force_login(user)
    mark_verified(client, user)

    assert client.get(reverse("core:audit")).status_code == 200
