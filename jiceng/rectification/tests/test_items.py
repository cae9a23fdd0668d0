"""Rectification items (S20: problems raised by the public rectified at once, the unit's
"project the public is satisfied with"; S22: Tianlin street's ten-year illegal-building problem
solved and kept solved by a standing arrangement): the state machine, the public's verdict,
sources, batches, the standing arrangement and its checks, scoping and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from jiceng.campaigns.progress.services import campaign_create
from jiceng.core import clock
from jiceng.core.models import AuditEvent
from jiceng.core.notices import notices_for
from jiceng.rectification import selectors, services
from jiceng.rectification.models import RectificationItem, RectificationSource
from jiceng.rectification.rules import ItemState, is_long_running

from .helpers import closed_item, comments, need, petition, tianlin


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_the_item_runs_from_raised_to_closed_with_a_dated_history(small):
    """S20/S22: raised, rectified, the result posted publicly, the public satisfied: closed."""
    item = tianlin(small)
    assert (item.state, item.path, item.long_running) == (
        ItemState.OPEN,
        small.a.street.path,
        True,  # S22: ten years old when raised
    )
    services.item_start(actor=small.alice, item=item)
    item.refresh_from_db()
    assert item.state == ItemState.IN_PROGRESS
    services.item_complete(
        actor=small.alice,
        item=item,
        result="拆除违法搭建3处",
        notice_text="在居委会公告栏公示整改结果",
        noticed_on=clock.today(),
    )
    item.refresh_from_db()
    assert (item.state, item.completed_on) == (ItemState.DONE, clock.today())
    services.item_verdict(actor=small.alice, item=item, verdict="basically", note="基本满意")
    item.refresh_from_db()
    assert (item.state, item.verdict, item.closed_on) == (
        ItemState.CLOSED,
        "basically",
        clock.today(),
    )
    history = [(e.action, e.from_state, e.to_state) for e in selectors.events_of(item)]
    assert history == [
        ("create", "", "open"),
        ("start", "open", "in_progress"),
        ("complete", "in_progress", "done"),
        ("verdict", "done", "closed"),
    ]
    audited = AuditEvent.objects.filter(
        object_type="rectification.rectificationitem", object_id=str(item.pk)
    )
    assert audited.count() == 4
    assert set(audited.values_list("org_path", flat=True)) == {small.a.street.path}


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("open", "complete"),
        ("open", "verdict"),
        ("in_progress", "start"),
        ("in_progress", "verdict"),
        ("done", "start"),
        ("done", "complete"),
        ("closed", "start"),
        ("closed", "complete"),
        ("closed", "verdict"),
    ],
)
def test_an_action_out_of_order_is_refused_with_the_state_named(small, state, action):
    item = tianlin(small)
    RectificationItem.objects.filter(pk=item.pk).update(state=state, noticed_on=clock.today())
    item.refresh_from_db()
    calls = {
        "start": lambda: services.item_start(actor=small.alice, item=item),
        "complete": lambda: services.item_complete(
            actor=small.alice, item=item, result="x", notice_text="x", noticed_on=clock.today()
        ),
        "verdict": lambda: services.item_verdict(actor=small.alice, item=item, verdict="satisfied"),
    }
    with pytest.raises(ValidationError) as exc:
        calls[action]()
    assert f"该整改事项{item.get_state_display()}，不能执行此操作" in _messages(exc.value)
    item.refresh_from_db()
    assert item.state == state


def test_completing_needs_the_result_and_its_public_notice(small):
    item = tianlin(small)
    services.item_start(actor=small.alice, item=item)
    with pytest.raises(ValidationError) as exc:
        services.item_complete(
            actor=small.alice, item=item, result="拆除", notice_text=" ", noticed_on=clock.today()
        )
    assert "请填写公示内容" in _messages(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.item_complete(
            actor=small.alice,
            item=item,
            result="拆除",
            notice_text="公示",
            noticed_on=clock.today() + dt.timedelta(days=1),
        )
    assert "日期不能晚于今天" in _messages(exc.value)


def test_the_public_not_satisfied_reopens_the_item_and_counts_it(small):
    item = tianlin(small)
    services.item_start(actor=small.alice, item=item)
    services.item_complete(
        actor=small.alice, item=item, result="x", notice_text="公示", noticed_on=clock.today()
    )
    with pytest.raises(ValidationError) as exc:
        services.item_verdict(actor=small.alice, item=item, verdict="not_satisfied")
    assert "请写明不满意的原因" in _messages(exc.value)
    services.item_verdict(
        actor=small.alice, item=item, verdict="not_satisfied", note="搭建拆了又搭"
    )
    item.refresh_from_db()
    assert (item.state, item.reopened_count, item.closed_on) == (ItemState.IN_PROGRESS, 1, None)
    last = selectors.events_of(item)[-1]
    assert (last.action, last.from_state, last.to_state) == ("reopen", "done", "in_progress")
    assert "搭建拆了又搭" in last.note


def test_an_officer_of_another_district_is_refused_every_write(small):
    item = tianlin(small)
    with pytest.raises(PermissionDenied):
        services.item_start(actor=small.bob, item=item)
    with pytest.raises(PermissionDenied):
        services.item_create(
            actor=small.bob, owner=small.a.street, title="x", deadline=clock.today()
        )
    with pytest.raises(PermissionDenied):
        services.source_link(actor=small.bob, item=item, kind="other", note="x")


def test_the_deadline_cannot_precede_the_day_raised(small):
    with pytest.raises(ValidationError) as exc:
        tianlin(small, deadline=clock.today() - dt.timedelta(days=1))
    assert "整改时限不能早于立项日期" in _messages(exc.value)


# ----- sources ----------------------------------------------------------------------------------


def test_many_sources_merge_into_one_item_but_a_source_is_linked_once(small):
    """Many petitions, needs and meetings, one item; the same petition twice is refused."""
    item = tianlin(small)
    first = petition(small)
    services.source_link(actor=small.alice, item=item, kind="petition", petition=first)
    services.source_link(actor=small.alice, item=item, kind="visit_need", need=need(small))
    services.source_link(
        actor=small.alice,
        item=item,
        kind="meeting",
        held_on=clock.today(),
        participants="居民代表12人、居委会、城管中队",
    )
    assert [s.kind for s in selectors.sources_of(item)] == ["petition", "visit_need", "meeting"]
    other = tianlin(small, title="另一事项")
    with pytest.raises(ValidationError) as exc:
        services.source_link(actor=small.alice, item=other, kind="petition", petition=first)
    assert "该来源已关联到整改事项“违法搭建”" in _messages(exc.value)
    assert RectificationSource.objects.filter(petition=first).count() == 1


def test_the_database_refuses_a_source_linked_twice(small):
    item, other = tianlin(small), tianlin(small, title="另一事项")
    p = petition(small)
    services.source_link(actor=small.alice, item=item, kind="petition", petition=p)
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationSource.objects.create(
            item=other, kind="petition", petition=p, added_at=clock.now()
        )


def test_a_meeting_source_says_when_and_who(small):
    item = tianlin(small)
    with pytest.raises(ValidationError) as exc:
        services.source_link(actor=small.alice, item=item, kind="meeting", held_on=clock.today())
    assert "请填写参加人员" in _messages(exc.value)


def test_a_foreign_petition_cannot_be_linked(small):
    item = tianlin(small)
    foreign = petition(small, "b")
    with pytest.raises(ValidationError) as exc:
        services.source_link(actor=small.alice, item=item, kind="petition", petition=foreign)
    assert "不在您的管辖范围内" in _messages(exc.value)


def test_an_item_raised_from_a_petition_takes_its_subject_and_links_it(small):
    p = petition(small, subject="小区违法搭建")
    item = services.item_create_from_petition(
        actor=small.alice, petition=p, deadline=clock.today() + dt.timedelta(days=30)
    )
    assert (item.title, item.owner, item.description) == ("小区违法搭建", small.a.street, p.content)
    assert [s.petition_id for s in selectors.sources_of(item)] == [p.pk]


def test_an_item_raised_from_a_visit_need_is_owned_by_the_visiting_unit(small):
    n = need(small)
    item = services.item_create_from_need(
        actor=small.alice, need=n, deadline=clock.today() + dt.timedelta(days=30)
    )
    assert (item.title, item.owner) == ("违法搭建影响通行", small.a.branches[0])
    assert [s.need_id for s in selectors.sources_of(item)] == [n.pk]


# ----- long-running and batches -----------------------------------------------------------------


def test_long_running_is_a_year_before_it_was_raised_or_more_than_one_batch(small):
    raised = dt.date(2005, 7, 1)
    assert is_long_running(dt.date(2004, 7, 1), raised, 0)
    assert not is_long_running(dt.date(2004, 7, 2), raised, 0)
    assert not is_long_running(None, raised, 1)
    assert is_long_running(None, raised, 2)
    item = tianlin(small, since=None)
    assert not item.long_running
    batches = [
        campaign_create(
            actor=small.alice,
            name=f"{label}批",
            batch=batch,
            root=small.a.org,
            starts_on=clock.today() - dt.timedelta(days=days),
            ends_on=clock.today() + dt.timedelta(days=365),
        )
        for label, batch, days in (("第二", "second", 200), ("第三", "third", 100))
    ]
    services.campaign_add(actor=small.alice, item=item, campaign=batches[0])
    item.refresh_from_db()
    assert not item.long_running
    services.campaign_add(actor=small.alice, item=item, campaign=batches[1])
    item.refresh_from_db()
    assert item.long_running
    with pytest.raises(ValidationError):
        services.campaign_add(actor=small.alice, item=item, campaign=batches[1])


def test_a_batch_of_another_district_does_not_cover_the_item(small):
    item = tianlin(small)
    foreign = campaign_create(
        actor=small.bob,
        name="乙区活动",
        batch="second",
        root=small.b.org,
        starts_on=clock.today() - dt.timedelta(days=10),
        ends_on=clock.today() + dt.timedelta(days=365),
    )
    with pytest.raises(ValidationError) as exc:
        services.campaign_add(actor=small.alice, item=item, campaign=foreign)
    assert "该活动不包括本事项的责任单位" in _messages(exc.value)


# ----- the standing arrangement -----------------------------------------------------------------


def test_a_standing_arrangement_is_set_once_the_item_is_closed(small):
    item = tianlin(small)
    with pytest.raises(ValidationError) as exc:
        services.arrangement_set(
            actor=small.alice,
            item=item,
            keeper_org=small.a.street,
            keeper="居委会主任",
            duties="每周巡查",
            check_every_days=30,
        )
    assert "销号后才能建立长效管理机制" in _messages(exc.value)
    item = closed_item(small)
    arrangement = services.arrangement_set(
        actor=small.alice,
        item=item,
        keeper_org=small.a.branches[0],
        keeper="居委会主任 张某",
        duties="每周巡查，发现新搭建当日制止",
        check_every_days=30,
    )
    assert arrangement.keeper == "居委会主任 张某"
    assert arrangement.next_check_on == clock.today() + dt.timedelta(days=30)


def test_a_passed_check_sets_the_next_and_a_failed_check_reopens_the_item(small):
    """S22: the arrangement keeps the problem solved; when it comes back the item reopens."""
    item = closed_item(small)
    arrangement = services.arrangement_set(
        actor=small.alice,
        item=item,
        keeper_org=small.a.street,
        keeper="城管队员",
        duties="巡查",
        check_every_days=14,
    )
    today = clock.today()
    services.check_record(actor=small.alice, arrangement=arrangement, checked_on=today, passed=True)
    arrangement.refresh_from_db()
    assert arrangement.next_check_on == today + dt.timedelta(days=14)
    with pytest.raises(ValidationError) as exc:
        services.check_record(
            actor=small.alice, arrangement=arrangement, checked_on=today, passed=False
        )
    assert "请写明发现的问题" in _messages(exc.value)
    services.check_record(
        actor=small.alice,
        arrangement=arrangement,
        checked_on=today,
        passed=False,
        note="发现新的违法搭建2处",
    )
    item.refresh_from_db()
    assert (item.state, item.reopened_count) == (ItemState.IN_PROGRESS, 1)
    last = selectors.events_of(item)[-1]
    assert (last.action, last.from_state, last.note) == (
        "check_failed",
        "closed",
        "发现新的违法搭建2处",
    )
    with pytest.raises(ValidationError) as exc:
        services.check_record(
            actor=small.alice, arrangement=arrangement, checked_on=today, passed=True
        )
    assert "销号后再检查" in _messages(exc.value)
    assert AuditEvent.objects.filter(object_type="rectification.arrangementcheck").count() == 2


def test_overdue_checks_and_items_are_listed_and_rung_in_the_bell(small):
    item = closed_item(small)
    arrangement = services.arrangement_set(
        actor=small.alice,
        item=item,
        keeper_org=small.a.street,
        keeper="城管队员",
        duties="巡查",
        check_every_days=7,
        starts_on=clock.today() - dt.timedelta(days=30),
    )
    late = tianlin(small, title="逾期事项", raised_on=clock.today() - dt.timedelta(days=60))
    RectificationItem.objects.filter(pk=late.pk).update(
        deadline=clock.today() - dt.timedelta(days=1)
    )
    assert list(selectors.checks_due(small.alice, overdue_only=True)) == [arrangement]
    assert list(selectors.checks_due(small.bob)) == []
    assert list(selectors.item_list(small.alice, overdue=True)) == [late]
    bell = {n.key: n.count for n in notices_for(small.alice)}
    assert bell["rectification.overdue"] == 1
    assert bell["rectification.checks"] == 1
    assert "rectification.overdue" not in {n.key for n in notices_for(small.bob)}


# ----- figures ----------------------------------------------------------------------------------


def test_figures_per_unit_equal_an_independent_count(small):
    """The unit's "project the public is satisfied with": items, open, overdue, closed and the
    share closed with the public satisfied, per child unit, against a count row by row."""
    closed_item(small)
    closed_item(small, owner=small.a.branches[0], title="支部事项")
    tianlin(small, owner=small.a.branches[1], title="未整改")
    reopened = tianlin(small, owner=small.a.branches[1], title="重新整改")
    services.item_start(actor=small.alice, item=reopened)
    services.item_complete(
        actor=small.alice, item=reopened, result="x", notice_text="x", noticed_on=clock.today()
    )
    services.item_verdict(actor=small.alice, item=reopened, verdict="not_satisfied", note="不行")
    late = tianlin(
        small,
        owner=small.a.branches[1],
        title="逾期",
        raised_on=clock.today() - dt.timedelta(days=9),
    )
    RectificationItem.objects.filter(pk=late.pk).update(
        deadline=clock.today() - dt.timedelta(days=1)
    )
    tianlin(small, actor=small.bob, owner=small.b.street, title="乙区事项")

    rows = {r.key: r for r in selectors.figures_by_unit(small.alice, small.a.street)}
    expected_units = {small.a.street.path, small.a.branches[0].path, small.a.branches[1].path}
    assert set(rows) == expected_units
    for path, row in rows.items():
        mine = [
            i
            for i in RectificationItem.objects.all()
            if i.path[: len(path)] == path and (path != small.a.street.path or i.path == path)
        ]
        assert row.items == len(mine)
        assert row.closed == sum(i.state == "closed" for i in mine)
        assert row.open == sum(i.state != "closed" for i in mine)
        assert row.overdue == sum(i.is_overdue for i in mine)
        assert row.reopened == sum(i.reopened_count > 0 for i in mine)
    branch2 = rows[small.a.branches[1].path]
    assert (branch2.items, branch2.overdue, branch2.closed, branch2.reopened) == (3, 1, 0, 1)
    assert rows[small.a.branches[0].path].satisfied_percent == 100.0
    total = selectors.figures_total(list(rows.values()), small.a.street)
    assert (total.items, total.satisfied) == (5, 2)
    assert total.satisfied_percent == 40.0
    # bob's district is not in alice's figures, nor alice's in his
    assert all(r.items for r in selectors.figures_by_unit(small.bob, small.b.org))
    assert sum(r.items for r in selectors.figures_by_unit(small.bob, small.b.org)) == 1


def test_many_survey_comments_become_one_item_and_each_comment_only_once(small):
    """Issue 21: the public's free-text comments merged into one rectification item."""
    said = comments(small, ["楼道里违法搭建", "违章搭建挡住消防通道", "小区绿化差"])
    item = services.item_create_from_comments(
        actor=small.alice, comments=said[:2], deadline=clock.today() + dt.timedelta(days=30)
    )
    assert (item.owner, item.title) == (small.a.street, "楼道里违法搭建")
    assert [s.comment_id for s in selectors.sources_of(item)] == [said[0].pk, said[1].pk]
    other = tianlin(small, title="绿化")
    with pytest.raises(ValidationError) as exc:
        services.comments_merge(actor=small.alice, item=other, comments=[said[2], said[0]])
    assert "同一来源不能关联两个事项" in _messages(exc.value)
    assert not other.sources.exists()  # all or none
    services.comments_merge(actor=small.alice, item=other, comments=[said[2]])
    assert [s.comment_id for s in selectors.sources_of(other)] == [said[2].pk]


def test_a_foreign_survey_comment_cannot_be_merged(small):
    (foreign,) = comments(small, ["乙区意见"], district="b")
    item = tianlin(small)
    with pytest.raises(ValidationError) as exc:
        services.comments_merge(actor=small.alice, item=item, comments=[foreign])
    assert "不在您的管辖范围内" in _messages(exc.value)
