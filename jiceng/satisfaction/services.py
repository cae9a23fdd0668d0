"""Every write of satisfaction surveys (S23): a survey created and edited by its organisation,
questions and units set while it is a draft, tokens generated per unit, opened and closed
(officers' writes: keyword-only, atomic, audited); and the public's response, by a token that
only the submitting POST consumes, or by the open link.

A public response is not written to the audit log: the audit row carries the client's address,
which would tie an anonymous answer to an address. The response row (and its token's
``used_at``) is the record of it."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, clock, tree
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.orgs.models import Organization

from . import guard
from .models import (
    Question,
    SatisfactionSurvey,
    SurveyResponse,
    SurveyToken,
    SurveyUnit,
)
from .rules import (
    CHOICES_MAX,
    EDITABLE_STATES,
    QUESTIONS_MAX,
    SCALE_MAX,
    SCALE_MIN,
    TARGET_STATE,
    TEXT_ANSWER_MAX,
    TOKEN_STATES,
    TOKENS_PER_UNIT_MAX,
    TRANSITIONS,
    UNITS_MAX,
    Channel,
    QuestionKind,
    SurveyState,
)
from .selectors import token_find as token_find  # the public's token, read for its POST

SURVEY_FIELDS = (
    "owner",
    "title",
    "opens_on",
    "closes_on",
    "state",
    "scale",
    "satisfied_levels",
    "threshold_percent",
    "open_link",
)
EDITABLE = (
    "title",
    "intro",
    "opens_on",
    "closes_on",
    "scale",
    "satisfied_levels",
    "threshold_percent",
    "open_link",
)
# Settings that change what answers mean: fixed once the survey has been opened.
FIXED_AFTER_OPENING = ("scale", "satisfied_levels")


class AlreadySubmittedError(ValidationError):
    """The token has been used: the public page says so kindly."""


# ----- who may do what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyRights:
    """What an actor may do with a survey now: the pages show these buttons and forms, and the
    services refuse the rest with their own words."""

    change: bool  # edit the survey's settings
    design: bool  # questions and units (a draft only)
    tokens: bool  # generate and print tokens
    actions: tuple[str, ...]  # open / close, as the state allows


def survey_rights(actor: Actor, survey: SatisfactionSurvey) -> SurveyRights:
    owner_side = actor is None or can(actor, Action.CHANGE, survey.path)
    return SurveyRights(
        change=owner_side and survey.state != SurveyState.CLOSED,
        design=owner_side and survey.state in EDITABLE_STATES,
        tokens=owner_side,
        actions=tuple(a for a, src in TRANSITIONS.items() if owner_side and survey.state in src),
    )


def _require_owner(actor: Actor, survey: SatisfactionSurvey) -> None:
    require(actor, Action.CHANGE, survey.path, _("只有测评组织单位及其上级可以修改该测评"))


def _require_draft(survey: SatisfactionSurvey) -> None:
    if survey.state not in EDITABLE_STATES:
        raise ValidationError(_("测评已开始，题目和被测评单位不能再修改"))


def _locked(survey: SatisfactionSurvey) -> SatisfactionSurvey:
    return SatisfactionSurvey.objects.select_for_update().get(pk=survey.pk)


def _new_public_key() -> str:
    return guard.new_nonce() + guard.new_nonce()[:8]


# ----- the survey --------------------------------------------------------------------------------


def _clean_scale(scale: Sequence[str] | str | None) -> list[str]:
    if isinstance(scale, str):
        scale = [s for s in (p.strip() for p in scale.replace("，", ",").split(",")) if s]
    levels = [str(s).strip() for s in (scale or []) if str(s).strip()]
    if not SCALE_MIN <= len(levels) <= SCALE_MAX:
        raise ValidationError(
            {"scale": _("评价等级须为%(a)d至%(b)d个") % {"a": SCALE_MIN, "b": SCALE_MAX}}
        )
    if len(set(levels)) != len(levels) or any(len(s) > 20 for s in levels):
        raise ValidationError({"scale": _("评价等级不能重复，每个不超过20字")})
    return levels


def _clean_survey(survey: SatisfactionSurvey) -> None:
    survey.title = (survey.title or "").strip()
    survey.intro = (survey.intro or "").strip()
    if not survey.title:
        raise ValidationError({"title": _("请填写测评名称")})
    survey.scale = _clean_scale(survey.scale)
    if not 1 <= survey.satisfied_levels < len(survey.scale):
        raise ValidationError(
            {"satisfied_levels": _("计为满意的等级数须至少为1，且少于评价等级数")}
        )
    if not 1 <= survey.threshold_percent <= 100:
        raise ValidationError({"threshold_percent": _("补课线须在1%至100%之间")})
    if survey.opens_on and survey.closes_on and survey.closes_on < survey.opens_on:
        raise ValidationError({"closes_on": _("截止日期不能早于开始日期")})


@transaction.atomic
def survey_create(
    *,
    actor: Actor,
    owner: Organization,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    intro: str = "",
    scale: Sequence[str] | str | None = None,
    satisfied_levels: int | None = None,
    threshold_percent: int | None = None,
    open_link: bool = False,
) -> SatisfactionSurvey:
    """An organisation sets up a satisfaction survey of units in its subtree (S23); the scale
    defaults to the 2005 campaign's 满意 / 基本满意 / 不满意 and the redo line to 60 %."""
    require(actor, Action.CHANGE, owner.path, _("只能为本人管辖范围内的组织组织测评"))
    if owner.is_abolished:
        raise ValidationError({"owner": _("该组织已撤销")})
    survey = SatisfactionSurvey(
        owner=owner,
        path=owner.path,
        title=title,
        intro=intro,
        opens_on=opens_on,
        closes_on=closes_on,
        open_link=open_link,
        public_key=_new_public_key(),
        created_by=actor_user(actor),
        created_at=timezone.now(),
    )
    if scale:
        survey.scale = scale
    if satisfied_levels is not None:
        survey.satisfied_levels = satisfied_levels
    if threshold_percent is not None:
        survey.threshold_percent = threshold_percent
    _clean_survey(survey)
    survey.save()
    audit.record(
        actor=actor,
        verb="create",
        obj=survey,
        org_path=survey.path,
        after=audit.snapshot(survey, SURVEY_FIELDS),
    )
    return survey


