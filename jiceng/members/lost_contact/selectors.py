"""Reads for lost-contact cases (S13), all scoped: the candidates worklist (members out of
contact for six months without a case under way), cases under way and closed, and the report
of members found by district and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.notices import Notice, near
from jiceng.core.scoping import Action, get_visible_or_404, scope_of
from jiceng.members.models import Member, MemberQuerySet
from jiceng.members.selectors import DISTRICT_PATH_LEN, above_district, members_in_subtree
from jiceng.orgs.models import Organization

from .models import LostContactCase
from .rules import (
    ACTIVE_STATES,
    ATTEMPT_INTERVAL_DAYS,
    FOUND_STATES,
    CaseState,
    candidate_cutoff,
)


def candidates(user: Any, root: Organization, today: dt.date | None = None) -> MemberQuerySet:
    """On-roll members of the subtree whose last contact (or registration, when none is
    recorded) is more than ``LOST_CONTACT_AFTER_MONTHS`` ago and who have no case under way,
    longest out of contact first."""
    cutoff = candidate_cutoff(today or clock.today())
    active = LostContactCase.objects.filter(member=OuterRef("pk"), state__in=ACTIVE_STATES)
    return (
        members_in_subtree(user, root)
        .on_roll()
        .filter(
            Q(last_contact__on__lt=cutoff)
            | Q(last_contact__isnull=True, created_at__date__lt=cutoff)
        )
        .exclude(Exists(active))
        .select_related("home_org", "last_contact")
        .order_by("last_contact__on", "home_path", "id")
    )


def cases(user: Any, root: Organization, group: str = "open") -> QuerySet[LostContactCase]:
    """Cases of the subtree: ``open`` (under way, the longest without an attempt first) or
    ``closed`` (found, stopped, restored or cancelled; latest first)."""
    qs = (
        LostContactCase.objects.visible_to(user)
        .filter(member_path__startswith=root.path)
        .select_related("member", "member__home_org")
        .annotate(last_attempt=Max("attempts__on"), attempts_n=Count("attempts"))
    )
    if group == "open":
        return qs.filter(state=CaseState.SEARCHING).order_by("opened_on", "id")
    return qs.exclude(state=CaseState.SEARCHING).order_by("-updated_at", "-id")


def overdue_q(today: dt.date) -> Q:
    cutoff = today - dt.timedelta(days=ATTEMPT_INTERVAL_DAYS)
    return Q(state=CaseState.SEARCHING) & (
        Q(last_attempt__lt=cutoff) | Q(last_attempt__isnull=True, opened_on__lt=cutoff)
    )


def case_counts(
    user: Any, root: Organization, today: dt.date | None = None
) -> dict[str, int | None]:
    today = today or clock.today()
    qs = LostContactCase.objects.visible_to(user).filter(member_path__startswith=root.path)
    counts = qs.aggregate(
        searching=Count("id", filter=Q(state=CaseState.SEARCHING)),
        found=Count("id", filter=Q(state__in=FOUND_STATES)),
        stopped=Count("id", filter=Q(state=CaseState.STOPPED)),
        restored=Count("id", filter=Q(state=CaseState.RESTORED)),
    )
    counts["overdue"] = (
        qs.annotate(last_attempt=Max("attempts__on")).filter(overdue_q(today)).count()
    )
    counts["candidates"] = None if above_district(root) else candidates(user, root, today).count()
    return counts


def case_get(user: Any, pk: Any, action: str = Action.VIEW) -> LostContactCase:
    return get_visible_or_404(
        LostContactCase.objects.select_related("member", "member__home_org", "transfer"),
        user,
        action,
        pk=pk,
    )


def member_cases(member: Member) -> QuerySet[LostContactCase]:
    return member.lost_cases.order_by("-opened_on", "-id")


def found_report(
    user: Any, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    """S13: members found (re-linked or transferred) by district and month, with totals.
    One grouped query; districts named from the tree."""
    qs = LostContactCase.objects.visible_to(user).filter(state__in=FOUND_STATES)
    if since:
        qs = qs.filter(found_on__gte=since)
    if until:
        qs = qs.filter(found_on__lte=until)
    rows = list(
        qs.annotate(
            district=Substr("member_path", 1, DISTRICT_PATH_LEN), month=TruncMonth("found_on")
        )
        .values("district", "month")
        .annotate(n=Count("id"))
        .order_by("district", "month")
    )
    names = dict(
        Organization.objects.filter(path__in={r["district"] for r in rows}).values_list(
            "path", "name"
        )
    )
    months = sorted({r["month"] for r in rows})
    by_district: dict[str, dict[Any, int]] = {}
    for r in rows:
        by_district.setdefault(r["district"], {})[r["month"]] = r["n"]
    table = [
        {
            "district": names.get(path, path),
            "path": path,
            "cells": [cells.get(m, 0) for m in months],
            "total": sum(cells.values()),
        }
        for path, cells in by_district.items()
    ]
    table.sort(key=lambda r: -r["total"])
    return {
        "months": months,
        "rows": table,
        "month_totals": [sum(r["cells"][i] for r in table) for i in range(len(months))],
        "total": sum(r["total"] for r in table),
    }


def lost_contact_notices(user: Any) -> list[Notice]:
    """The bell: cases under way without an attempt for ``ATTEMPT_INTERVAL_DAYS`` days."""
    if not scope_of(user, Action.CHANGE).paths:
        return []
    today = clock.today()
    overdue = (
        LostContactCase.objects.visible_to(user, Action.CHANGE)
        .filter(near(user, "member__home_org__path", "member__home_org__depth"))
        .filter(state=CaseState.SEARCHING)
        .annotate(last_attempt=Max("attempts__on"))
        .filter(overdue_q(today))
        .count()
    )
    url = reverse("members:lost") + "?tab=open"
    return [Notice("lost.overdue", _("失联党员查找超过30天无进展"), overdue, url, overdue=True)]
