"""Deadline rules of petitions (S21): every row of the table, counted from the right event,
around month ends and leap years, and working days over the National Day holiday with its
make-up working days (from ``chinese_calendar``, never a hand-typed list)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.petitions import rules
from jiceng.petitions.rules import (
    RULES,
    Body,
    CaseDates,
    DayCount,
    PetitionAction,
    State,
    Step,
    Version,
)

D = dt.date


def test_every_row_cites_an_article_and_each_key_is_unique():
    keys = {(r.version, r.body, r.step) for r in RULES}
    assert len(keys) == len(RULES)
    for r in RULES:
        assert r.article.startswith("第"), r
        assert r.article.endswith("条"), r
        assert r.days > 0


def test_the_2005_rows_are_the_regulations_numbers():
    v, o = Version.V2005, Body.OFFICE
    assert rules.rule(v, o, Step.ROUTE).days == 15
    assert rules.rule(v, o, Step.ROUTE).article == "第二十一条"
    assert rules.rule(v, Body.AGENCY, Step.ACCEPT).article == "第二十二条"
    assert rules.rule(v, o, Step.HANDLE).days == 60
    assert rules.rule(v, o, Step.EXTEND).days == 30
    assert rules.rule(v, o, Step.REVIEW_ASK).article == "第三十四条"
    assert rules.rule(v, o, Step.RE_REVIEW_DECIDE).article == "第三十五条"
    assert all(r.count == DayCount.CALENDAR and r.confirmed for r in RULES if r.version == v)


def test_rows_not_checked_against_the_text_say_so():
    unconfirmed = [r for r in RULES if not r.confirmed]
    assert unconfirmed
    assert all(r.citation.endswith("（待核）") for r in unconfirmed)


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (D(2005, 5, 1), Version.V2005),
        (D(2005, 9, 20), Version.V2005),
        (D(2022, 4, 30), Version.V2005),
        (D(2022, 5, 1), Version.V2022),
    ],
)
def test_the_version_in_force_is_chosen_by_the_intake_date(day, version):
    assert rules.version_on(day) == version


def test_a_case_before_the_2005_regulations_is_refused_with_a_reason():
    with pytest.raises(rules.DeadlineError, match="2005年5月1日"):
        rules.version_on(D(2005, 4, 30))


def test_every_deadline_of_a_2005_case():
    case = CaseDates(
        received_on=D(2005, 6, 1),
        received_by_handler_on=D(2005, 6, 10),
        accepted_on=D(2005, 6, 20),
        replied_on=D(2005, 8, 1),
        review_asked_on=D(2005, 8, 20),
        review_decided_on=D(2005, 9, 10),
        re_review_asked_on=D(2005, 9, 30),
    )
    due = {k: v.due_on for k, v in rules.due_dates(case).items()}
    assert due == {
        Step.ROUTE: D(2005, 6, 16),  # arts. 21: 15 days from receipt
        Step.ACCEPT: D(2005, 6, 25),  # art. 22: 15 days from the handler's receipt
        Step.HANDLE: D(2005, 8, 19),  # art. 33: 60 days from acceptance
        Step.REVIEW_ASK: D(2005, 8, 31),  # art. 34: 30 days from the written reply
        Step.REVIEW_DECIDE: D(2005, 9, 19),
        Step.RE_REVIEW_ASK: D(2005, 10, 10),  # art. 35
        Step.RE_REVIEW_DECIDE: D(2005, 10, 30),
    }


def test_the_extension_moves_the_handling_deadline():
    case = CaseDates(received_on=D(2005, 6, 1), accepted_on=D(2005, 6, 20), extended_days=30)
    assert rules.due_dates(case)[Step.HANDLE].due_on == D(2005, 9, 18)


def test_an_agency_receiving_directly_counts_acceptance_from_receipt_and_routes_nothing():
    case = CaseDates(received_on=D(2005, 6, 1), body=Body.AGENCY)
    due = rules.due_dates(case)
    assert Step.ROUTE not in due
    assert due[Step.ACCEPT].due_on == D(2005, 6, 16)


def test_extension_once_only_and_at_most_thirty_days():
    rules.check_extension(Version.V2005, Body.OFFICE, 30, 0)
    with pytest.raises(rules.DeadlineError, match=r"只能延长一次.*第三十三条"):
        rules.check_extension(Version.V2005, Body.OFFICE, 10, 20)
    with pytest.raises(rules.DeadlineError, match="1至30日"):
        rules.check_extension(Version.V2005, Body.OFFICE, 31, 0)
    with pytest.raises(rules.DeadlineError):
        rules.check_extension(Version.V2005, Body.OFFICE, 0, 0)


@pytest.mark.parametrize(
    ("step", "article"),
    [(Step.REVIEW_ASK, "第三十四条"), (Step.RE_REVIEW_ASK, "第三十五条")],
)
def test_a_request_after_its_window_is_refused_with_the_article(step, article):
    start = D(2005, 8, 1)
    rules.check_window(Version.V2005, Body.OFFICE, step, start, D(2005, 8, 31))  # last day
    with pytest.raises(rules.DeadlineError, match=article) as caught:
        rules.check_window(Version.V2005, Body.OFFICE, step, start, D(2005, 9, 1))
    assert "2005-08-31" in str(caught.value)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2005, 1, 31), 30, D(2005, 3, 2)),  # January's end, February of 28 days
        (D(2008, 1, 31), 30, D(2008, 3, 1)),  # leap year: 29 February counts
        (D(2008, 2, 29), 15, D(2008, 3, 15)),  # from a leap day
        (D(2008, 2, 29), 60, D(2008, 4, 29)),
        (D(2024, 1, 31), 30, D(2024, 3, 1)),
        (D(2024, 2, 29), 30, D(2024, 3, 30)),
        (D(2005, 12, 15), 30, D(2006, 1, 14)),  # over the year's end
        (D(2005, 4, 30), 1, D(2005, 5, 1)),
    ],
)
def test_calendar_days_around_month_ends_and_leap_years(start, days, expected):
    assert rules.add_days(start, days) == expected


def test_handling_of_a_case_accepted_on_a_leap_day():
    case = CaseDates(received_on=D(2008, 2, 20), accepted_on=D(2008, 2, 29))
    assert rules.due_dates(case)[Step.HANDLE].due_on == D(2008, 4, 29)


def test_working_days_skip_the_national_day_holiday_and_count_the_make_up_days():
    # 2024: 1-7 October off; Sunday 29 September and Saturday 12 October are working days.
    start = D(2024, 9, 27)  # a Friday
    assert rules.add_days(start, 1, DayCount.WORKING) == D(2024, 9, 29)  # Sat 28 is off
    assert rules.add_days(start, 2, DayCount.WORKING) == D(2024, 9, 30)
    assert rules.add_days(start, 3, DayCount.WORKING) == D(2024, 10, 8)  # the holiday skipped
    assert rules.add_days(start, 5, DayCount.WORKING) == D(2024, 10, 10)
    assert rules.add_days(start, 7, DayCount.WORKING) == D(2024, 10, 12)  # a working Saturday


def test_the_2022_transfer_window_counts_working_days():
    case = CaseDates(received_on=D(2024, 9, 20), body=Body.AGENCY, transferred_on=D(2024, 9, 27))
    d = rules.due_dates(case)[Step.RECEIVE_TRANSFER]
    assert d.rule.count == DayCount.WORKING
    assert d.due_on == D(2024, 10, 10)


def test_a_working_day_window_in_an_unknown_year_is_refused_not_guessed():
    with pytest.raises(rules.UnknownCalendarError, match="2099"):
        rules.add_days(D(2099, 3, 1), 5, DayCount.WORKING)


def test_the_state_machine_refuses_out_of_order_steps_with_the_state():
    assert rules.refusal(PetitionAction.ACCEPT, State.ROUTED) is None
    why = rules.refusal(PetitionAction.REPLY, State.REGISTERED)
    assert why is not None
    assert "已登记" in why
    assert "书面答复" in why
    assert rules.refusal(PetitionAction.EXTEND, State.EXTENDED) is not None
    assert rules.refusal(PetitionAction.RE_REVIEW, State.REPLIED) is not None
    assert rules.refusal(PetitionAction.REOPEN, State.CLOSED) is None


def test_a_joint_visit_is_five_or_more():
    assert rules.JOINT_VISIT_PEOPLE == 5
