from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import PersonName, PersonNameField
from jiceng.core.scoping import Action, Scope, ScopedManager, ScopedQuerySet, narrowest_prefixes

from .roles import OUTREACH_ROLES, ROLE_ACTIONS, Role


class User(AbstractUser):
    """An account. What it may see and do comes only from its active role assignments."""

    display_name = PersonNameField(_("姓名"), max_length=50, blank=True)
    phone_hint = models.CharField(_("联系电话（掩码）"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return PersonName(self.display_name or self.username)

    def active_assignments(self) -> list[RoleAssignment]:
        cache = self.__dict__.get("_assignments")
        if cache is None:
            cache = list(
                RoleAssignment.objects.filter(user=self, withdrawn_at__isnull=True).select_related(
                    "organization"
                )
            )
            self.__dict__["_assignments"] = cache
        return cache

    def scope_for(self, action: str) -> Scope:
        """Path prefixes (and own rows) this user may ``action`` on; see ``core.scoping``."""
        cache: dict[str, Scope] = self.__dict__.setdefault("_scopes", {})
        if action not in cache:
            paths = []
            self_only = False
            for a in self.active_assignments():
                if action == Action.OUTREACH:
                    if not (a.outreach and a.role in OUTREACH_ROLES):
                        continue
                elif action not in ROLE_ACTIONS.get(a.role, frozenset()):
                    continue
                if a.role == Role.MEMBER:
                    self_only = True
                else:
                    paths.append(a.organization.path)
            cache[action] = Scope(
                paths=narrowest_prefixes(paths), self_user_id=self.pk if self_only else None
            )
        return cache[action]

    def forget_scopes(self) -> None:
        self.__dict__.pop("_assignments", None)
        self.__dict__.pop("_scopes", None)

    @property
    def roles(self) -> set[str]:
        return {a.role for a in self.active_assignments()}

    @property
    def is_self_service_only(self) -> bool:
        """A member with no officer role: the navigation shows only their own pages."""
        roles = self.roles
        return bool(roles) and roles <= {Role.MEMBER}

    @property
    def primary_assignment(self) -> RoleAssignment | None:
        assignments = self.active_assignments()
        return min(assignments, key=lambda a: a.organization.depth) if assignments else None


class UserQuerySet(ScopedQuerySet["User"]):
    """Accounts, placed in the tree by their role assignments: an account is visible where
    one of its assignments (active or withdrawn) is, once however many it holds there."""

    def visible_to(self, user: Any, action: str = Action.VIEW) -> UserQuerySet:
        in_scope = RoleAssignment.objects.visible_to(user, action).filter(user=OuterRef("pk"))
        return self.filter(Exists(in_scope))


class RoleAssignment(models.Model):
    """A role held over an organisation subtree, from ``granted_at`` until withdrawn."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("管辖组织"),
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    # Outreach rights (``Action.OUTREACH``): this assignment also shows needy people's
    # categories and health in its subtree (sensitive personal information, PIPL art. 28).
    outreach = models.BooleanField(_("帮扶对象敏感信息"), default=False)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(_("授予时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("收回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("organization__path",)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_active_assignment_per_role_and_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
