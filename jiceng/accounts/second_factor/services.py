"""Writes of the second factor: enrol, verify, recovery codes, reset, API tokens. Audited.

Verification failures are recorded outside the verifying transaction, so the audit row and
django-otp's throttling counter survive the refusal.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from jiceng.core import audit
from jiceng.core.scoping import Action, Actor, can

from ..models import User
from . import rules, selectors


def _org_path(user: User) -> str:
    primary = user.primary_assignment
    return primary.organization.path if primary else ""


def _is_verified(user: User) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


@transaction.atomic
def totp_enrol_start(*, actor: User) -> TOTPDevice:
    """The actor's authenticator to be enrolled: created once, shown as a QR code until a
    code confirms it. Refused when one is already enrolled (a reset replaces it)."""
    if selectors.totp_device(actor) is not None:
        raise ValidationError(_("您已启用两步验证；更换手机请联系账号管理员重置"))
    device = selectors.pending_totp_device(actor)
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="authenticator", confirmed=False)
        audit.record(actor=actor, verb="otp_enrol_start", obj=actor, org_path=_org_path(actor))
    return device


def totp_enrol_confirm(*, actor: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns the device and the
    new recovery codes (shown once)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=actor, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None:
            raise ValidationError(_("请重新打开启用页面，扫描新的二维码"))
        ok = device.verify_token(rules.normalise_code(code))
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(actor)
            audit.record(
                actor=actor,
                verb="otp_enrol",
                obj=actor,
                org_path=_org_path(actor),
                after={"authenticator": True, "recovery_codes": len(codes)},
            )
            return device, codes
    audit.record(
        actor=actor, verb="otp_failed", obj=actor, org_path=_org_path(actor), note="启用时"
    )
    raise ValidationError(_("验证码不正确：请核对手机时间是否准确，输入应用中当前显示的6位数字"))


def second_factor_verify(*, actor: User, code: str) -> Device:
    """Verify a TOTP code or a recovery code (used up) for the actor; returns the device."""
    code = rules.normalise_code(code)
    model: type[Device] = TOTPDevice if rules.is_totp_code(code) else StaticDevice
    with transaction.atomic():
        devices = list(
            model.objects.select_for_update().filter(user=actor, confirmed=True).order_by("id")
        )
        waiting = [d for d in devices if not d.verify_is_allowed()[0]]
        matched = next((d for d in devices if d.verify_token(code)), None) if code else None
    if matched is not None:
        recovery = isinstance(matched, StaticDevice)
        audit.record(
            actor=actor,
            verb="otp_verify",
            obj=actor,
            org_path=_org_path(actor),
            note="恢复码" if recovery else "",
            after={"recovery_codes_left": selectors.recovery_codes_left(actor)}
            if recovery
            else None,
        )
        return matched
    audit.record(actor=actor, verb="otp_failed", obj=actor, org_path=_org_path(actor))
    if waiting:
        raise ValidationError(_("尝试过于频繁，请稍候几秒再试"))
    raise ValidationError(_("验证码或恢复码不正确"))


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(settings.OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    """New recovery codes for a verified actor; the old ones stop working."""
    if not _is_verified(actor):
        raise PermissionDenied(_("请先完成两步验证"))
    codes = _new_recovery_codes(actor)
    audit.record(
        actor=actor,
        verb="otp_recovery_codes",
        obj=actor,
        org_path=_org_path(actor),
        after={"recovery_codes": len(codes)},
    )
    return codes


def reset_refusal(actor: Actor, user: User) -> str:
    """Why ``actor`` may not reset ``user``'s second factor ("" when they may): the page hides
    the button and the service refuses on the same answer."""
    if actor is None:
        return ""
    if user.pk == actor.pk:
        return _("不能重置自己的两步验证，请由上级管理员操作")
    for a in user.active_assignments():
        if not can(actor, Action.MANAGE_ACCOUNTS, a.organization.path):
            return _("该账号在您管辖范围之外另有授权，请由上级管理员重置")
    return ""


@transaction.atomic
def second_factor_reset(*, actor: Actor, user: User) -> int:
    """Delete ``user``'s authenticators and recovery codes (and their API token): remembered
    devices stop working and the next login enrols again. Returns the devices removed."""
    refusal = reset_refusal(actor, user)
    if refusal:
        raise PermissionDenied(refusal)
    totp, _by_model = TOTPDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.filter(user=user).count()
    StaticDevice.objects.filter(user=user).delete()
    tokens, _by_model = Token.objects.filter(user=user).delete()
    audit.record(
        actor=actor,
        verb="otp_reset",
        obj=user,
        org_path=_org_path(user),
        before={"authenticators": totp, "recovery_devices": static, "api_token": bool(tokens)},
        after={"authenticators": 0, "recovery_devices": 0, "api_token": False},
    )
    return totp + static


@transaction.atomic
def api_token_issue(*, actor: User) -> Token:
    """A new API token for a session verified by the second factor (the old one is revoked)."""
    if not _is_verified(actor):
        raise PermissionDenied(_("签发 API 令牌前须先完成两步验证"))
    replaced, _by_model = Token.objects.filter(user=actor).delete()
    token = Token.objects.create(user=actor)
    audit.record(
        actor=actor,
        verb="token_issue",
        obj=actor,
        org_path=_org_path(actor),
        note="替换了原令牌" if replaced else "",
    )
    return token


@transaction.atomic
def api_token_revoke(*, actor: User) -> bool:
    deleted, _by_model = Token.objects.filter(user=actor).delete()
    if deleted:
        audit.record(actor=actor, verb="token_revoke", obj=actor, org_path=_org_path(actor))
    return bool(deleted)