@transaction.atomic
def survey_edit(*, actor: Actor, survey: SatisfactionSurvey, **changes: Any) -> SatisfactionSurvey:
    """Change a survey's settings; the scale and what counts as satisfied only before it is
    first opened (answers given would otherwise mean something else)."""
    _require_owner(actor, survey)
    survey = _locked(survey)
    if survey.state == SurveyState.CLOSED:
        raise ValidationError(_("测评已结束，不能再修改"))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改：%(f)s") % {"f": "、".join(sorted(unknown))})
    before = audit.snapshot(survey, SURVEY_FIELDS)
    for name, value in changes.items():
        if name == "scale":
            value = _clean_scale(value)
        if (
            name in FIXED_AFTER_OPENING
            and survey.state not in EDITABLE_STATES
            and value != getattr(survey, name)
        ):
            raise ValidationError({name: _("测评已开始，评价等级不能再修改")})
        setattr(survey, name, value)
    _clean_survey(survey)
    survey.save()
    audit.record(
        actor=actor,
        verb="update",
        obj=survey,
        org_path=survey.path,
        before=before,
        after=audit.snapshot(survey, SURVEY_FIELDS),
    )
    return survey


@transaction.atomic
def survey_act(*, actor: Actor, survey: SatisfactionSurvey, action: str) -> SatisfactionSurvey:
    """Open a survey (it needs a rating question and at least one unit) or close it."""
    _require_owner(actor, survey)
    survey = _locked(survey)
    if action not in TRANSITIONS:
        raise ValidationError(_("不支持的操作"))
    if survey.state not in TRANSITIONS[action]:
        raise ValidationError(
            _("该测评%(state)s，不能执行此操作") % {"state": survey.get_state_display()}
        )
    if action == "open":
        if not survey.questions.filter(kind=QuestionKind.RATING).exists():
            raise ValidationError(_("请先添加至少一道满意度评价题"))
        if not survey.units.exists():
            raise ValidationError(_("请先选择被测评单位"))
    before = audit.snapshot(survey, SURVEY_FIELDS)
    survey.state = TARGET_STATE[action]
    survey.save(update_fields=["state"])
    audit.record(
        actor=actor,
        verb="update",
        obj=survey,
        org_path=survey.path,
        before=before,
        after=audit.snapshot(survey, SURVEY_FIELDS),
        note=action,
    )
    return survey


