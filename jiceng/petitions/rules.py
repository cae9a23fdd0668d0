"""Rules of petitions (信访, S21): the statutory deadlines in one table keyed by the regulation
in force and the kind of body handling the case, each row with its article; the state machine
the services, the buttons and the tests read; the bounds of the bell's escalation.

Deadlines. "Within N days" (……日内) counts from the day after the starting date (the day an
event happens is not counted), so the last day is ``start + N``. Working days (工作日) are
counted with the ``chinese_calendar`` package (holidays and make-up working days as the State
Council announces them each year), never a hand-typed list; a date outside the years the
package knows is refused with :class:`UnknownCalendarError` instead of guessed.

Sources: 国务院《信访条例》(国务院令第431号, in force 2005-05-01), arts. 21, 22, 33, 34, 35;
《信访工作条例》(in force 2022-05-01), which replaced it. The 2022 rows could not be checked
against the regulation's text here and carry ``confirmed=False`` (see ``Rule.confirmed``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core import dates


class Version(models.TextChoices):
    """The regulation in force, by the date it took effect."""

    V2005 = "2005", _("《信访条例》（国务院令第431号，2005年5月1日施行）")
    V2022 = "2022", _("《信访工作条例》（2022年5月1日施行）")


EFFECTIVE: dict[str, dt.date] = {
    Version.V2005: dt.date(2005, 5, 1),
    Version.V2022: dt.date(2022, 5, 1),
}


class Body(models.TextChoices):
    """The kind of body handling the case: the petition office (信访工作机构, which registers
    and routes) or the organisation that has the power to handle it (有权处理的机关、单位)."""

    OFFICE = "office", _("信访工作机构")
    AGENCY = "agency", _("有权处理的机关、单位")


class Step(models.TextChoices):
    ROUTE = "route", _("登记并转送、交办")
    ACCEPT = "accept", _("告知是否受理")
    RECEIVE_TRANSFER = "receive_transfer", _("接收转送的信访事项")
    HANDLE = "handle", _("办结")
    EXTEND = "extend", _("延长办理期限")
    REVIEW_ASK = "review_ask", _("申请复查")
    REVIEW_DECIDE = "review_decide", _("提出复查意见")
    RE_REVIEW_ASK = "re_review_ask", _("申请复核")
    RE_REVIEW_DECIDE = "re_review_decide", _("提出复核意见")


class DayCount(models.TextChoices):
    CALENDAR = "calendar", _("日")
    WORKING = "working", _("个工作日")


@dataclass(frozen=True)
class Rule:
    """One deadline: ``days`` (calendar or working) from the event named in ``counted_from``.

    ``confirmed`` is False for a row whose article and number could not be checked against
    the regulation's text; such a row is shown with 待核 and listed in the docs."""

    version: str
    body: str
    step: str
    days: int
    count: str
    counted_from: str
    article: str
    confirmed: bool = True

    @property
    def citation(self) -> str:
        name = "《信访条例》" if self.version == Version.V2005 else "《信访工作条例》"
        return f"{name}{self.article}" + ("" if self.confirmed else "（待核）")


_O, _A = Body.OFFICE, Body.AGENCY
_C, _W = DayCount.CALENDAR, DayCount.WORKING
_V5, _V22 = Version.V2005, Version.V2022

