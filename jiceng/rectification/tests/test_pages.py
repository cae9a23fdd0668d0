"""Pages of rectification items: the list with figures and chart, create (from scratch and
from a petition), the detail with the buttons the rights allow, each step's form, the checks
worklist; another district's officer gets 404 everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import mark_verified
from jiceng.core import clock
from jiceng.core.attachments.services import attachments_add
from jiceng.core.attachments.tests.files import photo
from jiceng.rectification import services
from jiceng.rectification.models import RectificationItem
from jiceng.rectification.rules import ItemState

from .helpers import closed_item, comments, petition, tianlin


def login(client: Any, user: Any) -> None:
    client.force_login(user)
    mark_verified(client, user)


def test_the_list_shows_the_units_figures_and_a_chart(client, small):
    tianlin(small)
    closed_item(small, owner=small.a.branches[0], title="支部事项")
    tianlin(small, actor=small.bob, owner=small.b.street, title="乙区事项")
    login(client, small.alice)
    response = client.get(reverse("rectification:item-list"), {"under": small.a.street.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="item-chart"' in body
    assert "违法搭建" in body
    assert "支部事项" in body
    assert "乙区事项" not in body
    assert body.count('data-testid="unit-row"') == 2
    assert '<div class="num" data-testid="total-items">2</div>' in body
    assert '<div class="num" data-testid="total-satisfied">50.0%</div>' in body


def test_an_officer_creates_an_item_from_scratch(client, small):
    login(client, small.alice)
    response = client.post(
        reverse("rectification:item-create"),
        {
            "owner": small.a.street.code,
            "title": "菜场周边占道经营",
            "since": "2003-05-01",
            "deadline": (clock.today() + dt.timedelta(days=60)).isoformat(),
            "measures": "设置疏导点",
        },
    )
    item = RectificationItem.objects.get(title="菜场周边占道经营")
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:item-detail", args=[item.pk])
    assert item.owner == small.a.street


def test_a_bad_deadline_is_shown_on_the_form_not_a_500(client, small):
    login(client, small.alice)
    response = client.post(
        reverse("rectification:item-create"),
        {
            "owner": small.a.street.code,
            "title": "x",
            "raised_on": clock.today().isoformat(),
            "deadline": (clock.today() - dt.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "整改时限不能早于立项日期" in response.content.decode()
    assert not RectificationItem.objects.exists()


def test_the_create_form_raised_from_a_petition_is_prefilled_and_links_it(client, small):
    p = petition(small, subject="楼道堆物影响消防")
    login(client, small.alice)
    url = reverse("rectification:item-create") + f"?petition={p.pk}"
    page = client.get(url).content.decode()
    assert 'value="楼道堆物影响消防"' in page
    assert 'data-testid="item-origin"' in page
    client.post(
        url,
        {
            "owner": small.a.street.code,
            "title": "楼道堆物影响消防",
            "deadline": (clock.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    item = RectificationItem.objects.get()
    assert list(item.sources.values_list("petition_id", flat=True)) == [p.pk]


def test_the_buttons_follow_the_state_and_the_steps_run_through_the_pages(client, small):
    item = tianlin(small)
    login(client, small.alice)
    detail = reverse("rectification:item-detail", args=[item.pk])
    assert 'data-testid="item-start"' in client.get(detail).content.decode()
    client.post(reverse("rectification:item-start", args=[item.pk]))
    page = client.get(detail).content.decode()
    assert 'data-testid="item-start"' not in page
    assert 'data-testid="item-complete"' in page
    client.post(
        reverse("rectification:item-complete", args=[item.pk]),
        {"result": "拆除", "notice_text": "公示", "noticed_on": clock.today().isoformat()},
    )
    # the round's own result, awaiting the verdict: not labelled as an earlier round's
    assert 'data-testid="item-notice-earlier"' not in client.get(detail).content.decode()
    client.post(
        reverse("rectification:item-verdict", args=[item.pk]),
        {"verdict": "not_satisfied", "note": "又搭起来了"},
    )
    item.refresh_from_db()
    assert (item.state, item.reopened_count) == (ItemState.IN_PROGRESS, 1)
    page = client.get(detail).content.decode()
    assert 'data-testid="item-reopened"' in page
    assert "又搭起来了" in page
    # reopened: the earlier result and verdict are said to be the earlier round's
    assert 'data-testid="item-notice-earlier"' in page


def test_a_source_linked_twice_is_refused_on_the_form(client, small):
    p = petition(small)
    first, second = tianlin(small), tianlin(small, title="第二项")
    services.source_link(actor=small.alice, item=first, kind="petition", petition=p)
    login(client, small.alice)
    response = client.post(
        reverse("rectification:source-add", args=[second.pk]),
        {"kind": "petition", "petition": p.pk},
    )
    assert response.status_code == 200
    assert "同一来源不能关联两个事项" in response.content.decode()
    assert not second.sources.exists()


def test_a_failed_check_on_the_page_reopens_the_item(client, small):
    item = closed_item(small)
    login(client, small.alice)
    client.post(
        reverse("rectification:arrangement", args=[item.pk]),
        {
            "keeper_org": small.a.street.code,
            "keeper": "居委会主任",
            "duties": "每周巡查",
            "check_every_days": 30,
        },
    )
    page = client.get(reverse("rectification:item-detail", args=[item.pk])).content.decode()
    assert 'data-testid="check-add-link"' in page
    client.post(
        reverse("rectification:check-add", args=[item.pk]),
        {"checked_on": clock.today().isoformat(), "passed": "0", "note": "反弹"},
    )
    item.refresh_from_db()
    assert (item.state, item.reopened_count) == (ItemState.IN_PROGRESS, 1)


def test_the_auditor_reads_the_item_without_buttons(client, small):
    item = tianlin(small)
    login(client, small.dora)
    page = client.get(reverse("rectification:item-detail", args=[item.pk])).content.decode()
    assert "违法搭建" in page
    for button in ("item-start", "item-edit-link", "source-add-link", "attachment-upload"):
        assert f'data-testid="{button}"' not in page


def test_the_checks_worklist_lists_overdue_checks(client, small):
    item = closed_item(small)
    services.arrangement_set(
        actor=small.alice,
        item=item,
        keeper_org=small.a.street,
        keeper="城管队员",
        duties="巡查",
        check_every_days=7,
        starts_on=clock.today() - dt.timedelta(days=20),
    )
    login(client, small.alice)
    page = client.get(reverse("rectification:checks"), {"overdue": "1"}).content.decode()
    assert page.count('data-testid="check-row"') == 1
    assert 'data-testid="check-overdue"' in page
    login(client, small.bob)
    page = client.get(reverse("rectification:checks")).content.decode()
    assert 'data-testid="check-row"' not in page


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("item-detail", "get"),
        ("item-edit", "get"),
        ("item-edit", "post"),
        ("item-start", "post"),
        ("item-complete", "get"),
        ("item-verdict", "post"),
        ("source-add", "get"),
        ("campaign-add", "post"),
        ("arrangement", "get"),
        ("check-add", "post"),
    ],
)
def test_another_districts_officer_gets_404(client, small, name, method):
    item = closed_item(small)
    login(client, small.bob)
    response = getattr(client, method)(reverse(f"rectification:{name}", args=[item.pk]))
    assert response.status_code == 404


def test_the_create_form_from_survey_comments_lists_them_and_links_them_all(client, small):
    said = comments(small, ["垃圾清运不及时", "垃圾箱满了没人管"])
    login(client, small.alice)
    url = reverse("rectification:item-create") + f"?comments={said[0].pk},{said[1].pk}"
    page = client.get(url).content.decode()
    assert "垃圾箱满了没人管" in page
    client.post(
        url,
        {
            "owner": small.a.street.code,
            "title": "垃圾清运",
            "deadline": (clock.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    item = RectificationItem.objects.get()
    assert sorted(item.sources.values_list("comment_id", flat=True)) == sorted(c.pk for c in said)


def test_comments_ticked_on_the_survey_page_open_one_item_with_all_of_them(client, small):
    """S20 "many comments, one item": the survey's comments page offers a box per comment
    to an officer who may act; the ticked ones (sent as repeated parameters) all reach the
    item's form."""
    said = comments(small, ["路灯不亮", "晚上路太黑", "楼道灯坏了"])
    login(client, small.alice)
    page = client.get(reverse("satisfaction:comments", args=[said[0].survey_id])).content.decode()
    assert page.count('data-testid="comment-pick"') == 3
    assert 'data-testid="comments-merge-submit"' in page
    url = reverse("rectification:item-create") + f"?comments={said[0].pk}&comments={said[1].pk}"
    form = client.get(url).content.decode()
    assert "路灯不亮" in form
    assert "晚上路太黑" in form
    assert "楼道灯坏了" not in form


