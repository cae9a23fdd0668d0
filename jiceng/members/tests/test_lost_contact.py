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
from jiceng.members.models import LastContact, LostContactCase, Member, Transfer

pytestmark = pytest.mark.django_db

OFFICER = "huangpu.officer"
OUTSIDER = "xuhui.officer"


def today() -> dt.date:
    return timezone.localdate()


def fresh_member(world, district=None) -> Member:
    """A 黄浦 member on the roll with no case and no open transfer."""
    district = district or world.huangpu
    busy = LostContactCase.objects.values("member_id")
    open_transfers = Transfer.objects.filter(
        state__in=["requested", "approved", "letter_issued", "in_transit"]
    ).values("member_id")
    return (
        Member.objects.filter(home_path__startswith=district.path, transferred_out_on=None)
        .exclude(pk__in=busy)
        .exclude(pk__in=open_transfers)
        .order_by("-id")
        .first()
    )


def lose(member: Member, days_ago: int) -> None:
    LastContact.objects.update_or_create(
        member=member,
        defaults={"on": today() - dt.timedelta(days=days_ago), "channel": ContactChannel.DUES},
    )


def open_case(world, member=None, *, opened: dt.date | None = None) -> LostContactCase:
    member = member or fresh_member(world)
    lose(member, 400 + ((today() - opened).days if opened else 0))
    (case,) = services.cases_open(actor=world.user(OFFICER), members=[member], today=opened)
    return case


# ----- the six-month rule ---------------------------------------------------------------------


def test_six_months_to_the_day():
    assert months_before(dt.date(2005, 8, 31), 6) == dt.date(2005, 2, 28)
    assert candidate_cutoff(dt.date(2005, 12, 15)) == dt.date(2005, 6, 15)
    assert stop_allowed_from(dt.date(2005, 6, 30)) == dt.date(2005, 12, 30)
    assert restore_allowed_until(dt.date(2004, 2, 29)) == dt.date(2006, 2, 28)


def test_a_member_is_a_candidate_only_after_six_months_without_contact(world):
    """Party Constitution Art. 9: six consecutive months."""
    officer = world.user(OFFICER)
    member = fresh_member(world)
    cutoff = candidate_cutoff(today())
    LastContact.objects.update_or_create(member=member, defaults={"on": cutoff, "channel": "dues"})
    assert not selectors.candidates(officer, world.huangpu).filter(pk=member.pk).exists()
    with pytest.raises(CaseError, match="未满六个月"):
        services.cases_open(actor=officer, members=[member])
    LastContact.objects.filter(member=member).update(on=cutoff - dt.timedelta(days=1))
    assert selectors.candidates(officer, world.huangpu).filter(pk=member.pk).exists()
    (case,) = services.cases_open(actor=officer, members=[member])
    assert case.last_contact_on == cutoff - dt.timedelta(days=1)
    # a member with a case under way is no longer a candidate, and cannot get a second case
    assert not selectors.candidates(officer, world.huangpu).filter(pk=member.pk).exists()
    with pytest.raises(CaseError, match="已有正在查找"):
        services.cases_open(actor=officer, members=[member])


def test_recording_a_contact_takes_a_member_off_the_candidates(world):
    officer = world.user(OFFICER)
    member = fresh_member(world)
    lose(member, 300)
    assert selectors.candidates(officer, world.huangpu).filter(pk=member.pk).exists()
    services.contact_record(
        actor=officer, member=member, on=today(), channel=ContactChannel.ORGANISATIONAL_LIFE
    )
    assert LastContact.objects.get(member=member).on == today()
    assert not selectors.candidates(officer, world.huangpu).filter(pk=member.pk).exists()
    # an older contact recorded late does not move the latest one back
    services.contact_record(
        actor=officer, member=member, on=today() - dt.timedelta(days=400), channel="dues"
    )
    assert LastContact.objects.get(member=member).on == today()


def test_opening_is_all_or_nothing_and_scoped(world):
    outsider = world.user(OUTSIDER)
    mine = fresh_member(world, world.xuhui)
    theirs = fresh_member(world)
    lose(mine, 300)
    lose(theirs, 300)
    before = LostContactCase.objects.count()
    with pytest.raises(PermissionDenied):
        services.cases_open(actor=outsider, members=[mine, theirs])
    assert LostContactCase.objects.count() == before
    assert not selectors.candidates(outsider, world.xuhui).filter(pk=theirs.pk).exists()


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


def _params(action: str, world) -> dict:
    if action == CaseAction.STOP:
        return {"decision_no": "沪组失〔2026〕9号"}
    if action == CaseAction.TRANSFER:
        return {"dest_org_name": "中共杭州市西湖区委", "dest_region": "浙江省"}
    if action == CaseAction.CANCEL:
        return {"note": "误列"}
    return {}


