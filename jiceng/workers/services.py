"""Every write of worker recruitment (S3): rounds and posts, the public's applications,
screening, scores, ranking, public notice and objections, hiring, training, deployment,
leaving and replacement. Each is keyword-only, atomic, audited, and refuses what the rules
(``rules.pipeline``) or the actor's scope do not allow, in words the user understands."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, dates
from jiceng.core.idnumber import IdNumberError, mask_id_number, parse_id_number
from jiceng.core.scoping import Action, Actor, actor_user, can, can_anywhere, require
from jiceng.core.stages import Record, Records
from jiceng.members.phones import mask_phone, normalize_phone
from jiceng.members.services import id_number_index
from jiceng.orgs.models import Organization, OrgType

from . import rules
from .models import (
    PartyWorker,
    WorkerApplication,
    WorkerApplicationStep,
    WorkerObjection,
    WorkerPost,
    WorkerRecruitment,
    WorkerTraining,
)
from .rules import AppState

# ----- rights: what the pages show and the services enforce ---------------------------------


def may_change(user: Any, path: str) -> bool:
    """Whether ``user`` runs recruitment at ``path`` (the district's organisation officers)."""
    return can(user, Action.CHANGE, path)


def may_change_anywhere(user: Any) -> bool:
    """Whether ``user`` runs recruitment somewhere (the create buttons and the menu)."""
    return can_anywhere(user, Action.CHANGE)


def step_labels() -> dict[str, str]:
    """The label of each step, for the pages that list an application's steps."""
    return {s.code: str(s.label) for s in rules.pipeline().steps}


def _require_change(actor: Actor, path: str) -> None:
    require(actor, Action.CHANGE, path, _("您不能办理该区县的党群工作者招聘"))


@dataclass(frozen=True)
class PostRights:
    """What may be done with a post now (the buttons of its page)."""

    change: bool
    rank: bool
    publish: bool
    free_places: int


def post_rights(user: Any, post: WorkerPost) -> PostRights:
    change = may_change(user, post.path)
    free = free_places(post)
    scored = post.applications.filter(state=AppState.SCORED).exists()
    return PostRights(
        change=change,
        rank=change and scored,
        publish=change and post.ranked_on is not None and free > 0 and scored,
        free_places=free,
    )


def free_places(post: WorkerPost) -> int:
    """Places not taken by someone on notice, hired or in post."""
    taken = post.applications.filter(
        state__in=[AppState.ON_NOTICE, AppState.HIRED, AppState.TRAINED, AppState.DEPLOYED]
    ).count()
    return max(0, post.places - taken)


def open_steps(application: WorkerApplication) -> list[str]:
    """The steps the rules allow next on ``application`` (the page's buttons ask this)."""
    p = rules.pipeline(application.recruitment.notice_days)
    return [o.step.code for o in p.open_steps(_records(application))]


# ----- rounds and posts -----------------------------------------------------------------------

ROUND_FIELDS = (
    "district",
    "title",
    "opens_on",
    "closes_on",
    "written_weight",
    "interview_weight",
    "notice_days",
)
POST_FIELDS = ("title", "places", "requirements", "min_age", "max_age", "min_education")


def _check_round(r: WorkerRecruitment) -> None:
    if r.district.org_type != OrgType.DISTRICT_COMMITTEE:
        raise ValidationError({"district": _("招聘由区县委组织部组织，请选择区县委")})
    if r.written_weight + r.interview_weight != Decimal("1"):
        raise ValidationError(
            {"interview_weight": _("笔试权重与面试权重之和须为 1（如 0.4 与 0.6）")}
        )
    low, high = rules.NOTICE_DAYS_RANGE
    if not low <= r.notice_days <= high:
        raise ValidationError(
            {"notice_days": _("公示期为 %(low)s 至 %(high)s 个工作日") % {"low": low, "high": high}}
        )
    r.full_clean(exclude=["path", "created_at"])
    if r.closes_on < r.opens_on:
        raise ValidationError({"closes_on": _("报名截止日期不能早于开始日期")})


@transaction.atomic
def recruitment_create(*, actor: Actor, district: Organization, **fields: Any) -> WorkerRecruitment:
    """A district's recruitment round (its weights and notice period are the district's)."""
    _require_change(actor, district.path)
    r = WorkerRecruitment(district=district, path=district.path, created_at=clock.now(), **fields)
    r.created_by = actor_user(actor)
    _check_round(r)
    r.save()
    audit.record(
        actor=actor,
        verb="workers.round_create",
        obj=r,
        org_path=r.path,
        after=audit.snapshot(r, ROUND_FIELDS),
    )
    return r


@transaction.atomic
def recruitment_update(
    *, actor: Actor, recruitment: WorkerRecruitment, **fields: Any
) -> WorkerRecruitment:
    """Change a round; the weights and notice period are fixed once a post is ranked."""
    r = WorkerRecruitment.objects.select_for_update().get(pk=recruitment.pk)
    _require_change(actor, r.path)
    before = audit.snapshot(r, ROUND_FIELDS)
    fixed = ("written_weight", "interview_weight", "notice_days")
    if r.posts.filter(ranked_on__isnull=False).exists() and any(
        k in fields and fields[k] != getattr(r, k) for k in fixed
    ):
        raise ValidationError(_("已有岗位排名，不能再修改成绩权重和公示期"))
    fields.pop("district", None)
    for k, v in fields.items():
        setattr(r, k, v)
    _check_round(r)
    r.save()
    audit.record(
        actor=actor,
        verb="workers.round_update",
        obj=r,
        org_path=r.path,
        before=before,
        after=audit.snapshot(r, ROUND_FIELDS),
    )
    return r


def _check_serves(r: WorkerRecruitment, serves: Iterable[Organization]) -> list[Organization]:
    orgs = list(serves)
    outside = [o for o in orgs if not o.path.startswith(r.path)]
    if outside:
        raise ValidationError({"serves": _("%(name)s 不在本区县内") % {"name": outside[0].name}})
    return orgs


@transaction.atomic
def post_create(
    *,
    actor: Actor,
    recruitment: WorkerRecruitment,
    serves: Iterable[Organization] = (),
    **fields: Any,
) -> WorkerPost:
    """A post of a round: places, requirements and the organisations it serves."""
    _require_change(actor, recruitment.path)
    post = WorkerPost(recruitment=recruitment, path=recruitment.path, **fields)
    post.full_clean(exclude=["path", "recruitment"])
    if post.max_age < post.min_age:
        raise ValidationError({"max_age": _("最高年龄不能低于最低年龄")})
    orgs = _check_serves(recruitment, serves)
    post.save()
    post.serves.set(orgs)
    audit.record(
        actor=actor,
        verb="workers.post_create",
        obj=post,
        org_path=post.path,
        after={**audit.snapshot(post, POST_FIELDS), "serves": [o.code for o in orgs]},
    )
    return post


@transaction.atomic
def post_update(
    *, actor: Actor, post: WorkerPost, serves: Iterable[Organization] | None = None, **fields: Any
) -> WorkerPost:
    post = WorkerPost.objects.select_for_update().get(pk=post.pk)
    _require_change(actor, post.path)
    before = audit.snapshot(post, POST_FIELDS)
    for k, v in fields.items():
        setattr(post, k, v)
    post.full_clean(exclude=["path", "recruitment"])
    if post.max_age < post.min_age:
        raise ValidationError({"max_age": _("最高年龄不能低于最低年龄")})
    post.save()
    if serves is not None:
        post.serves.set(_check_serves(post.recruitment, serves))
    audit.record(
        actor=actor,
        verb="workers.post_update",
        obj=post,
        org_path=post.path,
        before=before,
        after=audit.snapshot(post, POST_FIELDS),
    )
    return post


# ----- the public's application ---------------------------------------------------------------

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: nothing to misread


def _receipt_check(body: str) -> str:
    total = sum((i + 1) * RECEIPT_ALPHABET.index(c) for i, c in enumerate(body))
    return RECEIPT_ALPHABET[total % len(RECEIPT_ALPHABET)]


def new_receipt() -> str:
    """Twelve printable characters: eleven random (55 bits) and a check character."""
    body = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(11))
    return body + _receipt_check(body)