# ----- questions ---------------------------------------------------------------------------------


def _clean_choices(choices: Sequence[str] | str | None) -> list[str]:
    if isinstance(choices, str):
        choices = choices.splitlines()
    out = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if not 2 <= len(out) <= CHOICES_MAX:
        raise ValidationError({"choices": _("单项选择题须有2至12个选项，每行一个")})
    if len(set(out)) != len(out) or any(len(c) > 50 for c in out):
        raise ValidationError({"choices": _("选项不能重复，每个不超过50字")})
    return out


@transaction.atomic
def question_add(
    *,
    actor: Actor,
    survey: SatisfactionSurvey,
    kind: str,
    text: str,
    choices: Sequence[str] | str | None = None,
    required: bool = True,
) -> Question:
    """Add a question at the end. The first rating question is the survey's headline
    (总体评价): its answers give each unit's satisfied share."""
    _require_owner(actor, survey)
    survey = _locked(survey)
    _require_draft(survey)
    text = (text or "").strip()
    if not text or len(text) > 200:
        raise ValidationError({"text": _("请填写题目（不超过200字）")})
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("题型不正确")})
    clean = _clean_choices(choices) if kind == QuestionKind.CHOICE else []
    if survey.questions.count() >= QUESTIONS_MAX:
        raise ValidationError(_("每份测评最多%(n)d道题") % {"n": QUESTIONS_MAX})
    last = survey.questions.aggregate(m=Max("position"))["m"] or 0
    question = Question.objects.create(
        survey=survey,
        position=last + 1,
        kind=kind,
        text=text,
        choices=clean,
        required=required,
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=question,
        org_path=survey.path,
        after={"survey": survey.pk, "kind": kind, "text": text, "choices": clean},
    )
    return question


@transaction.atomic
def question_remove(*, actor: Actor, question: Question) -> None:
    survey = question.survey
    _require_owner(actor, survey)
    _require_draft(_locked(survey))
    audit.record(
        actor=actor,
        verb="delete",
        obj=question,
        org_path=survey.path,
        before={"survey": survey.pk, "kind": question.kind, "text": question.text},
    )
    question.delete()


@transaction.atomic
def question_move(*, actor: Actor, question: Question, direction: str) -> Question:
    """Move a question one place up or down (swapping with its neighbour); the first rating
    question is the headline, so the order matters."""
    survey = question.survey
    _require_owner(actor, survey)
    _require_draft(_locked(survey))
    if direction not in ("up", "down"):
        raise ValidationError(_("不支持的操作"))
    ordered = list(survey.questions.order_by("position", "id"))
    i = next(n for n, q in enumerate(ordered) if q.pk == question.pk)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(ordered):
        return question
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for position, q in enumerate(ordered, 1):
        q.position = position
    Question.objects.bulk_update(ordered, ["position"])
    audit.record(
        actor=actor,
        verb="update",
        obj=survey,
        org_path=survey.path,
        after={"question_order": [q.pk for q in ordered]},
    )
    return next(q for q in ordered if q.pk == question.pk)


# ----- units -------------------------------------------------------------------------------------


@transaction.atomic
def units_add(
    *, actor: Actor, survey: SatisfactionSurvey, orgs: Iterable[Organization]
) -> list[SurveyUnit]:
    """Survey these organisations (each in the owner's subtree, not abolished); one already
    surveyed is left as it is. Returns the units added."""
    _require_owner(actor, survey)
    survey = _locked(survey)
    _require_draft(survey)
    orgs = list(dict.fromkeys(orgs))
    for org in orgs:
        if not tree.within(org.path, survey.path):
            raise ValidationError(_("%(name)s 不在测评组织单位的下级范围内") % {"name": org.name})
        if actor is not None and not can(actor, Action.VIEW, org.path):
            raise ValidationError(_("找不到该组织，或不在您的管辖范围内"))
        if org.is_abolished:
            raise ValidationError(_("%(name)s 已撤销") % {"name": org.name})
    have = set(survey.units.values_list("org_id", flat=True))
    new = [SurveyUnit(survey=survey, org=o, path=o.path) for o in orgs if o.pk not in have]
    if len(have) + len(new) > UNITS_MAX:
        raise ValidationError(_("每份测评最多%(n)d个被测评单位") % {"n": UNITS_MAX})
    SurveyUnit.objects.bulk_create(new)
    if new:
        audit.record(
            actor=actor,
            verb="update",
            obj=survey,
            org_path=survey.path,
            after={"units_added": [u.org_id for u in new]},
        )
    return new