# The one table. Each (version, body, step) at most once; a step a body does not take is
# absent (the petition office routes; the handling body accepts and handles).
RULES: tuple[Rule, ...] = (
    # 2005: 信访工作机构收到信访事项，应当予以登记，并区分情况，在15日内分别按下列方式
    # 处理（转送、交办）
    Rule(_V5, _O, Step.ROUTE, 15, _C, "received", "第二十一条"),
    # 2005: 有关行政机关收到信访事项后……应当自收到信访事项之日起15日内书面告知信访人（是否受理）
    Rule(_V5, _O, Step.ACCEPT, 15, _C, "received_by_handler", "第二十二条"),
    Rule(_V5, _A, Step.ACCEPT, 15, _C, "received_by_handler", "第二十二条"),
    # 2005: 信访事项应当自受理之日起60日内办结；情况复杂的……可以适当延长办理期限，但延长期限
    # 不得超过30日，并告知信访人延期理由
    Rule(_V5, _O, Step.HANDLE, 60, _C, "accepted", "第三十三条"),
    Rule(_V5, _A, Step.HANDLE, 60, _C, "accepted", "第三十三条"),
    Rule(_V5, _O, Step.EXTEND, 30, _C, "handle_due", "第三十三条"),
    Rule(_V5, _A, Step.EXTEND, 30, _C, "handle_due", "第三十三条"),
    # 2005: 信访人对处理意见不服的，可以自收到书面答复之日起30日内请求原办理行政机关的上一级
    # 行政机关复查。收到复查请求的行政机关应当自收到复查请求之日起30日内提出复查意见
    Rule(_V5, _O, Step.REVIEW_ASK, 30, _C, "replied", "第三十四条"),
    Rule(_V5, _A, Step.REVIEW_ASK, 30, _C, "replied", "第三十四条"),
    Rule(_V5, _O, Step.REVIEW_DECIDE, 30, _C, "review_asked", "第三十四条"),
    Rule(_V5, _A, Step.REVIEW_DECIDE, 30, _C, "review_asked", "第三十四条"),
    # 2005: 复核……30日内；信访人对复核意见不服，仍以同一事实和理由提出投诉请求的，不再受理
    Rule(_V5, _O, Step.RE_REVIEW_ASK, 30, _C, "review_decided", "第三十五条"),
    Rule(_V5, _A, Step.RE_REVIEW_ASK, 30, _C, "review_decided", "第三十五条"),
    Rule(_V5, _O, Step.RE_REVIEW_DECIDE, 30, _C, "re_review_asked", "第三十五条"),
    Rule(_V5, _A, Step.RE_REVIEW_DECIDE, 30, _C, "re_review_asked", "第三十五条"),
    # 2022 (not checked against the text here: confirmed=False).
    Rule(_V22, _O, Step.ROUTE, 15, _C, "received", "第二十二条", confirmed=False),
    Rule(_V22, _O, Step.ACCEPT, 15, _C, "received_by_handler", "第二十三条", confirmed=False),
    Rule(_V22, _A, Step.ACCEPT, 15, _C, "received_by_handler", "第二十三条", confirmed=False),
    # The window the 2022 regulation counts in working days (the account): a body a
    # case is transferred to registers its receipt. Number and article to be confirmed.
    Rule(_V22, _O, Step.RECEIVE_TRANSFER, 5, _W, "transferred", "第二十二条", confirmed=False),
    Rule(_V22, _A, Step.RECEIVE_TRANSFER, 5, _W, "transferred", "第二十二条", confirmed=False),
    Rule(_V22, _O, Step.HANDLE, 60, _C, "accepted", "第三十三条", confirmed=False),
    Rule(_V22, _A, Step.HANDLE, 60, _C, "accepted", "第三十三条", confirmed=False),
    Rule(_V22, _O, Step.EXTEND, 30, _C, "handle_due", "第三十三条", confirmed=False),
    Rule(_V22, _A, Step.EXTEND, 30, _C, "handle_due", "第三十三条", confirmed=False),
    Rule(_V22, _O, Step.REVIEW_ASK, 30, _C, "replied", "第三十五条", confirmed=False),
    Rule(_V22, _A, Step.REVIEW_ASK, 30, _C, "replied", "第三十五条", confirmed=False),
    Rule(_V22, _O, Step.REVIEW_DECIDE, 30, _C, "review_asked", "第三十五条", confirmed=False),
    Rule(_V22, _A, Step.REVIEW_DECIDE, 30, _C, "review_asked", "第三十五条", confirmed=False),
    Rule(_V22, _O, Step.RE_REVIEW_ASK, 30, _C, "review_decided", "第三十六条", confirmed=False),
    Rule(_V22, _A, Step.RE_REVIEW_ASK, 30, _C, "review_decided", "第三十六条", confirmed=False),
    Rule(_V22, _O, Step.RE_REVIEW_DECIDE, 30, _C, "re_review_asked", "第三十六条", confirmed=False),
    Rule(_V22, _A, Step.RE_REVIEW_DECIDE, 30, _C, "re_review_asked", "第三十六条", confirmed=False),
)

_TABLE: dict[tuple[str, str, str], Rule] = {(r.version, r.body, r.step): r for r in RULES}
if len(_TABLE) != len(RULES):
    raise RuntimeError("a (version, body, step) appears twice in RULES")

# A joint visit (集体访) of five or more people is flagged: 2005 art. 18 asks that no more
# than five representatives come forward.
JOINT_VISIT_PEOPLE = 5
JOINT_VISIT_ARTICLE = "《信访条例》第十八条"
# The same facts are not accepted again after a re-review (2005 art. 35; 2022 art. 36).
FINAL_ARTICLE: dict[str, str] = {
    Version.V2005: "《信访条例》第三十五条",
    Version.V2022: "《信访工作条例》第三十六条",
}

# Escalation of overdue cases in the bell: the responsible unit from the first day overdue,
# its parent once overdue by more than this many days (the responsibility chains' idea: a
# task not done climbs one level).
ESCALATE_AFTER_DAYS = 15