def normalize_receipt(raw: str) -> str | None:
    """The receipt as stored, from what the applicant typed (dashes, spaces, lower case), or
    None when its check character does not match (a mistyped receipt)."""
    text = "".join(c for c in (raw or "").upper() if c.isalnum())
    if len(text) != 12 or any(c not in RECEIPT_ALPHABET for c in text):
        return None
    return text if _receipt_check(text[:11]) == text[11] else None


APPLICATION_FIELDS = ("name", "id_number", "phone", "education", "post", "state")
SECRET = ("id_number", "phone")


@transaction.atomic
def application_submit(
    *,
    actor: Actor,
    post: WorkerPost,
    name: str,
    id_number: str,
    phone: str,
    education: str,
    resume: str = "",
) -> WorkerApplication:
    """An application from the public page (no login). The round must be taking applications
    today; the ID number must be valid and not already have applied in this round. Age and
    education are checked at screening, not here."""
    r = post.recruitment
    today = clock.today()
    if not r.opens_on <= today <= r.closes_on:
        raise ValidationError(
            _("报名时间为 %(a)s 至 %(b)s，现在不能报名") % {"a": r.opens_on, "b": r.closes_on}
        )
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写姓名")})
    try:
        parsed = parse_id_number(id_number)
    except IdNumberError as exc:
        raise ValidationError({"id_number": exc.message}) from exc
    try:
        e164 = normalize_phone(phone or "")
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    if not e164:
        raise ValidationError({"phone": _("请填写联系电话")})
    index = id_number_index(parsed.value)
    if WorkerApplication.objects.filter(recruitment=r, id_number_index=index).exists():
        raise ValidationError(
            {"id_number": _("该身份证号码已报名本次招聘，每人只能报名一个岗位；可凭回执号查询进度")}
        )
    a = WorkerApplication(
        post=post,
        recruitment=r,
        path=post.path,
        receipt=new_receipt(),
        name=name,
        id_number=parsed.value,
        id_number_index=index,
        id_number_masked=mask_id_number(parsed.value),
        phone=e164,
        phone_masked=mask_phone(e164),
        birth_date=parsed.birth_date,
        education=education,
        resume=resume,
        applied_on=today,
        applied_at=clock.now(),
    )
    a.full_clean(exclude=["receipt", "id_number_index", "id_number_masked", "phone_masked", "path"])
    try:
        with transaction.atomic():
            a.save()
    except IntegrityError as exc:  # the same ID number at the same moment
        raise ValidationError({"id_number": _("该身份证号码已报名本次招聘")}) from exc
    _write_step(None, a, "apply", today)
    audit.record(
        actor=actor,
        verb="workers.apply",
        obj=a,
        org_path=a.path,
        after=audit.snapshot(a, APPLICATION_FIELDS, masked=SECRET),
    )
    return a


