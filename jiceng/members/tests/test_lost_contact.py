"""Lost-contact cases (S13: 12,000 lost members found): the six-month rule, the case state
machine (every allowed and every forbidden transition), the two-year restore window,
scoping, the report of members found, the pages, the API and the bell."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.core.notices import notices_for
from jiceng.members.lost_contact import selectors, services
from jiceng.members.lost_contact.rules import (
    ACTIVE_STATES,
    TRANSITIONS,
    CaseAction,
    CaseError,
    CaseState,
    CaseTransitionError,
    ContactChannel,
    SearchChannel,
    SearchResult,
    candidate_cutoff,
    months_before,
    restore_allowed_until,
    stop_allowed_from,
    transition_for,
)
from jiceng.members.models import LastContact, LostContactCase, Member
from tests.factories import District, UserFactory, make_member

from .factories_records import bare_world, city_admin, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(db):
    """The small world of ``tests.factories``, without premade members: each test here
    registers the members it needs with ``fresh_member``."""
    return bare_world()


def today() -> dt.date:
    return timezone.localdate()


def fresh_member(district: District) -> Member:
    """A member on the district's roll with no case and no open transfer."""
    return make_member(district.branches[0])


def lose(member: Member, days_ago: int) -> None:
    LastContact.objects.update_or_create(
        member=member,
        defaults={"on": today() - dt.timedelta(days=days_ago), "channel": ContactChannel.DUES},
    )


def open_case(small, member=None, *, opened: dt.date | None = None) -> LostContactCase:
    """A case opened by alice over a new member of district a (or ``member``)."""
    member = member or fresh_member(small.a)
    lose(member, 400 + ((today() - opened).days if opened else 0))
    (case,) = services.cases_open(actor=small.alice, members=[member], today=opened)
    return case


# ----- the six-month rule ---------------------------------------------------------------------


def test_six_months_to_the_day():
    assert months_before(dt.date(2005, 8, 31), 6) == dt.date(2005, 2, 28)
    assert candidate_cutoff(dt.date(2005, 12, 15)) == dt.date(2005, 6, 15)
    assert stop_allowed_from(dt.date(2005, 6, 30)) == dt.date(2005, 12, 30)
    assert restore_allowed_until(dt.date(2004, 2, 29)) == dt.date(2006, 2, 28)


def test_a_member_is_a_candidate_only_after_six_months_without_contact(small):
    """Party Constitution Art. 9: six consecutive months."""
    officer = small.alice
    member = fresh_member(small.a)
    cutoff = candidate_cutoff(today())
    LastContact.objects.update_or_create(member=member, defaults={"on": cutoff, "channel": "dues"})
    assert not selectors.candidates(officer, small.a.org).filter(pk=member.pk).exists()
    with pytest.raises(CaseError, match="未满六个月"):
        services.cases_open(actor=officer, members=[member])
    LastContact.objects.filter(member=member).update(on=cutoff - dt.timedelta(days=1))
    assert selectors.candidates(officer, small.a.org).filter(pk=member.pk).exists()
    (case,) = services.cases_open(actor=officer, members=[member])
    assert case.last_contact_on == cutoff - dt.timedelta(days=1)
    # a member with a case under way is no longer a candidate, and cannot get a second case
    assert not selectors.candidates(officer, small.a.org).filter(pk=member.pk).exists()
    with pytest.raises(CaseError, match="已有正在查找"):
        services.cases_open(actor=officer, members=[member])


def test_recording_a_contact_takes_a_member_off_the_candidates(small):
    officer = small.alice
    member = fresh_member(small.a)
    lose(member, 300)
    assert selectors.candidates(officer, small.a.org).filter(pk=member.pk).exists()
    services.contact_record(
        actor=officer, member=member, on=today(), channel=ContactChannel.ORGANISATIONAL_LIFE
    )
    assert LastContact.objects.get(member=member).on == today()
    assert not selectors.candidates(officer, small.a.org).filter(pk=member.pk).exists()
    # an older contact recorded late does not move the latest one back
    services.contact_record(
        actor=officer, member=member, on=today() - dt.timedelta(days=400), channel="dues"
    )
    assert LastContact.objects.get(member=member).on == today()


