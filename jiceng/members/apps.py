from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "jiceng.members"
    label = "members"

    def ready(self) -> None:
        from jiceng.core.attachments import owners as attachments
        from jiceng.core.home import register_figures
        from jiceng.core.notices import register_provider
        from jiceng.orgs import roll
        from jiceng.orgs import signals as org_signals

        from .lost_contact.models import LostContactCase
        from .lost_contact.selectors import lost_contact_notices
        from .lost_contact.services import may_attach as lost_contact_may_attach
        from .placement.selectors import placement_notices
        from .roll import MemberRoll
        from .selectors import home_figures
        from .transfers.selectors import transfer_notices

        register_provider(transfer_notices)
        register_provider(placement_notices)
        register_provider(lost_contact_notices)
        register_figures(home_figures)
        # A lost-contact case keeps the photos and papers of its visits and searches.
        attachments.register(
            LostContactCase,
            "lost-contact-case",
            may_attach=lost_contact_may_attach,
            path_of=lambda case: case.member_path,
        )
        # The tree's pages and health rules count members through the roll (orgs.roll).
        roll.register(MemberRoll())
        # The roll follows the organisation tree, through its own audited services.
        org_signals.subtree_moved.connect(_follow_move, dispatch_uid="members.follow_move")
        org_signals.organizations_merged.connect(_follow_merge, dispatch_uid="members.follow_merge")
        org_signals.organization_abolished.connect(
            _leave_abolished, dispatch_uid="members.leave_abolished"
        )


def _follow_move(
    sender: Any, *, old_path: str, new_path: str, actor: Any, reason: str, **kwargs: Any
) -> None:
    from .services import members_follow_move

    members_follow_move(actor=actor, old_path=old_path, new_path=new_path, note=reason)


def _follow_merge(
    sender: Any, *, source: Any, target: Any, actor: Any, reason: str, **kwargs: Any
) -> None:
    from .services import members_follow_merge

    members_follow_merge(actor=actor, source=source, target=target, note=reason)


def _leave_abolished(sender: Any, *, org: Any, actor: Any, reason: str, **kwargs: Any) -> None:
    from .services import members_leave_abolished

    members_leave_abolished(actor=actor, org=org, note=reason)
