"""Account management inside the manager's own subtree: create, grant, withdraw, deactivate."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.orgs.models import Organization

from .models import RoleAssignment, User
from .roles import GRANTABLE, OUTREACH_ROLES, Role


def _may_grant(actor: Actor, role: str, organization: Organization) -> None:
    if actor is None:
        return
    require(actor, Action.MANAGE_ACCOUNTS, organization.path, _("无权管理该组织的账号"))
    held = actor.active_assignments() if isinstance(actor, User) else []
    allowed = {
        r
        for a in held
        if organization.path.startswith(a.organization.path)
        for r in GRANTABLE.get(a.role, ())
    }
    if role not in allowed:
        raise PermissionDenied(_("您的角色不能授予“%(role)s”") % {"role": Role(role).label})


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    display_name: str,
    role: str,
    organization: Organization,
    outreach: bool = False,
) -> User:
    """Create an account with its first role assignment."""
    _may_grant(actor, role, organization)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("该用户名已被使用")})
    user = User(username=username, display_name=display_name.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor,
        verb="create",
        obj=user,
        org_path=organization.path,
        after={"username": user.username, "display_name": user.display_name},
    )
    role_grant(actor=actor, user=user, role=role, organization=organization, outreach=outreach)
    return user


@transaction.atomic
def role_grant(
    *, actor: Actor, user: User, role: str, organization: Organization, outreach: bool = False
) -> RoleAssignment:
    """Grant ``role`` over ``organization``'s subtree; ``outreach`` also gives needy people's
    categories and health there (only a role of ``OUTREACH_ROLES``, and only by a manager who
    holds outreach rights over that subtree: no one passes on what they may not see)."""
    _may_grant(actor, role, organization)
    if outreach:
        if role not in OUTREACH_ROLES:
            raise ValidationError(
                _("“%(role)s”不能查看帮扶对象敏感信息") % {"role": Role(role).label}
            )
        require(
            actor,
            Action.OUTREACH,
            organization.path,
            _("您本人在该组织没有帮扶对象敏感信息的权限，不能授予他人"),
        )
    if role == Role.MEMBER and not hasattr(user, "member"):
        raise ValidationError(_("“党员（本人）”角色只能授予已关联党员信息的账号"))
    if RoleAssignment.objects.filter(
        user=user, role=role, organization=organization, withdrawn_at__isnull=True
    ).exists():
        raise ValidationError(_("该账号已有此授权"))
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        organization=organization,
        outreach=outreach,
        granted_by=actor_user(actor),
    )
    user.forget_scopes()
    audit.record(
        actor=actor,
        verb="grant",
        obj=assignment,
        org_path=organization.path,
        after={
            "user": user.pk,
            "role": role,
            "organization": organization.pk,
            "outreach": outreach,
        },
    )
    return assignment


@transaction.atomic
def role_withdraw(*, actor: Actor, assignment: RoleAssignment) -> RoleAssignment:
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.withdrawn_at is not None:
        raise ValidationError(_("该授权已收回"))
    require(actor, Action.MANAGE_ACCOUNTS, assignment.organization.path, _("无权管理该组织的账号"))
    if actor is not None and assignment.user_id == actor.pk:
        raise ValidationError(_("不能收回自己的授权，请由上级管理员操作"))
    assignment.withdrawn_at = timezone.now()
    assignment.withdrawn_by = actor_user(actor)
    assignment.save(update_fields=["withdrawn_at", "withdrawn_by"])
    assignment.user.forget_scopes()
    audit.record(
        actor=actor,
        verb="withdraw",
        obj=assignment,
        org_path=assignment.organization.path,
        before={"active": True},
        after={"active": False},
    )
    return assignment


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User) -> User:
    """Deactivate an account; all its assignments must lie inside the actor's subtree."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None:
        if user.pk == actor.pk:
            raise ValidationError(_("不能停用自己的账号"))
        for a in user.active_assignments():
            require(
                actor,
                Action.MANAGE_ACCOUNTS,
                a.organization.path,
                _("该账号在您管辖范围之外另有授权，请由上级管理员停用"),
            )
    if not user.is_active:
        raise ValidationError(_("该账号已停用"))
    user.is_active = False
    user.save(update_fields=["is_active"])
    primary = user.primary_assignment
    audit.record(
        actor=actor,
        verb="deactivate",
        obj=user,
        org_path=primary.organization.path if primary else "",
        before={"is_active": True},
        after={"is_active": False},
    )
    return user
