"""Demo recruitment of full-time party-mass workers (S3): in May 2005 the 19 district
organisation departments and personnel bureaus openly recruited 461 full-time party-mass
workers, trained them and put every one in post, mainly in two-new organisations.

**Which and how many.** Every district committee runs one round (applications 9–20 May 2005,
written test 28 May, interview 4 June; weights 0.4 and 0.6; five working days of public
notice). Its places (``PLACES``: 461 at city scale, 46 at demo scale, 6 in the tiny world) are
shared among the districts by their number of two-new organisations (largest remainders, at
least one each), in two posts: most places in a post serving the district's two-new
organisations, about a fifth in one serving its street and town committees. Applicants per
place (``PER_PLACE``): 43 at city scale (about 20,000), 10 at demo scale, 4 in the tiny
world; about one in twelve fails the screening (age or education, with the reasons), one in
twenty misses the interview.

**Outcome.** The posts are ranked by the SQL of ``workers.services.rank_posts`` (the same as
the page's button); the first ``places`` of each post are put on notice on 13 June, hired on
the first working day after the notice, trained in two courses (24 + 16 hours), certified in
July and deployed in July–August to the organisations their post serves (two-new first), so
exactly the places are hired, trained and in post. In the tiny and demo worlds the first
district also runs a supplementary round in September (one place, a few applications waiting
for screening, one of them too old): the officer's work on the demo's day. Written with bulk
inserts; the ID numbers
and phones encrypted like the public page's; one audit row for the part.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jiceng.core import audit, dates
from jiceng.core.idnumber import make_id_number, mask_id_number
from jiceng.members.phones import mask_phone
from jiceng.members.services import id_number_index
from jiceng.orgs.models import TWO_NEW_SECTORS, Organization, OrgType
from jiceng.workers import services as worker_services
from jiceng.workers.models import (
    PartyWorker,
    WorkerApplication,
    WorkerApplicationStep,
    WorkerPost,
    WorkerRecruitment,
    WorkerTraining,
)
from jiceng.workers.rules import AppState, EducationLevel

from .names import NameMaker

Progress = Callable[[str, int, int], None]

PLACES = {"tiny": 6, "demo": 46, "city": 461}
PER_PLACE = {"tiny": 4, "demo": 10, "city": 43}
SERVED_MAX = 40  # organisations listed as served by one post
CHUNK = 5000

OPENS, CLOSES = dt.date(2005, 5, 9), dt.date(2005, 5, 20)
SCREENED, WRITTEN, INTERVIEW = dt.date(2005, 5, 25), dt.date(2005, 5, 28), dt.date(2005, 6, 4)
NOTICE = dt.date(2005, 6, 13)
NOTICE_DAYS = 5
# The supplementary round (tiny and demo scales only: the city's figures stay S3's 461).
SUPPLEMENT = {"tiny": 4, "demo": 8, "city": 0}
SUPPLEMENT_OPENS, SUPPLEMENT_CLOSES = dt.date(2005, 9, 5), dt.date(2005, 9, 16)
COURSES = (("党的基本理论和党建基本知识", 24), ("两新组织党建和群众工作实务", 16))


def is_built() -> bool:
    return WorkerRecruitment.objects.exists()


def _shares(total: int, weights: list[int]) -> list[int]:
    """``total`` split by ``weights`` (largest remainders), at least one each."""
    n = len(weights)
    base = [1] * n
    left = total - n
    wsum = sum(weights) or 1
    raw = [left * w / wsum for w in weights]
    floors = [int(r) for r in raw]
    rest = left - sum(floors)
    order = sorted(range(n), key=lambda i: -(raw[i] - floors[i]))
    for i in order[:rest]:
        floors[i] += 1
    return [b + f for b, f in zip(base, floors, strict=True)]


class WorkersBuilder:
    def __init__(self, scale: str, seed: int, progress: Progress) -> None:
        self.scale = scale
        self.rng = random.Random(f"workers-{seed}")
        self.names = NameMaker(self.rng)
        self.progress = progress
        self.now = timezone.now()
        self.used: set[str] = set()

    def build(self) -> dict[str, int]:
        districts = list(
            Organization.objects.filter(org_type=OrgType.DISTRICT_COMMITTEE).order_by("path")
        )
        if not districts:
            return {"rounds": 0}
        units = {
            d.pk: list(
                Organization.objects.filter(
                    path__startswith=d.path,
                    sector__in=TWO_NEW_SECTORS,
                    abolished_on__isnull=True,
                )
                .exclude(org_type=OrgType.GROUP)
                .order_by("path")
                .values_list("pk", "path")
            )
            for d in districts
        }
        community = {
            d.pk: list(
                Organization.objects.filter(
                    path__startswith=d.path,
                    org_type__in=[OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE],
                    abolished_on__isnull=True,
                )
                .order_by("path")
                .values_list("pk", "path")
            )
            for d in districts
        }
        total = max(PLACES[self.scale], len(districts))
        places = _shares(total, [len(units[d.pk]) + 1 for d in districts])
        posts: list[tuple[WorkerPost, list[tuple[int, str]]]] = []
        for d, n in zip(districts, places, strict=True):
            r = WorkerRecruitment.objects.create(
                district=d,
                path=d.path,
                title=f"{d.name}2005年公开招聘专职党群工作者",
                opens_on=OPENS,
                closes_on=CLOSES,
                written_weight=Decimal("0.40"),
                interview_weight=Decimal("0.60"),
                notice_days=NOTICE_DAYS,
                created_at=self.now,
            )
            served_new = units[d.pk] or community[d.pk]
            split = [(n - n // 5, served_new, "两新组织专职党群工作者", "new")]
            if n // 5 and community[d.pk]:
                split.append((n // 5, community[d.pk], "社区专职党群工作者", "community"))
            else:
                split[0] = (n, served_new, split[0][2], "new")
            for k, serves, title, _kind in split:
                post = WorkerPost.objects.create(
                    recruitment=r,
                    path=r.path,
                    title=title,
                    places=k,
                    requirements="热爱党的基层工作，大专及以上学历，年龄22至35周岁，本市户籍",
                    min_age=22,
                    max_age=35,
                    min_education=EducationLevel.COLLEGE,
                )
                post.serves.set([pk for pk, _path in serves[:SERVED_MAX]])
                posts.append((post, serves[:SERVED_MAX] or [(d.pk, d.path)]))
        apps = self._applications(posts)
        worker_services.rank_posts([p.pk for p, _ in posts])
        hired = self._hire(posts)
        if SUPPLEMENT[self.scale]:
            apps += self._supplement(districts[0], units[districts[0].pk])
        return {
            "rounds": len(districts),
            "places": sum(places),
            "applications": apps,
            "hired": hired,
        }

    def _applications(self, posts: list[tuple[WorkerPost, list[tuple[int, str]]]]) -> int:
        rng = self.rng
        total = sum(p.places * PER_PLACE[self.scale] for p, _ in posts)
        made = 0
        batch: list[WorkerApplication] = []
        for post, _serves in posts:
            code = post.recruitment.district.code[:6]
            for _ in range(post.places * PER_PLACE[self.scale]):
                sex = rng.choice("MF")
                roll = rng.random()
                born = dt.date(rng.randint(1970, 1983), rng.randint(1, 12), rng.randint(1, 28))
                if roll < 0.04:  # too old
                    born = dt.date(rng.randint(1962, 1968), rng.randint(1, 12), rng.randint(1, 28))
                education = rng.choice(
                    [EducationLevel.COLLEGE, EducationLevel.UNIVERSITY, EducationLevel.UNIVERSITY]
                )
                if 0.04 <= roll < 0.08:
                    education = EducationLevel.HIGH_SCHOOL
                id_number = ""
                for _attempt in range(50):
                    area = code if code.startswith("31") else "310101"
                    id_number = make_id_number(area, born, rng.randint(0, 499), sex)
                    if id_number not in self.used:
                        break
                self.used.add(id_number)
                phone = f"+861{rng.choice('358')}{rng.randint(0, 999999999):09d}"
                applied = OPENS + dt.timedelta(days=rng.randint(0, (CLOSES - OPENS).days))
                batch.append(
                    WorkerApplication(
                        post=post,
                        recruitment=post.recruitment,
                        path=post.path,
                        receipt=worker_services.new_receipt(),
                        name=self.names.full(sex, born.year),
                        id_number=id_number,
                        id_number_index=id_number_index(id_number),
                        id_number_masked=mask_id_number(id_number),
                        phone=phone,
                        phone_masked=mask_phone(phone),
                        birth_date=born,
                        education=education,
                        applied_on=applied,
                        applied_at=timezone.make_aware(
                            dt.datetime.combine(applied, dt.time(9, 0))
                            + dt.timedelta(seconds=rng.randint(0, 8 * 3600))
                        ),
                    )
                )
                if len(batch) >= CHUNK:
                    made += self._write_applications(batch)
                    batch = []
                    self.progress("workers", made, total)
        made += self._write_applications(batch)
        self.progress("workers", made, total)
        return made

    def _supplement(self, district: Organization, serves: list[tuple[int, str]]) -> int:
        """A first district's supplementary round of September 2005 (tiny and demo scales):
        one place, applications in, nothing screened yet — the officer's work on the demo's
        day (and the browser journey's)."""
        r = WorkerRecruitment.objects.create(
            district=district,
            path=district.path,
            title=f"{district.name}2005年下半年补充招聘专职党群工作者",
            opens_on=SUPPLEMENT_OPENS,
            closes_on=SUPPLEMENT_CLOSES,
            written_weight=Decimal("0.50"),
            interview_weight=Decimal("0.50"),
            notice_days=NOTICE_DAYS,
            created_at=self.now,
        )
        post = WorkerPost.objects.create(
            recruitment=r,
            path=r.path,
            title="两新组织专职党群工作者（补充）",
            places=1,
            requirements="大专及以上学历，年龄22至35周岁",
            min_age=22,
            max_age=35,
            min_education=EducationLevel.COLLEGE,
        )
        post.serves.set([pk for pk, _path in serves[:SERVED_MAX]])
        rows = []
        for i in range(SUPPLEMENT[self.scale]):
            born = dt.date(1962 if i == 1 else 1978 + i % 6, 3 + i % 9, 5 + i)
            number = make_id_number(district.code[:6], born, 300 + i, "MF"[i % 2])
            phone = f"+86139{self.rng.randint(0, 99999999):08d}"
            applied = SUPPLEMENT_OPENS + dt.timedelta(days=i)
            rows.append(
                WorkerApplication(
                    post=post,
                    recruitment=r,
                    path=r.path,
                    receipt=worker_services.new_receipt(),
                    name=self.names.full("MF"[i % 2], born.year),
                    id_number=number,
                    id_number_index=id_number_index(number),
                    id_number_masked=mask_id_number(number),
                    phone=phone,
                    phone_masked=mask_phone(phone),
                    birth_date=born,
                    education=EducationLevel.UNIVERSITY,
                    applied_on=applied,
                    applied_at=timezone.make_aware(dt.datetime.combine(applied, dt.time(10))),
                )
            )
        WorkerApplication.objects.bulk_create(rows)
        WorkerApplicationStep.objects.bulk_create(
            [self._step(a.pk, "apply", a.applied_on) for a in rows]
        )
        return len(rows)

    def _write_applications(self, batch: list[WorkerApplication]) -> int:
        """Screen and score in memory, then write the applications and their steps."""
        if not batch:
            return 0
        rng = self.rng
        for a in batch:
            reasons = worker_services.screening_reasons(a)
            if reasons:
                a.state = AppState.INELIGIBLE
                a.ineligible_reason = "；".join(reasons)[:300]
                continue
            a.written_score = Decimal(rng.randint(4500, 9800)) / 100
            if rng.random() < 0.05:  # absent from the interview
                a.state = AppState.WRITTEN
                continue
            a.interview_score = Decimal(rng.randint(5000, 9700)) / 100
            a.state = AppState.SCORED
        WorkerApplication.objects.bulk_create(batch, batch_size=1000)
        rows = []
        for a in batch:
            rows.append(self._step(a.pk, "apply", a.applied_on))
            if a.state == AppState.INELIGIBLE:
                rows.append(self._step(a.pk, "ineligible", SCREENED, a.ineligible_reason))
                continue
            rows.append(self._step(a.pk, "eligible", SCREENED))
            rows.append(self._step(a.pk, "written", WRITTEN))
            if a.state == AppState.SCORED:
                rows.append(self._step(a.pk, "interview", INTERVIEW))
        WorkerApplicationStep.objects.bulk_create(rows, batch_size=2000)
        return len(batch)

    def _step(self, pk: int, code: str, on: dt.date, note: str = "") -> WorkerApplicationStep:
        return WorkerApplicationStep(
            application_id=pk, step=code, on=on, note=note, recorded_at=self.now
        )

    def _hire(self, posts: list[tuple[WorkerPost, list[tuple[int, str]]]]) -> int:
        rng = self.rng
        until = dates.add_days(NOTICE, NOTICE_DAYS, working=True)
        hire_on = dates.add_days(NOTICE, NOTICE_DAYS + 1, working=True)
        steps, workers, chosen = [], [], []
        for post, serves in posts:
            top = list(
                WorkerApplication.objects.filter(post=post, state=AppState.SCORED).order_by("rank")[
                    : post.places
                ]
            )
            # two-new organisations first, each served once before any twice
            ordered = sorted(serves, key=lambda s: s[1])
            for i, a in enumerate(top):
                org_pk, org_path = ordered[i % len(ordered)]
                trained = dt.date(2005, 7, rng.randint(18, 29))
                since = trained + dt.timedelta(days=rng.randint(3, 20))
                a.state, a.notice_from, a.notice_until = AppState.DEPLOYED, NOTICE, until
                chosen.append(a)
                for code, on, value in (
                    ("notice", NOTICE, None),
                    ("hire", hire_on, None),
                    ("train", trained, sum(h for _c, h in COURSES)),
                    ("deploy", since, None),
                ):
                    s = self._step(a.pk, code, on)
                    s.value = value
                    steps.append(s)
                workers.append(
                    PartyWorker(
                        application=a,
                        path=a.path,
                        name=a.name,
                        hired_on=hire_on,
                        certificate_no=f"DQ2005-{post.recruitment.district.code[:6]}-{i + 1:03d}",
                        trained_on=trained,
                        org_id=org_pk,
                        org_path=org_path,
                        since=since,
                    )
                )
        WorkerApplication.objects.bulk_update(
            chosen, ["state", "notice_from", "notice_until"], batch_size=1000
        )
        WorkerApplicationStep.objects.bulk_create(steps, batch_size=2000)
        PartyWorker.objects.bulk_create(workers, batch_size=1000)
        trainings = []
        for w in workers:
            day = w.hired_on + dt.timedelta(days=10)
            for course, hours in COURSES:
                trainings.append(
                    WorkerTraining(worker=w, course=course, hours=hours, finished_on=day)
                )
                day += dt.timedelta(days=14)
        WorkerTraining.objects.bulk_create(trainings, batch_size=2000)
        return len(workers)


@transaction.atomic
def build_workers(
    scale: str = "demo", seed: int = 2005, progress: Progress | None = None
) -> dict[str, int]:
    """The demo's recruitment of party-mass workers (S3), in one transaction; refuses to run
    twice."""
    if is_built():
        raise RuntimeError("worker recruitment data already exists")
    counts = WorkersBuilder(scale, seed, progress or (lambda *_: None)).build()
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    audit.record(
        actor=None,
        verb="create",
        object_type="scenario",
        object_id="workers",
        object_repr=f"workers {scale} seed {seed}",
        org_path=root.first() or "",
        note=str(counts),
    )
    return counts