@transaction.atomic
def unit_remove(*, actor: Actor, unit: SurveyUnit) -> None:
    survey = unit.survey
    _require_owner(actor, survey)
    _require_draft(_locked(survey))
    if unit.responses.exists():
        raise ValidationError(_("该单位已有答卷，不能移出"))
    audit.record(
        actor=actor,
        verb="update",
        obj=survey,
        org_path=survey.path,
        before={"units_removed": [unit.org_id]},
    )
    unit.delete()


# ----- tokens ------------------------------------------------------------------------------------


@transaction.atomic
def tokens_generate(
    *,
    actor: Actor,
    survey: SatisfactionSurvey,
    per_unit: int,
    units: Sequence[SurveyUnit] | None = None,
) -> int:
    """Generate ``per_unit`` single-use tokens for each unit (all of the survey's, or the
    ones given); returns how many were made. Only their hashes are stored."""
    _require_owner(actor, survey)
    survey = _locked(survey)
    if survey.state not in TOKEN_STATES:
        raise ValidationError(_("测评已结束，不能再生成测评码"))
    if not 1 <= per_unit <= TOKENS_PER_UNIT_MAX:
        raise ValidationError(
            {"per_unit": _("每个单位一次生成1至%(n)d个") % {"n": TOKENS_PER_UNIT_MAX}}
        )
    chosen = list(units) if units is not None else list(survey.units.all())
    if not chosen:
        raise ValidationError(_("请先选择被测评单位"))
    if any(u.survey_id != survey.pk for u in chosen):
        raise ValidationError(_("该单位不属于本次测评"))
    now = timezone.now()
    rows = []
    for unit in chosen:
        for _i in range(per_unit):
            nonce = guard.new_nonce()
            rows.append(
                SurveyToken(
                    survey=survey,
                    unit=unit,
                    nonce=nonce,
                    token_hash=guard.token_hash(guard.token_for(survey.pk, nonce)),
                    created_at=now,
                )
            )
    SurveyToken.objects.bulk_create(rows, batch_size=1000)
    audit.record(
        actor=actor,
        verb="create",
        obj=survey,
        org_path=survey.path,
        note=_("生成测评码 %(n)d 个（%(u)d 个单位，每个单位 %(p)d 个）")
        % {"n": len(rows), "u": len(chosen), "p": per_unit},
    )
    return len(rows)


def tokens_print(*, actor: Actor, survey: SatisfactionSurvey, unit: SurveyUnit) -> list[str]:
    """The unused tokens of a unit in clear, for its printed sheet; audited like an export
    (whoever holds a sheet can answer for the unit)."""
    _require_owner(actor, survey)
    if unit.survey_id != survey.pk:
        raise ValidationError(_("该单位不属于本次测评"))
    nonces = list(unit.tokens.filter(used_at__isnull=True).values_list("nonce", flat=True))
    audit.record(
        actor=actor,
        verb="export",
        obj=survey,
        org_path=unit.path,
        note=_("打印测评码 %(n)d 个：%(unit)s") % {"n": len(nonces), "unit": unit.org.name},
    )
    return [guard.token_for(survey.pk, n) for n in nonces]


# ----- the public's response ----------------------------------------------------------------------


def survey_accepts(survey: SatisfactionSurvey, today: dt.date | None = None) -> str | None:
    """Why the survey takes no answers now (for the public page), or ``None`` when it does."""
    today = today or clock.today()
    if survey.state == SurveyState.DRAFT or today < survey.opens_on:
        return _("本次测评尚未开始")
    if survey.state == SurveyState.CLOSED or today > survey.closes_on:
        return _("本次测评已结束，感谢您的关注")
    return None


@dataclass(frozen=True)
class _Cleaned:
    """A response's answers, checked: (question id, level, choice) of each rating and choice
    answered, (question id, text) of each comment, and the headline rating's level."""

    answers: list[tuple[int, int | None, int | None]]
    texts: list[tuple[int, str]]
    overall: int | None


