"""Demo membership development (发展党员, issue 23 item 2): pipelines in every district.

Shanghai develops roughly 1–1.5 % of its membership a year; at city scale (about 2.08 million
members) that is about 60,000 applicants, 35,000 activists, 12,000 development candidates and
25,000 probationary members in the pipeline, in all 19 districts. The smaller worlds take the
same shares of their own membership (``SHARES``), with at least ``MIN_PER_STAGE`` cases of
each stage per district so that every stage shows everywhere.

Applicants, activists and candidates are new people (names, ID numbers with a Shanghai area
code, born 1960–1986, at least 18 on applying); probationary cases are the roll's existing
probationary members who joined from 2004-06 on, marked as admitted cases (``member`` linked,
the general meeting on their joining day), so the roll's counts do not change.

Every case's step dates are generated in order and checked by the stage engine
(``Pipeline.check``) before they are kept: a step the engine refuses ends that case's walk
there, a late step carries a reason (about one in twelve talks and assessments is late, and
some cases are left with their next step overdue on the demo's day). ``stage``, ``state``,
``next_step`` and ``next_due`` come from the engine as the services store them. Bulk inserts;
one audit row. Same database, same seed, same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from jiceng.core import audit, dates, tree
from jiceng.core.idnumber import make_id_number, mask_id_number
from jiceng.core.stages import Record, Records, StepError
from jiceng.development import rules
from jiceng.development.models import Development, DevelopmentStep
from jiceng.development.services import refresh
from jiceng.members.models import Member, MemberCategory
from jiceng.members.phones import mask_phone
from jiceng.members.services import id_number_index, phone_index
from jiceng.orgs.models import BRANCH_TYPES, COMMITTEE_TYPES, Organization, OrgType

from .names import NameMaker
from .outreach import last_day

Progress = Callable[[str, int, int], None]

# cases per member on the roll, by stage (city: 60k, 35k, 12k of 2.08M; probationary cases are
# the roll's own probationary members)
SHARES = {
    "applicant": 60_000 / 2_080_000,
    "activist": 35_000 / 2_080_000,
    "candidate": 12_000 / 2_080_000,
}
PROBATIONARY_TARGET = 25_000 / 2_080_000
MIN_PER_STAGE = 2
LATE_SHARE = 1 / 12
STALL_SHARE = 0.12  # cases whose next timed step is left undone (due or overdue)
CHUNK = 5_000
REASONS = ("申请人外出学习", "支部书记调整", "党委换届延期", "申请人生病住院", "材料补充")


def is_built() -> bool:
    return Development.objects.exists()


class _Walker:
    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.p = rules.PIPELINE_2014

    def days(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def take(
        self,
        recs: list[Record],
        kept: list[tuple[str, dt.date, str, dict]],
        code: str,
        on: dt.date,
        details: dict | None = None,
    ) -> bool:
        """Check ``code`` on ``on`` with the engine; keep it (with a reason when late)."""
        if on > self.today:
            return False
        reason = self.rng.choice(REASONS)
        try:
            checked = self.p.check(Records(recs), code, on, today=self.today, reason=reason)
        except StepError:
            return False
        recs.append(Record(code, on))
        kept.append((code, on, reason if checked.late else "", details or {}))
        return True

    def when(self, recs: list[Record], code: str, lo: int, hi: int, base: dt.date) -> dt.date:
        """A day ``lo``–``hi`` days after ``base``; usually inside the window, sometimes late."""
        on = base + dt.timedelta(days=self.days(lo, hi))
        s = self.p.step(code)
        due = s.latest.after(Records(recs)) if s.latest else None
        if due is not None and on > due and self.rng.random() > LATE_SHARE:
            on = max(base, due - dt.timedelta(days=self.days(0, 5)))
        earliest = s.earliest.after(Records(recs)) if s.earliest else None
        if earliest is not None and on < earliest:
            on = earliest + dt.timedelta(days=self.days(0, 30))
        return on

    def walk(self, stage: str, applied: dt.date) -> list[tuple[str, dt.date, str, dict]]:
        recs: list[Record] = [Record("apply", applied)]
        kept: list[tuple[str, dt.date, str, dict]] = [("apply", applied, "", {})]
        stall = self.rng.random() < STALL_SHARE
        on = self.when(recs, "talk", 5, 34, applied)
        if stage == "applicant" and stall:
            return kept
        if not self.take(recs, kept, "talk", on):
            return kept
        if stage == "applicant":
            return kept
        a = on + dt.timedelta(days=self.days(30, 150))
        if not self.take(recs, kept, "activist", a):
            return kept
        self.take(recs, kept, "activist_filed", a + dt.timedelta(days=self.days(3, 20)))
        self.take(recs, kept, "contacts", a + dt.timedelta(days=self.days(3, 20)))
        last = a
        limit = self.today if stage == "activist" else None
        while True:
            nxt = dates.add_months(last, 6) - dt.timedelta(days=self.days(0, 20))
            if self.rng.random() < LATE_SHARE:
                nxt = dates.add_months(last, 6) + dt.timedelta(days=self.days(1, 25))
            if (limit and nxt > limit) or (stage != "activist" and nxt > dates.add_months(a, 12)):
                break
            if stage == "activist" and stall and nxt > self.today - dt.timedelta(days=60):
                break
            if not self.take(recs, kept, "assess", nxt):
                break
            last = nxt
        if stage == "activist":
            return kept
        c = dates.add_months(a, 12) + dt.timedelta(days=self.days(1, 120))
        if not self.take(recs, kept, "candidate", c):
            return kept
        d = c
        for code, lo, hi, details in (
            ("candidate_filed", 3, 20, None),
            ("introducers", 5, 30, None),
            ("political_review", 10, 60, None),
            ("training", 10, 60, {"days": 3} if self.rng.random() < 0.6 else {"hours": 24}),
            ("committee_review", 5, 30, None),
            ("pre_review", 5, 30, None),
            ("form_filled", 3, 20, None),
        ):
            d = d + dt.timedelta(days=self.days(lo, hi))
            if stall and self.rng.random() < 0.3:
                break
            if not self.take(recs, kept, code, d, details):
                break
        return kept


def _admitted_walk(w: _Walker, joined: dt.date) -> list[tuple[str, dt.date, str, dict]]:
    """Steps of a member admitted on ``joined`` (the general meeting), walked back to the
    application and forward to the oath (and the full-membership request when due)."""
    rng = w.rng
    meeting = joined
    form = meeting - dt.timedelta(days=rng.randint(10, 40))
    candidate = form - dt.timedelta(days=rng.randint(90, 200))
    activist = dates.add_months(candidate, -12) - dt.timedelta(days=rng.randint(1, 120))
    talk = activist - dt.timedelta(days=rng.randint(30, 150))
    applied = talk - dt.timedelta(days=rng.randint(5, 28))
    recs: list[Record] = []
    kept: list[tuple[str, dt.date, str, dict]] = []
    recs.append(Record("apply", applied))
    kept.append(("apply", applied, "", {}))
    plan = [
        ("talk", talk),
        ("activist", activist),
        ("activist_filed", activist + dt.timedelta(days=7)),
        ("contacts", activist + dt.timedelta(days=10)),
    ]
    day = activist
    while dates.add_months(day, 6) < candidate:
        day = dates.add_months(day, 6) - dt.timedelta(days=rng.randint(0, 10))
        plan.append(("assess", day))
    span = (form - candidate).days
    plan += [
        ("candidate", candidate),
        ("candidate_filed", candidate + dt.timedelta(days=span // 8)),
        ("introducers", candidate + dt.timedelta(days=span // 6)),
        ("political_review", candidate + dt.timedelta(days=span // 3)),
        ("training", candidate + dt.timedelta(days=span // 2)),
        ("committee_review", candidate + dt.timedelta(days=span * 2 // 3)),
        ("pre_review", candidate + dt.timedelta(days=span * 5 // 6)),
        ("form_filled", form),
        ("general_meeting", meeting),
        ("upper_talk", meeting + dt.timedelta(days=rng.randint(5, 25))),
    ]
    approval = meeting + dt.timedelta(days=rng.randint(30, 85))
    if rng.random() < LATE_SHARE:
        approval = dates.add_months(meeting, 3) + dt.timedelta(days=rng.randint(1, 20))
    plan += [
        ("approval", approval),
        ("approval_filed", approval + dt.timedelta(days=rng.randint(5, 20))),
        ("grouped", approval + dt.timedelta(days=rng.randint(3, 15))),
        ("oath", approval + dt.timedelta(days=rng.randint(7, 40))),
    ]
    req = dates.add_months(meeting, 11) + dt.timedelta(days=rng.randint(1, 28))
    if rng.random() > STALL_SHARE:
        plan.append(("full_request", req))
    details = {
        "training": {"days": 3},
        "general_meeting": _votes(rng),
    }
    for code, on in plan:
        if not w.take(recs, kept, code, on, details.get(code)):
            break
    return kept


def _votes(rng: random.Random) -> dict[str, int]:
    due = rng.randint(5, 40)
    present = rng.randint(due // 2 + 1, due)
    yes = rng.randint(due // 2 + 1, present)
    against = rng.randint(0, present - yes)
    return {
        "due": due,
        "present": present,
        "for": yes,
        "against": against,
        "abstain": present - yes - against,
    }


def build_development(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """The demo's development pipelines, in one transaction; refuses to run twice."""
    if is_built():
        raise RuntimeError("development data already exists")
    progress = progress or (lambda *_: None)
    with transaction.atomic():
        counts = _build(scale, seed, progress)
        root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
        audit.record(
            actor=None,
            verb="create",
            object_type="scenario",
            object_id="development",
            object_repr=f"scenario development {scale} seed {seed}",
            org_path=root.first() or "",
            note=", ".join(f"{n} {what}" for what, n in counts.items()),
        )
    return counts


