"""A small stage engine: staged pipelines whose steps have an order, time limits and the
level that takes them, written as a rule table with the article each rule comes from.

Two pipelines run on it (issue 23): recruiting party-mass workers (``workers``, S3) and
developing new members from application to full membership (``development``, 《中国共产党发展
党员工作细则》). An app declares its steps once::

    PIPELINE = Pipeline(
        source="《中国共产党发展党员工作细则》", version="2014", effective=dt.date(2014, 6, 10),
        steps=(
            Step("apply", _("递交入党申请书"), "applicant", "第五条"),
            Step("talk", _("党组织派人谈话"), "applicant", "第七条", requires=("apply",),
                 latest=Wait("apply", months=1)),
            ...
        ),
    )

and keeps, per case, the steps taken as :class:`Record` rows (its own model). The services ask
:meth:`Pipeline.check` before they write a step (out of order, repeated, too early, or late
without a reason: refused with the rule's article, :class:`StepError`), the pages ask
:meth:`Pipeline.open_steps` for what may be done next and by when, and the worklists read the
case's next due date that the services store from :meth:`Pipeline.next_due`, so "due" and
"overdue" are one indexed range however many cases there are.

Time limits count as the rule says: months to the same day (or the month's last day), calendar
days from the day after the anchor, or China's working days (``core.dates``). A limit passed is
overdue; the step can still be recorded, but only with a reason (the officer's words are kept
on the record). A step that may not come before a time (``earliest``: at least a year as an
activist) is refused before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiceng.core import dates


class StepError(ValidationError):
    """A step the rules do not allow now; the message names the rule and its article."""


@dataclass(frozen=True)
class Wait:
    """A span counted from the latest record of step ``anchor``: ``months`` (to the same day),
    then calendar ``days``, then ``working_days``. ``plus`` names a step whose recorded
    ``value`` is added in months (a probation extended by six months)."""

    anchor: str
    months: int = 0
    days: int = 0
    working_days: int = 0
    plus: str | None = None

    def after(self, records: Records) -> dt.date | None:
        start = records.last(self.anchor)
        if start is None:
            return None
        months = self.months + (records.value(self.plus) or 0 if self.plus else 0)
        day = dates.add_months(start, months)
        day = dates.add_days(day, self.days)
        return dates.add_days(day, self.working_days, working=True)


@dataclass(frozen=True)
class Step:
    """One step of a pipeline.

    ``requires``: steps that must all be done first; ``requires_any``: at least one of them.
    ``until``: once one of these is done this step is closed (activists' half-yearly
    assessment ends when they become candidates). ``earliest``/``latest``: not before / due by.
    ``every``: a repeating step due again this many months after its last record.
    ``ends``: recording it ends the case (full membership, cancellation, hired, refused).
    ``by``: the level that takes it, read by the app (``"branch"``, ``"above"``, …).
    ``optional``: may be taken but is never listed as due (an extension).
    ``confirmed``: False when the article could not be checked against the text (shown 待核).
    """

    code: str
    label: Any
    stage: str
    article: str
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    until: tuple[str, ...] = ()
    earliest: Wait | None = None
    latest: Wait | None = None
    every: int = 0
    ends: bool = False
    by: str = "branch"
    optional: bool = False
    confirmed: bool = True

    @property
    def repeats(self) -> bool:
        return self.every > 0


@dataclass(frozen=True)
class Record:
    """A step taken on a day; ``value`` is the number the step carries, if any (months of an
    extension)."""

    step: str
    on: dt.date
    value: int | None = None


class Records:
    """The records of one case, looked up by step."""

    def __init__(self, records: Iterable[Record]):
        self._by_step: dict[str, list[Record]] = {}
        for r in sorted(records, key=lambda r: r.on):
            self._by_step.setdefault(r.step, []).append(r)

    def done(self, step: str) -> bool:
        return step in self._by_step

    def last(self, step: str) -> dt.date | None:
        found = self._by_step.get(step)
        return found[-1].on if found else None

    def value(self, step: str) -> int | None:
        found = self._by_step.get(step)
        return found[-1].value if found else None

    def count(self, step: str) -> int:
        return len(self._by_step.get(step, ()))

    def latest_day(self) -> dt.date | None:
        days = [rs[-1].on for rs in self._by_step.values()]
        return max(days) if days else None


@dataclass(frozen=True)
class Open:
    """A step that may be taken now, with the window the rules give it."""

    step: Step
    earliest: dt.date | None
    due: dt.date | None

    def overdue(self, today: dt.date) -> bool:
        return self.due is not None and today > self.due


@dataclass(frozen=True)
class Checked:
    """The outcome of a check that passed: whether the step is late, and its due date."""

    due: dt.date | None
    late: bool


@dataclass(frozen=True)
class Pipeline:
    source: str
    version: str
    effective: dt.date
    steps: tuple[Step, ...]
    stages: Sequence[tuple[str, Any]] = ()
    _index: dict[str, Step] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for s in self.steps:
            if s.code in self._index:
                raise ValueError(f"step {s.code!r} appears twice")
            self._index[s.code] = s
        for s in self.steps:
            waits = [w for w in (s.earliest, s.latest) if w]
            named = [*s.requires, *s.requires_any, *s.until, *(w.anchor for w in waits)]
            named += [w.plus for w in waits if w.plus]
            for code in named:
                if code not in self._index:
                    raise ValueError(f"step {s.code!r} names unknown step {code!r}")

    def step(self, code: str) -> Step:
        try:
            return self._index[code]
        except KeyError:
            raise StepError(_("没有这个环节：%(code)s") % {"code": code}) from None

    def citation(self, step: Step) -> str:
        return f"{self.source}{step.article}" + ("" if step.confirmed else _("（待核）"))

    def ended(self, records: Records) -> Step | None:
        for s in self.steps:
            if s.ends and records.done(s.code):
                return s
        return None

    def stage(self, records: Records) -> str:
        """The stage of the furthest step done (the first stage when none is)."""
        current = self.steps[0].stage
        for s in self.steps:
            if records.done(s.code):
                current = s.stage
        return current

    def _due(self, s: Step, records: Records) -> dt.date | None:
        if s.repeats and records.done(s.code):
            last = records.last(s.code)
            return dates.add_months(last, s.every) if last else None
        return s.latest.after(records) if s.latest else None

    def _blocker(self, s: Step, records: Records) -> str | None:
        """Why ``s`` cannot be taken now (order only), or None."""
        cite = self.citation(s)
        end = self.ended(records)
        if end is not None:
            return _("此流程已以「%(end)s」结束") % {"end": end.label}
        if records.done(s.code) and not s.repeats:
            return _("「%(step)s」已经办理，不能再次办理（%(cite)s）") % {
                "step": s.label,
                "cite": cite,
            }
        closed = [self._index[c] for c in s.until if records.done(c)]
        if closed:
            return _("已办理「%(other)s」，不再办理「%(step)s」（%(cite)s）") % {
                "other": closed[0].label,
                "step": s.label,
                "cite": cite,
            }
        missing = [self._index[c] for c in s.requires if not records.done(c)]
        if missing:
            return _("须先办理「%(first)s」，才能办理「%(step)s」（%(cite)s）") % {
                "first": missing[0].label,
                "step": s.label,
                "cite": cite,
            }
        if s.requires_any and not any(records.done(c) for c in s.requires_any):
            names = "」或「".join(str(self._index[c].label) for c in s.requires_any)
            return _("须先办理「%(first)s」，才能办理「%(step)s」（%(cite)s）") % {
                "first": names,
                "step": s.label,
                "cite": cite,
            }
        return None

    def check(
        self,
        records: Records,
        code: str,
        on: dt.date,
        *,
        today: dt.date | None = None,
        reason: str = "",
    ) -> Checked:
        """Refuse ``code`` on ``on`` when the rules do not allow it, else say whether it is late.

        Refused: a step after the case ended, a step done twice that does not repeat, a step
        whose prerequisites are not done, a date before a prerequisite's or after ``today``, a
        date before the earliest the rules allow, and a late step without a reason."""
        s = self.step(code)
        why = self._blocker(s, records)
        if why:
            raise StepError(why, code="order")
        if today is not None and on > today:
            raise StepError(_("日期不能晚于今天（%(today)s）") % {"today": today}, code="future")
        before = [
            (c, records.last(c))
            for c in (*s.requires, *s.requires_any)
            if records.last(c) is not None and on < records.last(c)  # type: ignore[operator]
        ]
        if before:
            c, day = before[0]
            raise StepError(
                _("日期早于「%(first)s」的日期（%(day)s）")
                % {"first": self._index[c].label, "day": day},
                code="date",
            )
        earliest = s.earliest.after(records) if s.earliest else None
        if earliest is not None and on < earliest:
            raise StepError(
                _("「%(step)s」最早在 %(day)s 办理（%(cite)s）")
                % {"step": s.label, "day": earliest, "cite": self.citation(s)},
                code="early",
            )
        due = self._due(s, records)
        late = due is not None and on > due
        if late and not reason.strip():
            raise StepError(
                _("「%(step)s」期限为 %(due)s（%(cite)s），逾期办理须写明原因")
                % {"step": s.label, "due": due, "cite": self.citation(s)},
                code="late",
            )
        return Checked(due=due, late=late)

    def open_steps(self, records: Records, *, include_optional: bool = True) -> list[Open]:
        """The steps that may be taken now, in table order, with their windows."""
        out = []
        for s in self.steps:
            if s.optional and not include_optional:
                continue
            if self._blocker(s, records) is None:
                earliest = s.earliest.after(records) if s.earliest else None
                out.append(Open(step=s, earliest=earliest, due=self._due(s, records)))
        return out

    def next_due(self, records: Records) -> Open | None:
        """The open, non-optional step due soonest (None when none has a time limit): what a
        case's worklist row is sorted and marked overdue by."""
        timed = [o for o in self.open_steps(records, include_optional=False) if o.due]
        return min(timed, key=lambda o: o.due) if timed else None  # type: ignore[arg-type,return-value]