_NO_NULL = ProhibitNullCharactersValidator()


def _clean_answers(
    survey: SatisfactionSurvey, questions: Sequence[Question], answers: Mapping[int, Any]
) -> _Cleaned:
    """Answers keyed by question id: a level (rating) or a choice (choice), each the index of
    an option as a number or as posted, or text. Accepts exactly what the public form accepts,
    so the page may post straight here and build its form only to show a refusal."""
    rows: list[tuple[int, int | None, int | None]] = []
    texts: list[tuple[int, str]] = []
    overall: int | None = None
    headline = next((q for q in questions if q.kind == QuestionKind.RATING), None)
    for q in questions:
        value = answers.get(q.pk)
        if value in (None, ""):
            if q.required:
                raise ValidationError({f"q{q.pk}": _("请回答此题")})
            continue
        if q.kind == QuestionKind.TEXT:
            text = str(value).strip()
            if len(text) > TEXT_ANSWER_MAX:
                raise ValidationError({f"q{q.pk}": _("请不超过1000字")})
            try:
                _NO_NULL(text)  # the database refuses them in text
            except ValidationError as exc:
                raise ValidationError({f"q{q.pk}": exc.messages}) from None
            if text:
                texts.append((q.pk, text))
            elif q.required:
                raise ValidationError({f"q{q.pk}": _("请回答此题")})
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            raise ValidationError({f"q{q.pk}": _("请选择一个选项")}) from None
        size = len(survey.scale) if q.kind == QuestionKind.RATING else len(q.choices)
        # As posted, an option is its number exactly as the form writes it ("1", not " 1",
        # "01" or "١"): what the form accepts and nothing more.
        if not 0 <= index < size or (isinstance(value, str) and value != str(index)):
            raise ValidationError({f"q{q.pk}": _("请选择一个选项")})
        if q.kind == QuestionKind.RATING:
            rows.append((q.pk, index, None))
            if q is headline:
                overall = index
        else:
            rows.append((q.pk, None, index))
    return _Cleaned(rows, texts, overall)


def _questions(
    survey: SatisfactionSurvey, questions: Sequence[Question] | None
) -> Sequence[Question]:
    """The survey's questions in order: those the caller has already read (the public page
    builds its form from them), else read here."""
    if questions is None:
        return list(survey.questions.all())
    if any(q.survey_id != survey.pk for q in questions):
        raise ValidationError(_("题目不属于本次测评"))
    return questions


# A submission by token may be committed without waiting for the write-ahead log to reach
# the disk (PostgreSQL's asynchronous commit, for its own transaction only), when the
# operator turns it on (``SATISFACTION_ASYNC_COMMIT``, env JICENG_SATISFACTION_ASYNC_COMMIT=1;
# off by default): a sync worker otherwise sits idle for the disk's flush (≈3 ms here) on
# every answer, which with two workers caps the rate below the 300 a second asked for
# (issue 21; bench/BENCHMARKS.md). What it risks: if the database server itself crashes, the
# answers of its last moments (at most 3 × wal_writer_delay, 0.6 s by default) are lost, each
# together with its token's spending, so the database stays consistent and those tokens can
# answer again; a crash of the application loses nothing. No other write of the site is ever
# committed so.


def _async_commit() -> bool:
    return bool(getattr(settings, "SATISFACTION_ASYNC_COMMIT", False))


# The public's writes are the busiest of the site (issue 21: hundreds of answers a second on
# two processes), where building each statement through the ORM costs several times what the
# database takes to run it, and each round trip to the database costs the process more than
# the statement. So they are plain SQL, with values adapted by the backend as the ORM would:
# on PostgreSQL one statement spends the token and stores the response, its answers and its
# comments (atomic by itself: no transaction to open and commit); elsewhere the same in a
# transaction, one statement each. Only placeholders are ever added to these texts.

