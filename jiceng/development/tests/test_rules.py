"""Every order and deadline rule of membership development (2014 细则): a step out of order
refused with its article, under 18 refused (第五条), the talk within a month (month ends, leap
years), at least a year as an activist (第十三条), training of three days or 24 hours
(第十七条), a vote that must pass, approval within three months late only with a reason,
extension once only and 6–12 months (第三十二条), cancellation ends the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from jiceng.core.idnumber import make_id_number
from jiceng.core.stages import Record, Records, StepError
from jiceng.development import rules, services
from jiceng.development.models import Development

from .conftest import D, date_of, extra_of, register, walk

P = rules.PIPELINE_2014


def test_table_has_the_25_steps_and_cites_articles():
    codes = [s.code for s in P.steps]
    assert len([c for c in codes if c not in ("extend", "cancel")]) == 25
    assert all(s.article.startswith("第") for s in P.steps)
    # the articles confirmed against the text; the rest are shown 待核
    assert P.step("candidate").confirmed
    assert P.step("training").confirmed
    assert not P.step("talk").confirmed
    assert "（待核）" in P.citation(P.step("talk"))


def test_table_of_2014_applies_to_2005():
    assert rules.pipeline_on(D(2005, 9, 20)).version == "2014"


@pytest.mark.parametrize(
    ("applied", "due"),
    [
        (D(2005, 1, 31), D(2005, 2, 28)),  # month end
        (D(2004, 1, 31), D(2004, 2, 29)),  # leap year
        (D(2004, 2, 29), D(2004, 3, 29)),
        (D(2005, 12, 15), D(2006, 1, 15)),
    ],
)
def test_talk_is_due_within_one_month_of_the_application(applied, due):
    records = Records([Record("apply", applied)])
    assert P.next_due(records).step.code == "talk"
    assert P.next_due(records).due == due
    P.check(records, "talk", due)
    with pytest.raises(StepError) as exc:
        P.check(records, "talk", due + dt.timedelta(days=1))
    assert "第七条" in str(exc.value)
    assert "原因" in str(exc.value)
    assert P.check(records, "talk", due + dt.timedelta(days=1), reason="申请人出差").late


def test_under_18_refused_with_article_5(small):
    # born 1980-05-20: 17 on 2003-01-10... use an application before the 18th birthday
    with pytest.raises(ValidationError) as exc:
        register(small, applied_on=D(1998, 5, 19))
    assert "十八岁" in str(exc.value)
    assert "第五条" in str(exc.value)
    d = register(small, applied_on=D(1998, 5, 20))  # the birthday itself
    assert d.pk


def test_out_of_order_step_refused_with_article(small):
    d = register(small)
    with pytest.raises(StepError) as exc:
        services.development_step(
            actor=small.alice, development=d, step="candidate", on=D(2004, 3, 2)
        )
    assert "第十三条" in str(exc.value)
    assert "须先办理" in str(exc.value)
    assert d.steps.count() == 1


def test_activist_at_least_a_year_before_candidate(small):
    d = walk(small, register(small), "candidate")
    with pytest.raises(StepError) as exc:
        services.development_step(
            actor=small.alice, development=d, step="candidate", on=D(2004, 2, 29)
        )
    assert "最早在 2004-03-01" in str(exc.value)
    assert "第十三条" in str(exc.value)
    services.development_step(actor=small.alice, development=d, step="candidate", on=D(2004, 3, 1))


def test_activist_assessed_every_six_months_is_due_and_overdue(small):
    d = walk(small, register(small), "assess")
    assert (d.next_step, d.next_due) == ("assess", D(2003, 9, 1))
    d = services.development_step(actor=small.alice, development=d, step="assess", on=D(2003, 9, 1))
    assert d.next_due == D(2004, 3, 1)
    assert d.overdue(D(2004, 3, 2))
    assert not d.overdue(D(2004, 3, 1))


@pytest.mark.parametrize(
    ("details", "ok"),
    [
        ({"days": 3}, True),
        ({"hours": 24}, True),
        ({"days": 2, "hours": 23}, False),
        ({}, False),
    ],
)
def test_training_three_days_or_24_hours(small, details, ok):
    d = walk(small, register(small), "training")
    call = lambda: services.development_step(  # noqa: E731
        actor=small.alice, development=d, step="training", on=date_of("training"), details=details
    )
    if ok:
        call()
    else:
        with pytest.raises(StepError, match="第十七条"):
            call()


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        ({"due": 10, "present": 9, "for": 5, "against": 4, "abstain": 0}, "表决未通过"),
        ({"due": 10, "present": 5, "for": 5, "against": 0, "abstain": 0}, "超过应到会人数的半数"),
        ({"due": 10, "present": 8, "for": 6, "against": 3, "abstain": 0}, "不能多于实到人数"),
        ({"due": 10, "present": 11, "for": 6, "against": 0, "abstain": 0}, "实到人数不能多于"),
    ],
)
def test_general_meeting_vote_must_pass_as_counted(small, counts, words):
    d = walk(small, register(small), "general_meeting")
    with pytest.raises(StepError, match=words):
        services.development_step(
            actor=small.alice,
            development=d,
            step="general_meeting",
            on=date_of("general_meeting"),
            details=counts,
        )
    assert not d.steps.filter(step="general_meeting").exists()


def test_introducers_are_two_full_members(small):
    d = walk(small, register(small), "introducers")
    with pytest.raises(StepError, match="第十四条"):
        services.development_step(
            actor=small.alice,
            development=d,
            step="introducers",
            on=date_of("introducers"),
            people=small.a.members[:1],
        )
    with pytest.raises(ValidationError, match="正式党员"):
        services.development_step(
            actor=small.alice,
            development=d,
            step="introducers",
            on=date_of("introducers"),
            people=small.b.members[:2],  # another district's members
        )


def test_approval_within_three_months_late_only_with_a_reason(small):
    d = walk(small, register(small), "approval")
    late = D(2004, 9, 2)  # the meeting was 2004-06-01: due 2004-09-01
    assert d.next_due <= D(2004, 9, 1)
    with pytest.raises(StepError) as exc:
        services.development_step(actor=small.alice, development=d, step="approval", on=late)
    assert "2004-09-01" in str(exc.value)
    assert "原因" in str(exc.value)
    d = services.development_step(
        actor=small.alice, development=d, step="approval", on=late, reason="党委换届延期开会"
    )
    step = d.steps.get(step="approval")
    assert step.late
    assert step.reason == "党委换届延期开会"


def test_extension_once_only_and_six_to_twelve_months(small):
    d = walk(small, register(small), "full_request")
    for months in (5, 13, None):
        with pytest.raises(StepError, match="第三十二条"):
            services.development_step(
                actor=small.alice, development=d, step="extend", on=D(2005, 5, 20), value=months
            )
    d = services.development_step(
        actor=small.alice, development=d, step="extend", on=D(2005, 5, 20), value=6
    )
    # the probation now ends a year and six months after the meeting
    assert d.next_step == "full_request"
    assert d.next_due == D(2005, 12, 1)
    with pytest.raises(StepError, match="不能再次办理"):
        services.development_step(
            actor=small.alice, development=d, step="extend", on=D(2005, 6, 1), value=6
        )
    with pytest.raises(StepError, match="最早在"):
        services.development_step(
            actor=small.alice, development=d, step="full_request", on=D(2005, 5, 21)
        )


def test_cancellation_ends_the_case(small):
    d = walk(small, register(small), "full_request")
    d = services.development_step(actor=small.alice, development=d, step="cancel", on=D(2005, 6, 1))
    assert d.state == "cancelled"
    assert d.next_due is None
    with pytest.raises(StepError, match="结束"):
        services.development_step(
            actor=small.alice, development=d, step="full_request", on=D(2005, 6, 2)
        )


def test_step_in_the_future_refused(small):
    d = register(small)
    with pytest.raises(StepError, match="不能晚于今天"):
        services.development_step(actor=small.alice, development=d, step="talk", on=D(2006, 1, 1))
    assert Development.objects.get(pk=d.pk).next_step == "talk"


def test_pre_review_numbers_the_form_unique_per_committee(small):
    d = walk(small, register(small), "pre_review")
    with pytest.raises(StepError):
        services.development_step(
            actor=small.alice, development=d, step="pre_review", on=date_of("pre_review")
        )
    d = services.development_step(
        actor=small.alice,
        development=d,
        step="pre_review",
        on=date_of("pre_review"),
        **extra_of(small, "pre_review"),
    )
    assert d.application_form_no == "2004-001"
    other = walk(
        small,
        register(small, id_number=make_id_number("310101", D(1981, 6, 1), 3, "F"), name="王芳"),
        "pre_review",
    )
    with pytest.raises(ValidationError, match="编号已被"):
        services.development_step(
            actor=small.alice,
            development=other,
            step="pre_review",
            on=date_of("pre_review"),
            application_form_no="2004-001",
        )