def test_evidence_is_uploaded_by_the_owner_side_only(client, small):
    """Photos of the site and the notice posted: the attachments' rules, asked of the same
    rights as the item's other writes."""
    item = tianlin(small)
    attachments_add(actor=small.alice, record=item, files=[photo("拆除后.jpg")])
    login(client, small.alice)
    page = client.get(reverse("rectification:item-detail", args=[item.pk])).content.decode()
    assert 'data-testid="attachment-upload"' in page
    assert page.count('data-testid="attachment-photo"') == 1
    with pytest.raises(PermissionDenied):
        attachments_add(actor=small.bob, record=item, files=[photo("x.jpg")])


def test_the_list_page_reads_in_a_fixed_number_of_queries(
    client, small, django_assert_max_num_queries
):
    """The figures are grouped queries and the rows carry their owner: more items, no more
    queries."""
    login(client, small.alice)
    url = reverse("rectification:item-list")
    tianlin(small)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(6):
        tianlin(small, owner=small.a.branches[n % 2], title=f"事项{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_step_not_open_now_sends_back_to_the_item_with_why(client, small):
    item = tianlin(small)
    login(client, small.alice)
    response = client.get(reverse("rectification:item-verdict", args=[item.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("rectification:item-detail", args=[item.pk])
    assert "不能办理此项" in response.content.decode()
    login(client, small.dora)
    response = client.get(reverse("rectification:source-add", args=[item.pk]))
    assert response.status_code == 302


def test_the_edit_form_keeps_the_items_dates(client, small):
    """The date pickers show the dates stored (ISO, what an <input type=date> takes): an owner
    recording the measures does not have to type the deadline again."""
    item = tianlin(small)
    login(client, small.alice)
    form = client.get(reverse("rectification:item-edit", args=[item.pk])).content.decode()
    assert f'name="deadline" value="{item.deadline.isoformat()}"' in form
    assert f'name="since" value="{item.since.isoformat()}"' in form