class DeadlineError(ValueError):
    """A deadline that cannot be computed: the message says why, in words for the user."""


class UnknownCalendarError(DeadlineError):
    """A working-day window reaching a year the holiday calendar does not know."""


def version_on(day: dt.date) -> str:
    """The regulation in force on ``day``.

    >>> version_on(dt.date(2005, 9, 20)), version_on(dt.date(2022, 5, 1))
    ('2005', '2022')
    """
    found = [v for v, since in EFFECTIVE.items() if since <= day]
    if not found:
        raise DeadlineError(
            str(_("%(day)s 早于2005年5月1日，本系统未收录当时施行的信访期限规定")) % {"day": day}
        )
    return str(max(found, key=lambda v: EFFECTIVE[v]))


def rule(version: str, body: str, step: str) -> Rule:
    """The row of the table for this version, body and step."""
    try:
        return _TABLE[(version, body, step)]
    except KeyError as exc:
        raise DeadlineError(str(_("该办理机构在此环节没有法定期限"))) from exc


def add_days(start: dt.date, days: int, count: str = DayCount.CALENDAR) -> dt.date:
    """The last day of a window of ``days`` from ``start`` (the start day not counted), in
    calendar or working days (``core.dates``).

    >>> add_days(dt.date(2024, 9, 27), 2, DayCount.WORKING)  # Sun 29th: a make-up working day
    datetime.date(2024, 9, 30)
    """
    try:
        return dates.add_days(start, days, working=count == DayCount.WORKING)
    except dates.UnknownCalendarError as exc:
        raise UnknownCalendarError(str(exc)) from exc


def due(version: str, body: str, step: str, start: dt.date) -> dt.date:
    """The due date of ``step`` counted from ``start`` under the row of the table."""
    r = rule(version, body, step)
    return add_days(start, r.days, r.count)


@dataclass(frozen=True)
class CaseDates:
    """The dates of a case that deadlines count from (``None`` until the event happens)."""

    received_on: dt.date
    body: str = Body.OFFICE
    received_by_handler_on: dt.date | None = None  # routed to the handling body
    transferred_on: dt.date | None = None  # the latest transfer between organisations
    accepted_on: dt.date | None = None
    extended_days: int = 0
    replied_on: dt.date | None = None
    review_asked_on: dt.date | None = None
    review_decided_on: dt.date | None = None
    re_review_asked_on: dt.date | None = None


@dataclass(frozen=True)
class Deadline:
    step: str
    due_on: dt.date
    rule: Rule


def due_dates(dates: CaseDates) -> dict[str, Deadline]:
    """Every deadline of a case that can be computed from its dates, under the regulation in
    force on the intake date (``received_on``)."""
    version = version_on(dates.received_on)
    out: dict[str, Deadline] = {}

    def put(step: str, start: dt.date | None, extra: int = 0) -> None:
        if start is None or (version, dates.body, step) not in _TABLE:
            return
        r = _TABLE[(version, dates.body, step)]
        out[step] = Deadline(step, add_days(start, r.days + extra, r.count), r)

    put(Step.ROUTE, dates.received_on)
    handler_start = dates.received_by_handler_on or (
        dates.received_on if dates.body == Body.AGENCY else None
    )
    put(Step.ACCEPT, handler_start)
    put(Step.RECEIVE_TRANSFER, dates.transferred_on)
    put(Step.HANDLE, dates.accepted_on, dates.extended_days)
    put(Step.REVIEW_ASK, dates.replied_on)
    put(Step.REVIEW_DECIDE, dates.review_asked_on)
    put(Step.RE_REVIEW_ASK, dates.review_decided_on)
    put(Step.RE_REVIEW_DECIDE, dates.re_review_asked_on)
    return out


def check_extension(version: str, body: str, days: int, already: int) -> None:
    """An extension of the handling time: once only, at most the table's days (2005 art. 33)."""
    r = rule(version, body, Step.EXTEND)
    if already:
        raise DeadlineError(str(_("办理期限只能延长一次（%(cite)s）")) % {"cite": r.citation})
    if not 0 < days <= r.days:
        raise DeadlineError(
            str(_("延长期限应为1至%(max)s日（%(cite)s）")) % {"max": r.days, "cite": r.citation}
        )


def check_window(version: str, body: str, step: str, start: dt.date, on: dt.date) -> None:
    """A request (review, re-review) made on ``on`` must fall within its window from
    ``start``; otherwise refused with the article."""
    last = due(version, body, step, start)
    if on > last:
        r = rule(version, body, step)
        raise DeadlineError(
            str(_("已超过%(what)s期限：应在%(start)s起%(days)s日内（至%(last)s）提出（%(cite)s）"))
            % {
                "what": Step(step).label,
                "start": start,
                "days": r.days,
                "last": last,
                "cite": r.citation,
            }
        )


