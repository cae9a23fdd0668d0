"""Scenario data for likely duplicates (issue 4, item 5): a handful of members registered a
second time in the same district under another ID number — a sequence digit typed wrong, or
entered again by another street — so the duplicates worklist has work in the demo. One of them
duplicates a member with a transfer history, so a merge re-points rows."""

from __future__ import annotations

import random

from jiceng.core.idnumber import make_id_number
from jiceng.members.models import Member, Transfer
from jiceng.members.services import member_create
from jiceng.orgs.models import Organization, OrgType

PAIRS_PER_DISTRICT = 3


def build_duplicates(seed: int) -> int:
    rng = random.Random(seed + 47)
    made = 0
    with_history = set(Transfer.objects.filter(state="done").values_list("member_id", flat=True))
    for code in ("310101", "310104"):
        district = Organization.objects.filter(code=code).first()
        if district is None:
            continue
        branches = list(
            Organization.objects.filter(
                path__startswith=district.path, org_type=OrgType.BRANCH, abolished_on=None
            ).order_by("path")
        )
        members = list(
            Member.objects.filter(home_path__startswith=district.path, transferred_out_on=None)
            .select_related("home_org")
            .order_by("id")
        )
        if len(branches) < 2 or not members:
            continue
        chosen = [m for m in members if m.pk in with_history][:1]
        chosen += rng.sample(members, min(len(members), PAIRS_PER_DISTRICT - len(chosen)))
        for original in chosen:
            other_branch = next(
                b for b in rng.sample(branches, len(branches)) if b.pk != original.home_org_id
            )
            seq = (int(original.id_number[14:17]) + rng.randint(1, 40)) % 500
            id_number = make_id_number(
                original.id_number[:6], original.birth_date, seq, original.sex
            )
            if Member.objects.filter(
                id_number_masked=id_number[:6] + "********" + id_number[-4:]
            ).exists():
                continue
            member_create(
                actor=None,
                home_org=other_branch,
                id_number=id_number,
                phone="" if rng.random() < 0.5 else original.phone,
                participating_org=other_branch,
                name=original.name,
                ethnicity=original.ethnicity,
                education=original.education,
                category=original.category,
                joined_on=original.joined_on,
                full_member_on=original.full_member_on,
                employment_status=original.employment_status,
                work_unit=original.work_unit,
                home_address="",
            )
            made += 1
    return made
