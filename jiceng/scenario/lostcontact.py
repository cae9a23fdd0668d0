"""Scenario data for lost-contact work (S13): each member's latest contact, and searches in
every state, so the candidates worklist, the cases and the report of members found are alive
in the demo. Deterministic for a seed; dates are relative to today (the rule is six months
before today)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from jiceng.accounts.models import User
from jiceng.core import clock
from jiceng.members.lost_contact import services
from jiceng.members.lost_contact.rules import (
    CaseAction,
    ContactChannel,
    SearchChannel,
    SearchResult,
    stop_allowed_from,
)
from jiceng.members.models import ContactRecord, LastContact, Member
from jiceng.orgs.models import Organization, OrgType

# Share of members whose last contact is more than six months ago (a few per cent, S13:
# 12,000 lost members found among about two million).
LOST_SHARE = 0.03
CHUNK = 5000


def build_contacts(seed: int, progress: Callable[[str, int, int], None]) -> int:
    """One latest contact per member on the roll, written in bulk."""
    rng = random.Random(seed + 13)
    today = clock.today()
    channels = [ContactChannel.ORGANISATIONAL_LIFE, ContactChannel.DUES, ContactChannel.CHECK_IN]
    ids = list(
        Member.objects.filter(transferred_out_on__isnull=True)
        .order_by("id")
        .values_list("id", "home_path")
    )
    for start in range(0, len(ids), CHUNK):
        records, lasts = [], []
        for pk, path in ids[start : start + CHUNK]:
            days = rng.randint(200, 700) if rng.random() < LOST_SHARE else rng.randint(0, 120)
            on = today - dt.timedelta(days=days)
            channel = rng.choice(channels)
            records.append(ContactRecord(member_id=pk, member_path=path, on=on, channel=channel))
            lasts.append(LastContact(member_id=pk, on=on, channel=channel))
        ContactRecord.objects.bulk_create(records)
        LastContact.objects.bulk_create(lasts)
        progress("contacts", min(start + CHUNK, len(ids)), len(ids))
    return len(ids)


def build_cases(seed: int, per_district: int = 12) -> int:
    """Searches in 黄浦 and 徐汇 (the demo officers' districts) and a few elsewhere: found and
    re-linked over the past months, still searching (some idle), stopped, cancelled."""
    rng = random.Random(seed + 31)
    today = clock.today()
    admin = User.objects.get(username="city.admin")
    cutoff = today - dt.timedelta(days=200)
    made = 0
    districts = Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE).order_by("path")
    for district in districts:
        n = per_district if district.code in ("310101", "310104") else per_district // 3
        candidates = list(
            Member.objects.filter(home_path__startswith=district.path, last_contact__on__lt=cutoff)
            .filter(transferred_out_on__isnull=True)
            .select_related("last_contact")
            .order_by("id")[: n * 2]
        )
        rng.shuffle(candidates)
        # at most half of them: the rest stay on the candidates worklist
        for i, member in enumerate(candidates[: min(n, len(candidates) // 2)]):
            # opened once the member had been out of contact for six months
            earliest = stop_allowed_from(member.last_contact.on) + dt.timedelta(days=1)
            if earliest > today:
                continue
            opened = earliest + dt.timedelta(days=rng.randint(0, max(0, (today - earliest).days)))
            (case,) = services.cases_open(actor=admin, members=[member], today=opened)
            made += 1
            span = (today - opened).days
            for k in range(rng.randint(1, 3)):
                services.case_attempt(
                    actor=admin,
                    case=case,
                    on=opened + dt.timedelta(days=min(span, 7 + 20 * k)),
                    channel=rng.choice(SearchChannel.values),
                    result=SearchResult.LEAD if k else SearchResult.NOT_FOUND,
                    leads="邻居反映已搬至外区，留有亲属电话" if k else "",
                )
            if i % 4 in (0, 1):  # half are found
                found = opened + dt.timedelta(days=rng.randint(10, max(10, span - 1)))
                services.case_act(
                    actor=admin,
                    case=case,
                    action=CaseAction.RELINK,
                    on=min(found, today),
                    note="经亲属联系找到，已恢复组织联系",
                )
            elif i % 4 == 2 and span > 190:
                services.case_act(
                    actor=admin,
                    case=case,
                    action=CaseAction.STOP,
                    on=today,
                    decision_no=f"沪组失〔{today.year}〕{i + 1}号",
                    note="查找满六个月仍未找到",
                )
            elif i == 3:
                services.case_act(
                    actor=admin,
                    case=case,
                    action=CaseAction.CANCEL,
                    note="误列，实际一直参加组织生活",
                )
    return made
