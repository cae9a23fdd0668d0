"""The one scoping mechanism: ``Model.objects.visible_to(user, action)``.

Every domain row belongs to an organisation of the tree, directly or through its parent
object, and so carries one or more materialised paths (``scope_path_fields``). A user's role
assignments give the path prefixes they may act on (see ``accounts.roles``); a row is
visible when one of its paths starts with one of those prefixes. Members with only the
self-service role see their own rows (``scope_self_field``).

Views, API views, exports, counts, searches and dropdowns all start from ``visible_to``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from jiceng.core import tree

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class Action(models.TextChoices):
    VIEW = "view", "查看"
    CHANGE = "change", "修改"
    REVEAL = "reveal", "查看敏感信息"
    MANAGE_ACCOUNTS = "manage_accounts", "管理账号"
    AUDIT = "audit", "查阅审计日志"
    # Needy people's categories and health (PIPL art. 28 sensitive personal information): held
    # only through an assignment that was given it (``RoleAssignment.outreach``), see
    # ``accounts.roles.OUTREACH_ROLES``.
    OUTREACH = "outreach", "查看帮扶对象敏感信息"


@dataclass(frozen=True)
class Scope:
    """What a user may reach for one action: subtree path prefixes and/or their own rows."""

    paths: tuple[str, ...] = ()
    self_user_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.paths and self.self_user_id is None


class ScopedUser(Protocol):
    """A user whose scope can be asked (``accounts.User``)."""

    @property
    def pk(self) -> Any: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...

    def scope_for(self, action: str) -> Scope: ...


def narrowest_prefixes(paths: list[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter prefix.

    >>> narrowest_prefixes(["0001", "00010002", "0003"])
    ('0001', '0003')
    """
    kept: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def scope_of(user: Any, action: str) -> Scope:
    """The user's scope for ``action``; anonymous and inactive users have none. ``user`` is a
    ``ScopedUser`` (``accounts.User``), an AnonymousUser or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    return user.scope_for(action)


_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet with ``visible_to``; models declare the paths that place a row in the tree
    (``scope_path_fields``), their owner's user for self-service (``scope_self_field``), and
    whether what is issued above is read from below (``scope_visible_from_below``)."""

    def visible_to(self, user: Any, action: str = Action.VIEW) -> ScopedQuerySet[_M]:
        scope = scope_of(user, action)
        if scope.is_empty:
            return self.none()
        return self.filter(scope_q(self.model, scope, action))


def scope_q(model: type[models.Model], scope: Scope, action: str = Action.VIEW) -> Q:
    """The rows of ``model`` inside ``scope`` for ``action``. A model declaring
    ``scope_visible_from_below = True`` (a campaign, guidance, a theme practice: issued by the
    city, they concern every unit below) is also read from inside its subtree (``along_q``);
    changing it still needs scope over where it is placed."""
    fields: tuple[str, ...] = getattr(model, "scope_path_fields", ())
    self_field: str | None = getattr(model, "scope_self_field", None)
    from_below = action == Action.VIEW and getattr(model, "scope_visible_from_below", False)
    q = Q(pk__in=[])
    for field in fields:
        if from_below:
            q |= along_q(field, scope)
            continue
        for prefix in scope.paths:
            q |= Q(**{f"{field}__startswith": prefix})
    if scope.self_user_id is not None and self_field:
        q |= Q(**{self_field: scope.self_user_id})
    return q


def along_q(field: str, scope: Scope) -> Q:
    """Rows placed at ``field`` inside the scope *or above it*: a campaign or guidance issued
    by the city concerns every district below, so a district officer reads it (while what
    they read of its units stays scoped the ordinary way). Only for reading published items.

    >>> along_q("root_path", Scope(paths=("00010002",)))
    <Q: (OR: ('pk__in', []), ('root_path__startswith', '00010002'), ('root_path__in', ['0001']))>
    """
    q = Q(pk__in=[])
    for prefix in scope.paths:
        q |= Q(**{f"{field}__startswith": prefix})
        q |= Q(**{f"{field}__in": tree.ancestor_paths(prefix)})
    return q


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_visible_or_404(
    queryset: models.QuerySet[_M] | type[_M], user: Any, action: str = Action.VIEW, **lookup: Any
) -> _M:
    """Fetch one row the user may act on; a missing row and a foreign one are the same 404."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        return qs.visible_to(user, action).get(**lookup)  # type: ignore[attr-defined]
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def can(user: Any, action: str, path: str) -> bool:
    """Whether ``user`` may do ``action`` on rows placed at tree ``path``."""
    return any(path.startswith(p) for p in scope_of(user, action).paths)


# Who calls a service: a user (``accounts.User``; ``request.user`` may also be Django's
# ``AnonymousUser``, which has no scope), or ``None`` for the system itself (the demo data
# builder, migrations, scheduled jobs), which may act anywhere.
Actor: TypeAlias = "ScopedUser | AnonymousUser | None"


def require(actor: Actor, action: str, path: str, message: str) -> None:
    """The one check a service makes before acting on rows placed at ``path``: refused with
    ``message`` (said to the user: what they may not do, not that something is unknown)
    unless ``actor`` is the system or may do ``action`` there."""
    if actor is not None and not can(actor, action, path):
        raise PermissionDenied(message)


def can_anywhere(user: Any, action: str) -> bool:
    """Whether ``user`` may do ``action`` on some subtree of the tree (not only their own
    member record): what menus and create buttons ask (``context_processors.permitted``)."""
    return bool(scope_of(user, action).paths)


def require_somewhere(actor: Actor, action: str, message: str) -> None:
    """The gate of a page that starts a write (a form to create something): refused with
    ``message`` before the form is shown when ``actor`` may not do ``action`` anywhere, so a
    read-only role learns it may not, instead of filling a form that is refused."""
    if actor is not None and not can_anywhere(actor, action):
        raise PermissionDenied(message)


def actor_user(actor: Actor) -> Any:
    """The user to record as having acted (``created_by``, ``recorded_by``), or ``None`` for
    the system and anonymous callers."""
    return actor if getattr(actor, "is_authenticated", False) else None


def actor_name(actor: Actor) -> str:
    """How an actor is named in messages and notes: the user, or 系统 for the system."""
    user = actor_user(actor)
    return str(user) if user is not None else "系统"