def _build(scale: str, seed: int, progress: Progress) -> dict[str, int]:
    rng = random.Random(f"development-{seed}")
    names = NameMaker(rng)
    today = last_day()
    w = _Walker(rng, today)
    branches = list(
        Organization.objects.filter(org_type__in=BRANCH_TYPES, abolished_on__isnull=True)
        .exclude(district__isnull=True)
        .order_by("path")
        .values_list("id", "path", "district_id")
    )
    # grouped by the unit at district depth (a district committee, or a sector committee)
    by_district: dict[str, list[tuple[int, str, str]]] = {}
    for pk, path, district in branches:
        by_district.setdefault(tree.district_path(path), []).append((pk, path, str(district)))
    members = Member.objects.on_roll().count()
    cases: list[Development] = []
    walks: list[list[tuple[str, dt.date, str, dict]]] = []
    seq = 0
    total_branches = max(1, len(branches))
    for district in sorted(by_district, key=str):
        units = by_district[district]
        share = len(units) / total_branches
        for stage, rate in SHARES.items():
            n = max(MIN_PER_STAGE, round(members * rate * share))
            for _i in range(n):
                seq += 1
                org_id, path, area = rng.choice(units)
                sex = "M" if rng.random() < 0.55 else "F"
                born = dt.date(rng.randint(1960, 1986), rng.randint(1, 12), rng.randint(1, 28))
                span = {"applicant": (30, 330), "activist": (300, 900), "candidate": (500, 1000)}
                applied = today - dt.timedelta(days=rng.randint(*span[stage]))
                if rules.age_on(born, applied) < rules.MIN_AGE:
                    born = dt.date(applied.year - 20, born.month, born.day)
                number = make_id_number(area[:6], born, seq % 500, sex)
                phone = f"+86139{seq:08d}"
                d = Development(
                    name=names.full(sex, born.year),
                    sex=sex,
                    birth_date=born,
                    id_number=number,
                    id_number_index=id_number_index(number),
                    id_number_masked=mask_id_number(number),
                    phone=phone,
                    phone_index=phone_index(phone),
                    phone_masked=mask_phone(phone),
                    work_unit="",
                    org_id=org_id,
                    path=path,
                    applied_on=applied,
                )
                cases.append(d)
                walks.append(w.walk(stage, applied))
    progress("发展党员：入党申请人、积极分子、发展对象", len(cases), len(cases))
    # probationary cases: the roll's own probationary members who joined lately
    target = max(MIN_PER_STAGE * len(by_district), round(members * PROBATIONARY_TARGET))
    probationers = list(
        Member.objects.on_roll()
        .filter(
            category=MemberCategory.PROBATIONARY,
            joined_on__gte=dt.date(2004, 6, 1),
            joined_on__lte=today,
            home_org__org_type__in=BRANCH_TYPES,
        )
        .order_by("id")
        .values_list(
            "id",
            "name",
            "sex",
            "birth_date",
            "id_number_index",
            "id_number_masked",
            "phone_masked",
            "home_org_id",
            "home_path",
            "joined_on",
        )[:target]
    )
    for pk, name, sex, born, index, masked, phone_masked, org_id, path, joined in probationers:
        d = Development(
            name=name,
            sex=sex,
            birth_date=born,
            id_number="",
            id_number_index=index,
            id_number_masked=masked,
            phone="",
            phone_masked=phone_masked,
            org_id=org_id,
            path=path,
            member_id=pk,
        )
        steps = _admitted_walk(w, joined)
        d.applied_on = steps[0][1]
        cases.append(d)
        walks.append(steps)
    # the ID numbers of probationary cases: the member's own (decrypted once each)
    secrets = {
        m.pk: (m.id_number, m.phone)
        for m in Member.objects.filter(pk__in=[p[0] for p in probationers]).only(
            "id", "id_number", "phone"
        )
    }
    for d in cases:
        if d.member_id:
            d.id_number, d.phone = secrets[d.member_id]
            d.phone_index = phone_index(d.phone) if d.phone else ""
    committees = set(
        Organization.objects.filter(org_type__in=COMMITTEE_TYPES).values_list("path", flat=True)
    )
    form_no: dict[str, int] = {}
    for d, steps in zip(cases, walks, strict=True):
        recs = Records(Record(code, on) for code, on, _r, _x in steps)
        refresh(d, recs)
        if any(code == "pre_review" for code, *_rest in steps):
            committee = next(
                (a for a in reversed(tree.ancestor_paths(d.path)) if a in committees), ""
            )
            form_no[committee] = form_no.get(committee, 0) + 1
            pre = next(on for code, on, *_r in steps if code == "pre_review")
            d.application_form_no = f"{pre.year}-{form_no[committee]:05d}"
            d.form_committee_path = committee
    now = timezone.now()
    made = 0
    for start in range(0, len(cases), CHUNK):
        chunk = cases[start : start + CHUNK]
        Development.objects.bulk_create(chunk, batch_size=1000)
        rows = [
            DevelopmentStep(
                development=d,
                step=code,
                on=on,
                details=details,
                reason=reason,
                late=bool(reason),
                by=rules.PIPELINE_2014.step(code).by,
                actor_repr="scenario",
                created_at=now,
            )
            for d, steps in zip(chunk, walks[start : start + CHUNK], strict=True)
            for code, on, reason, details in steps
        ]
        DevelopmentStep.objects.bulk_create(rows, batch_size=2000)
        made += len(chunk)
        progress("发展党员：写入", made, len(cases))
    counts: dict[str, int] = {"cases": len(cases)}
    for d in cases:
        counts[d.stage] = counts.get(d.stage, 0) + 1
    counts["overdue"] = sum(1 for d in cases if d.next_due and d.next_due < today)
    return counts


__all__ = ["OrgType", "build_development", "is_built"]