def application_follow(receipt: str, id_last4: str) -> WorkerApplication | None:
    """The application an applicant follows: receipt number and the last four characters of
    the ID number must both match (else None, the same for a wrong receipt and a wrong ID)."""
    code = normalize_receipt(receipt)
    last4 = (id_last4 or "").strip().upper()
    if code is None or len(last4) != 4:
        return None
    a = WorkerApplication.objects.filter(receipt=code).select_related("post", "recruitment").first()
    if a is None or a.id_number_masked[-4:].upper() != last4:
        return None
    return a


# ----- steps (the stage engine) ---------------------------------------------------------------


def _records(a: WorkerApplication) -> Records:
    rows = WorkerApplicationStep.objects.filter(application=a).values_list("step", "on", "value")
    return Records(Record(step, on, value) for step, on, value in rows)


def _write_step(
    actor: Actor,
    a: WorkerApplication,
    code: str,
    on: dt.date,
    *,
    value: int | None = None,
    note: str = "",
    reason: str = "",
) -> WorkerApplicationStep:
    """Check ``code`` on ``on`` against the pipeline (order, earliest, late with reason) and
    record it; the application's state follows."""
    p = rules.pipeline(a.recruitment.notice_days)
    p.check(_records(a), code, on, today=clock.today(), reason=reason)
    step = WorkerApplicationStep.objects.create(
        application=a,
        step=code,
        on=on,
        value=value,
        note=note[:300],
        late_reason=reason.strip()[:300],
        recorded_by=actor_user(actor),
        recorded_at=clock.now(),
    )
    a.state = rules.STATE_AFTER[code]
    return step


def screening_reasons(a: WorkerApplication) -> list[str]:
    """Why the post's conditions are not met (age on the closing day, education), in words."""
    post, r = a.post, a.recruitment
    out = []
    age = rules.age_on(a.birth_date, r.closes_on)
    if not post.min_age <= age <= post.max_age:
        out.append(
            _("报名截止时年龄 %(age)s 岁，不在 %(low)s 至 %(high)s 岁之间")
            % {"age": age, "low": post.min_age, "high": post.max_age}
        )
    if not rules.education_at_least(a.education, post.min_education):
        out.append(
            _("学历为%(has)s，岗位要求%(need)s及以上")
            % {"has": a.get_education_display(), "need": post.get_min_education_display()}
        )
    return out