# ----- the state machine ---------------------------------------------------------------------


class State(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ROUTED = "routed", _("已转送交办")
    ACCEPTED = "accepted", _("已受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    EXTENDED = "extended", _("已延期")
    REPLIED = "replied", _("已答复")
    IN_REVIEW = "in_review", _("复查中")
    REVIEWED = "reviewed", _("已复查")
    IN_RE_REVIEW = "in_re_review", _("复核中")
    RE_REVIEWED = "re_reviewed", _("已复核（终结）")
    CLOSED = "closed", _("已办结")


class PetitionAction(models.TextChoices):
    ROUTE = "route", _("转送交办")
    ACCEPT = "accept", _("受理")
    REJECT = "reject", _("不予受理")
    EXTEND = "extend", _("延长办理期限")
    REPLY = "reply", _("书面答复")
    REVIEW = "review", _("申请复查")
    DECIDE_REVIEW = "decide_review", _("复查意见")
    RE_REVIEW = "re_review", _("申请复核")
    DECIDE_RE_REVIEW = "decide_re_review", _("复核意见")
    CLOSE = "close", _("办结并记录满意度")
    REOPEN = "reopen", _("重新办理")
    TRANSFER = "transfer", _("转交其他组织")


S = State
# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    PetitionAction.ROUTE: ((S.REGISTERED,), S.ROUTED),
    PetitionAction.ACCEPT: ((S.REGISTERED, S.ROUTED), S.ACCEPTED),
    PetitionAction.REJECT: ((S.REGISTERED, S.ROUTED), S.NOT_ACCEPTED),
    PetitionAction.EXTEND: ((S.ACCEPTED,), S.EXTENDED),
    PetitionAction.REPLY: ((S.ACCEPTED, S.EXTENDED), S.REPLIED),
    PetitionAction.REVIEW: ((S.REPLIED,), S.IN_REVIEW),
    PetitionAction.DECIDE_REVIEW: ((S.IN_REVIEW,), S.REVIEWED),
    PetitionAction.RE_REVIEW: ((S.REVIEWED,), S.IN_RE_REVIEW),
    PetitionAction.DECIDE_RE_REVIEW: ((S.IN_RE_REVIEW,), S.RE_REVIEWED),
    PetitionAction.CLOSE: ((S.REPLIED, S.REVIEWED, S.RE_REVIEWED, S.NOT_ACCEPTED), S.CLOSED),
    # a dissatisfied petitioner's case is handled again (not after a re-review: final)
    PetitionAction.REOPEN: ((S.CLOSED,), S.ACCEPTED),
    # a transfer keeps the state; it is allowed while the case is being handled
    PetitionAction.TRANSFER: ((S.REGISTERED, S.ROUTED, S.ACCEPTED, S.EXTENDED), ""),
}
OPEN_STATES = (S.REGISTERED, S.ROUTED, S.ACCEPTED, S.EXTENDED, S.IN_REVIEW, S.IN_RE_REVIEW)
# the deadline that is running in each open state
RUNNING_STEP: dict[str, str] = {
    S.REGISTERED: Step.ROUTE,
    S.ROUTED: Step.ACCEPT,
    S.ACCEPTED: Step.HANDLE,
    S.EXTENDED: Step.HANDLE,
    S.IN_REVIEW: Step.REVIEW_DECIDE,
    S.IN_RE_REVIEW: Step.RE_REVIEW_DECIDE,
}


def refusal(action: str, state: str) -> str | None:
    """Why ``action`` may not be taken in ``state`` (``None`` when it may)."""
    sources, _target = TRANSITIONS[action]
    if state in sources:
        return None
    return str(_("当前状态为“%(state)s”，不能%(action)s")) % {
        "state": State(state).label,
        "action": PetitionAction(action).label,
    }


class Channel(models.TextChoices):
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    PHONE = "phone", _("来电")
    WEB = "web", _("网上信访")


class Category(models.TextChoices):
    LAND = "land", _("城乡建设和土地")
    HOUSING = "housing", _("住房和拆迁")
    LABOUR = "labour", _("劳动和社会保障")
    ENVIRONMENT = "environment", _("环境和市容")
    SECURITY = "security", _("治安和政法")
    CIVIL = "civil", _("民政和社区事务")
    CONDUCT = "conduct", _("干部作风")
    OTHER = "other", _("其他")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    NOT_SATISFIED = "not_satisfied", _("不满意")