def test_opening_is_all_or_nothing_and_scoped(small):
    outsider = small.bob
    mine = fresh_member(small.b)
    theirs = fresh_member(small.a)
    lose(mine, 300)
    lose(theirs, 300)
    before = LostContactCase.objects.count()
    with pytest.raises(PermissionDenied):
        services.cases_open(actor=outsider, members=[mine, theirs])
    assert LostContactCase.objects.count() == before
    assert selectors.candidates(outsider, small.b.org).filter(pk=mine.pk).exists()
    assert not selectors.candidates(outsider, small.b.org).filter(pk=theirs.pk).exists()


# ----- the state machine ----------------------------------------------------------------------

PAIRS = list(itertools.product(CaseAction.values, CaseState.values))


def _force(case: LostContactCase, state: str) -> LostContactCase:
    fields = {"state": state}
    if state == CaseState.STOPPED:
        fields["stopped_on"] = today() - dt.timedelta(days=30)
        fields["decision_no"] = "沪组失〔2026〕1号"
    LostContactCase.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def _params(action: str, small) -> dict:
    if action == CaseAction.STOP:
        return {"decision_no": "沪组失〔2026〕9号"}
    if action == CaseAction.TRANSFER:
        return {"dest_org_name": "中共杭州市西湖区委", "dest_region": "浙江省"}
    if action == CaseAction.CANCEL:
        return {"note": "误列"}
    return {}