def _locked(a: WorkerApplication) -> WorkerApplication:
    return (
        WorkerApplication.objects.select_for_update()
        .select_related("post", "recruitment")
        .get(pk=a.pk)
    )


@transaction.atomic
def application_screen(
    *,
    actor: Actor,
    application: WorkerApplication,
    eligible: bool,
    reason: str = "",
    on: dt.date | None = None,
) -> WorkerApplication:
    """Eligibility screening: eligible (refused while the post's conditions are not met), or
    ineligible with the reasons (which end the application)."""
    a = _locked(application)
    _require_change(actor, a.path)
    on = on or clock.today()
    found = screening_reasons(a)
    if eligible:
        if found:
            raise ValidationError(_("不符合岗位条件：%(why)s") % {"why": "；".join(found)})
        _write_step(actor, a, "eligible", on)
    else:
        text = "；".join([*found, reason.strip()] if reason.strip() else found)
        if not text:
            raise ValidationError({"reason": _("请写明资格审查未通过的原因")})
        _write_step(actor, a, "ineligible", on, note=text)
        a.ineligible_reason = text[:300]
    a.save(update_fields=["state", "ineligible_reason"])
    audit.record(
        actor=actor,
        verb="workers.screen",
        obj=a,
        org_path=a.path,
        after={"state": a.state, "reason": a.ineligible_reason},
    )
    return a


@transaction.atomic
def applications_screen_auto(
    *, actor: Actor, post: WorkerPost, on: dt.date | None = None
) -> dict[str, int]:
    """Screen every application of ``post`` still waiting: eligible when the conditions are
    met, ineligible with the reasons otherwise."""
    _require_change(actor, post.path)
    counts = {"eligible": 0, "ineligible": 0}
    for a in post.applications.filter(state=AppState.APPLIED).order_by("id"):
        reasons = screening_reasons(a)
        application_screen(actor=actor, application=a, eligible=not reasons, on=on)
        counts["ineligible" if reasons else "eligible"] += 1
    return counts


def _score(raw: Any, label: str) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(what)s「%(raw)s」不是数字") % {"what": label, "raw": raw}
        ) from None
    if not Decimal(0) <= value <= rules.SCORE_MAX:
        raise ValidationError(
            _("%(what)s须在 0 至 %(max)s 之间") % {"what": label, "max": rules.SCORE_MAX}
        )
    return value


@transaction.atomic
def scores_enter(
    *,
    actor: Actor,
    post: WorkerPost,
    scores: Mapping[int, tuple[Any, Any]],
    on: dt.date | None = None,
) -> int:
    """Written and interview scores of a post's applications, all or nothing: one bad score
    or an application out of order refuses the whole sheet. The interview comes after the
    written test; a score already entered may be corrected until the post is published."""
    _require_change(actor, post.path)
    on = on or clock.today()
    apps = {
        a.pk: a
        for a in WorkerApplication.objects.select_for_update()
        .select_related("post", "recruitment")
        .filter(post=post, pk__in=list(scores))
    }
    errors: list[str] = []
    changed = 0
    for pk, (w_raw, i_raw) in scores.items():
        a = apps.get(pk)
        if a is None:
            errors.append(_("第 %(pk)s 号报名不属于该岗位") % {"pk": pk})
            continue
        try:
            written = _score(w_raw, _("笔试成绩"))
            interview = _score(i_raw, _("面试成绩"))
            if written is None and interview is None:
                continue
            done = set(a.steps.values_list("step", flat=True))
            if "notice" in done:
                raise ValidationError(_("已公示，成绩不能再改"))
            if written is not None:
                if "written" not in done:
                    _write_step(actor, a, "written", on)
                    done.add("written")
                a.written_score = written
            if interview is not None:
                if a.written_score is None:
                    raise ValidationError(_("须先录入笔试成绩，才能录入面试成绩"))
                if "interview" not in done:
                    _write_step(actor, a, "interview", on)
                a.interview_score = interview
        except ValidationError as exc:
            errors.append(f"{a.name}：{'；'.join(exc.messages)}")
            continue
        a.save(update_fields=["state", "written_score", "interview_score"])
        changed += 1
    if errors:
        raise ValidationError(errors)
    if changed:
        WorkerPost.objects.filter(pk=post.pk).update(ranked_on=None)
    audit.record(
        actor=actor,
        verb="workers.scores",
        obj=post,
        org_path=post.path,
        note=_("录入成绩 %(n)s 人") % {"n": changed},
    )
    return changed