_SPEND = "UPDATE satisfaction_surveytoken SET used_at = %s WHERE id = %s AND used_at IS NULL"
_RESPONSE = (
    "INSERT INTO satisfaction_surveyresponse "
    "(survey_id, unit_id, path, token_id, channel, overall_level, submitted_at) "
)
_ANSWERS = "INSERT INTO satisfaction_answer (response_id, question_id, level, choice) "
_COMMENTS = (
    "INSERT INTO satisfaction_surveycomment "
    "(survey_id, unit_id, response_id, question_id, path, text, submitted_at) "
)
# PostgreSQL: the values' types are spelt out (a NULL in VALUES has none); text for the
# character columns, since a cast to varchar(n) would cut a longer value instead of refusing.
_AT_ONCE = (
    "WITH spent AS (UPDATE satisfaction_surveytoken SET used_at = %s "
    "WHERE id = %s AND used_at IS NULL{quick} RETURNING id), "
    "response AS (INSERT INTO satisfaction_surveyresponse "
    "(survey_id, unit_id, path, token_id, channel, overall_level, submitted_at) "
    "SELECT %s::bigint, %s::bigint, %s::text, spent.id, %s::text, %s::smallint, "
    "%s::timestamptz FROM spent RETURNING id)"
)
_AT_ONCE_ANSWERS = (
    ", answers AS (INSERT INTO satisfaction_answer (response_id, question_id, level, choice) "
    "SELECT response.id, a.q, a.l, a.c FROM response, (VALUES {rows}) AS a (q, l, c))"
)
_AT_ONCE_ANSWER = "(%s::bigint, %s::smallint, %s::smallint)"
_AT_ONCE_COMMENTS = (
    ", comments AS (INSERT INTO satisfaction_surveycomment "
    "(survey_id, unit_id, response_id, question_id, path, text, submitted_at) "
    "SELECT %s::bigint, %s::bigint, response.id, c.q, %s::text, c.t, %s::timestamptz "
    "FROM response, (VALUES {rows}) AS c (q, t))"
)
_AT_ONCE_COMMENT = "(%s::bigint, %s::text)"
# An asynchronous commit for this statement's own transaction only (``set_config(…, true)``):
# see ``_async_commit``.
_AT_ONCE_QUICK = " AND set_config('synchronous_commit', 'off', true) = 'off'"


@functools.cache
def _at_once_sql(answers: int, comments: int, quick: bool) -> str:
    """PostgreSQL: spend the token and store the response with ``answers`` answers and
    ``comments`` comments in one statement, returning the response's id (no row when the
    token was spent already: then nothing is stored); ``quick``: committed asynchronously."""
    sql = _AT_ONCE.format(quick=_AT_ONCE_QUICK if quick else "")
    if answers:
        sql += _AT_ONCE_ANSWERS.format(rows=", ".join([_AT_ONCE_ANSWER] * answers))
    if comments:
        sql += _AT_ONCE_COMMENTS.format(rows=", ".join([_AT_ONCE_COMMENT] * comments))
    return sql + " SELECT id FROM response"  # noqa: S608


def _values(rows: int, width: int) -> str:
    return "VALUES " + ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * rows)


@dataclass(frozen=True)
class _Row:
    """What a response row is made of, adapted for the database."""

    survey: int
    unit: int
    path: str
    token: int | None
    channel: str
    at: Any  # submitted_at, as the backend takes it


def _at_once_params(row: _Row, cleaned: _Cleaned) -> list[Any]:
    """The values of ``_at_once_sql``'s placeholders, in their order."""
    params: list[Any] = [row.at, row.token, row.survey, row.unit, row.path, row.channel]
    params += [cleaned.overall, row.at, *(v for answer in cleaned.answers for v in answer)]
    if cleaned.texts:
        params += [row.survey, row.unit, row.path, row.at]
        params += [v for text in cleaned.texts for v in text]
    return params


def _store_at_once(cursor: Any, row: _Row, cleaned: _Cleaned) -> int | None:
    """PostgreSQL, with a token: one statement; the response's id, or ``None`` when the token
    was spent already. Committed asynchronously (``_async_commit``) when it is its own
    transaction, never inside a caller's (whose other writes it would take along)."""
    quick = _async_commit() and not cursor.db.in_atomic_block
    sql = _at_once_sql(len(cleaned.answers), len(cleaned.texts), quick)
    cursor.execute(sql, _at_once_params(row, cleaned))
    found = cursor.fetchone()
    return None if found is None else found[0]