@pytest.mark.parametrize(("action", "state"), PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_table(world, action, state):
    # opened long enough ago that stopping is allowed by time
    case = _force(open_case(world, opened=today() - dt.timedelta(days=400)), state)
    rule = transition_for(action, state)
    if rule is None:
        with pytest.raises(CaseTransitionError):
            services.case_act(
                actor=world.user(OFFICER), case=case, action=action, **_params(action, world)
            )
        case.refresh_from_db()
        assert case.state == state
        return
    done = services.case_act(
        actor=world.user(OFFICER), case=case, action=action, **_params(action, world)
    )
    assert done.state == rule.target
    event = AuditEvent.objects.filter(object_type="members.lostcontactcase").order_by("-id")[0]
    assert event.changes["state"] == [state, rule.target]


def test_the_table_lists_each_state_and_action_once():
    assert len({(t.action, t.source) for t in TRANSITIONS}) == len(TRANSITIONS)
    assert {t.source for t in TRANSITIONS} == {CaseState.SEARCHING, CaseState.STOPPED}
    assert CaseState.STOPPED in ACTIVE_STATES


def test_stopping_needs_six_months_of_search_and_a_decision(world):
    officer = world.user(OFFICER)
    first = today() - dt.timedelta(days=1)
    case = open_case(world, opened=months_before(first, 6))
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


def test_restoring_is_possible_for_two_years_only(world):
    officer = world.user(OFFICER)
    case = _force(open_case(world, opened=today() - dt.timedelta(days=400)), CaseState.STOPPED)
    LostContactCase.objects.filter(pk=case.pk).update(
        stopped_on=today().replace(year=today().year - 2)
    )
    case.refresh_from_db()
    if (today().month, today().day) != (2, 29):
        assert restore_allowed_until(case.stopped_on) == today()
    done = services.case_act(actor=officer, case=case, action=CaseAction.RESTORE)
    assert done.state == CaseState.RESTORED  # exactly two years after the stop: still allowed
    assert done.restored_on == today()
    older = _force(open_case(world, opened=today() - dt.timedelta(days=900)), CaseState.STOPPED)
    LostContactCase.objects.filter(pk=older.pk).update(
        stopped_on=today() - dt.timedelta(days=2 * 366 + 1)
    )
    older.refresh_from_db()
    with pytest.raises(CaseError, match="超过两年"):
        services.case_act(actor=officer, case=older, action=CaseAction.RESTORE)


def test_found_and_transferred_opens_a_transfer_of_the_relationship(world):
    case = open_case(world)
    done = services.case_act(
        actor=world.user(OFFICER),
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


def test_attempts_only_while_searching_and_within_dates(world):
    officer = world.user(OFFICER)
    case = open_case(world, opened=today() - dt.timedelta(days=10))
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


def test_report_counts_found_members_by_district_and_month(world):
    officer = world.user(OFFICER)
    admin = world.user("city.admin")
    before = selectors.found_report(admin)["total"]
    a, b = open_case(world), open_case(world)
    services.case_act(actor=officer, case=a, action=CaseAction.RELINK)
    services.case_act(
        actor=officer, case=b, action=CaseAction.RELINK, on=today() - dt.timedelta(days=40)
    )
    report = selectors.found_report(admin)
    assert report["total"] == before + 2
    hand = LostContactCase.objects.filter(state__in=["found_relinked", "found_transferred"]).count()
    assert report["total"] == hand
    row = next(r for r in report["rows"] if r["path"] == world.huangpu.path)
    assert row["district"] == world.huangpu.name
    assert sum(report["month_totals"]) == report["total"]
    # the outsider's report has no 黄浦 row
    outsider = selectors.found_report(world.user(OUTSIDER))
    assert all(r["path"] != world.huangpu.path for r in outsider["rows"])
    # a date range narrows it
    narrow = selectors.found_report(admin, since=today(), until=today())
    assert narrow["total"] >= 1


def test_idle_searches_ring_the_bell(world):
    officer, outsider = world.user(OFFICER), world.user(OUTSIDER)

    def overdue(user) -> int:
        return {n.key: n.count for n in notices_for(user)}.get("lost.overdue", 0)

    before, outsider_before = overdue(officer), overdue(outsider)
    open_case(world, opened=today() - dt.timedelta(days=45))  # no attempt for 45 days
    assert overdue(officer) == before + 1
    assert overdue(outsider) == outsider_before
    fresh = open_case(world, opened=today() - dt.timedelta(days=5))
    assert overdue(officer) == before + 1  # five days is not idle yet
    assert fresh.state == CaseState.SEARCHING


def test_pages_open_a_case_record_an_attempt_and_mark_found(client, login, world):
    login(OFFICER)
    member = fresh_member(world)
    lose(member, 300)
    page = client.get(reverse("members:lost"), {"org": world.huangpu.pk})
    assert f'data-testid="candidate-{member.pk}"' in page.content.decode()
    response = client.post(
        reverse("members:lost-open", args=[world.huangpu.pk]), {"member": member.pk}
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
    assert world.huangpu.name in report


def test_api_opens_attempts_relinks_and_reports(client, login, world):
    login(OFFICER)
    member = fresh_member(world)
    lose(member, 300)
    ids = [
        r["id"]
        for r in client.get(
            reverse("api-lost-candidates"), {"org": world.huangpu.pk, "page_size": 500}
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
    assert client.get(reverse("api-lost-report")).json()["total"] >= 1
    # another district's member cannot be put in a case through the API
    login(OUTSIDER)
    response = client.post(
        reverse("api-lost-cases"), {"member_ids": [member.pk]}, content_type="application/json"
    )
    assert response.status_code == 404


def test_report_command_prints_the_table_and_csv(world):
    from io import StringIO

    from django.core.management import call_command

    case = open_case(world)
    services.case_act(actor=world.user(OFFICER), case=case, action=CaseAction.RELINK)
    total = selectors.found_report(world.user("city.admin"))["total"]
    out = StringIO()
    call_command("lost_contact_report", user="city.admin", format="csv", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("区县,")
    assert lines[-1].startswith("合计,")
    assert lines[-1].endswith(f",{total}")
    table = StringIO()
    call_command("lost_contact_report", user=OFFICER, stdout=table)
    assert "失联党员找回统计" in table.getvalue()
    assert world.huangpu.name in table.getvalue()