# ----- ranking --------------------------------------------------------------------------------

# One statement: the total from the round's weights, and the place by the tie rule
# (rules.TIE_RULE), for every scored application of the posts, by a window function.
RANK_SQL = """
UPDATE workers_workerapplication SET total_score = r.total, rank = r.place
FROM (
    SELECT a.id, t.total,
           ROW_NUMBER() OVER (
               PARTITION BY a.post_id
               ORDER BY t.total DESC, a.interview_score DESC, a.written_score DESC,
                        a.applied_at, a.id
           ) AS place
    FROM workers_workerapplication a
    JOIN workers_workerrecruitment w ON w.id = a.recruitment_id
    CROSS JOIN LATERAL (
        SELECT ROUND(a.written_score * w.written_weight
                     + a.interview_score * w.interview_weight, 2) AS total
    ) t
    WHERE a.post_id IN ({posts}) AND a.state IN ({states})
) r
WHERE workers_workerapplication.id = r.id
"""
# SQLite has no LATERAL: the total is written out twice there.
RANK_SQL_SQLITE = """
UPDATE workers_workerapplication SET total_score = r.total, rank = r.place
FROM (
    SELECT a.id,
           ROUND(a.written_score * w.written_weight + a.interview_score * w.interview_weight, 2)
               AS total,
           ROW_NUMBER() OVER (
               PARTITION BY a.post_id
               ORDER BY ROUND(a.written_score * w.written_weight
                              + a.interview_score * w.interview_weight, 2) DESC,
                        a.interview_score DESC, a.written_score DESC, a.applied_at, a.id
           ) AS place
    FROM workers_workerapplication a
    JOIN workers_workerrecruitment w ON w.id = a.recruitment_id
    WHERE a.post_id IN ({posts}) AND a.state IN ({states})
) r
WHERE workers_workerapplication.id = r.id
"""

RANKED_STATES = (AppState.SCORED,)


def rank_posts(post_ids: list[int]) -> int:
    """Rank the scored applications of ``post_ids`` in one statement; the rows it ranked."""
    if not post_ids:
        return 0
    sql = RANK_SQL_SQLITE if connection.vendor == "sqlite" else RANK_SQL
    sql = sql.format(
        posts=", ".join(["%s"] * len(post_ids)), states=", ".join(["%s"] * len(RANKED_STATES))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*post_ids, *[str(s) for s in RANKED_STATES]])
        return cursor.rowcount


@transaction.atomic
def post_rank(*, actor: Actor, post: WorkerPost) -> int:
    """Rank a post's scored applicants: total from the round's weights (two places), ties
    broken by ``rules.TIE_RULE``. Candidates already on notice or hired keep their place."""
    _require_change(actor, post.path)
    if not post.applications.filter(state=AppState.SCORED).exists():
        raise ValidationError(_("该岗位还没有笔试和面试成绩齐全的考生，无法排名"))
    n = rank_posts([post.pk])
    WorkerPost.objects.filter(pk=post.pk).update(ranked_on=clock.today())
    audit.record(
        actor=actor,
        verb="workers.rank",
        obj=post,
        org_path=post.path,
        note=_("排名 %(n)s 人") % {"n": n},
    )
    return n


# ----- public notice, objections, hiring ------------------------------------------------------