def _store_each(cursor: Any, row: _Row, cleaned: _Cleaned) -> int | None:
    """Elsewhere (and the open link's, which spends no token): one statement each, in the
    caller's transaction."""
    if row.token is not None:
        cursor.execute(_SPEND, [row.at, row.token])
        if cursor.rowcount != 1:
            return None
    cursor.execute(
        _RESPONSE + _values(1, 7) + " RETURNING id",
        [row.survey, row.unit, row.path, row.token, row.channel, cleaned.overall, row.at],
    )
    (response_id,) = cursor.fetchone()
    if cleaned.answers:
        cursor.execute(
            _ANSWERS + _values(len(cleaned.answers), 4),
            [v for answer in cleaned.answers for v in (response_id, *answer)],
        )
    if cleaned.texts:
        cursor.execute(
            _COMMENTS + _values(len(cleaned.texts), 7),
            [
                v
                for q, text in cleaned.texts
                for v in (row.survey, row.unit, response_id, q, row.path, text, row.at)
            ],
        )
    return int(response_id)


def _store(
    *,
    survey: SatisfactionSurvey,
    unit: SurveyUnit,
    channel: str,
    token: SurveyToken | None,
    cleaned: _Cleaned,
) -> SurveyResponse | None:
    """Spend ``token`` (if any) and store the response; ``None`` when the token was spent
    already (then nothing is stored). Atomic: one statement on PostgreSQL, a transaction
    elsewhere; inside a caller's transaction a savepoint either way, so that a refusal leaves
    the caller's transaction usable."""
    db = router.db_for_write(SurveyResponse) or "default"
    connection = connections[db]
    now = timezone.now()
    row = _Row(
        survey=survey.pk,
        unit=unit.pk,
        path=unit.path,
        token=token.pk if token is not None else None,
        channel=channel,
        at=connection.ops.adapt_datetimefield_value(now),
    )
    at_once = connection.vendor == "postgresql" and token is not None
    atomic = not at_once or connection.in_atomic_block
    with (
        transaction.atomic(using=db) if atomic else contextlib.nullcontext(),
        connection.cursor() as cursor,
    ):
        store = _store_at_once if at_once else _store_each
        response_id = store(cursor, row, cleaned)
    if response_id is None:
        return None
    return SurveyResponse(
        id=response_id,
        survey=survey,
        unit=unit,
        path=unit.path,
        token=token,
        channel=channel,
        overall_level=cleaned.overall,
        submitted_at=now,
    )


def response_submit(
    *,
    actor: Actor,
    token: SurveyToken,
    answers: Mapping[int, Any],
    questions: Sequence[Question] | None = None,
) -> SurveyResponse:
    """The public answers by a single-use token (no login). The token is consumed here and
    only here, atomically with the response, by a conditional UPDATE: of two submissions
    racing with one token exactly one is stored; the other is refused with
    ``AlreadySubmittedError``. Answers are checked first, so a refused form keeps the token.
    ``questions``: the survey's questions when the caller has read them already (the page),
    so a submission reads them once."""
    survey = token.survey
    reason = survey_accepts(survey)
    if reason:
        raise ValidationError(reason)
    # refuse a bad form before spending the token
    cleaned = _clean_answers(survey, _questions(survey, questions), answers)
    try:
        response = _store(
            survey=survey, unit=token.unit, channel=Channel.TOKEN, token=token, cleaned=cleaned
        )
    except IntegrityError:
        # The one-response-per-token constraint, as a last guard (the store is rolled back
        # whole).
        response = None
    if response is None:
        raise AlreadySubmittedError(_("此问卷已提交，感谢您的参与"))
    return response


@transaction.atomic
def response_submit_open(
    *,
    actor: Actor,
    survey: SatisfactionSurvey,
    unit: SurveyUnit,
    answers: Mapping[int, Any],
    questions: Sequence[Question] | None = None,
) -> SurveyResponse:
    """The public answers through the survey's open link (the page has already passed the rate
    limit, the honeypot and the captcha); ``questions`` as for ``response_submit``."""
    if not survey.open_link:
        raise ValidationError(_("本次测评未开放公开链接"))
    reason = survey_accepts(survey)
    if reason:
        raise ValidationError(reason)
    if unit.survey_id != survey.pk:
        raise ValidationError({"unit": _("请选择被测评单位")})
    cleaned = _clean_answers(survey, _questions(survey, questions), answers)
    response = _store(
        survey=survey, unit=unit, channel=Channel.OPEN_LINK, token=None, cleaned=cleaned
    )
    assert response is not None  # noqa: S101  (no token to have been spent)
    return response