@pytest.mark.parametrize(("action", "state"), PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_table(small, action, state):
    # opened long enough ago that stopping is allowed by time
    case = _force(open_case(small, opened=today() - dt.timedelta(days=400)), state)
    rule = transition_for(action, state)
    if rule is None:
        with pytest.raises(CaseTransitionError):
            services.case_act(actor=small.alice, case=case, action=action, **_params(action, small))
        case.refresh_from_db()
        assert case.state == state
        return
    done = services.case_act(actor=small.alice, case=case, action=action, **_params(action, small))
    assert done.state == rule.target
    event = AuditEvent.objects.filter(object_type="members.lostcontactcase").order_by("-id")[0]
    assert event.changes["state"] == [state, rule.target]


def test_the_table_lists_each_state_and_action_once():
    assert len({(t.action, t.source) for t in TRANSITIONS}) == len(TRANSITIONS)
    assert {t.source for t in TRANSITIONS} == {CaseState.SEARCHING, CaseState.STOPPED}
    assert CaseState.STOPPED in ACTIVE_STATES


def test_stopping_needs_six_months_of_search_and_a_decision(small):
    officer = small.alice
    first = today() - dt.timedelta(days=1)
    case = open_case(small, opened=months_before(first, 6))
    assert stop_allowed_from(case.opened_on) == first
    with pytest.raises(CaseError, match="处置决定文号"):
        services.case_act(actor=officer, case=case, action=CaseAction.STOP)
    with pytest.raises(CaseError, match="查找满六个月后"):
        services.case_act(
            actor=officer,
            case=case,
            action=CaseAction.STOP,
            on=first - dt.timedelta(days=1),
            decision_no="x",
        )
    done = services.case_act(
        actor=officer, case=case, action=CaseAction.STOP, on=first, decision_no="沪组失〔2026〕2号"
    )
    assert (done.state, done.stopped_on) == (CaseState.STOPPED, first)


def test_restoring_is_possible_for_two_years_only(small):
    officer = small.alice
    case = _force(open_case(small, opened=today() - dt.timedelta(days=400)), CaseState.STOPPED)
    LostContactCase.objects.filter(pk=case.pk).update(
        stopped_on=today().replace(year=today().year - 2)
    )
    case.refresh_from_db()
    if (today().month, today().day) != (2, 29):
        assert restore_allowed_until(case.stopped_on) == today()
    done = services.case_act(actor=officer, case=case, action=CaseAction.RESTORE)
    assert done.state == CaseState.RESTORED  # exactly two years after the stop: still allowed
    assert done.restored_on == today()
    older = _force(open_case(small, opened=today() - dt.timedelta(days=900)), CaseState.STOPPED)
    LostContactCase.objects.filter(pk=older.pk).update(
        stopped_on=today() - dt.timedelta(days=2 * 366 + 1)
    )
    older.refresh_from_db()
    with pytest.raises(CaseError, match="超过两年"):
        services.case_act(actor=officer, case=older, action=CaseAction.RESTORE)


def test_found_and_transferred_opens_a_transfer_of_the_relationship(small):
    case = open_case(small)
    done = services.case_act(
        actor=small.alice,
        case=case,
        action=CaseAction.TRANSFER,
        dest_org_name="中共杭州市西湖区委",
        dest_region="浙江省",
        note="在杭州工作，申请转往当地",
    )
    assert done.state == CaseState.FOUND_TRANSFERRED
    assert done.transfer is not None
    assert done.transfer.member_id == case.member_id
    assert done.transfer.state == "requested"
    assert LastContact.objects.get(member=case.member).on == today()


def test_attempts_only_while_searching_and_within_dates(small):
    officer = small.alice
    case = open_case(small, opened=today() - dt.timedelta(days=10))
    with pytest.raises(CaseError, match="立案日期与今天之间"):
        services.case_attempt(
            actor=officer,
            case=case,
            on=today() - dt.timedelta(days=11),
            channel=SearchChannel.PHONE,
            result=SearchResult.NOT_FOUND,
        )
    services.case_attempt(
        actor=officer, case=case, on=today(), channel=SearchChannel.VISIT, result=SearchResult.LEAD
    )
    services.case_act(actor=officer, case=case, action=CaseAction.RELINK)
    with pytest.raises(CaseError, match="不在查找中"):
        services.case_attempt(actor=officer, case=case, on=today(), channel="phone", result="found")


# ----- report, bell, pages, API ---------------------------------------------------------------


def test_report_counts_found_members_by_district_and_month(small):
    officer = small.alice
    admin = city_admin(small)
    before = selectors.found_report(admin)["total"]
    a, b = open_case(small), open_case(small)
    services.case_act(actor=officer, case=a, action=CaseAction.RELINK)
    services.case_act(
        actor=officer, case=b, action=CaseAction.RELINK, on=today() - dt.timedelta(days=40)
    )
    # one found in district b too, so that the outsider's report has a row of its own
    lose(theirs := fresh_member(small.b), 400)
    (c,) = services.cases_open(actor=small.bob, members=[theirs])
    services.case_act(actor=small.bob, case=c, action=CaseAction.RELINK)
    report = selectors.found_report(admin)
    assert report["total"] == before + 3
    hand = LostContactCase.objects.filter(
        member_path__startswith=small.city.path, state__in=["found_relinked", "found_transferred"]
    ).count()
    assert report["total"] == hand
    row = next(r for r in report["rows"] if r["path"] == small.a.org.path)
    assert row["district"] == small.a.org.name
    assert row["total"] == 2
    assert sum(report["month_totals"]) == report["total"]
    # the outsider's report has its own district's row and no row of district a
    outsider = selectors.found_report(small.bob)
    assert [r["path"] for r in outsider["rows"]] == [small.b.org.path]
    # a date range narrows it
    narrow = selectors.found_report(admin, since=today(), until=today())
    assert narrow["total"] == 2  # a and c, found today; b was found forty days ago


def test_idle_searches_ring_the_bell(small):
    """The searching is done by the member's street and branch: the bell of the street
    committee's officer rings; the district's total is on its worklist (issue 17)."""
    officer = UserFactory(username="erin", role=Role.COMMITTEE_OFFICER, role__over=small.a.street)
    outsider = small.bob

    def overdue(user) -> int:
        return {n.key: n.count for n in notices_for(user)}.get("lost.overdue", 0)

    before, outsider_before = overdue(officer), overdue(outsider)
    open_case(small, opened=today() - dt.timedelta(days=45))  # no attempt for 45 days
    assert overdue(officer) == before + 1
    assert overdue(outsider) == outsider_before
    fresh = open_case(small, opened=today() - dt.timedelta(days=5))
    assert overdue(officer) == before + 1  # five days is not idle yet
    assert fresh.state == CaseState.SEARCHING
    assert overdue(small.alice) == 0  # waits on the street, not on the district


def test_pages_open_a_case_record_an_attempt_and_mark_found(client, small):
    sign_in(client, small.alice)
    member = fresh_member(small.a)
    lose(member, 300)
    page = client.get(reverse("members:lost"), {"org": small.a.org.pk})
    assert f'data-testid="candidate-{member.pk}"' in page.content.decode()
    response = client.post(
        reverse("members:lost-open", args=[small.a.org.pk]), {"member": member.pk}
    )
    case = LostContactCase.objects.get(member=member, state="searching")
    assert response["Location"] == reverse("members:lost-case", args=[case.pk])
    client.post(
        reverse("members:lost-attempt", args=[case.pk]),
        {
            "on": today().isoformat(),
            "channel": "phone",
            "result": "lead",
            "leads": "亲属提供新地址",
        },
    )
    assert case.attempts.get().leads == "亲属提供新地址"
    # a forbidden action comes back as a message, not a 500
    response = client.post(reverse("members:lost-act", args=[case.pk, "restore"]), follow=True)
    assert "不能“恢复党籍”" in response.content.decode()
    client.post(reverse("members:lost-act", args=[case.pk, "relink"]), {"note": "已联系上"})
    case.refresh_from_db()
    assert case.state == CaseState.FOUND_RELINKED
    report = client.get(reverse("members:lost-report")).content.decode()
    assert small.a.org.name in report


def test_api_opens_attempts_relinks_and_reports(client, small):
    sign_in(client, small.alice)
    member = fresh_member(small.a)
    lose(member, 300)
    ids = [
        r["id"]
        for r in client.get(
            reverse("api-lost-candidates"), {"org": small.a.org.pk, "page_size": 500}
        ).json()["results"]
    ]
    assert member.pk in ids
    response = client.post(
        reverse("api-lost-cases"), {"member_ids": [member.pk]}, content_type="application/json"
    )
    assert response.status_code == 201
    pk = response.json()[0]["id"]
    response = client.post(
        reverse("api-lost-attempt", args=[pk]),
        {"on": today().isoformat(), "channel": "visit", "result": "found"},
        content_type="application/json",
    )
    assert response.status_code == 201
    response = client.post(
        reverse("api-lost-act", args=[pk, "stop"]), {}, content_type="application/json"
    )
    assert response.status_code == 400  # six months of search not yet over
    response = client.post(
        reverse("api-lost-act", args=[pk, "relink"]), {}, content_type="application/json"
    )
    assert response.json()["state"] == "found_relinked"
    detail = client.get(reverse("api-lost-case", args=[pk])).json()
    assert len(detail["attempts"]) == 1
    assert client.get(reverse("api-lost-report")).json()["total"] == 1
    # another district's member cannot be put in a case through the API
    sign_in(client, small.bob)
    response = client.post(
        reverse("api-lost-cases"), {"member_ids": [member.pk]}, content_type="application/json"
    )
    assert response.status_code == 404


def test_report_command_prints_the_table_and_csv(small):
    from io import StringIO

    from django.core.management import call_command

    case = open_case(small)
    services.case_act(actor=small.alice, case=case, action=CaseAction.RELINK)
    admin = city_admin(small)
    total = selectors.found_report(admin)["total"]
    assert total == 1
    out = StringIO()
    call_command("lost_contact_report", user=admin.username, format="csv", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("区县,")
    assert lines[-1].startswith("合计,")
    assert lines[-1].endswith(f",{total}")
    table = StringIO()
    call_command("lost_contact_report", user=small.alice.username, stdout=table)
    assert "失联党员找回统计" in table.getvalue()
    assert small.a.org.name in table.getvalue()