@transaction.atomic
def notice_publish(
    *, actor: Actor, post: WorkerPost, on: dt.date | None = None
) -> list[WorkerApplication]:
    """Put the best-ranked candidates on public notice for the free places of the post (the
    first notice, and a replacement's when a place is free again): the notice runs the
    round's working days from the day after ``on``."""
    post = WorkerPost.objects.select_for_update().select_related("recruitment").get(pk=post.pk)
    _require_change(actor, post.path)
    if post.ranked_on is None:
        raise ValidationError(_("须先排名，才能公示"))
    on = on or clock.today()
    free = free_places(post)
    if free <= 0:
        raise ValidationError(_("该岗位名额已满，无需公示"))
    nominees = list(
        post.applications.filter(state=AppState.SCORED, rank__isnull=False)
        .select_related("post", "recruitment")
        .order_by("rank")[:free]
    )
    if not nominees:
        raise ValidationError(_("没有可递补的考生"))
    until = dates.add_days(on, post.recruitment.notice_days, working=True)
    for a in nominees:
        _write_step(actor, a, "notice", on)
        a.notice_from, a.notice_until = on, until
        a.save(update_fields=["state", "notice_from", "notice_until"])
    audit.record(
        actor=actor,
        verb="workers.notice",
        obj=post,
        org_path=post.path,
        note=_("公示 %(n)s 人，%(a)s 至 %(b)s") % {"n": len(nominees), "a": on, "b": until},
    )
    return nominees


@transaction.atomic
def objection_record(
    *,
    actor: Actor,
    application: WorkerApplication,
    content: str,
    received_on: dt.date | None = None,
) -> WorkerObjection:
    """An objection to a candidate on notice, received within the notice period."""
    a = _locked(application)
    _require_change(actor, a.path)
    received_on = received_on or clock.today()
    if a.state != AppState.ON_NOTICE or a.notice_from is None or a.notice_until is None:
        raise ValidationError(_("只能对公示中的人选提出异议"))
    if not a.notice_from <= received_on <= a.notice_until:
        raise ValidationError(
            _("异议须在公示期内（%(a)s 至 %(b)s）提出") % {"a": a.notice_from, "b": a.notice_until}
        )
    if not (content or "").strip():
        raise ValidationError({"content": _("请写明反映的问题")})
    o = WorkerObjection.objects.create(
        application=a, received_on=received_on, content=content.strip()
    )
    audit.record(actor=actor, verb="workers.objection", obj=a, org_path=a.path, note=content[:200])
    return o


@transaction.atomic
def objection_resolve(
    *,
    actor: Actor,
    objection: WorkerObjection,
    upheld: bool,
    resolution: str,
    on: dt.date | None = None,
) -> WorkerObjection:
    """The finding on an objection: upheld, the candidate is not hired (the next in the
    ranking may be put on notice); not upheld, the candidate may be hired."""
    o = WorkerObjection.objects.select_for_update().get(pk=objection.pk)
    a = _locked(o.application)
    _require_change(actor, a.path)
    if not o.is_open:
        raise ValidationError(_("该异议已核查"))
    if not (resolution or "").strip():
        raise ValidationError({"resolution": _("请写明核查结论")})
    on = on or clock.today()
    if on < o.received_on:
        raise ValidationError(_("核查日期不能早于收到异议的日期"))
    o.resolved_on, o.upheld, o.resolution = on, upheld, resolution.strip()
    o.save()
    if upheld:
        _write_step(actor, a, "disqualify", on, note=o.resolution)
        a.save(update_fields=["state"])
    audit.record(
        actor=actor,
        verb="workers.resolve",
        obj=a,
        org_path=a.path,
        after={"upheld": upheld, "resolution": o.resolution},
    )
    return o


@transaction.atomic
def application_hire(
    *, actor: Actor, application: WorkerApplication, on: dt.date | None = None
) -> PartyWorker:
    """Hire a candidate once the notice period has ended (the first working day after it)
    and no objection is open."""
    a = _locked(application)
    _require_change(actor, a.path)
    on = on or clock.today()
    if a.objections.filter(resolved_on__isnull=True).exists():
        raise ValidationError(_("公示期内有尚未核查的异议，核查后才能聘用"))
    _write_step(actor, a, "hire", on)
    a.save(update_fields=["state"])
    w = PartyWorker.objects.create(application=a, path=a.path, name=a.name, hired_on=on)
    audit.record(
        actor=actor, verb="workers.hire", obj=w, org_path=w.path, after={"hired_on": str(on)}
    )
    return w


# ----- training, deployment, leaving ----------------------------------------------------------


def _locked_worker(worker: PartyWorker) -> PartyWorker:
    return (
        PartyWorker.objects.select_for_update()
        .select_related("application__post", "application__recruitment")
        .get(pk=worker.pk)
    )


