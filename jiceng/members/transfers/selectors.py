"""Every read of transfers, scoped: a transfer is visible to officers whose scope holds the
sending or the receiving organisation (``Transfer.scope_path_fields``), and to the member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.notices import Notice
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.members.models import Member
from jiceng.orgs.models import RECEIVING_TYPES, Organization

from .models import Transfer, TransferEvent, TransferQuerySet
from .rules import LETTER_OUT, OPEN_STATES, TransferState


@dataclass(frozen=True)
class TransferFilters:
    direction: str = ""  # "in" | "out" | ""
    state: str = ""  # a TransferState, "open" or ""
    q: str = ""  # member name or letter number


def _side_q(user: Any, field: str, action: str = Action.VIEW) -> Q:
    """Rows whose ``field`` path lies in the user's scope (one side of a transfer)."""
    paths = scope_of(user, action).paths
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def transfer_list(user: Any, filters: TransferFilters | None = None) -> TransferQuerySet:
    f = filters or TransferFilters()
    qs: TransferQuerySet = Transfer.objects.visible_to(user)  # type: ignore[assignment]
    if f.direction == "out":
        qs = qs.filter(_side_q(user, "from_path"))
    elif f.direction == "in":
        qs = qs.filter(_side_q(user, "to_path"))
    if f.state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif f.state in TransferState.values:
        qs = qs.filter(state=f.state)
    if f.q:
        qs = qs.filter(Q(member__name_simplified__contains=f.q) | Q(letter_no=f.q))
    return qs


def pending_counts(user: Any) -> dict[str, int]:
    """Work waiting for the user's side: outgoing to approve or issue, incoming to confirm."""
    qs = Transfer.objects.visible_to(user, Action.CHANGE)
    out = qs.filter(_side_q(user, "from_path", Action.CHANGE)).aggregate(
        to_approve=Count("id", filter=Q(state=TransferState.REQUESTED)),
        to_issue=Count("id", filter=Q(state=TransferState.APPROVED)),
        awaiting_receipt=Count("id", filter=Q(state__in=LETTER_OUT)),
    )
    incoming = qs.filter(_side_q(user, "to_path", Action.CHANGE)).aggregate(
        to_confirm=Count("id", filter=Q(state__in=LETTER_OUT))
    )
    return {**out, **incoming}


def transfer_notices(user: Any) -> list[Notice]:
    """The bell: transfers waiting for the user's side, and letters past their validity that
    the sending side must chase or let expire (S10, S16)."""
    if not scope_of(user, Action.CHANGE).paths:
        return []
    counts = pending_counts(user)
    overdue = (
        Transfer.objects.visible_to(user, Action.CHANGE)
        .filter(_side_q(user, "from_path", Action.CHANGE))
        .filter(state__in=LETTER_OUT, valid_until__lt=clock.today())
        .count()
    )
    url = reverse("members:transfer-list")
    return [
        Notice(
            "transfer.approve",
            _("转出申请待批准"),
            counts["to_approve"],
            f"{url}?direction=out&state={TransferState.REQUESTED}",
        ),
        Notice(
            "transfer.issue",
            _("已批准待开介绍信"),
            counts["to_issue"],
            f"{url}?direction=out&state={TransferState.APPROVED}",
        ),
        Notice(
            "transfer.confirm",
            _("转入待确认接收"),
            counts["to_confirm"],
            f"{url}?direction=in&state=open",
        ),
        Notice(
            "transfer.letter_overdue",
            _("介绍信未回执"),
            overdue,
            f"{url}?direction=out&state=open",
            overdue=True,
        ),
    ]


def transfer_get(user: Any, pk: Any, action: str = Action.VIEW) -> Transfer:
    return get_visible_or_404(
        Transfer.objects.select_related("member", "from_org", "to_org", "requested_by"),
        user,
        action,
        pk=pk,
    )


def transfer_events(transfer: Transfer) -> QuerySet[TransferEvent]:
    return transfer.events.select_related("actor").order_by("at", "id")


def member_transfers(member: Member) -> QuerySet[Transfer]:
    """A member's whole relationship history (the member is already scoped by the caller)."""
    return (
        Transfer.objects.filter(member=member)
        .select_related("from_org", "to_org")
        .prefetch_related("events")
        .order_by("-created_at", "-id")
    )


def transfer_target_by_code(code: str) -> Organization | None:
    """The receiving unit for a transfer, by its organisation code, anywhere in the city.

    A transfer crosses scopes by nature: a 黄浦 officer sends a member to a 徐汇 branch that
    they cannot otherwise see. This lookup reveals only that an active receiving unit with
    this code exists (its name and code, printed on the letter anyway); its members and
    details stay behind ``visible_to``.
    """
    return (
        Organization.objects.filter(
            code=code.strip(), abolished_on__isnull=True, org_type__in=RECEIVING_TYPES
        )
        .only("id", "code", "name", "path", "org_type", "abolished_on", "district")
        .first()
    )


def targets_by_code(codes: set[str]) -> dict[str, Organization]:
    """``transfer_target_by_code`` for many codes at once (bulk transfers)."""
    rows = Organization.objects.filter(
        code__in=codes, abolished_on__isnull=True, org_type__in=RECEIVING_TYPES
    )
    return {o.code: o for o in rows}
