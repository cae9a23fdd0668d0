"""Every read of satisfaction surveys (S23), from ``visible_to``: the surveys under a root, one
survey with its questions and units, the results per unit (responses, the satisfied share with
its Wilson interval, the units to redo the work) in one grouped query, the distribution of each
question's answers, and the comments; and the public's reads (no login), made for hundreds
of answers a second: the token with its survey and unit in one statement, the questions kept
per process under the survey's version."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connections, router
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404

from jiceng.core.scoping import Action, get_visible_or_404
from jiceng.orgs.models import Organization

from . import guard
from .models import (
    Answer,
    Question,
    SatisfactionSurvey,
    SurveyComment,
    SurveyResponse,
    SurveyToken,
    SurveyUnit,
)
from .rules import Interval, QuestionKind, needs_redo, wilson


def survey_list(
    user: Any, *, under: Organization | None = None, state: str = ""
) -> QuerySet[SatisfactionSurvey]:
    """The surveys the user may see (run by organisations of their subtree), newest first."""
    surveys = SatisfactionSurvey.objects.visible_to(user)
    if under is not None:
        surveys = surveys.filter(path__startswith=under.path)
    if state:
        surveys = surveys.filter(state=state)
    return (
        surveys.select_related("owner")
        .annotate(
            unit_count=Count("units", distinct=True),
            response_count=Count("responses", distinct=True),
        )
        .order_by("-opens_on", "-id")
    )


def survey_get(user: Any, pk: Any, action: str = Action.VIEW) -> SatisfactionSurvey:
    """A survey the user may see (or act on); missing and foreign are the same 404."""
    return get_visible_or_404(
        SatisfactionSurvey.objects.select_related("owner"), user, action, pk=pk
    )


def survey_by_key(key: str) -> SatisfactionSurvey:
    """The survey of an open link (public: only while the link is enabled), else 404."""
    survey = SatisfactionSurvey.objects.filter(public_key=key, open_link=True).first()
    if survey is None or not key:
        raise Http404
    return survey


def questions_of(survey: SatisfactionSurvey) -> list[Question]:
    return list(survey.questions.order_by("position", "id"))


def units_of(survey: SatisfactionSurvey) -> QuerySet[SurveyUnit]:
    """The units surveyed with their token counts (made, used)."""
    return (
        survey.units.select_related("org")
        .annotate(
            token_count=Count("tokens", distinct=True),
            used_count=Count("tokens", filter=Q(tokens__used_at__isnull=False), distinct=True),
        )
        .order_by("path", "id")
    )


def unit_get(survey: SatisfactionSurvey, pk: Any) -> SurveyUnit:
    unit = survey.units.select_related("org").filter(pk=pk).first() if str(pk).isdigit() else None
    if unit is None:
        raise Http404
    return unit


def question_get(survey: SatisfactionSurvey, pk: Any) -> Question:
    question = survey.questions.filter(pk=pk).first() if str(pk).isdigit() else None
    if question is None:
        raise Http404
    return question


@dataclass(frozen=True)
class UnitResult:
    unit_id: int
    org_id: int
    name: str
    responses: int  # every response of the unit
    rated: int  # responses that answered the headline rating question
    satisfied: int  # of which at a satisfied level
    share: float | None
    interval: Interval | None
    redo: bool  # below the survey's threshold: redo the work (补课)


def results_by_unit(survey: SatisfactionSurvey) -> list[UnitResult]:
    """For each unit surveyed: responses, the satisfied share of the headline question with its
    95 % Wilson interval, and whether it falls below the threshold. One grouped query over the
    responses (their unit is one of the survey's, so the survey's scope covers them)."""
    counts = {
        row["unit_id"]: row
        for row in SurveyResponse.objects.filter(survey=survey)
        .values("unit_id")
        .annotate(
            n=Count("pk"),
            rated=Count("pk", filter=Q(overall_level__isnull=False)),
            satisfied=Count("pk", filter=Q(overall_level__lt=survey.satisfied_levels)),
        )
        .order_by()
    }
    out = []
    for unit in survey.units.select_related("org").order_by("path", "id"):
        row = counts.get(unit.pk, {"n": 0, "rated": 0, "satisfied": 0})
        rated, satisfied = row["rated"], row["satisfied"]
        out.append(
            UnitResult(
                unit_id=unit.pk,
                org_id=unit.org_id,
                name=unit.org.name,
                responses=row["n"],
                rated=rated,
                satisfied=satisfied,
                share=satisfied / rated if rated else None,
                interval=wilson(satisfied, rated),
                redo=needs_redo(satisfied, rated, survey.threshold_percent),
            )
        )
    return out


def results_total(survey: SatisfactionSurvey, rows: list[UnitResult]) -> dict[str, Any]:
    rated = sum(r.rated for r in rows)
    satisfied = sum(r.satisfied for r in rows)
    return {
        "responses": sum(r.responses for r in rows),
        "rated": rated,
        "satisfied": satisfied,
        "share": satisfied / rated if rated else None,
        "interval": wilson(satisfied, rated),
        "redo_units": sum(1 for r in rows if r.redo),
    }


@dataclass(frozen=True)
class Distribution:
    question: Question
    options: list[tuple[str, int]]  # (label, count)
    answered: int


def distributions(survey: SatisfactionSurvey) -> list[Distribution]:
    """How each rating and choice question was answered over the whole survey (one query)."""
    counts: dict[tuple[int, str, int], int] = {}
    for row in (
        Answer.objects.filter(response__survey=survey)
        .values("question_id", "level", "choice")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["level"] is not None:
            counts[(row["question_id"], "level", row["level"])] = row["n"]
        elif row["choice"] is not None:
            counts[(row["question_id"], "choice", row["choice"])] = row["n"]
    out = []
    for q in questions_of(survey):
        if q.kind == QuestionKind.TEXT:
            continue
        field, labels = (
            ("level", survey.scale) if q.kind == QuestionKind.RATING else ("choice", q.choices)
        )
        options = [(label, counts.get((q.pk, field, i), 0)) for i, label in enumerate(labels)]
        out.append(Distribution(q, options, sum(n for _l, n in options)))
    return out


def comment_list(
    user: Any, *, survey: SatisfactionSurvey | None = None, unit: SurveyUnit | None = None
) -> QuerySet[SurveyComment]:
    """The comments the user may see (placed at the unit surveyed), newest first."""
    comments = SurveyComment.objects.visible_to(user)
    if survey is not None:
        comments = comments.filter(survey=survey)
    if unit is not None:
        comments = comments.filter(unit=unit)
    return comments.select_related("unit__org", "question").order_by("-submitted_at", "-id")


def comment_get(user: Any, pk: Any) -> SurveyComment:
    """One comment the user may see (for the apps that link to comments)."""
    return get_visible_or_404(
        SurveyComment.objects.select_related("survey", "unit__org", "question"), user, pk=pk
    )


# ----- the public's pages (no login) -------------------------------------------------------------
# A token link is opened and answered by the public at hundreds of answers a second (issue 21),
# where building a query through the ORM costs several times what the database takes to answer
# it. So the token is read by one hand-written statement whose columns come from the models'
# own fields, and its rows are turned into model instances with the converters the ORM itself
# would apply; the questions are kept per process.


@dataclass(frozen=True)
class _Columns:
    """One model's columns in a hand-written SELECT (all its concrete fields, under ``alias``),
    and how a row's values become an instance: each value passes the converters the ORM's
    compiler would apply on this database (dates on SQLite, JSON), then ``Model.from_db``."""

    model: type[Model]
    sql: str
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    @classmethod
    def of(cls, model: type[Model], alias: str, db: str) -> _Columns:
        connection = connections[db]
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        converters = []
        for i, field in enumerate(fields):
            col = field.get_col(alias)
            found = (
                *connection.ops.get_db_converters(col),
                *field.get_db_converters(connection),
            )
            if found:
                converters.append((i, found, col))
        return cls(
            model=model,
            # (a concrete field always has its column)
            sql=", ".join(f"{alias}.{quote(cast(str, f.column))}" for f in fields),
            names=tuple(f.attname for f in fields),
            converters=tuple(converters),
        )

    def __len__(self) -> int:
        return len(self.names)

    def build(self, db: str, values: Sequence[Any]) -> Any:
        row = list(values)
        connection = connections[db]
        for i, converters, col in self.converters:
            for convert in converters:
                row[i] = convert(row[i], col, connection)
        return self.model.from_db(db, self.names, row)


@functools.cache
def _token_statement(db: str) -> tuple[str, _Columns, _Columns, _Columns]:
    token = _Columns.of(SurveyToken, "t", db)
    survey = _Columns.of(SatisfactionSurvey, "s", db)
    unit = _Columns.of(SurveyUnit, "u", db)
    quote = connections[db].ops.quote_name
    sql = (
        f"SELECT {token.sql}, {survey.sql}, {unit.sql}, o.{quote('name')} "  # noqa: S608
        f"FROM {quote(SurveyToken._meta.db_table)} t "
        f"JOIN {quote(SatisfactionSurvey._meta.db_table)} s ON s.id = t.survey_id "
        f"JOIN {quote(SurveyUnit._meta.db_table)} u ON u.id = t.unit_id "
        f"JOIN {quote(Organization._meta.db_table)} o ON o.id = u.org_id "
        "WHERE t.token_hash = %s"
    )
    return sql, token, survey, unit


def token_find(token: str) -> SurveyToken | None:
    """The token row of a token as printed (no login: the token is the credential), with its
    survey and unit loaded and the unit's organisation's name as ``unit_name`` (the page shows
    only the name), in one statement; ``None`` for a token that is not one."""
    if not token or len(token) > 64:
        return None
    db = router.db_for_read(SurveyToken) or "default"
    sql, token_cols, survey_cols, unit_cols = _token_statement(db)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [guard.token_hash(token)])
        values = cursor.fetchone()
    if values is None:
        return None
    a, b = len(token_cols), len(token_cols) + len(survey_cols)
    row = token_cols.build(db, values[:a])
    row.survey = survey_cols.build(db, values[a:b])
    row.unit = unit_cols.build(db, values[b:-1])
    row.unit_name = values[-1]
    return row


def public_questions(survey: SatisfactionSurvey) -> tuple[Question, ...]:
    """The survey's questions in order, read once per process for each version of them (the
    database adds one to ``version`` whenever a question changes). Shared between requests:
    never changed by their readers."""
    db = router.db_for_read(Question) or "default"
    return _questions(db, survey.pk, survey.public_key, survey.version)


# Keyed by the public key as well: it is drawn at random for each survey, so a survey id used
# again (a test database rolled back) never meets another survey's questions.
@functools.lru_cache(maxsize=256)
def _questions(db: str, survey_id: int, public_key: str, version: int) -> tuple[Question, ...]:
    return tuple(Question.objects.using(db).filter(survey_id=survey_id).order_by("position", "id"))