@transaction.atomic
def training_record(
    *, actor: Actor, worker: PartyWorker, course: str, hours: int, finished_on: dt.date
) -> WorkerTraining:
    """A course a hired worker finished (not before hiring, not in the future)."""
    w = _locked_worker(worker)
    _require_change(actor, w.path)
    if w.until is not None:
        raise ValidationError(_("该党群工作者已离岗"))
    if not (course or "").strip():
        raise ValidationError({"course": _("请填写课程")})
    if hours is None or not 1 <= hours <= 200:
        raise ValidationError({"hours": _("学时须在 1 至 200 之间")})
    if finished_on < w.hired_on or finished_on > clock.today():
        raise ValidationError(
            {"finished_on": _("结业日期须在聘用日期（%(d)s）之后、今天之前") % {"d": w.hired_on}}
        )
    t = WorkerTraining.objects.create(
        worker=w, course=course.strip(), hours=hours, finished_on=finished_on
    )
    audit.record(
        actor=actor,
        verb="workers.training",
        obj=w,
        org_path=w.path,
        after={"course": t.course, "hours": hours},
    )
    return t


@transaction.atomic
def certificate_issue(
    *,
    actor: Actor,
    worker: PartyWorker,
    certificate_no: str,
    on: dt.date | None = None,
    late_reason: str = "",
) -> PartyWorker:
    """The training certificate, once the courses reach the minimum hours; due within two
    months of hiring (later only with a reason)."""
    w = _locked_worker(worker)
    _require_change(actor, w.path)
    on = on or clock.today()
    hours = sum(t.hours for t in w.trainings.all())
    if hours < rules.TRAINING_HOURS_MIN:
        raise ValidationError(
            _("岗前培训共 %(h)s 学时，不足 %(min)s 学时，不能发证")
            % {"h": hours, "min": rules.TRAINING_HOURS_MIN}
        )
    if not (certificate_no or "").strip():
        raise ValidationError({"certificate_no": _("请填写证书编号")})
    a = w.application
    _write_step(actor, a, "train", on, value=hours, reason=late_reason)
    a.save(update_fields=["state"])
    w.certificate_no, w.trained_on = certificate_no.strip(), on
    w.save(update_fields=["certificate_no", "trained_on"])
    audit.record(
        actor=actor,
        verb="workers.certificate",
        obj=w,
        org_path=w.path,
        after={"certificate_no": w.certificate_no, "hours": hours},
    )
    return w


@transaction.atomic
def worker_deploy(
    *,
    actor: Actor,
    worker: PartyWorker,
    org: Organization,
    on: dt.date | None = None,
    late_reason: str = "",
) -> PartyWorker:
    """Put a trained worker in post at an organisation the post serves (within the district);
    due within three months of hiring."""
    w = _locked_worker(worker)
    _require_change(actor, w.path)
    on = on or clock.today()
    a = w.application
    served = list(a.post.serves.values_list("pk", flat=True))
    if not org.path.startswith(w.path):
        raise ValidationError({"org": _("派驻单位须在本区县内")})
    if served and org.pk not in served:
        raise ValidationError({"org": _("派驻单位须是该岗位服务的党组织之一")})
    if org.abolished_on is not None:
        raise ValidationError({"org": _("该组织已撤销")})
    _write_step(actor, a, "deploy", on, reason=late_reason)
    a.save(update_fields=["state"])
    w.org, w.org_path, w.since = org, org.path, on
    w.save(update_fields=["org", "org_path", "since"])
    audit.record(
        actor=actor,
        verb="workers.deploy",
        obj=w,
        org_path=org.path,
        after={"org": org.code, "since": str(on)},
    )
    return w


@transaction.atomic
def worker_leave(
    *, actor: Actor, worker: PartyWorker, reason: str, on: dt.date | None = None
) -> PartyWorker:
    """A worker leaves (with the reason); the place is free for a replacement (the next in
    the post's ranking, put on notice by ``notice_publish``)."""
    w = _locked_worker(worker)
    _require_change(actor, w.path)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请写明离岗原因")})
    on = on or clock.today()
    if w.since and on < w.since:
        raise ValidationError({"on": _("离岗日期不能早于上岗日期")})
    a = w.application
    _write_step(actor, a, "leave", on, note=reason)
    a.save(update_fields=["state"])
    w.until, w.leave_reason = on, reason.strip()
    w.save(update_fields=["until", "leave_reason"])
    audit.record(
        actor=actor,
        verb="workers.leave",
        obj=w,
        org_path=w.path,
        after={"until": str(on), "reason": w.leave_reason},
    )
    return w
