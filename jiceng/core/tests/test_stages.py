"""The stage engine (issue 23): order, repetition, windows and late steps with reasons, on a
small pipeline shaped like membership development (apply → talk within a month → named an
activist → assessed every six months → candidate after at least a year → admitted → full
membership a year later, extendable once by months)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.core.stages import Pipeline, Record, Records, Step, StepError, Wait

D = dt.date

P = Pipeline(
    source="《细则》",
    version="t",
    effective=D(2014, 6, 10),
    steps=(
        Step("apply", "递交申请", "applicant", "第五条"),
        Step(
            "talk",
            "谈话",
            "applicant",
            "第七条",
            requires=("apply",),
            latest=Wait("apply", months=1),
        ),
        Step("named", "确定积极分子", "activist", "第八条", requires=("talk",)),
        Step(
            "assess",
            "考察",
            "activist",
            "第十一条",
            requires=("named",),
            until=("candidate",),
            latest=Wait("named", months=6),
            every=6,
        ),
        Step(
            "candidate",
            "列为发展对象",
            "candidate",
            "第十三条",
            requires=("named",),
            earliest=Wait("named", months=12),
        ),
        Step("admit", "接收预备党员", "probationary", "第二十二条", requires=("candidate",)),
        Step(
            "extend",
            "延长预备期",
            "probationary",
            "第三十二条",
            requires=("admit",),
            optional=True,
            confirmed=False,
        ),
        Step(
            "full",
            "转正",
            "full",
            "第三十二条",
            requires=("admit",),
            ends=True,
            latest=Wait("admit", months=12, plus="extend"),
        ),
        Step(
            "cancel",
            "取消资格",
            "full",
            "第三十二条",
            requires=("admit",),
            ends=True,
            optional=True,
        ),
    ),
)


def recs(*pairs: tuple[str, dt.date] | tuple[str, dt.date, int]) -> Records:
    return Records(Record(*p) for p in pairs)


def test_out_of_order_is_refused_with_the_article() -> None:
    with pytest.raises(StepError, match=r"须先办理「谈话」.*《细则》第八条"):
        P.check(recs(("apply", D(2005, 1, 31))), "named", D(2005, 2, 10))


def test_a_month_from_the_31st_ends_on_the_months_last_day_and_late_needs_a_reason() -> None:
    r = recs(("apply", D(2005, 1, 31)))
    assert P.check(r, "talk", D(2005, 2, 28)).late is False
    with pytest.raises(StepError, match=r"期限为 2005-02-28.*逾期办理须写明原因"):
        P.check(r, "talk", D(2005, 3, 1))
    checked = P.check(r, "talk", D(2005, 3, 1), reason="申请人出差")
    assert checked.late
    assert checked.due == D(2005, 2, 28)


def test_leap_day_anchor() -> None:
    r = recs(("apply", D(2004, 1, 29)), ("talk", D(2004, 2, 1)), ("named", D(2004, 2, 29)))
    # A year after 29 February is 28 February; the day before is refused.
    with pytest.raises(StepError, match=r"最早在 2005-02-28"):
        P.check(r, "candidate", D(2005, 2, 27))
    assert P.check(r, "candidate", D(2005, 2, 28)).late is False


def test_repeat_every_six_months_until_closed() -> None:
    r = recs(("apply", D(2005, 1, 1)), ("talk", D(2005, 1, 5)), ("named", D(2005, 3, 1)))
    assert P.next_due(r).step.code == "assess"
    assert P.next_due(r).due == D(2005, 9, 1)
    r = recs(
        ("apply", D(2005, 1, 1)),
        ("talk", D(2005, 1, 5)),
        ("named", D(2005, 3, 1)),
        ("assess", D(2005, 8, 20)),
    )
    assert P.next_due(r).due == D(2006, 2, 20)
    r = recs(
        ("apply", D(2005, 1, 1)),
        ("talk", D(2005, 1, 5)),
        ("named", D(2005, 3, 1)),
        ("candidate", D(2006, 3, 1)),
    )
    with pytest.raises(StepError, match=r"已办理「列为发展对象」"):
        P.check(r, "assess", D(2006, 4, 1))


def test_extension_once_and_it_moves_the_due_date() -> None:
    base = [
        ("apply", D(2004, 1, 1)),
        ("talk", D(2004, 1, 5)),
        ("named", D(2004, 2, 1)),
        ("candidate", D(2005, 2, 1)),
        ("admit", D(2005, 3, 31)),
    ]
    assert P.next_due(recs(*base)).due == D(2006, 3, 31)
    extended = recs(*base, ("extend", D(2006, 3, 20), 6))
    assert P.next_due(extended).step.code == "full"
    assert P.next_due(extended).due == D(2006, 9, 30)
    with pytest.raises(StepError, match=r"已经办理，不能再次办理.*第三十二条（待核）"):
        P.check(extended, "extend", D(2006, 9, 1))


def test_an_ended_case_takes_no_step_and_dates_cannot_go_back_or_forward() -> None:
    r = recs(("apply", D(2005, 1, 1)), ("talk", D(2005, 1, 5)))
    with pytest.raises(StepError, match=r"日期早于「谈话」"):
        P.check(r, "named", D(2005, 1, 4))
    with pytest.raises(StepError, match=r"不能晚于今天"):
        P.check(r, "named", D(2005, 2, 1), today=D(2005, 1, 20))
    ended = recs(
        ("apply", D(2004, 1, 1)),
        ("talk", D(2004, 1, 5)),
        ("named", D(2004, 2, 1)),
        ("candidate", D(2005, 2, 1)),
        ("admit", D(2005, 3, 1)),
        ("cancel", D(2005, 9, 1)),
    )
    with pytest.raises(StepError, match=r"此流程已以「取消资格」结束"):
        P.check(ended, "full", D(2006, 3, 1))
    assert P.open_steps(ended) == []
    assert P.next_due(ended) is None
    assert P.stage(ended) == "full"


def test_a_table_naming_an_unknown_step_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match=r"unknown step 'nope'"):
        Pipeline(
            source="x",
            version="1",
            effective=D(2000, 1, 1),
            steps=(Step("a", "A", "s", "1", requires=("nope",)),),
        )
