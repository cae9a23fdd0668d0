"""Roles and what each may do, within the organisation subtree it is assigned to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import Action


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市委组织部管理员")
    DISTRICT_OFFICER = "district_officer", _("区县组织部干部")
    COMMITTEE_OFFICER = "committee_officer", _("街镇/系统党委干部")
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    PARTY_WORKER = "party_worker", _("党群工作者")
    MEMBER = "member", _("党员（本人）")
    AUDITOR = "auditor", _("审计员（只读）")


# The permission matrix. A role acts only inside the subtree of its assignment; MEMBER acts
# only on the member's own rows. REVEAL shows a full ID number or phone, and is audited.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(
        {Action.VIEW, Action.CHANGE, Action.REVEAL, Action.MANAGE_ACCOUNTS, Action.AUDIT}
    ),
    Role.DISTRICT_OFFICER: frozenset(
        {Action.VIEW, Action.CHANGE, Action.REVEAL, Action.MANAGE_ACCOUNTS, Action.AUDIT}
    ),
    Role.COMMITTEE_OFFICER: frozenset({Action.VIEW, Action.CHANGE, Action.MANAGE_ACCOUNTS}),
    Role.BRANCH_SECRETARY: frozenset({Action.VIEW, Action.CHANGE}),
    Role.PARTY_WORKER: frozenset({Action.VIEW}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.AUDIT}),
    Role.MEMBER: frozenset({Action.VIEW}),
}

# The roles that may be given outreach rights (``Action.OUTREACH``: a needy person's categories
# and health, sensitive personal information under PIPL art. 28) on an assignment; the right is
# held only where an assignment was given it (``RoleAssignment.outreach``), never by the role
# alone. Auditors and members never hold it.
OUTREACH_ROLES: frozenset[str] = frozenset(
    {
        Role.CITY_ADMIN,
        Role.DISTRICT_OFFICER,
        Role.COMMITTEE_OFFICER,
        Role.BRANCH_SECRETARY,
        Role.PARTY_WORKER,
    }
)

# Which roles an account manager may grant: never a role above their own.
GRANTABLE: dict[str, tuple[str, ...]] = {
    Role.CITY_ADMIN: tuple(Role.values),
    Role.DISTRICT_OFFICER: (
        Role.DISTRICT_OFFICER,
        Role.COMMITTEE_OFFICER,
        Role.BRANCH_SECRETARY,
        Role.PARTY_WORKER,
        Role.MEMBER,
        Role.AUDITOR,
    ),
    Role.COMMITTEE_OFFICER: (
        Role.COMMITTEE_OFFICER,
        Role.BRANCH_SECRETARY,
        Role.PARTY_WORKER,
        Role.MEMBER,
    ),
}
